#include "producer/shard_map.h"

#include <algorithm>

namespace spate::producer {

std::optional<ShardMap> ShardMap::Build(const std::vector<Shard>& shards) {
  ShardMap map;
  for (const Shard& s : shards) {
    if (!s.open()) continue;
    std::optional<util::uint128> start = util::ParseDecimal128(s.hash_key_range.starting_hash_key);
    std::optional<util::uint128> end = util::ParseDecimal128(s.hash_key_range.ending_hash_key);
    if (!start || !end || *start > *end) return std::nullopt;
    map.ranges_.push_back(Range{*start, *end, s.shard_id});
  }
  std::sort(map.ranges_.begin(), map.ranges_.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  for (size_t i = 1; i < map.ranges_.size(); ++i) {
    if (map.ranges_[i].start <= map.ranges_[i - 1].end) return std::nullopt;
  }
  return map;
}

const std::string* ShardMap::Find(util::uint128 hash) const {
  // The last range starting at or before `hash`.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), hash,
                             [](util::uint128 h, const Range& r) { return h < r.start; });
  if (it == ranges_.begin()) return nullptr;
  --it;
  return hash <= it->end ? &it->shard_id : nullptr;
}

bool ShardMap::Contains(const std::string& shard_id) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& r) { return r.shard_id == shard_id; });
}

}  // namespace spate::producer
