#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "firehose/delivery_stream.h"
#include "firehose/firehose_metrics.h"
#include "firehose/object_store.h"
#include "metadata/catalog.h"
#include "storage/shard_log.h"
#include "util/clock.h"

namespace spate::firehose {

struct DelivererOptions {
  // Backoff between attempts of a failed upload: doubles from initial to max.
  int64_t initial_backoff_ms = 200;
  int64_t max_backoff_ms = 30'000;
  // How long an object may keep failing before it goes to the error output
  // instead: S3's fixed retry duration (24 h). The clock starts at an
  // object's first failed attempt and survives restarts (it is saved with the
  // pending object).
  int64_t retry_window_ms = kS3RetryWindowMs;
  // The error output: where an object that failed for the whole window is
  // written, under the same bucket and key, by a store that does not share
  // the destination's fate (spated: a directory under the data directory).
  // Null: retry for as long as the deliverer runs. If the error output fails
  // too, both are retried: nothing acknowledged goes silently away.
  ObjectStore* error_output = nullptr;

  static constexpr int64_t kS3RetryWindowMs = 24LL * 3600 * 1000;
};

// What a deliverer needs of its delivery stream; replaced whole by
// UpdateDestination (the next object uses the new one).
struct DeliveryTarget {
  std::string stream_name;
  int64_t version_id = 1;
  S3Destination s3;
};

// Counters since start, with CloudWatch's meaning (DeliveryToS3.*).
struct DeliveryStats {
  uint64_t objects = 0;          // DeliveryToS3.ObjectCount
  uint64_t records = 0;          // DeliveryToS3.Records
  uint64_t bytes = 0;            // DeliveryToS3.Bytes (before compression)
  uint64_t failed_attempts = 0;  // uploads that failed and were retried
  uint64_t expired_objects = 0;  // objects written to the error output after the retry window
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
class LogTrimmer {
 public:
  LogTrimmer(std::shared_ptr<storage::ShardLog> log, std::string log_group, size_t readers);
  // Reader `reader` (< readers) has delivered everything before `end`.
  void Delivered(size_t reader, storage::Offset end);
  // Reader `reader` does not read the log (holds nothing back) until it
  // first calls Delivered.
  void Absent(size_t reader);

 private:
  const std::shared_ptr<storage::ShardLog> log_;
  const std::string log_group_;
  std::mutex mu_;
  std::vector<std::optional<storage::Offset>> delivered_;  // guarded by mu_
};

// Delivers one delivery stream's log to one S3 destination (its destination,
// or its S3 backup), in order, one object at a time, on a thread of its own.
//
// Each deliverer of a log has an id: the log group for the destination,
// "<log group>/backup" for the S3 backup. It keys the deliverer's checkpoint
// and seeds its objects' UUIDs, so the two never share either.
//
// Exactly-once objects: an object covers the log's records [first, end).
// Before its upload the deliverer writes the range and the object's key to
// the catalog (namespace "firehose-delivered", key = the deliverer's id) as
// the pending object; after the upload succeeds it records `end` as delivered
// and clears the pending object. After a crash or restart the pending object
// is uploaded again under the same key with the same records, so S3 ends with
// one object, never two. The key's UUID is the name-based UUID of the id and
// the range, so even a lost pending record would name the same key
// (unless the prefix holds !{firehose:random-string}).
//
// Buffering: an object is cut when the records buffered reach the size hint
// (bytes of record data, before compression) or when the oldest has waited
// the interval hint (0: as soon as records are there); on Stop the buffer
// is simply left in the log, which is the promise.
//
// Failed uploads are retried with backoff for the retry window (S3: 24 h);
// an object still failing after it is written to the error output and counted
// (DelivererOptions::error_output), never dropped. Delivered segments are
// removed from the log through `trimmer` (by the deliverer itself when null).
class Deliverer {
 public:
  Deliverer(DelivererOptions options, std::shared_ptr<storage::ShardLog> log, metadata::Catalog* catalog,
            ObjectStore* objects, util::Clock* clock, std::string log_group, DeliveryTarget target, std::string id = {},
            LogTrimmer* trimmer = nullptr, size_t reader = 0);
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  // Reads the checkpoint and starts the thread.
  Status Start();
  // Stops the thread; an upload in progress is cancelled (its object stays
  // pending and is uploaded again at the next start).
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
    std::string bucket;
    std::string key;
    int64_t oldest_ms = 0;
    // The CompressionFormat the object was cut with: a replay after a
    // restart compresses as the key says, even if UpdateDestination has
    // changed the stream's format since (the change is for later objects).
    std::string compression;
    // The instant of the first failed upload of this object, 0 while none has
    // failed: the start of its retry window.
    int64_t failing_since_ms = 0;
  };

  void Run();
  // Drops what this deliverer has delivered from the log (through the
  // trimmer when the log has other readers).
  void Trim();
  Status LoadCheckpoint();
  Status SaveCheckpoint();
  // Re-reads [p.first, p.end) from the log and uploads it under p.key,
  // compressed as p.compression, until it succeeds or, after the retry
  // window, goes to the error output; false if stopped first. Saves the
  // start of the window in the checkpoint at the first failure.
  bool Deliver(Pending* p);
  Result<std::string> Body(const Pending& p, uint64_t* records, uint64_t* bytes);
  Result<std::string> KeyFor(const DeliveryTarget& target, storage::Offset first, storage::Offset end,
                             int64_t oldest_ms);
  // Waits `ms` or until Stop; false if stopped.
  bool Sleep(int64_t ms);

  const DelivererOptions options_;
  const std::shared_ptr<storage::ShardLog> log_;
  metadata::Catalog* const catalog_;
  ObjectStore* const objects_;
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
