#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

// PutRecord: one record, acknowledged once durable.
void PutRecord(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  auto max_bytes = MaxRecordBytes(ctx, *ref);
  if (!max_bytes.ok()) return done(max_bytes.status());
  std::vector<PutEntry> entries(1);
  if (Status st = MakePutEntry(&in, *max_bytes, 0, &entries[0]); !st.ok()) return done(st);
  if (std::string_view ordering = in.GetString("SequenceNumberForOrdering"); !ordering.empty()) {
    // Sequence numbers are assigned in arrival order per shard, so a
    // client's consecutive puts are already ordered; the value must still
    // be one of ours.
    if (!model::SequenceNumber::Parse(ordering)) {
      return done(Status(ErrorCode::kInvalidArgument, "ExclusiveMinimumSequenceNumber " + std::string(ordering) +
                                                          " used in PutRecord on stream " + ref->name +
                                                          " under account " + ref->account + " is invalid."));
    }
  }
  ctx.registry->Put(*ref, std::move(entries), [done](Result<std::vector<PutOutcome>> r) {
    if (!r.ok()) return done(r.status());
    const PutOutcome& o = (*r)[0];
    if (!o.status.ok()) return done(o.status);
    Value out = Value::MakeObject();
    out.Set("ShardId", Value::String(model::ShardIdName(o.shard)));
    out.Set("SequenceNumber", Value::String(o.sequence.ToString()));
    out.Set("EncryptionType", Value::String(o.encrypted ? "KMS" : "NONE"));
    done(std::move(out));
  });
}

}  // namespace spate::streams::api
