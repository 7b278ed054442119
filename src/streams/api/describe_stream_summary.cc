#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

// DescribeStreamSummary: DescribeStream without the shard list, plus counts.
void DescribeStreamSummary(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    Value d = Value::MakeObject();
    d.Set("StreamName", Value::String(m.name));
    d.Set("StreamARN", Value::String(s.Arn()));
    d.Set("StreamStatus", Value::String(std::string(metadata::StreamStatusName(m.status))));
    d.Set("StreamModeDetails", StreamModeDetailsValue(m.mode));
    d.Set("RetentionPeriodHours", Value::Int(m.retention_hours));
    d.Set("StreamCreationTimestamp", Value::TimestampMs(m.created_ms));
    d.Set("EnhancedMonitoring", EnhancedMonitoringValue(m));
    d.Set("EncryptionType", Value::String(m.encryption_type));
    if (!m.key_id.empty()) d.Set("KeyId", Value::String(m.key_id));
    bool creating = m.status == metadata::StreamStatus::kCreating;
    d.Set("OpenShardCount", Value::Int(creating ? 0 : s.OpenShardCount()));
    d.Set("ConsumerCount", Value::Int(static_cast<int64_t>(m.consumers.size())));
    d.Set("MaxRecordSizeInKiB", Value::Int(m.max_record_size_kib));
    out.Set("StreamDescriptionSummary", std::move(d));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
