#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "storage/checkpointer.h"
#include "storage/journal.h"
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
  // Where the batch's way to its acknowledgement began (AppendOptions::
  // received_ns, else the Append call), and when it was queued for the
  // writer; on the store's clock (MonotonicNs).
  int64_t admit_ns = 0;
  int64_t queued_ns = 0;

  // Set by the writer thread.
  std::shared_ptr<Segment> segment;  // where it was written
  FilePos pos;
  bool written = false;    // all bytes reached the file (not yet durable)
  bool journaled = false;  // also copied into this round's journal record
  Status error;            // non-ok once the batch has failed
};

// Runs fn(i) for every i in [0, n) on up to `threads` helper threads plus
// the calling thread; returns when all calls are done. One caller at a time.
// A call with n items wakes exactly min(n - 1, threads) helpers, each on its
// own signal, and the last helper to finish wakes the caller: a round that
// syncs two files costs two futex wake-ups, not a broadcast to every helper.
class SyncPool {
 public:
  explicit SyncPool(int threads);
  ~SyncPool();
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  // A one-shot wake-up: a mutex and condition variable rather than
  // std::binary_semaphore, whose libstdc++ acquire spins through
  // sched_yield before sleeping (tens of thousands of syscalls a second
  // here, for nothing: a sync takes far longer than the spin).
  class Signal {
   public:
    void Post();
    void Wait();

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool posted_ = false;  // guarded by mu_
  };
  struct Helper {
    Signal wake;
    std::thread thread;
  };
  void Work(Helper& self);
  void RunItems();

  const std::function<void(size_t)>* fn_ = nullptr;  // set before helpers wake
  size_t n_ = 0;
  std::atomic<size_t> next_{0};     // next item to take
  std::atomic<size_t> running_{0};  // helpers woken and not yet done
  Signal done_;                     // posted by the last helper to finish
  bool stop_ = false;               // set before the final wake
  std::vector<std::unique_ptr<Helper>> helpers_;
};

// The stages of one batch's way from its request to its acknowledgement,
// one after the other (their durations add up to the whole):
//  kAdmit:       request received (AppendOptions::received_ns, else the
//                Append call) -> queued for the writer (encoding, the
//                log's lock);
//  kQueued:      -> taken into a commit round (waiting for the round in
//                progress to finish);
//  kWrite:       -> the round's writes done: pwritev of every log's
//                batches, segment rolls, the journal record (and a journal
//                switch, when the round meets one);
//  kSync:        -> every fdatasync of the round returned;
//  kAcknowledge: -> the batch's callback starts (publishing the round, the
//                callbacks of the batches before it in the round).
enum class AppendStage { kAdmit, kQueued, kWrite, kSync, kAcknowledge };
inline constexpr size_t kAppendStages = 5;
// The `stage` label of each, in enum order.
inline constexpr const char* kAppendStageNames[kAppendStages] = {"admit", "queued", "write", "sync", "acknowledge"};

// Distributions the writer records, when given: the latency of each
// fdatasync (segment or journal file, microseconds), the batches of each
// commit round, and each acknowledged batch's time in every AppendStage
// (microseconds; null entries are not recorded).
struct CommitMetrics {
  std::shared_ptr<metrics::Histogram> fdatasync_micros;
  std::shared_ptr<metrics::Histogram> round_batches;
  std::array<std::shared_ptr<metrics::Histogram>, kAppendStages> stage_micros;
};

// The group-commit writer of one LogStore (one per disk). Appenders queue
// encoded batches; one thread repeatedly takes everything queued (a round),
// writes each log's batches with pwritev, fdatasyncs every touched file
// once, then publishes the new acknowledged ends and runs the callbacks.
// While a round syncs, new batches accumulate for the next one, so
// concurrent appenders share syncs. Thread-safe.
class GroupCommitWriter {
 public:
  // `journal` may be null (no journal: every touched file is synced each
  // round). `journal_replayed` is reported in Stats(). `background` (not
  // null) runs the page-cache drops off the writer thread.
  GroupCommitWriter(const LogStoreOptions& options, std::unique_ptr<Journal> journal, uint64_t journal_replayed,
                    CommitMetrics metrics, std::shared_ptr<Checkpointer> background);
  ~GroupCommitWriter();  // Close()

  // Queues `b`. Fails with kUnavailable, leaving `b` untouched, when the
  // writer is closed or the queued bytes would exceed max_queued_bytes (a
  // single batch larger than the bound is still accepted into an empty queue).
  // Called with the batch's log mu_ held, so a log's batches queue in offset
  // order.
  Status Enqueue(std::unique_ptr<PendingBatch>& b);

  // Stops accepting batches, finishes the queued ones, joins the thread,
  // then makes every journaled segment durable and empties the journal.
  void Close();

