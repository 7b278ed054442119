#include "storage/checkpointer.h"

#include "base/log.h"
#include "storage/format.h"
#include "storage/shard_log_impl.h"

namespace spate::storage {

Checkpointer::Checkpointer() : thread_([this] { Run(); }) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Schedule(std::weak_ptr<ShardLogImpl> log, Job job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    queue_.emplace_back(std::move(log), job);
    ++queued_;
  }
  cv_.notify_one();
}

void Checkpointer::WaitForQueuedJobs() {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t target = queued_;
  done_cv_.wait(l, [&] { return stopping_ || finished_ >= target; });
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_one();
  done_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Run() {
  bool ran = false;  // a job was taken from the queue and has finished
  for (;;) {
    std::shared_ptr<ShardLogImpl> log;
    Job job = Job::kCheckpoint;
    {
      std::unique_lock<std::mutex> l(mu_);
      if (ran) {
        ++finished_;
        done_cv_.notify_all();
        ran = false;
      }
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      log = queue_.front().first.lock();
      job = queue_.front().second;
      queue_.pop_front();
    }
    ran = true;
    if (log == nullptr) continue;
    if (job == Job::kPrepareSpace) {
      log->PrepareSpace();
      continue;
    }
    Status s = log->WriteCheckpoint();
    if (!s.ok()) SPATE_LOG_WARN("storage: checkpoint failed (recovery will scan more): " + s.message());
  }
}

Status WriteFileDurably(util::FileSystem* fs, const std::string& dir, const std::string& path, std::string_view data) {
  std::string tmp = path + std::string(format::kTempSuffix);
  Status s;
  {
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f, fs->OpenFile(tmp, util::OpenMode::kCreate));
    s = f->WriteAt(0, data);
    if (s.ok()) s = f->Sync();
  }
  if (s.ok()) s = fs->Rename(tmp, path);
  if (!s.ok()) {
    fs->Unlink(tmp).IgnoreError();  // may not exist
    return s;
  }
  return fs->SyncDir(dir);
}

}  // namespace spate::storage
