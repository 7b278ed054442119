#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "storage/log_store.h"
#include "storage/segment.h"
#include "storage/shard_log.h"

namespace spate::storage {

class ShardLogImpl;

// One encoded batch on its way to disk.
struct PendingBatch {
  std::shared_ptr<ShardLogImpl> log;
  std::string bytes;  // the whole encoded batch, CRC sealed
  format::BatchHeader header;
  uint64_t generation = 0;  // the log's rewind generation at Append time
  AppendCallback done;

  // Set by the writer thread.
  std::shared_ptr<Segment> segment;  // where it was written
  FilePos pos;
  bool written = false;  // all bytes reached the file (not yet durable)
  Status error;          // non-ok once the batch has failed
};

// Runs fn(i) for every i in [0, n) on `threads` helper threads plus the
// calling thread; returns when all calls are done. One caller at a time.
class SyncPool {
 public:
  explicit SyncPool(int threads);
  ~SyncPool();
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  const std::function<void(size_t)>* fn_ = nullptr;  // guarded by mu_
  size_t n_ = 0, next_ = 0, finished_ = 0;           // guarded by mu_
  uint64_t job_ = 0;                                  // guarded by mu_
  bool stop_ = false;                                 // guarded by mu_
  std::vector<std::thread> threads_;
};

// The group-commit writer of one LogStore (one per disk). Appenders queue
// encoded batches; one thread repeatedly takes everything queued (a round),
// writes each log's batches with pwritev, fdatasyncs every touched file
// once, then publishes the new acknowledged ends and runs the callbacks.
// While a round syncs, new batches accumulate for the next one, so
// concurrent appenders share syncs. Thread-safe.
class GroupCommitWriter {
 public:
  GroupCommitWriter(const LogStoreOptions& options);
  ~GroupCommitWriter();  // Close()

  // Queues `b`. Fails with kUnavailable, leaving `b` untouched, when the
  // writer is closed or the queued bytes would exceed max_queued_bytes (a
  // single batch larger than the bound is still accepted into an empty queue).
  // Called with the batch's log mu_ held, so a log's batches queue in offset
  // order.
  Status Enqueue(std::unique_ptr<PendingBatch>& b);

  // Stops accepting batches, finishes the queued ones, joins the thread.
  void Close();

  LogStoreStats Stats() const;

 private:
  void Run();
  void RunRound(std::vector<std::unique_ptr<PendingBatch>> batches);

  const LogStoreOptions options_;
  SyncPool pool_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PendingBatch>> queue_;  // guarded by mu_
  uint64_t queued_bytes_ = 0;                          // guarded by mu_; includes the running round
  bool closing_ = false;                               // guarded by mu_

  std::atomic<uint64_t> rounds_{0}, batches_{0}, bytes_{0}, file_syncs_{0}, sync_wall_ns_{0};
  std::thread thread_;
};

}  // namespace spate::storage
