#pragma once

#include <condition_variable>
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

class ShardLogImpl;

// Runs a LogStore's background jobs on a thread of its own, off the
// acknowledgement path: the group-commit writer only schedules them.
//  * kCheckpoint: write a shard log's checkpoint (format.h).
//  * kPrepareSpace: zero-fill the space ahead of a shard's active segment
//    (ShardLogImpl::PrepareSpace).
// One per LogStore. Thread-safe.
class Checkpointer {
 public:
  Checkpointer();
  ~Checkpointer();  // Stop()

  enum class Job { kCheckpoint, kPrepareSpace };

  // Queues `job` for `log` (skipped if the log is gone by then). The caller
  // makes sure a log has at most one job of each kind queued at a time.
  void Schedule(std::weak_ptr<ShardLogImpl> log, Job job);

  // Drops what is queued, waits for the checkpoint in progress, joins the
  // thread. Later Schedule calls are ignored.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::weak_ptr<ShardLogImpl>, Job>> queue_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::thread thread_;
};

// Makes `path` hold exactly `data`, crash-safely: writes `path`.tmp, fsyncs
// it, renames it over `path`, fsyncs the directory `dir`. After a crash,
// `path` holds either its old or its new content.
Status WriteFileDurably(util::FileSystem* fs, const std::string& dir, const std::string& path, std::string_view data);

}  // namespace spate::storage
