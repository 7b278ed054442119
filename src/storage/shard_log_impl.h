#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/checkpointer.h"
#include "storage/group_commit.h"
#include "storage/log_store.h"
#include "storage/segment.h"
#include "storage/shard_log.h"

namespace spate::storage {

// The segmented log of one shard (see shard_log.h for the contract and
// README.md for the design).
//
// Locks, always taken in this order:
//   io_mu_  serialises everything that writes or rolls/creates/deletes this
//           log's files: the writer thread's write phase, DropBefore, the
//           post-fence truncation. Never held while waiting for the writer.
//   mu_     guards the in-memory state below (short critical sections, no I/O
//           except the CRC of a batch in Append).
// Reads take mu_ only to snapshot segment ranges, then pread without locks.
class ShardLogImpl final : public ShardLog, public std::enable_shared_from_this<ShardLogImpl> {
 public:
  // Opens or creates the log in `dir` (which must exist), recovering from
  // its files. Returns a log in the failed state on corruption (after
  // logging it); an error only if the files cannot be accessed.
  static Result<std::shared_ptr<ShardLogImpl>> Open(const LogStoreOptions& options,
                                                    std::shared_ptr<GroupCommitWriter> writer,
                                                    std::shared_ptr<Checkpointer> checkpointer, std::string dir,
                                                    std::string name);
  ~ShardLogImpl() override = default;

  using ShardLog::Append;
  void Append(const std::vector<RecordInput>& records, int64_t arrival_ms, const AppendOptions& options,
              AppendCallback done) override;
  Result<ReadResult> Read(Offset from, const ReadLimits& limits) const override;
  Result<ReadView> ReadViews(Offset from, const ReadLimits& limits) const override;
  Offset StartOffset() const override;
  Offset EndOffset() const override;
  Offset AssignedEndOffset() const override;
  int64_t LastArrivalMs() const override;
  Result<Offset> OffsetForTime(int64_t ms) const override;
  Status DropBefore(int64_t cutoff_ms, Offset keep_from) override;
  using ShardLog::DropBefore;
  int64_t Epoch() const override;
  void AppendReplicated(std::string_view batch, int64_t leader_epoch, AppendCallback done) override;
  Status TruncateTo(Offset end, int64_t epoch) override;
  Result<std::vector<std::string>> ReadBatches(Offset from, size_t max_bytes) const override;
  Result<BatchInfo> BatchAt(Offset offset) const override;

  // Later appends fail with kUnavailable; returns once every queued append
  // of this log has finished (its callback has run).
  void Close();
  // Writes the checkpoint (format.h) of the active segment's acknowledged
  // prefix, unless it is already up to date or the log is failed. Any
  // thread except the writer's; never blocks appends for its I/O.
  Status WriteCheckpoint();
  // Zero-fills the next ready_ahead_bytes of the active segment beyond its
  // write position (see LogStoreOptions::ready_ahead_bytes), when the writer
  // asked for it. Background thread only. Writes only: the writer's next
  // fdatasync makes the zeros durable, so every sync error still reaches the
  // acknowledgement path. Failures (disk full) just leave the space as it was.
  void PrepareSpace();
  // Non-ok when the log opened in the failed state (corruption).
  Status failure() const {
    std::lock_guard<std::mutex> l(mu_);
    return failed_;
  }
  const std::string& dir() const { return dir_; }
  // Adds this log's segment files and their acknowledged bytes to *stats.
  void AddUsage(LogStoreStats* stats) const;

  // ---- Called by the GroupCommitWriter thread only. ----
  // Write phase: writes `batches` (this log's share of a round, in offset
  // order), rolling segments as needed. Marks each batch written or failed.
  void WriteBatches(const std::vector<PendingBatch*>& batches);
  // Publish phase: `sync_status(batch)` is the outcome of this round's
  // fdatasync of that segment. Acknowledges the longest prefix of written,
  // durable batches; fails (and fences the log for) the rest.
  void Publish(const std::vector<PendingBatch*>& batches,
               const std::function<Status(const PendingBatch&)>& sync_status);
  // A sync of one of this log's segments failed outside a round (the
  // journal's switch): fence the log, as a failed round sync would.
  void FenceAfterSyncError(const Status& cause);
  // After callbacks ran: writes pending index files of rolled segments and,
  // once fenced, trims un-acknowledged bytes from the files (best effort).
  void AfterRound();
  // The callback of one queued batch has run.
  void BatchFinished();

 private:
  ShardLogImpl(const LogStoreOptions& options, std::shared_ptr<GroupCommitWriter> writer,
               std::shared_ptr<Checkpointer> checkpointer, std::string dir, std::string name);

