#include "streams/api/common.h"
#include "streams/registry.h"
#include "streams/shard_shapes.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kDefaultShardLimit = 100;
}

// DescribeStream: the stream and up to Limit shards after
// ExclusiveStartShardId. A stream being created has no shards yet.
void DescribeStream(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t limit = IntMember(in, "Limit", kDefaultShardLimit);
  if (limit > kDefaultShardLimit) limit = kDefaultShardLimit;
  std::optional<model::ShardIndex> after;
  if (std::string_view start = in.GetString("ExclusiveStartShardId"); !start.empty()) {
    after = model::ParseShardId(start);
    if (!after) after = model::ShardIndex{0};
  }
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    Value d = Value::MakeObject();
    SetStreamDescriptionCommon(s, &d);
    Value shards = Value::MakeArray();
    bool more = false;
    if (m.status != metadata::StreamStatus::kCreating) {
      for (const metadata::ShardMeta& shard : m.shards) {
        if (after && shard.index <= *after) continue;
        if (static_cast<int64_t>(shards.as_array().size()) == limit) {
          more = true;
          break;
        }
        shards.Append(ShardValue(shard, m.epoch));
      }
    }
    d.Set("Shards", std::move(shards));
    d.Set("HasMoreShards", Value::Bool(more));
    out.Set("StreamDescription", std::move(d));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
