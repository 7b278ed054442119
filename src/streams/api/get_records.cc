#include "streams/access.h"
#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kMaxRecordsPerCall = 10000;
}

// GetRecords: records after the iterator's position (at most Limit and
// 10 MiB), the next iterator, and, at the end of a closed shard, its
// children instead of a next iterator.
void GetRecords(const Context& ctx, Value in, Done done) {
  int64_t limit = IntMember(in, "Limit", kMaxRecordsPerCall);
  // An iterator names its stream's account: another account's iterator is
  // honoured only as far as that stream's resource policy allows GetRecords
  // (and a stream that is gone reads as denied, like one never shared).
  auto authorize = [&ctx](const Stream& s) { return Authorize(ctx.caller, ctx.Action(), s.meta(), s.Arn()); };
  auto r = ctx.registry->GetRecords(in.GetString("ShardIterator"), static_cast<size_t>(limit), authorize);
  if (!r.ok()) return done(r.status());
  Value records = Value::MakeArray();
  records.mutable_array().reserve(r->records.size());
  for (storage::StoredRecord& rec : r->records) {
    Value v = Value::MakeObject();
    v.mutable_object().reserve(5);
    v.Set("SequenceNumber", Value::String(model::SequenceNumber{r->shard, rec.offset}.ToString()));
    v.Set("ApproximateArrivalTimestamp", Value::TimestampMs(rec.arrival_ms));
    v.Set("Data", Value::Blob(std::move(rec.data)));
    v.Set("PartitionKey", Value::String(std::move(rec.partition_key)));
    if (rec.encrypted) v.Set("EncryptionType", Value::String("KMS"));
    records.Append(std::move(v));
  }
  Value out = Value::MakeObject();
  out.Set("Records", std::move(records));
  if (r->next_iterator) out.Set("NextShardIterator", Value::String(std::move(*r->next_iterator)));
  out.Set("MillisBehindLatest", Value::Int(r->millis_behind_latest));
  if (!r->next_iterator) {
    Value children = Value::MakeArray();
    for (const metadata::ShardMeta& c : r->children) children.Append(ChildShardValue(c));
    out.Set("ChildShards", std::move(children));
  }
  done(std::move(out));
}

}  // namespace spate::streams::api
