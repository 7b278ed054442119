#include "storage/checkpointer.h"

#include "base/log.h"
#include "storage/format.h"
#include "storage/segment.h"
#include "storage/shard_log_impl.h"

namespace spate::storage {

Checkpointer::Checkpointer() : thread_([this] { Run(); }) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Schedule(std::weak_ptr<ShardLogImpl> log, Job job) {
  Item item;
  item.job = job;
  item.log = std::move(log);
  Push(std::move(item));
}

void Checkpointer::ScheduleDropCache(std::shared_ptr<Segment> segment, uint64_t pos, uint64_t len) {
  Item item;
  item.job = Job::kDropCache;
  item.segment = std::move(segment);
  item.pos = pos;
  item.len = len;
  Push(std::move(item));
}

void Checkpointer::Push(Item item) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(item));
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
    Item item;
    {
      std::unique_lock<std::mutex> l(mu_);
      if (ran) {
        ++finished_;
        done_cv_.notify_all();
        ran = false;
      }
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    ran = true;
    if (item.job == Job::kDropCache) {
      item.segment->file()->DropCache(item.pos, item.len);
      continue;
    }
    std::shared_ptr<ShardLogImpl> log = item.log.lock();
    if (log == nullptr) continue;
    if (item.job == Job::kPrepareSpace) {
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
