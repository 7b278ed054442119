#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "firehose/firehose_metrics.h"
#include "firehose/object_store.h"
#include "firehose/sink.h"
#include "metadata/catalog.h"
#include "storage/shard_log.h"
#include "util/clock.h"

namespace spate::firehose {

struct DelivererOptions {
  // Backoff between attempts of a failed delivery: doubles from initial to
  // max (a sink's RetryBackoffMs replaces the initial one).
  int64_t initial_backoff_ms = 200;
  int64_t max_backoff_ms = 30'000;
  // For S3 sinks (passed on through SinkContext by DeliveryStreams): how long
  // an object may keep failing before it goes to the error output instead,
  // S3's fixed retry duration (24 h); and the error output, where an object
  // that failed for the whole window is written under the same bucket and
  // key, by a store that does not share the destination's fate (spated: a
  // directory under the data directory). Null: retry for as long as the
  // deliverer runs.
  int64_t retry_window_ms = kS3RetryWindowMs;
  ObjectStore* error_output = nullptr;

  static constexpr int64_t kS3RetryWindowMs = 24LL * 3600 * 1000;
};

// What a deliverer delivers with; replaced whole by UpdateDestination (the
// next batch uses the new one).
struct DeliveryTarget {
  std::string stream_name;
  int64_t version_id = 1;
  std::shared_ptr<Sink> sink;
  std::shared_ptr<Processor> processor;  // null: records go as they arrived
};

// Counters since start, with CloudWatch's meaning (DeliveryTo<Destination>.*).
struct DeliveryStats {
  uint64_t objects = 0;          // DeliveryToS3.ObjectCount; COPYs, requests for the others
  uint64_t records = 0;          // DeliveryTo*.Records
  uint64_t bytes = 0;            // DeliveryTo*.Bytes (before compression)
  uint64_t failed_attempts = 0;  // deliveries that failed and were retried
  uint64_t expired_objects = 0;  // batches handed to Sink::Expire after the retry window
  uint64_t expired_records = 0;
  // Arrival time of the oldest record not yet delivered, or -1 when every
  // acknowledged record is delivered (DeliveryToS3.DataFreshness is now
  // minus this).
  int64_t oldest_undelivered_ms = -1;
  std::string last_error;  // of the most recent failed attempt, "" after a success
};

// Removes the segments of a delivery stream's log that every deliverer
// reading it (the destination's and the S3 backup's) has delivered: up to the
// least of their delivered offsets. A reader that has reported nothing yet
// holds the whole log. Thread-safe.
//
// Holds of other services' readers (record_reader.h: an Analytics
// application, running or stopped) keep records at most kMaxHoldAgeMs after
// their arrival, as Firehose keeps a record at most 24 h: at each trim a hold
// below the first record that arrived within that age moves up to it, the
// records it let go are counted (`hold_expired_records`) and logged, and a
// reader that reads from its old position starts at the log's start. Trims
// run when a deliverer reports progress and when a hold moves.
class LogTrimmer {
 public:
  static constexpr int64_t kMaxHoldAgeMs = 24LL * 3600 * 1000;

  // `clock` (not owned) stamps the hold's age limit; `hold_expired_records`
  // may be null (nothing counted).
  LogTrimmer(std::shared_ptr<storage::ShardLog> log, std::string log_group, size_t readers, util::Clock* clock,
             std::shared_ptr<metrics::Counter> hold_expired_records);
  // Reader `reader` (< readers) has delivered everything before `end`.
  void Delivered(size_t reader, storage::Offset end);
  // Reader `reader` does not read the log (holds nothing back) until it
  // first calls Delivered.
  void Absent(size_t reader);
  // Another service's reader (record_reader.h) keeps the records from
  // `from` on until it moves or releases its hold.
  void Hold(const std::string& holder, storage::Offset from);
  void Release(const std::string& holder);

 private:
  // Drops the segments below what every reader and hold has let go of.
  void TrimToLeast();