  Status Recover();
  // The epoch of the newest batch of `segs` (0 when none), or the epoch
  // file's when higher. kCorruption for an invalid epoch file.
  Result<int64_t> RecoverEpoch(const std::vector<std::shared_ptr<Segment>>& segs);
  // Makes Epoch() at least `epoch`, writing the epoch file first when it
  // rises. Takes epoch_mu_ (before mu_); kConcurrentModification when
  // `epoch` is below Epoch().
  Status RaiseEpoch(int64_t epoch);
  // TruncateTo's file work: io_mu_ held, no append in flight.
  Status CutFiles(Offset end);
  // Loads a valid checkpoint of the active segment `seg` into it and sets
  // *start to the position the recovery scan continues from (0 without
  // one). kCorruption if a valid checkpoint names data the file lacks.
  Status LoadCheckpoint(const std::shared_ptr<Segment>& seg, FilePos* start);
  Status LoadSealedSegment(const std::shared_ptr<Segment>& seg, Offset next_base, bool have_index);
  // Scans batches from `start` (0: from scratch; else the segment already
  // holds the acknowledged state of [0, start)).
  Status ScanSegment(const std::shared_ptr<Segment>& seg, bool is_last, Offset next_base, FilePos start,
                     FilePos* valid_end);
  // Corruption found by a read fails the whole log (as at open) and is
  // reported once as an ERROR line. Returns `s`.
  Status ReportReadCorruption(Status s) const;
  Result<std::shared_ptr<Segment>> CreateSegment(Offset base);
  Result<std::shared_ptr<Segment>> OpenSegment(Offset base, bool writable);
  Status ReadRange(const Segment& seg, FilePos from_pos, FilePos to_pos, Offset from, const ReadLimits& limits,
                   size_t* bytes, ReadView* out, bool* full) const;
  // The acknowledged bytes a read from `from` goes over: from the batch
  // holding `from` to the end of each later segment. mu_ held; `from` at or
  // above the first segment's base.
  struct SegmentRange {
    std::shared_ptr<Segment> seg;
    FilePos from, to;
    uint64_t truncations = 0;  // truncations_ when the range was taken
  };
  std::vector<SegmentRange> RangesFrom(Offset from) const;
  // What ScanBatches' visitor tells it.
  enum class Scan { kNext, kStop };
  // Walks the batches of `range` in order, calling `visit` with each one's
  // header and bytes (its CRC verified first when `verify`), until it
  // returns kStop or the range ends. A header that does not parse inside
  // acknowledged data, or a CRC mismatch, is corruption and fails the log
  // (ReportReadCorruption).
  Status ScanBatches(const SegmentRange& range, bool verify,
                     const std::function<Result<Scan>(const format::BatchHeader&, const char*)>& visit) const;
  std::string Describe(const Segment& seg) const;

  // Write-phase helpers (io_mu_ held).
  bool FlushChunk(const std::shared_ptr<Segment>& seg, std::vector<PendingBatch*>& chunk);
  Status RollFor(PendingBatch* b, bool* fatal);
  // How much of the active segment to reserve so `need` bytes fit.
  uint64_t AllocationTarget(uint64_t need, uint64_t allocated) const;
  // Reserves (fallocate) the active segment up to AllocationTarget(need)
  // when less is reserved. Writer thread only.
  Status EnsureAllocated(Segment& seg, uint64_t need);
  // Whether small writers get their space zero-filled ahead: not with the
  // journal, through which small batches are synced rather than in their
  // segment (zeros there would only add writes).
  bool ZeroFillAhead() const { return options_.ready_ahead_bytes > 0 && options_.journal_bytes == 0; }
  // Samples the active segment's round sizes after a write phase and asks
  // for PrepareSpace when it is written in small rounds and little ready
  // space is left ahead.
  void NoteRound(Segment& active);
  // Waits (releasing io_mu_) until no zero-fill claim of `seg` overlaps
  // [0, end).
  void WaitForClaim(std::unique_lock<std::mutex>& io, const Segment& seg, uint64_t end);
  void Rewind(PendingBatch* failed, const Status& error);
  void Fence(const Status& cause);  // mu_ held

  const LogStoreOptions options_;
  util::FileSystem* const fs_;
  const std::shared_ptr<GroupCommitWriter> writer_;
  const std::shared_ptr<Checkpointer> checkpointer_;
  const std::string dir_;
  const std::string name_;  // "<group>/<shard>", for messages

  std::mutex io_mu_;
  std::condition_variable claim_cv_;  // with io_mu_: a segment's zero-fill claim ended
  bool prepare_scheduled_ = false;    // guarded by io_mu_
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  // Non-ok once corruption was found (at open, or by a read): reads, appends
  // and retention fail with it from then on. Guarded by mu_.
  mutable Status failed_;
  std::vector<std::shared_ptr<Segment>> segments_;  // guarded by mu_; never empty after Open; back() is active
  Offset next_offset_;       // guarded by mu_; offsets assigned so far (appended, maybe not durable)
  uint64_t generation_ = 0;  // guarded by mu_; bumped when the un-acked tail is rewound (disk full)
  // Odd while TruncateTo cuts acknowledged data (a replica cut to its new
  // leader's log), bumped again when done: a lock-free reader that finds an
  // invalid batch inside a range taken before or during a cut has met the
  // cut, not corruption.
  std::atomic<uint64_t> truncations_{0};
  Status fenced_;                      // guarded by mu_; non-ok after a write/sync I/O error
  bool needs_trim_ = false;            // guarded by mu_; fenced and files not trimmed yet
  bool closed_ = false;                // guarded by mu_
  int inflight_ = 0;                   // guarded by mu_; batches queued and not finished
  int64_t max_arrival_assigned_ = -1;  // guarded by mu_; arrival times never go below it (clock steps back)
  int64_t epoch_ = 0;                  // guarded by mu_; the highest fencing epoch seen (Epoch())
  bool truncating_ = false;            // guarded by mu_; a TruncateTo is running: appends fail fast
  // Serialises epoch raises (the epoch file's writes); taken before mu_.
  std::mutex epoch_mu_;
  int64_t durable_epoch_ = 0;  // guarded by epoch_mu_; what the epoch file (or the log) holds
  // The last checkpoint written or loaded: segment and end position.
  Offset checkpoint_base_;             // guarded by mu_
  FilePos checkpoint_pos_;             // guarded by mu_
  bool checkpoint_scheduled_ = false;  // guarded by mu_
  // Serialises background jobs (checkpoint, PrepareSpace) with close; taken
  // before io_mu_ and mu_.
  std::mutex checkpoint_mu_;

  std::atomic<Offset> start_offset_{Offset(0)};  // first retained offset
  std::atomic<Offset> acked_end_{Offset(0)};     // one past the last acknowledged (durable) record
  std::atomic<int64_t> last_arrival_ms_{-1};
};

}  // namespace spate::storage
