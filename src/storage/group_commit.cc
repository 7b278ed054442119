#include "storage/group_commit.h"

#include <algorithm>
#include <unordered_map>

#include "storage/shard_log_impl.h"

namespace spate::storage {

void SyncPool::Signal::Post() {
  {
    std::lock_guard<std::mutex> l(mu_);
    posted_ = true;
  }
  cv_.notify_one();
}

void SyncPool::Signal::Wait() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return posted_; });
  posted_ = false;
}

SyncPool::SyncPool(int threads) {
  for (int i = 0; i < threads; ++i) {
    helpers_.push_back(std::make_unique<Helper>());
    Helper& h = *helpers_.back();
    h.thread = std::thread([this, &h] { Work(h); });
  }
}

SyncPool::~SyncPool() {
  stop_ = true;  // published to each helper by its wake-up
  for (auto& h : helpers_) h->wake.Post();
  for (auto& h : helpers_) h->thread.join();
}

void SyncPool::RunItems() {
  for (size_t i = next_.fetch_add(1, std::memory_order_relaxed); i < n_;
       i = next_.fetch_add(1, std::memory_order_relaxed)) {
    (*fn_)(i);
  }
}

void SyncPool::Work(Helper& self) {
  for (;;) {
    self.wake.Wait();
    if (stop_) return;
    RunItems();
    // acq_rel: the caller sees every item's effects once it sees zero.
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.Post();
  }
}

void SyncPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  size_t woken = std::min(n - 1, helpers_.size());
  if (woken == 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  fn_ = &fn;
  n_ = n;
  next_.store(0, std::memory_order_relaxed);
  running_.store(woken, std::memory_order_relaxed);
  // Each Post publishes fn_, n_, next_ and running_ to the helper it wakes.
  for (size_t h = 0; h < woken; ++h) helpers_[h]->wake.Post();
  RunItems();
  done_.Wait();
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
  s.zero_filled_bytes = zero_filled_bytes_.load();
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
