#include "storage/group_commit.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/log.h"
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

GroupCommitWriter::GroupCommitWriter(const LogStoreOptions& options, std::unique_ptr<Journal> journal,
                                     uint64_t journal_replayed, CommitMetrics metrics,
                                     std::shared_ptr<Checkpointer> background)
    : options_(options),
      metrics_(std::move(metrics)),
      pool_(options.sync_threads),
      background_(std::move(background)),
      journal_(std::move(journal)),
      data_prefix_(options.dir + "/"),
      journal_replayed_(journal_replayed),
      thread_([this] { Run(); }) {}

GroupCommitWriter::~GroupCommitWriter() { Close(); }

Status GroupCommitWriter::Enqueue(std::unique_ptr<PendingBatch>& b) {
  b->queued_ns = options_.clock->MonotonicNs();
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
  if (!thread_.joinable()) return;
  thread_.join();
  // The writer thread is gone: this thread owns the journal now.
  if (JournalUsable() && !journal_->empty()) SwitchJournal();
  dirty_.clear();  // let go of the files (a frozen journal keeps its records for replay)
  dirty_index_.clear();
}

void GroupCommitWriter::WaitForRoundInProgress() {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t target = loops_started_;
  retire_cv_.wait(l, [&] { return loops_done_ >= target; });  // a loop once started always ends
}

void GroupCommitWriter::RetireJournal() {
  std::unique_lock<std::mutex> l(mu_);
  if (closing_) return;  // Close() retires it
  uint64_t ticket = ++retire_requested_;
  cv_.notify_one();
  retire_cv_.wait(l, [&] { return retire_done_ >= ticket || closing_; });
}

void GroupCommitWriter::FreezeJournal(const Status& cause) {
  if (!journal_frozen_.ok()) return;
  journal_frozen_ = cause;
  SPATE_LOG_ERROR("storage: commit journal frozen after an I/O error (" + cause.message() +
                  "); it is kept for replay at the next start, and every shard file is now synced each round");
}

Status GroupCommitWriter::TimedSync(const std::function<Status()>& sync) {
  if (metrics_.fdatasync_micros == nullptr) return sync();
  int64_t t0 = options_.clock->MonotonicNs();
  Status s = sync();
  metrics_.fdatasync_micros->Observe(static_cast<uint64_t>(options_.clock->MonotonicNs() - t0) / 1000);
  return s;
}

void GroupCommitWriter::SwitchJournal() {
  std::vector<Status> results(dirty_.size());
  pool_.ParallelFor(dirty_.size(),
                    [&](size_t i) { results[i] = TimedSync([&] { return dirty_[i].segment->file()->DataSync(); }); });
  file_syncs_ += dirty_.size();
  Status failed;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    if (results[i].ok()) continue;
    // Never retried: the log stops acknowledging, as after a failed round sync.
    if (auto log = dirty_[i].log.lock()) log->FenceAfterSyncError(results[i]);
    if (failed.ok()) failed = results[i];
  }
  if (!failed.ok()) return FreezeJournal(failed);
  for (const Dirty& d : dirty_) NoteDurable(d.segment, d.journaled_end);
  dirty_.clear();
  dirty_index_.clear();
  if (Status s = journal_->Switch(); !s.ok()) return FreezeJournal(s);
  journal_switches_ += 1;
}

bool GroupCommitWriter::JournalBatches(const std::vector<std::unique_ptr<PendingBatch>>& batches) {
  std::vector<Journal::Entry> record;
  std::vector<PendingBatch*> in_record;
  uint64_t record_bytes = Journal::kEmptyRecordBytes;
  Status write_error;
  auto flush = [&]() {
    if (record.empty()) return;
    if (!journal_->Fits(record_bytes)) SwitchJournal();
    if (journal_frozen_.ok()) {
      if (Status s = journal_->Write(record); s.ok()) {
        // Dirty from now on: should the journal switch later in this very
        // round, these segments are synced before the record goes stale.
        for (PendingBatch* b : in_record) {
          b->journaled = true;
          auto [it, fresh] = dirty_index_.emplace(b->segment.get(), dirty_.size());
          if (fresh) dirty_.push_back(Dirty{b->segment, b->log, b->pos.value, 0});
          Dirty& d = dirty_[it->second];
          d.journaled_end = std::max(d.journaled_end, b->pos.value + b->bytes.size());
        }
      } else {
        write_error = s;
      }
    }
    record.clear();
    in_record.clear();
    record_bytes = Journal::kEmptyRecordBytes;
  };
  // Which batches may go through the journal: small ones, in files that no
  // bigger batch makes this round sync anyway (LogStoreOptions::
  // journal_max_batch_bytes: the bound is per batch, however many small
  // batches a file receives).
  std::unordered_set<const Segment*> synced_anyway;
  for (const auto& b : batches) {
    if (b->written && b->bytes.size() > options_.journal_max_batch_bytes) synced_anyway.insert(b->segment.get());
  }
  auto eligible = [&](const PendingBatch& b) {
    return b.written && b.bytes.size() <= options_.journal_max_batch_bytes && synced_anyway.count(b.segment.get()) == 0;
  };
  if (options_.journal_round_max_bytes > 0) {
    uint64_t small = 0;
    for (const auto& b : batches) {
      if (eligible(*b)) small += b->bytes.size();
    }
    if (small > options_.journal_round_max_bytes) return false;  // synced in their files this round
  }
  for (const auto& b : batches) {
    if (!journal_frozen_.ok() || !write_error.ok()) break;
    if (!eligible(*b)) continue;
    std::string_view path = b->segment->path();
    if (path.compare(0, data_prefix_.size(), data_prefix_) != 0) continue;
    path.remove_prefix(data_prefix_.size());
    Journal::Entry e{path, b->pos.value, b->bytes};
    uint64_t more = Journal::EntryBytes(e);
    if (record_bytes + more > journal_->Capacity()) flush();
    record.push_back(e);
    in_record.push_back(b.get());
    record_bytes += more;
  }
  if (write_error.ok()) flush();
  if (!write_error.ok()) {
    // Every batch of the round falls back to a sync of its segment; none
    // may count on a record that is retracted here.
    for (const auto& b : batches) b->journaled = false;
    journal_->RetractRound();
    FreezeJournal(write_error);
    return false;
  }
  return std::any_of(batches.begin(), batches.end(), [](const auto& b) { return b->journaled; });
}

