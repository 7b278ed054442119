#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr size_t kMaxRequestBytes = 5u << 20;  // data + partition keys of one call
}

// PutRecords: up to 500 records; each succeeds or fails on its own, results
// in request order. All records bound for one shard form one batch.
void PutRecords(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  auto max_bytes = MaxRecordBytes(ctx, *ref);
  if (!max_bytes.ok()) return done(max_bytes.status());
  const Value::Array& records = in.Find("Records")->as_array();
  std::vector<PutEntry> entries(records.size());
  size_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    std::string path = "records." + std::to_string(i + 1) + ".member.data";
    if (Status st = MakePutEntry(records[i], *max_bytes, path, &entries[i]); !st.ok()) return done(st);
    total += entries[i].data.size() + entries[i].partition_key.size();
  }
  if (total > std::max(kMaxRequestBytes, *max_bytes)) {
    return done(Status(ErrorCode::kInvalidArgument, "Records size exceeds 5 MB limit"));
  }
  ctx.registry->Put(*ref, std::move(entries), [done, ref = *ref](Result<std::vector<PutOutcome>> r) {
    if (!r.ok()) return done(r.status());
    Value list = Value::MakeArray();
    int64_t failed = 0;
    for (const PutOutcome& o : *r) {
      Value e = Value::MakeObject();
      if (o.status.ok()) {
        e.Set("SequenceNumber", Value::String(o.sequence.ToString()));
        e.Set("ShardId", Value::String(model::ShardIdName(o.shard)));
      } else {
        ++failed;
        if (o.status.code() == ErrorCode::kThroughputExceeded) {
          e.Set("ErrorCode", Value::String("ProvisionedThroughputExceededException"));
          e.Set("ErrorMessage", Value::String(o.status.message()));
        } else {
          e.Set("ErrorCode", Value::String("InternalFailure"));
          e.Set("ErrorMessage", Value::String("Internal service failure."));
        }
      }
      list.Append(std::move(e));
    }
    Value out = Value::MakeObject();
    out.Set("FailedRecordCount", Value::Int(failed));
    out.Set("Records", std::move(list));
    bool encrypted = !r->empty() && r->front().encrypted;  // one stream state for the whole call
    out.Set("EncryptionType", Value::String(encrypted ? "KMS" : "NONE"));
    done(std::move(out));
  }, "PutRecords");
}

}  // namespace spate::streams::api
