#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "util/file_system.h"

namespace spate::storage {

class ShardLogImpl;

// Writes shard-log checkpoints (format.h) on a background thread of its own,
// off the acknowledgement path: the group-commit writer only schedules them.
// One per LogStore. Thread-safe.
class Checkpointer {
 public:
  Checkpointer();
  ~Checkpointer();  // Stop()

  // Queues a checkpoint of `log` (skipped if the log is gone by then).
  // The caller makes sure a log is queued at most once at a time.
  void Schedule(std::weak_ptr<ShardLogImpl> log);

  // Drops what is queued, waits for the checkpoint in progress, joins the
  // thread. Later Schedule calls are ignored.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<ShardLogImpl>> queue_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::thread thread_;
};

// Makes `path` hold exactly `data`, crash-safely: writes `path`.tmp, fsyncs
// it, renames it over `path`, fsyncs the directory `dir`. After a crash,
// `path` holds either its old or its new content.
Status WriteFileDurably(util::FileSystem* fs, const std::string& dir, const std::string& path, std::string_view data);

}  // namespace spate::storage