LogStoreStats GroupCommitWriter::Stats() const {
  LogStoreStats s;
  s.rounds = rounds_.load();
  s.batches = batches_.load();
  s.bytes = bytes_.load();
  s.file_syncs = file_syncs_.load();
  s.sync_wall_ns = sync_wall_ns_.load();
  s.zero_filled_bytes = zero_filled_bytes_.load();
  s.journaled_batches = journaled_batches_.load();
  s.journal_switches = journal_switches_.load();
  s.journal_replayed = journal_replayed_;
  s.writeback_hints = writeback_hints_.load();
  s.cache_dropped_bytes = cache_dropped_bytes_.load();
  return s;
}

void GroupCommitWriter::Run() {
  for (;;) {
    std::vector<std::unique_ptr<PendingBatch>> round;
    uint64_t retire = 0;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return closing_ || !queue_.empty() || retire_requested_ > retire_done_; });
      if (queue_.empty() && retire_requested_ == retire_done_) return;  // closing and drained
      round.swap(queue_);
      retire = retire_requested_;
      ++loops_started_;
    }
    const int64_t taken_ns = options_.clock->MonotonicNs();
    if (round.empty()) {
      if (JournalUsable() && !journal_->empty()) SwitchJournal();
      DropCold();
      {
        std::lock_guard<std::mutex> l(mu_);
        retire_done_ = retire;
        ++loops_done_;
      }
      retire_cv_.notify_all();
      continue;
    }
    uint64_t bytes = 0;
    for (const auto& b : round) bytes += b->bytes.size();
    RunRound(std::move(round), taken_ns);
    {
      std::lock_guard<std::mutex> l(mu_);
      queued_bytes_ -= bytes;
      ++loops_done_;
    }
    retire_cv_.notify_all();
  }
}

