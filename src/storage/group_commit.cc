#include "storage/group_commit.h"

#include <algorithm>
#include <unordered_map>

#include "storage/shard_log_impl.h"

namespace spate::storage {

SyncPool::SyncPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

SyncPool::~SyncPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void SyncPool::Work() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    work_cv_.wait(l, [&] { return stop_ || (fn_ != nullptr && next_ < n_); });
    if (stop_) return;
    size_t i = next_++;
    const auto* fn = fn_;
    l.unlock();
    (*fn)(i);
    l.lock();
    if (++finished_ == n_) done_cv_.notify_all();
  }
}

void SyncPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (threads_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::unique_lock<std::mutex> l(mu_);
  fn_ = &fn;
  n_ = n;
  next_ = 0;
  finished_ = 0;
  ++job_;
  work_cv_.notify_all();
  while (next_ < n_) {
    size_t i = next_++;
    l.unlock();
    fn(i);
    l.lock();
    ++finished_;
  }
  done_cv_.wait(l, [&] { return finished_ == n_; });
  fn_ = nullptr;
}

GroupCommitWriter::GroupCommitWriter(const LogStoreOptions& options)
    : options_(options), pool_(options.sync_threads), thread_([this] { Run(); }) {}

GroupCommitWriter::~GroupCommitWriter() { Close(); }

Status GroupCommitWriter::Enqueue(std::unique_ptr<PendingBatch>& b) {
  std::lock_guard<std::mutex> l(mu_);
  if (closing_) return Unavailable("log store is closed");
  uint64_t size = b->bytes.size();
  if (queued_bytes_ > 0 && queued_bytes_ + size > options_.max_queued_bytes) {
    return Unavailable("commit queue full (" + std::to_string(queued_bytes_) + " bytes queued); retry later");
  }
  queued_bytes_ += size;
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(b));
  if (was_empty) cv_.notify_one();
  return Status::Ok();
}

void GroupCommitWriter::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closing_ && !thread_.joinable()) return;
    closing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

LogStoreStats GroupCommitWriter::Stats() const {
  LogStoreStats s;
  s.rounds = rounds_.load();
  s.batches = batches_.load();
  s.bytes = bytes_.load();
  s.file_syncs = file_syncs_.load();
  s.sync_wall_ns = sync_wall_ns_.load();
  return s;
}

void GroupCommitWriter::Run() {
  for (;;) {
    std::vector<std::unique_ptr<PendingBatch>> round;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      round.swap(queue_);
    }
    uint64_t bytes = 0;
    for (const auto& b : round) bytes += b->bytes.size();
    RunRound(std::move(round));
    std::lock_guard<std::mutex> l(mu_);
    queued_bytes_ -= bytes;
  }
}

void GroupCommitWriter::RunRound(std::vector<std::unique_ptr<PendingBatch>> batches) {
  // Each log's share, in queue (= offset) order.
  struct Work {
    ShardLogImpl* log;
    std::vector<PendingBatch*> batches;
  };
  std::vector<Work> work;
  std::unordered_map<ShardLogImpl*, size_t> slot;
  for (const auto& b : batches) {
    auto [it, inserted] = slot.emplace(b->log.get(), work.size());
    if (inserted) work.push_back(Work{b->log.get(), {}});
    work[it->second].batches.push_back(b.get());
  }

  // 1. Write (pwritev per segment).
  for (Work& w : work) w.log->WriteBatches(w.batches);

  // 2. One fdatasync per touched file.
  std::vector<const Segment*> files;
  for (const auto& b : batches) {
    if (b->written) files.push_back(b->segment.get());
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<Status> results(files.size());
  int64_t t0 = options_.clock->MonotonicNs();
  pool_.ParallelFor(files.size(), [&](size_t i) { results[i] = files[i]->file()->DataSync(); });
  sync_wall_ns_ += static_cast<uint64_t>(options_.clock->MonotonicNs() - t0);
  file_syncs_ += files.size();
  auto sync_status = [&](const Segment* seg) -> Status {
    auto it = std::lower_bound(files.begin(), files.end(), seg);
    SPATE_ASSERT(it != files.end() && *it == seg, "every written segment was synced");
    return results[static_cast<size_t>(it - files.begin())];
  };

  // 3. Publish the new acknowledged ends, 4. run the callbacks.
  for (Work& w : work) w.log->Publish(w.batches, sync_status);
  uint64_t acked = 0, acked_bytes = 0;
  for (const auto& b : batches) {
    AppendCallback done = std::move(b->done);
    if (b->error.ok()) {
      ++acked;
      acked_bytes += b->bytes.size();
      done(AppendResult{b->header.base_offset, b->header.record_count});
    } else {
      done(b->error);
    }
    b->log->BatchFinished();
  }
  rounds_ += 1;
  batches_ += acked;
  bytes_ += acked_bytes;

  // 5. Housekeeping off the acknowledgement path.
  for (Work& w : work) w.log->AfterRound();
}

}  // namespace spate::storage
