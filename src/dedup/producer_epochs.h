#pragma once

// ProducerEpochs: the durable epoch of every producer id (InitProducer), the
// fence of the exactly-once append extension (docs/exactly-once.md).

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dedup/stamp.h"
#include "metadata/catalog.h"

namespace spate::dedup {

// The identity InitProducer hands out.
struct ProducerIdentity {
  std::string producer_id;
  uint64_t epoch = 0;
};

// Epochs per (account, region, producer id), in memory and written through
// to the catalog (namespace kEpochNamespace, synced before a call answers).
// Thread-safe: one mutex across read, bump and catalog write.
class ProducerEpochs {
 public:
  static constexpr std::string_view kEpochNamespace = "producer-epoch";

  // `catalog` must outlive this.
  explicit ProducerEpochs(metadata::Catalog* catalog) : catalog_(catalog) {}

  // Loads the stored epochs. kCorruption for a malformed record.
  Status Start();

  // A new epoch for `producer_id` (one more than the last; 1 for a new id);
  // an empty id gets a new random one. Every older epoch of the id is fenced
  // from then on. kInvalidArgument for a malformed id.
  Result<ProducerIdentity> Init(std::string_view account, std::string_view region, std::string_view producer_id);

  // Ok when `stamp` names the current epoch of a known producer id:
  // kNotFound for an id never initialised, kConcurrentModification
  // (ConcurrentModificationException) for an older epoch (fenced),
  // kInvalidArgument for a newer one (never handed out).
  Status Check(std::string_view account, std::string_view region, const ProducerStamp& stamp) const;

 private:
  static std::string Key(std::string_view account, std::string_view region, std::string_view id);

  metadata::Catalog* const catalog_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> epochs_;  // by Key(); guarded by mu_
};

}  // namespace spate::dedup