void GroupCommitWriter::RunRound(std::vector<std::unique_ptr<PendingBatch>> batches, int64_t taken_ns) {
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

  // 2. Small batches into the journal; then one fdatasync of the journal
  //    and one per file holding a batch that is not journaled.
  bool journaled = false;
  if (JournalUsable()) {
    journal_->BeginRound();
    journaled = JournalBatches(batches);
  }
  const int64_t written_ns = options_.clock->MonotonicNs();
  std::vector<const Segment*> files;
  for (const auto& b : batches) {
    if (b->written && !b->journaled) files.push_back(b->segment.get());
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<Status> results(files.size());
  Status journal_status;
  pool_.ParallelFor(files.size() + (journaled ? 1 : 0), [&](size_t i) {
    if (i == files.size()) {
      journal_status = TimedSync([&] { return journal_->Sync(); });
    } else {
      results[i] = TimedSync([&] { return files[i]->file()->DataSync(); });
    }
  });
  const int64_t synced_ns = options_.clock->MonotonicNs();
  sync_wall_ns_ += static_cast<uint64_t>(synced_ns - written_ns);
  file_syncs_ += files.size() + (journaled ? 1 : 0);
  if (!journal_status.ok()) {
    journal_->RetractRound();  // its batches fail: they must not come back at restart
    FreezeJournal(journal_status);
  }
  auto sync_status = [&](const PendingBatch& b) -> Status {
    if (b.journaled) return journal_status;
    auto it = std::lower_bound(files.begin(), files.end(), b.segment.get());
    SPATE_ASSERT(it != files.end() && *it == b.segment.get(), "every written segment was synced");
    return results[static_cast<size_t>(it - files.begin())];
  };

  // 3. Publish the new acknowledged ends, 4. run the callbacks.
  for (Work& w : work) w.log->Publish(w.batches, sync_status);
  for (const auto& b : batches) journaled_batches_ += b->journaled && b->error.ok();
  // Counted before the callbacks run, so Stats() covers every append its
  // caller has seen acknowledged.
  uint64_t acked = 0, acked_bytes = 0;
  for (const auto& b : batches) {
    if (!b->error.ok()) continue;
    ++acked;
    acked_bytes += b->bytes.size();
  }
  rounds_ += 1;
  if (metrics_.round_batches != nullptr) metrics_.round_batches->Observe(batches.size());
  batches_ += acked;
  bytes_ += acked_bytes;
  const bool timed = metrics_.stage_micros[0] != nullptr;
  for (const auto& b : batches) {
    AppendCallback done = std::move(b->done);
    if (b->error.ok()) {
      if (timed) ObserveStages(*b, taken_ns, written_ns, synced_ns, options_.clock->MonotonicNs());
      done(AppendResult{b->header.base_offset, b->header.record_count});
    } else {
      done(b->error);
    }
    b->log->BatchFinished();
  }

  // 5. Housekeeping off the acknowledgement path.
  if (journaled) StartEarlyWriteback();
  if (options_.page_cache_bytes > 0) {
    // A batch synced in its file made all of the file before it durable
    // (journaled ones count when the journal switch syncs their files).
    for (const auto& b : batches) {
      if (b->error.ok() && !b->journaled) NoteDurable(b->segment, b->pos.value + b->bytes.size());
    }
    DropCold();
  }
  for (Work& w : work) w.log->AfterRound();
}

void GroupCommitWriter::NoteDurable(const std::shared_ptr<Segment>& segment, uint64_t end) {
  if (options_.page_cache_bytes == 0 || segment == nullptr || end <= segment->cache_noted_end) return;
  const uint64_t bytes = end - segment->cache_noted_end;
  segment->cache_noted_end = end;
  cached_bytes_ += bytes;
  if (!cached_.empty() && cached_.back().key == segment.get() && !cached_.back().segment.expired()) {
    cached_.back().end = end;
    cached_.back().bytes += bytes;
    return;
  }
  cached_.push_back(CachedRange{segment, segment.get(), end, bytes});
}

void GroupCommitWriter::DropCold() {
  constexpr uint64_t kPage = 4096;
  // The kernel drops a page-cache folio only when the range covers all of
  // it, and a file's folios grow up to a huge page (2 MiB on x86-64; ext4
  // since Linux 6.16): a drop that started where the last one ended would
  // never free the folio straddling that boundary, which on 6.18 kept half
  // or more of a bulk writer's pages. So each drop reaches back that far.
  constexpr uint64_t kLargestFolio = 2u << 20;
  while (cached_bytes_ > options_.page_cache_bytes && !cached_.empty()) {
    CachedRange& r = cached_.front();
    if (auto seg = r.segment.lock()) {
      // Whole pages below the range's end: the page holding a log's next
      // append is never dropped (its write would read it back first).
      const uint64_t to = r.end / kPage * kPage;
      if (to > seg->cache_dropped_end) {
        const uint64_t from = seg->cache_dropped_end > kLargestFolio ? seg->cache_dropped_end - kLargestFolio : 0;
        // Freeing the pages is most of the cost (5 % of spated's CPU in bulk
        // PutRecords): on the background thread, the next round need not
        // wait for it.
        background_->ScheduleDropCache(seg, from, to - from);
        cache_dropped_bytes_ += to - seg->cache_dropped_end;
        seg->cache_dropped_end = to;
      }
    }
    cached_bytes_ -= r.bytes;
    cached_.pop_front();
  }
}

void GroupCommitWriter::ObserveStages(const PendingBatch& b, int64_t taken_ns, int64_t written_ns, int64_t synced_ns,
                                      int64_t acked_ns) {
  const int64_t ends[kAppendStages + 1] = {b.admit_ns, b.queued_ns, taken_ns, written_ns, synced_ns, acked_ns};
  for (size_t i = 0; i < kAppendStages; ++i) {
    // The writer's reads never go back; a received_ns from the caller
    // that lies ahead of the Append call counts as zero, not as a wrap.
    int64_t d = std::max<int64_t>(0, ends[i + 1] - ends[i]);
    metrics_.stage_micros[i]->Observe(static_cast<uint64_t>(d) / 1000);
  }
}

void GroupCommitWriter::StartEarlyWriteback() {
  if (options_.writeback_bytes == 0) return;
  constexpr uint64_t kPage = 4096;
  for (Dirty& d : dirty_) {
    // Whole pages only: the page the next append goes on to is left alone,
    // so an append never finds its page under writeback, nor is the page
    // written out twice.
    uint64_t end = d.journaled_end / kPage * kPage;
    if (end < d.hinted_end + options_.writeback_bytes) continue;
    d.segment->file()->StartWriteback(d.hinted_end, end - d.hinted_end);
    d.hinted_end = end;
    writeback_hints_ += 1;
  }
}

}  // namespace spate::storage
