#pragma once

// Throughput metering as AWS does it: per-shard token buckets for writes and
// reads, per-operation control-plane rates, on-demand demand tracking, and
// deterministic fault injection. Pure logic: time comes from an injected
// util::Clock, so every rule is unit-tested with a ManualClock.

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "util/clock.h"

namespace spate::streams {

// AWS's per-shard quotas (service-sizes-and-limits).
inline constexpr double kShardWriteBytesPerSec = 1 << 20;
inline constexpr double kShardWriteRecordsPerSec = 1000;
inline constexpr double kShardReadBytesPerSec = 2 << 20;
inline constexpr double kShardReadCallsPerSec = 5;
inline constexpr uint64_t kLargeReadBytes = 10u << 20;  // a response this big...
inline constexpr int64_t kLargeReadPenaltyMs = 5000;    // ...throttles the shard's reads this long
inline constexpr double kShardIteratorCallsPerSec = 5;  // GetShardIterator per shard

struct ThroughputOptions {
  // false (--limits=off): nothing is ever throttled. Demand is still
  // measured (on-demand scaling uses it).
  bool enabled = true;
  // Seconds of rate a bucket holds when full: the burst it allows.
  double burst_seconds = 1.0;
};

// A token bucket: refills at `rate` tokens per second up to `capacity`.
// Not thread-safe (its owner locks). Time is monotonic nanoseconds.
class TokenBucket {
 public:
  TokenBucket(double rate, double capacity, int64_t now_ns);

  // Takes n tokens if that many are available, or if the bucket is full (so
  // a request larger than the capacity passes from a full bucket and leaves
  // it in debt, as AWS lets a large record through a idle shard).
  bool TryTake(double n, int64_t now_ns);
  // Whether n tokens could be taken now (same rule as TryTake), taking none.
  bool CanTake(double n, int64_t now_ns);
  // Takes n tokens unconditionally; the bucket may go into debt (negative).
  void Take(double n, int64_t now_ns);
  double Tokens(int64_t now_ns);

 private:
  void Refill(int64_t now_ns);

  double rate_;
  double capacity_;
  double tokens_;
  int64_t last_ns_;
};

// The meters of one shard. Thread-safe.
class ShardThroughput {
 public:
  ShardThroughput(const ThroughputOptions& options, util::Clock* clock);

  // One record of `bytes` (data + partition key) offered for writing: true
  // if within the shard's write quota (tokens taken), false if throttled.
  // Counts toward demand either way.
  bool AdmitWrite(uint64_t bytes);
  // Records of bytes[i] each offered in order at one instant: admitted[i]
  // (same size) is what AdmitWrite(bytes[i]) would answer, called for each
  // in turn. One lock and one clock reading for the lot: PutRecords meters
  // a shard's share of a call (up to 500 records) this way.
  void AdmitWrites(std::span<const uint64_t> bytes, std::span<bool> admitted);
  // A GetRecords call: false (throttled) past 5 calls per second, while the
  // read-bytes bucket is in debt, or within 5 s of a 10 MiB response.
  bool AdmitRead();
  // Charges a GetRecords response of `bytes` to the read bucket.
  void ChargeRead(uint64_t bytes);
  // A GetShardIterator call: false past 5 per second.
  bool AdmitIterator();

  // On-demand scaling: how long the shard's offered write load has exceeded
  // its write capacity (1 MiB/s or 1,000 records/s) in every whole second,
  // counted in whole one-second windows up to now; 0 when it is not hot.
  int64_t HotForMs();

 private:
  void RollWindow(int64_t now_ns);  // mu_ held

  const ThroughputOptions options_;
  util::Clock* const clock_;
  std::mutex mu_;
  TokenBucket write_bytes_;     // guarded by mu_
  TokenBucket write_records_;   // guarded by mu_
  TokenBucket read_bytes_;      // guarded by mu_
  TokenBucket read_calls_;      // guarded by mu_
  TokenBucket iterator_calls_;  // guarded by mu_
  int64_t read_blocked_until_ns_ = 0;
  // Demand windows (one second each), guarded by mu_.
  int64_t window_start_ns_;
  uint64_t window_bytes_ = 0;
  uint64_t window_records_ = 0;
  int64_t hot_since_ns_ = -1;  // start of the run of over-capacity windows
};

// One control-plane rate: `per_second` calls per account and region, or
// per stream. Which calls share a rate, and how fast it is, is decided at
// the api edge (api/admission.h); calls with the same `id` draw from the
// same buckets.
struct CallRate {
  uint32_t id = 0;
  double per_second = 0;
  bool per_stream = false;
};

// Control-plane rates: a token bucket per account, region and rate id (and
// stream, for a per-stream rate), created on first use. Thread-safe.
class ControlPlaneLimiter {
 public:
  ControlPlaneLimiter(const ThroughputOptions& options, util::Clock* clock);

  // kLimitExceeded ("Rate exceeded for ...") when the call would go over
  // `rate`. `stream` may be empty (account-level calls).
  Status Admit(std::string_view account, std::string_view region, const CallRate& rate, std::string_view stream);

 private:
  const ThroughputOptions options_;
  util::Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, TokenBucket> buckets_;  // guarded by mu_
};

// One fault-injection rule: matching calls fail with `error`.
//
// A call matches when its operation and stream equal the rule's (an empty
// field matches any). Rules name operations as --inject-fault does; the
// api edge, which knows the operation, is the one that draws. Each matching call (each record, for PutRecords)
// fails with probability `rate`, drawn from a PRNG seeded with `seed`, until
// `count` failures were injected (-1: no cap). So a rule's decisions depend
// only on the order of matching calls: deterministic for a given sequence.
struct FaultRule {
  std::string operation;
  std::string stream;
  ErrorCode error = ErrorCode::kThroughputExceeded;  // or kInternal
  double rate = 1.0;
  int64_t count = -1;
  uint64_t seed = 1;
};

// Parses "operation=PutRecords,stream=s1,error=ProvisionedThroughputExceededException,
// rate=0.5,count=10,seed=7" (keys in any order; error also accepts
// InternalFailure). kInvalidArgument naming the bad part.
Result<FaultRule> ParseFaultRule(std::string_view text);

// The active fault rules. Thread-safe.
class FaultInjector {
 public:
  explicit FaultInjector(std::vector<FaultRule> rules);

  bool empty() const { return rules_.empty(); }
  // The injected failure for one call (or one PutRecords record), or ok.
  // `operation` is only compared with the rules' names.
  Status Draw(std::string_view operation, std::string_view stream, std::string_view account);

 private:
  struct Active {
    FaultRule rule;
    std::mt19937_64 rng;
    int64_t injected = 0;
  };
  std::mutex mu_;
  std::vector<Active> rules_;  // guarded by mu_ (the vector itself is fixed)
};

}  // namespace spate::streams