  const std::shared_ptr<storage::ShardLog> log_;
  const std::string log_group_;
  util::Clock* const clock_;
  const std::shared_ptr<metrics::Counter> hold_expired_records_;
  std::mutex mu_;
  std::vector<std::optional<storage::Offset>> delivered_;  // guarded by mu_
  std::map<std::string, storage::Offset> holds_;           // by holder; guarded by mu_
};

// Delivers one delivery stream's log to one sink (its destination, or its S3
// backup), in order, one batch at a time, on a thread of its own.
//
// Each deliverer of a log has an id: the log group for the destination,
// "<log group>/backup" for the S3 backup. It keys the deliverer's checkpoint
// and seeds its batches' ids, so the two never share either.
//
// Exactly-once batches: a batch covers the log's records [first, end). Before
// delivering it the deliverer writes the range and the sink's plan (S3: the
// object's key) to the catalog (namespace "firehose-delivered", key = the
// deliverer's id) as the pending batch; after the sink succeeds it records
// `end` as delivered and clears the pending batch. After a crash or restart
// the pending batch is read, processed and delivered again with the same id
// and plan, so S3 ends with one object, never two. The id is the name-based
// UUID of the deliverer's id and the range, so even a lost pending record
// would give the same one.
//
// Buffering: a batch is cut when the records buffered reach the sink's size
// hint (bytes of record data, before processing) or when the oldest has
// waited its interval hint (0: as soon as records are there); on Stop the
// buffer is simply left in the log, which is the promise.
//
// A batch is read and processed once per attempt sequence, then handed to
// the sink until it succeeds; failures are retried with backoff for the
// sink's retry window, then the batch goes to Sink::Expire (the error
// output), whose failures are retried too: never dropped. Delivered segments
// are removed from the log through `trimmer` (by the deliverer itself when
// null).
class Deliverer {
 public:
  // `target.sink` must be set.
  Deliverer(DelivererOptions options, std::shared_ptr<storage::ShardLog> log, metadata::Catalog* catalog,
            util::Clock* clock, std::string log_group, DeliveryTarget target, std::string id = {},
            LogTrimmer* trimmer = nullptr, size_t reader = 0);
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  // Reads the checkpoint and starts the thread.
  Status Start();
  // Stops the thread; a delivery in progress is cancelled (its batch stays
  // pending and is delivered again at the next start).
  void Stop();
  // New records are acknowledged in the log. Cheap; callable from the log's
  // writer thread.
  void Notify();
  void Update(DeliveryTarget target);
  // Where the deliveries are counted (before Start; optional).
  void SetMetrics(std::shared_ptr<DeliveryStreamMetrics> metrics) { metrics_ = std::move(metrics); }
  DeliveryStats Stats() const;

  // The catalog namespace of delivery checkpoints.
  static constexpr std::string_view kCheckpointNamespace = "firehose-delivered";
  // The id suffix of a log's S3 backup deliverer.
  static constexpr std::string_view kBackupSuffix = "/backup";

 private:
  struct Pending {
    storage::Offset first;
    storage::Offset end;
    int64_t oldest_ms = 0;
    // Sink::Plan's answer when the batch was cut: a replay after a restart
    // delivers as planned (S3: the same key and compression) even if
    // UpdateDestination has changed the destination since.
    protocol::Value plan;
    // The instant of the first failed attempt of this batch, 0 while none
    // has failed: the start of its retry window.
    int64_t failing_since_ms = 0;
  };

  void Run();
  // Drops what this deliverer has delivered from the log (through the
  // trimmer when the log has other readers).
  void Trim();
  Status LoadCheckpoint();
  Status SaveCheckpoint();
  // After a delivery: saves the checkpoint, then trims; trims nothing when
  // the save fails (the durable checkpoint still needs the range).
  void SaveDeliveredAndTrim();
  // Re-reads [p.first, p.end) from the log, processes it and hands it to
  // the sink until it succeeds or, after the retry window, the sink has
  // expired it; false if stopped first. Saves the start of the window in
  // the checkpoint at the first failure.
  bool Deliver(Pending* p, const DeliveryTarget& target);
  // The batch of `p`: its source records, processed.
  Result<Batch> ReadBatch(const Pending& p, const DeliveryTarget& target);
  std::string BatchId(storage::Offset first, storage::Offset end) const;
  // Waits `ms` or until Stop; false if stopped.
  bool Sleep(int64_t ms);

  const DelivererOptions options_;
  const std::shared_ptr<storage::ShardLog> log_;
  metadata::Catalog* const catalog_;
  util::Clock* const clock_;
  const std::string log_group_;
  const std::string id_;
  LogTrimmer* const trimmer_;
  const size_t reader_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // Set with stop_ (before it, for the thread's reads without mu_): the
  // upload in progress gives up instead of waiting out a slow server.
  std::atomic<bool> cancel_{false};
  bool appended_ = false;
  DeliveryTarget target_;
  DeliveryStats stats_;
  std::shared_ptr<DeliveryStreamMetrics> metrics_;
  // Owned by the thread (and Start, before it).
  storage::Offset delivered_;
  std::optional<Pending> pending_;
  std::thread thread_;
};

}  // namespace spate::firehose
