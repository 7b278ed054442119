#pragma once

// The producer's logic without threads or I/O: records in, PutRecords and
// ListShards calls out, their answers in, completed records out. Producer
// (producer_impl.h) runs it under one lock on its threads; the unit tests
// drive it directly with a hand-made clock, so no test sleeps.

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "producer/shard_map.h"
#include "producer/token_bucket.h"
#include "spate/producer.h"
#include "util/hash_key.h"
#include "util/md5.h"

namespace spate::producer {

// One user record from Put to completion. Owned by the engine while
// buffered, by a Work while its PutRecords call is in flight, and by a
// Completion once done.
struct UserRecordState {
  uint64_t id = 0;  // Put order across the producer: 1, 2, ...
  std::string partition_key;
  std::string explicit_hash_key;  // empty: none
  std::string data;
  util::uint128 hash = 0;   // where it routes: explicit hash key, else MD5 of the partition key
  int64_t put_ns = 0;       // monotonic time of Put
  int64_t deadline_ns = 0;  // put_ns + record_ttl
  int attempts = 0;         // PutRecords calls that carried it
  std::optional<ApiError> last_error;
  std::promise<PutOutcome> promise;

  // What it counts against ProducerConfig::max_buffered_bytes.
  size_t buffered_bytes() const { return data.size() + partition_key.size() + explicit_hash_key.size(); }
};
using RecordPtr = std::unique_ptr<UserRecordState>;

// A record's end: fulfil record->promise with outcome (outside the lock).
struct Completion {
  RecordPtr record;
  PutOutcome outcome;
};

// One call for a sender thread to make.
struct Work {
  enum class Kind { kListShards, kPutRecords };
  // One PutRecords entry's user records and the shard they were aimed at.
  struct Sent {
    std::string shard_id;
    bool aggregated = false;
    size_t kinesis_bytes = 0;  // data + partition key
    std::vector<RecordPtr> records;
  };

  Kind kind = Kind::kPutRecords;
  std::string stream;
  uint64_t map_version = 0;              // the stream's shard map when built
  std::vector<PutRecordsEntry> entries;  // kPutRecords: one aggregate or distinct keys per shard
  std::vector<Sent> sent;                // parallel to entries
  int64_t sent_ns = 0;
};

// Counters the engine keeps (ProducerMetrics without the latency and
// buffer fields, which the Producer adds).
struct EngineCounters {
  uint64_t kinesis_records_put = 0;
  uint64_t kinesis_bytes_put = 0;
  uint64_t put_records_calls = 0;
  uint64_t list_shards_calls = 0;
  uint64_t retries = 0;
  uint64_t throttled = 0;
  uint64_t rate_limited_waits = 0;
};

// Whether a whole call's error may be retried unchanged (throttling, 5xx,
// no answer); the producer's own policy, so it does not depend on the
// client's classification.
bool IsRetryableCallError(const ApiError& error);
// Whether a PutRecords entry's ErrorCode may be retried.
bool IsRetryableEntryError(std::string_view error_code);
bool IsThrottlingError(std::string_view type);

class Engine {
 public:
  // `config` must be valid (Producer::Create checks it).
  Engine(const ProducerConfig& config, uint64_t seed = 1);

  // Buffers a record for `stream`. Its id must be above every earlier one.
  // True when the caller should Poll again soon: the record may be due
  // earlier than anything the last NextWakeNs knew of (its shard was empty,
  // is now full, or the stream needs a shard map).
  bool Enqueue(const std::string& stream, RecordPtr record);

  // Everything sendable at `now_ns`: calls to make (each shard at most one
  // PutRecords in flight; per shard and call, one aggregate, or plain
  // records with distinct partition keys), and into `done`
  // the records that expired.
  std::vector<Work> Poll(int64_t now_ns, std::vector<Completion>* done);

  // A call's answer. The Work's records come back: completed into `done`,
  // or buffered again (at the front of their shard, in order) to retry.
  void CompleteListShards(Work work, Outcome<std::vector<Shard>> result, int64_t now_ns, std::vector<Completion>* done);
  void CompletePutRecords(Work work, Outcome<PutRecordsResult> result, int64_t now_ns, std::vector<Completion>* done);

  // Marks every record buffered now as due at once.
  void FlushAll() { flush_upto_ = last_id_; }

  // Fails every buffered record (not those in flight) with `error`.
  void AbortBuffered(const ApiError& error, std::vector<Completion>* done);

  // When Poll may next have something to do (monotonic ns); INT64_MAX if
  // nothing is buffered or everything waits for an answer.
  int64_t NextWakeNs() const;

  size_t buffered_records() const { return buffered_records_; }
  size_t in_flight_calls() const { return in_flight_calls_; }
  const EngineCounters& counters() const { return counters_; }

 private:
  struct ShardState {
    ShardState(double bytes_rate, double records_rate, int64_t now_ns)
        : bytes(bytes_rate, now_ns), records(records_rate, now_ns) {}
    std::deque<RecordPtr> pending;  // in id order
    size_t pending_bytes = 0;       // data + keys of `pending`
    bool in_flight = false;
    int failures = 0;         // consecutive failed attempts
    int64_t retry_at_ns = 0;  // backoff after a failure
    int64_t rate_at_ns = 0;   // when its rate limiter admits the next aggregate
    TokenBucket bytes;
    TokenBucket records;
  };
  struct StreamState {
    std::optional<ShardMap> map;  // nullopt until the first ListShards answers
    uint64_t map_version = 0;
    bool map_stale = true;  // a refresh is wanted
    bool map_requested = false;
    int map_failures = 0;
    int64_t map_retry_at_ns = 0;
    std::deque<RecordPtr> unrouted;  // waiting for a shard map, in id order
    std::unordered_map<std::string, ShardState> shards;
    std::map<uint64_t, int> in_flight_by_version;  // PutRecords calls in flight per map version
  };

  ShardState& ShardFor(StreamState& s, const std::string& shard_id, int64_t now_ns);
  // Moves every buffered record of `s` back through the current map, in id
  // order (after a new map, or when a retry finds its shard gone).
  void Reroute(StreamState& s, int64_t now_ns);
  bool Ready(const ShardState& shard, int64_t now_ns) const;
  void ExpireFront(std::deque<RecordPtr>& q, size_t* bytes, int64_t now_ns, std::vector<Completion>* done);
  // Puts a failed entry's records back at the front of their shard (or
  // re-routes them after a new map); `back_off` starts the shard's backoff.
  void Requeue(StreamState& s, Work::Sent sent, const ApiError& error, uint64_t map_version, int64_t now_ns,
               bool back_off, std::vector<Completion>* done);
  int64_t Backoff(int failures);
  void Fail(RecordPtr record, ApiError error, std::vector<Completion>* done);

  ProducerConfig config_;
  double bytes_rate_;
  double records_rate_;
  std::map<std::string, StreamState> streams_;
  uint64_t last_id_ = 0;
  uint64_t flush_upto_ = 0;
  size_t buffered_records_ = 0;  // buffered + in flight
  size_t in_flight_calls_ = 0;
  EngineCounters counters_;
  std::minstd_rand rng_;
};

}  // namespace spate::producer
