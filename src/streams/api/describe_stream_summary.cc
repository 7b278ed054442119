#include "streams/api/common.h"
#include "streams/registry.h"

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
    SetStreamDescriptionCommon(s, &d);
    bool creating = m.status == metadata::StreamStatus::kCreating;
    d.Set("OpenShardCount", Value::Int(creating ? 0 : s.OpenShardCount()));
    d.Set("ConsumerCount", Value::Int(static_cast<int64_t>(m.consumers.size())));
    d.Set("MaxRecordSizeInKiB", Value::Int(m.max_record_size_kib));
    if (m.mode == metadata::StreamMode::kOnDemand) d.Set("WarmThroughput", WarmThroughputValue(s));
    out.Set("StreamDescriptionSummary", std::move(d));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
