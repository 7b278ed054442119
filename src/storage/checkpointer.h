#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "base/status.h"
#include "util/file_system.h"

namespace spate::storage {

class Segment;
class ShardLogImpl;

// Runs a LogStore's background jobs on a thread of its own, off the
// acknowledgement path: the group-commit writer only schedules them.
//  * kCheckpoint: write a shard log's checkpoint (format.h).
//  * kPrepareSpace: zero-fill the space ahead of a shard's active segment
//    (ShardLogImpl::PrepareSpace).
//  * kDropCache: drop durable bytes of a segment from the page cache (the
//    writer's page-cache budget, GroupCommitWriter::DropCold).
// One per LogStore. Thread-safe.
class Checkpointer {
 public:
  Checkpointer();
  ~Checkpointer();  // Stop()

  enum class Job { kCheckpoint, kPrepareSpace, kDropCache };

  // Queues `job` (kCheckpoint or kPrepareSpace) for `log` (skipped if the
  // log is gone by then). The caller makes sure a log has at most one job of
  // each kind queued at a time.
  void Schedule(std::weak_ptr<ShardLogImpl> log, Job job);

  // Queues a kDropCache job: File::DropCache(pos, len) on `segment`'s file,
  // which the job keeps open until it has run.
  void ScheduleDropCache(std::shared_ptr<Segment> segment, uint64_t pos, uint64_t len);

  // Returns once every job queued before the call has run (or was skipped),
  // or once Stop was called. Never called by the data path: it is how tests
  // observe that a background step happened, or did not, without sleeping.
  void WaitForQueuedJobs();

  // Drops what is queued, waits for the checkpoint in progress, joins the
  // thread. Later Schedule calls are ignored.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  struct Item {
    Job job = Job::kCheckpoint;
    std::weak_ptr<ShardLogImpl> log;   // kCheckpoint, kPrepareSpace
    std::shared_ptr<Segment> segment;  // kDropCache, with pos and len
    uint64_t pos = 0;
    uint64_t len = 0;
  };
  void Push(Item item);

  std::deque<Item> queue_;           // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  std::condition_variable done_cv_;  // with mu_: finished_ advanced
  uint64_t queued_ = 0;              // guarded by mu_; jobs ever queued
  uint64_t finished_ = 0;            // guarded by mu_; jobs ever run or skipped (FIFO: the first finished_ of queued_)
  std::thread thread_;
};

// Makes `path` hold exactly `data`, crash-safely: writes `path`.tmp, fsyncs
// it, renames it over `path`, fsyncs the directory `dir`. After a crash,
// `path` holds either its old or its new content.
Status WriteFileDurably(util::FileSystem* fs, const std::string& dir, const std::string& path, std::string_view data);

}  // namespace spate::storage
