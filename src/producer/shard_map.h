#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spate/kinesis_client.h"
#include "util/hash_key.h"
#include "util/md5.h"

namespace spate::producer {

// The open shards of a stream by hash-key range, as ListShards reported
// them: where the service will route a given hash key. Immutable once built.
class ShardMap {
 public:
  ShardMap() = default;
  // Keeps the open shards; nullopt when a range does not parse or the open
  // ranges overlap (a map the producer cannot route by).
  static std::optional<ShardMap> Build(const std::vector<Shard>& shards);

  // The shard id owning `hash`; nullptr when no open shard covers it.
  const std::string* Find(util::uint128 hash) const;
  bool Contains(const std::string& shard_id) const;
  size_t size() const { return ranges_.size(); }

 private:
  struct Range {
    util::uint128 start;
    util::uint128 end;  // inclusive
    std::string shard_id;
  };
  std::vector<Range> ranges_;  // sorted by start, disjoint
};

}  // namespace spate::producer