  // Makes every segment written through the journal durable and switches
  // the journal to an empty file, so no record of a log closed before this
  // call is ever replayed (LogStore::DropGroup: a group of the same name may
  // come back). Runs on the writer thread, between rounds; returns when done.
  void RetireJournal();

  // Returns once the round in progress (if any) has finished, its
  // housekeeping included: what it handed to the background thread is
  // queued there by then. For LogStore::WaitForBackgroundJobs.
  void WaitForRoundInProgress();

  LogStoreStats Stats() const;
  // Counts space a log zero-filled in the background (for Stats()).
  void CountZeroFilled(uint64_t bytes) { zero_filled_bytes_ += bytes; }

 private:
  void Run();
  // `taken_ns`: when the writer took the batches from the queue.
  void RunRound(std::vector<std::unique_ptr<PendingBatch>> batches, int64_t taken_ns);
  // Records an acknowledged batch's time in each AppendStage, given when
  // its round was taken, written and synced, and now (its callback).
  void ObserveStages(const PendingBatch& b, int64_t taken_ns, int64_t written_ns, int64_t synced_ns, int64_t acked_ns);
  // Copies the round's small written batches into journal records (marking
  // them journaled), switching files first when one is full. True if any
  // batch of the round is journaled.
  bool JournalBatches(const std::vector<std::unique_ptr<PendingBatch>>& batches);
  bool JournalUsable() const { return journal_ != nullptr && journal_frozen_.ok(); }
  // Syncs every dirty segment (fencing the log of any that fails), then
  // switches the journal. On failure the journal is frozen: its records stay
  // the only durable copy, for replay at the next open.
  void SwitchJournal();
  void FreezeJournal(const Status& cause);
  // Starts the writeback of journaled segment bytes once writeback_bytes of
  // one file wait for the next switch (LogStoreOptions::writeback_bytes).
  // After the callbacks: off the acknowledgement path.
  void StartEarlyWriteback();
  // The page-cache budget (LogStoreOptions::page_cache_bytes). NoteDurable:
  // [0, end) of `segment` is durable in its file; DropCold: drops the oldest
  // durable bytes beyond the budget from the page cache.
  void NoteDurable(const std::shared_ptr<Segment>& segment, uint64_t end);
  void DropCold();
  // Runs `sync` (an fdatasync), recording its latency. Any thread.
  Status TimedSync(const std::function<Status()>& sync);

  const LogStoreOptions options_;
  const CommitMetrics metrics_;
  SyncPool pool_;
  const std::shared_ptr<Checkpointer> background_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PendingBatch>> queue_;  // guarded by mu_
  uint64_t queued_bytes_ = 0;                         // guarded by mu_; includes the running round
  bool closing_ = false;                              // guarded by mu_
  uint64_t retire_requested_ = 0, retire_done_ = 0;   // guarded by mu_
  uint64_t loops_started_ = 0, loops_done_ = 0;       // guarded by mu_; writer loop iterations
  std::condition_variable retire_cv_;                 // retire_done_ or loops_done_ advanced

  // Writer thread only (Close after the join).
  std::unique_ptr<Journal> journal_;
  Status journal_frozen_;          // non-ok: no more journal writes or switches
  const std::string data_prefix_;  // options_.dir + "/"
  // Segments holding journaled batches not yet synced in their file, and
  // their logs (to fence one whose sync fails).
  struct Dirty {
    std::shared_ptr<Segment> segment;
    std::weak_ptr<ShardLogImpl> log;  // weak: a log holds its writer
    uint64_t hinted_end = 0;          // file bytes before this were handed to StartWriteback
    uint64_t journaled_end = 0;       // end of the last journaled batch in the file
  };
  std::vector<Dirty> dirty_;
  // Durable bytes still in the page cache, oldest first: each entry is a
  // segment's bytes up to `end` (from where the entry before it, or the
  // segment's cache_dropped_end, left off); `bytes` of them.
  struct CachedRange {
    std::weak_ptr<Segment> segment;
    const Segment* key;  // identity while `segment` lives
    uint64_t end;
    uint64_t bytes;
  };
  std::deque<CachedRange> cached_;
  uint64_t cached_bytes_ = 0;
  std::unordered_map<const Segment*, size_t> dirty_index_;  // index into dirty_

  std::atomic<uint64_t> rounds_{0}, batches_{0}, bytes_{0}, file_syncs_{0}, sync_wall_ns_{0}, zero_filled_bytes_{0};
  std::atomic<uint64_t> journaled_batches_{0}, journal_switches_{0}, writeback_hints_{0}, cache_dropped_bytes_{0};
  const uint64_t journal_replayed_;
  std::thread thread_;
};

}  // namespace spate::storage
