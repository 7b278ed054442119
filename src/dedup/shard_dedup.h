#pragma once

// ShardDedup: which stamped requests a shard has appended, so that a resend
// is answered with the original sequence numbers instead of a second copy
// (docs/exactly-once.md).

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "dedup/stamp.h"

namespace spate::dedup {

// The memory bound of one shard's table.
struct DedupLimits {
  // Producers tracked per shard; beyond it the least recently used one
  // without a request in flight is forgotten.
  size_t max_producers = 1024;
  // Requests remembered per (producer, shard): the newest `window` by
  // sequence number. An older sequence is refused (it cannot be told from a
  // request never seen).
  size_t window = 32;
  // A producer idle on the shard this long (by arrival time) is forgotten.
  int64_t expiry_ms = 24 * 3600 * 1000;
};

// What Begin decided for a stamped shard batch.
enum class Verdict {
  kAppend,     // new: append it (with the control record), then Commit or Abort
  kDuplicate,  // appended before: answer with base_offset (the first user record's offset)
  kWait,       // the same request is being appended: `waiter` runs with its outcome
  kRefused,    // the stamp is not acceptable: `status` says why
};

struct Decision {
  Verdict verdict = Verdict::kAppend;
  uint64_t base_offset = 0;  // kDuplicate
  Status status;             // kRefused
};

// Runs with the first user record's offset once the same request in flight
// is acknowledged, or with its error.
using Waiter = std::function<void(Result<uint64_t>)>;

// Thread-safe (one mutex; waiters run outside it). One per shard log.
class ShardDedup {
 public:
  explicit ShardDedup(DedupLimits limits = {}) : limits_(limits) {}

  // Whether the table was rebuilt from the log since the process started;
  // Begin must not be called before. RecoverOnce runs `scan` (which calls
  // Observe for each control record of the log's tail, in log order) the
  // first time and returns its status then, Ok after.
  Status RecoverOnce(const std::function<Status(ShardDedup*)>& scan);
  // Whether a RecoverOnce scan has succeeded.
  bool recovered() const;
  // Recovery: a control record at `offset` (its user records follow it).
  void Observe(const StampRecord& record, uint64_t offset, int64_t arrival_ms);

  // A stamped request brings `count` user records to this shard at
  // `now_ms`. On kAppend the caller must later call Commit or Abort with the
  // same stamp; on kWait, `waiter` (kept) runs on that call.
  Decision Begin(const ProducerStamp& stamp, uint32_t count, int64_t now_ms, Waiter waiter);
  // The kAppend'ed batch is durable; its first user record is at `base_offset`.
  void Commit(const ProducerStamp& stamp, uint64_t base_offset);
  // The kAppend'ed batch failed (not appended): forget it.
  void Abort(const ProducerStamp& stamp, const Status& error);

  // Tracked producers (tests, metrics).
  size_t producer_count() const;

 private:
  struct Entry {
    uint32_t count = 0;
    bool in_flight = false;
    uint64_t base_offset = 0;
    std::vector<Waiter> waiters;
  };
  struct Producer {
    uint64_t epoch = 0;
    // Sequences below it were dropped from the window (or predate the epoch's
    // first request we saw): refused.
    uint64_t floor = 0;
    std::map<uint64_t, Entry> window;  // by sequence
    int64_t last_used_ms = 0;
    std::list<std::string>::iterator lru;  // into lru_
    size_t in_flight = 0;
  };

  // Finds or makes the producer's state, evicting under the limits. Null
  // when the table is full of producers with requests in flight.
  Producer* Touch(const std::string& id, int64_t now_ms);
  void Trim(Producer* p);
  void Expire(int64_t now_ms);

  const DedupLimits limits_;
  mutable std::mutex mu_;
  bool recovered_ = false;                               // guarded by mu_ (RecoverOnce holds recover_mu_)
  std::mutex recover_mu_;                                // serializes RecoverOnce
  std::unordered_map<std::string, Producer> producers_;  // guarded by mu_
  std::list<std::string> lru_;                           // most recent first; guarded by mu_
};

}  // namespace spate::dedup
