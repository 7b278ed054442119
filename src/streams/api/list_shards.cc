#include <algorithm>

#include "streams/api/common.h"
#include "streams/registry.h"
#include "streams/shard_shapes.h"

namespace spate::streams::api {

using protocol::Value;

namespace {

constexpr int64_t kDefaultMaxResults = 1000;
constexpr int64_t kMaxResultsCap = 10000;
constexpr std::string_view kTokenKind = "ListShards";

struct Filter {
  std::string type = "FROM_TRIM_HORIZON";
  std::optional<model::ShardIndex> shard;  // AFTER_SHARD_ID
  int64_t timestamp_ms = 0;                // AT_TIMESTAMP / FROM_TIMESTAMP
};

bool ParentListed(const metadata::StreamMeta& m, const std::optional<model::ShardIndex>& parent, int64_t now) {
  if (!parent) return false;
  for (const metadata::ShardMeta& s : m.shards) {
    if (s.index == *parent) {
      int64_t retention_ms = static_cast<int64_t>(m.retention_hours) * 3'600'000;
      return !(s.closed() && s.closed_ms + retention_ms < now);
    }
  }
  return false;
}

// Whether ListShards shows `s` under `f` (AWS's ShardFilter semantics).
bool Matches(const metadata::StreamMeta& m, const metadata::ShardMeta& s, const Filter& f, int64_t now) {
  int64_t retention_ms = static_cast<int64_t>(m.retention_hours) * 3'600'000;
  bool expired = s.closed() && s.closed_ms + retention_ms < now;
  if (expired) return false;
  if (f.type == "AFTER_SHARD_ID") return f.shard && s.index > *f.shard;
  if (f.type == "AT_LATEST") return !s.closed();
  if (f.type == "AT_TRIM_HORIZON") {
    return !ParentListed(m, s.parent, now) && !ParentListed(m, s.adjacent_parent, now);
  }
  if (f.type == "AT_TIMESTAMP") {
    // Shards open at the instant (a reshard's parents and children both
    // are, at its instant), which is clamped to the trim horizon and to the
    // stream's creation, so an old timestamp lists the oldest shards.
    int64_t at = std::max({f.timestamp_ms, now - retention_ms, m.created_ms});
    return s.created_ms <= at && (!s.closed() || s.closed_ms >= at);
  }
  if (f.type == "FROM_TIMESTAMP") return !s.closed() || s.closed_ms >= f.timestamp_ms;
  return true;  // FROM_TRIM_HORIZON
}

}  // namespace

// ListShards: by stream, or continuing a NextToken (never both).
void ListShards(const Context& ctx, Value in, Done done) {
  std::string_view token = in.GetString("NextToken");
  bool named = in.Has("StreamName") || in.Has("StreamARN");
  if (!token.empty() && in.Has("StreamName")) {
    return done(Status(ErrorCode::kInvalidArgument, "NextToken and StreamName cannot be provided together."));
  }
  if (token.empty() && !named) {
    return done(Status(ErrorCode::kInvalidArgument, "Either NextToken or StreamName should be provided."));
  }
  int64_t max_results = std::min(IntMember(in, "MaxResults", kDefaultMaxResults), kMaxResultsCap);
  StreamRef ref;
  Filter filter;
  std::optional<model::ShardIndex> after;
  int64_t expect_created = 0;
  if (!token.empty()) {
    auto f = OpenNextToken(ctx, kTokenKind, token);
    if (!f.ok()) return done(f.status());
    if (f->size() != 8) return done(Status(ErrorCode::kInvalidArgument, "Invalid NextToken."));
    const auto& v = *f;
    ref = StreamRef{v[0], v[1], v[2]};
    auto created = TokenInt(v[3]);
    auto after_index = TokenUint(v[4]);
    auto filter_ts = TokenInt(v[7]);
    if (!created.ok() || !after_index.ok() || !filter_ts.ok() || *after_index > UINT32_MAX) {
      return done(Status(ErrorCode::kInvalidArgument, "Invalid NextToken."));
    }
    expect_created = *created;
    after = model::ShardIndex{static_cast<uint32_t>(*after_index)};
    filter.type = v[5];
    if (!v[6].empty()) {
      auto shard = TokenUint(v[6]);
      if (!shard.ok() || *shard > UINT32_MAX) return done(Status(ErrorCode::kInvalidArgument, "Invalid NextToken."));
      filter.shard = model::ShardIndex{static_cast<uint32_t>(*shard)};
    }
    filter.timestamp_ms = *filter_ts;
  } else {
    auto r = StreamFromInput(ctx, in);
    if (!r.ok()) return done(r.status());
    ref = *r;
    if (std::string_view start = in.GetString("ExclusiveStartShardId"); !start.empty()) {
      after = model::ParseShardId(start);
      if (!after) after = model::ShardIndex{0};
    }
    if (const Value* sf = in.Find("ShardFilter")) {
      filter.type = std::string(sf->GetString("Type"));
      if (std::string_view id = sf->GetString("ShardId"); !id.empty()) filter.shard = model::ParseShardId(id);
      if (const Value* ts = sf->Find("Timestamp"); ts != nullptr && ts->is_timestamp()) {
        filter.timestamp_ms = ts->as_timestamp_ms();
      }
      if (filter.type == "AFTER_SHARD_ID" && !filter.shard) {
        return done(Status(ErrorCode::kInvalidArgument,
                           "Must specify ShardId in ShardFilter when ShardFilter type is AFTER_SHARD_ID."));
      }
      bool needs_time = filter.type == "AT_TIMESTAMP" || filter.type == "FROM_TIMESTAMP";
      if (needs_time && !sf->Has("Timestamp")) {
        return done(Status(ErrorCode::kInvalidArgument,
                           "Must specify Timestamp in ShardFilter when ShardFilter type is " + filter.type + "."));
      }
    }
  }
  int64_t now = ctx.registry->clock()->NowMs();
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(ref, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    if (expect_created != 0 && m.created_ms != expect_created) return Registry::StreamNotFound(ref);
    Value shards = Value::MakeArray();
    std::optional<model::ShardIndex> last;
    bool more = false;
    if (m.status != metadata::StreamStatus::kCreating) {
      for (const metadata::ShardMeta& shard : m.shards) {
        if (after && shard.index <= *after) continue;
        if (!Matches(m, shard, filter, now)) continue;
        if (static_cast<int64_t>(shards.as_array().size()) == max_results) {
          more = true;
          break;
        }
        shards.Append(ShardValue(shard, m.epoch));
        last = shard.index;
      }
    }
    out.Set("Shards", std::move(shards));
    if (more) {
      out.Set("NextToken",
              Value::String(SealNextToken(
                  ctx, kTokenKind,
                  {m.account, m.region, m.name, std::to_string(m.created_ms), std::to_string(last->value), filter.type,
                   filter.shard ? std::to_string(filter.shard->value) : "", std::to_string(filter.timestamp_ms)})));
    }
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
