#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spate/kinesis_client.h"

namespace spate::consumer {

// The checkpoint values that are not sequence numbers (docs/leases.md).
inline constexpr std::string_view kTrimHorizon = "TRIM_HORIZON";
inline constexpr std::string_view kLatest = "LATEST";
inline constexpr std::string_view kShardEnd = "SHARD_END";

// The error type a lease write answers when its compare-and-set fails.
inline constexpr std::string_view kConcurrentModification = "ConcurrentModificationException";

// One lease of one (application, stream), as the lease table holds it.
struct LeaseRecord {
  std::string shard_id;
  std::string owner;  // empty: unowned
  int64_t counter = 0;
  std::string checkpoint{kTrimHorizon};
  int64_t checkpoint_sub_sequence = 0;
  std::vector<std::string> parent_shard_ids;
};

// A conditional write of one lease: applies only if the stored counter is
// `expected_counter` (and the owner `expected_owner` when set); adds one to
// the counter and sets the given members.
struct LeaseUpdate {
  std::string shard_id;
  int64_t expected_counter = 0;
  std::optional<std::string> expected_owner;
  std::optional<std::string> owner;  // "" releases
  std::optional<std::string> checkpoint;
  int64_t checkpoint_sub_sequence = 0;
};

// The leases of one (application, stream). Implementations are thread-safe.
// Errors are the lease API's (kConcurrentModification when the condition
// fails, ResourceInUseException on Create of an existing lease).
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  virtual Outcome<std::vector<LeaseRecord>> List() = 0;
  virtual Outcome<LeaseRecord> Create(const std::string& shard_id, const std::string& checkpoint,
                                      const std::vector<std::string>& parent_shard_ids) = 0;
  virtual Outcome<LeaseRecord> Update(const LeaseUpdate& update) = 0;
  // Deletes the lease if its counter is still `expected_counter`
  // (kConcurrentModification otherwise; ResourceNotFoundException if gone).
  virtual Outcome<Done> Delete(const std::string& shard_id, int64_t expected_counter) = 0;
};

// The lease table of spated (SpateLeases_20261207.*), through `client`
// (which must outlive it).
std::unique_ptr<LeaseStore> NewRemoteLeaseStore(KinesisClient* client, std::string application, std::string stream_arn);

}  // namespace spate::consumer
