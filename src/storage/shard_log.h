#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/offset.h"

namespace spate::storage {

// Offsets count records within one shard's log, from 0. Offset o is the o-th
// record ever appended to the shard; offsets are dense and never reused. The
// streams layer turns (shard, offset) into a Kinesis sequence number. The
// strong type lives in model/ so that every layer shares it.
using Offset = model::LogOffset;

// One record to append. The views must stay valid until Append returns (the
// log copies the bytes into its batch before returning).
struct RecordInput {
  std::string_view partition_key;
  std::string_view data;
};

// One record read back.
struct StoredRecord {
  Offset offset;
  int64_t arrival_ms = 0;  // the batch's arrival time, epoch milliseconds
  std::string partition_key;
  std::string data;
  bool encrypted = false;  // stored encrypted (AppendOptions::encryption_key_id)
};

// How one batch is stored.
struct AppendOptions {
  // Non-empty: the batch's records are stored encrypted under this KMS
  // KeyId's master key in the store's KeyStore (LogStoreOptions::key_store),
  // created on first use. Append fails with kUnavailable when the store has
  // no key store, kInvalidArgument for a malformed KeyId.
  std::string_view encryption_key_id;
  // The fencing epoch the batch is appended under: in cluster mode the
  // shard leadership's (streams::WriteGate's authority), 0 on a single node.
  // Stamped into the batch (format version 2 when non-zero). A non-zero
  // epoch below Epoch() (a newer leader has been seen) fails the append
  // with kUnavailable; 0 is never fenced.
  int64_t epoch = 0;
  // When the request that carries the batch was received, on the store's
  // clock (LogStoreOptions::clock, MonotonicNs); 0: unknown, and the
  // "admit" stage of spate_storage_append_stage_seconds starts at the
  // Append call instead.
  int64_t received_ns = 0;
};

struct AppendResult {
  Offset base_offset;  // offset of the first record of the batch
  uint32_t count = 0;
};

using AppendCallback = std::function<void(Result<AppendResult>)>;

// One stored batch's place in the log (ShardLog::BatchAt).
struct BatchInfo {
  Offset base_offset;  // its first record
  Offset end_offset;   // one past its last record
  int64_t epoch = 0;   // the fencing epoch stamped into it (0: version 1)
};

// Control records: a record with an empty partition key (a Kinesis
// partition key has 1-256 characters) is an extension's bookkeeping, not
// data: the exactly-once append's stamp heading a stamped batch
// (dedup/stamp.h, docs/formats/producer_stamp.md). It takes an offset like
// any record. Reads skip control records unless ReadLimits::control_records
// asks for them.
inline bool IsControlRecord(std::string_view partition_key) { return partition_key.empty(); }

struct ReadLimits {
  // Records returned (skipped control records do not count).
  size_t max_records = 10000;
  size_t max_bytes = 10u << 20;  // data + partition key bytes; at least one record is returned
  // false (every Data Streams reader): control records are skipped: never
  // returned nor counted against the limits, and next_offset moves past
  // those the read went over. true: every record is returned, control
  // records too: the exactly-once recovery scan, and Firehose's buffer
  // logs, whose records carry no partition key at all.
  bool control_records = false;
};

struct ReadResult {
  std::vector<StoredRecord> records;
  Offset next_offset;  // where the next read continues
};

// One record read back in place (ReadViews): views into the ReadView that
// holds it, no copy of its bytes.
struct RecordView {
  Offset offset;
  int64_t arrival_ms = 0;  // the batch's arrival time, epoch milliseconds
  std::string_view partition_key;
  std::string_view data;
  bool encrypted = false;  // stored encrypted (AppendOptions::encryption_key_id)
};

// What ReadViews returns. The records' views point into `chunks` (the
// segment bytes the read fetched) and `decrypted` (the plaintext of
// encrypted batches), which this object owns: they stay valid as long as it
// lives, also after it is moved.
struct ReadView {
  std::vector<RecordView> records;
  Offset next_offset;  // where the next read continues
  std::vector<std::unique_ptr<char[]>> chunks;
  std::vector<std::unique_ptr<std::string>> decrypted;
};

// One shard's append-only log. Thread-safe: appends and reads may come from
// any thread concurrently.
class ShardLog {
 public:
  virtual ~ShardLog() = default;

  // Appends `records` (at least one) as one batch with arrival time
  // `arrival_ms`. The bytes are copied before Append returns. The batch is
  // assigned consecutive offsets, after those of every batch appended to
  // this log earlier; the caller learns them in `done`.
  //
  // `done` runs exactly once:
  //  * on the store's writer thread, after the batch is durable (written and
  //    fdatasync'ed), with its offsets; or with an error: kUnavailable for
  //    disk full (retry later; the log keeps working) or a fenced log (a
  //    write/fsync I/O error: every later append fails until restart);
  //  * inline, before Append returns, when it fails fast: kUnavailable
  //    (commit queue full, log closed, store closed, fenced),
  //    kInvalidArgument (no records, batch over 32 MiB), kCorruption (the log
  //    opened in the failed state). So never call Append holding a lock that
  //    `done` takes.
  // Callbacks run on the writer thread must be short (hand work off). A
  // failed batch never becomes visible, not even after a restart (best
  // effort after a fence: see README.md).
  virtual void Append(const std::vector<RecordInput>& records, int64_t arrival_ms, const AppendOptions& options,
                      AppendCallback done) = 0;
  void Append(const std::vector<RecordInput>& records, int64_t arrival_ms, AppendCallback done) {
    Append(records, arrival_ms, AppendOptions{}, std::move(done));
  }

  // Reads records with offsets >= `from`, only acknowledged ones, in order,
  // up to `limits` but always at least one record when any is available
  // (control records skipped, see ReadLimits). next_offset is one past the
  // last record the read went over, returned or skipped.
  // A `from` below StartOffset() reads from StartOffset(); at or past
  // EndOffset() the result is empty with next_offset == max(from, start).
  // kCorruption if stored data fails its checksum (never served). Reads
  // never block appends (pread of immutable, acknowledged bytes).
  virtual Result<ReadResult> Read(Offset from, const ReadLimits& limits) const = 0;
  // Read without copying: the same records, limits and errors as Read, as
  // views into the buffers the read filled (the hot path of GetRecords,
  // which encodes straight from them).
  virtual Result<ReadView> ReadViews(Offset from, const ReadLimits& limits) const = 0;

  // First offset still retained (the trim horizon).
  virtual Offset StartOffset() const = 0;
  // One past the last acknowledged record (the tip). Equal to StartOffset()
  // when the log holds nothing.
  virtual Offset EndOffset() const = 0;
  // One past the last offset assigned by Append: records acknowledged or
  // still queued. >= EndOffset(); moves back only when a disk-full rewind
  // fails queued batches. Equal to EndOffset() once no Append is queued.
  // The streams layer closes a shard at this offset (resharding).
  virtual Offset AssignedEndOffset() const = 0;
  // Arrival time of the newest acknowledged record, or -1 when none (after a
  // restart: when none is retained).
  virtual int64_t LastArrivalMs() const = 0;

  // The first retained offset whose arrival time is >= `ms` (EndOffset() if
  // none). Arrival times need not be monotonic (wall-clock steps back).
  virtual Result<Offset> OffsetForTime(int64_t ms) const = 0;

  // Retention: deletes, oldest first, whole segments whose newest record
  // arrived before `cutoff_ms` (unlink + directory fsync); StartOffset()
  // moves to the first remaining segment. A record arriving at or after
  // the cutoff is never dropped. If every record expired (and no append is
  // in flight) the active segment is rolled and dropped too, leaving
  // StartOffset() == EndOffset(); offsets continue from there. Must not be
  // called from an append callback.
  //
  // With `keep_from`, only segments wholly below that offset go as well (a
  // reader's checkpoint: Firehose drops what it has delivered, whatever the
  // clock says, by passing a cutoff in the future).
  virtual Status DropBefore(int64_t cutoff_ms, Offset keep_from) = 0;
  Status DropBefore(int64_t cutoff_ms) { return DropBefore(cutoff_ms, Offset(UINT64_MAX)); }

  // ---- Replication (cluster mode, docs/formats/replication.md) ----

  // The highest fencing epoch this log has seen: of its newest batch, of
  // an Append, or raised by TruncateTo; durable across restarts.
  virtual int64_t Epoch() const = 0;

  // A follower's append: `batch` is one whole batch as the leader's log
  // stored it (format.h), appended verbatim (same offsets, arrival times,
  // stamped epoch, CRC) and acknowledged like Append, through `done`, once
  // durable. `leader_epoch` is the epoch of the leadership sending it (a
  // catch-up may carry batches stamped under older leaderships; fencing
  // compares the sender's epoch, as Raft compares the leader's term and not
  // the entries'). Epoch() rises to `leader_epoch` (durably) first.
  // Fails inline, before returning, with: kCorruption when the batch does
  // not parse, its CRC or framing does not verify, or it is stamped with an
  // epoch above `leader_epoch`; kConcurrentModification when `leader_epoch`
  // is below Epoch() (fenced: a newer leader exists); kInvalidArgument when
  // its base offset is not AssignedEndOffset() (it does not continue the
  // log); kUnavailable as Append does.
  virtual void AppendReplicated(std::string_view batch, int64_t leader_epoch, AppendCallback done) = 0;

  // Raises Epoch() to `epoch` (durably: fsync'ed before returning), then cuts
  // the log back so that it ends at `end` (a new leader truncates its
  // followers to the committed end before it serves). `end` must be a batch
  // boundary in [StartOffset(), EndOffset()]. Waits for queued appends to
  // finish; appends arriving meanwhile fail with kUnavailable. Crash-safe:
  // after a crash the log ends at `end` or where it ended before, never in
  // between, and a truncated batch never comes back (the commit journal is
  // retired first). kConcurrentModification when `epoch` is below Epoch().
  // Reads of offsets at or past `end` must not run concurrently (a follower
  // serves nothing past the committed end).
  virtual Status TruncateTo(Offset end, int64_t epoch) = 0;

  // Whole acknowledged batches as stored (for a leader to send verbatim),
  // the first starting at `from`, in order, up to `max_bytes` but at least
  // one when any starts at `from`. Empty at EndOffset(). kInvalidArgument
  // when `from` is not a batch boundary in [StartOffset(), EndOffset()];
  // kCorruption when a batch fails its checksum.
  virtual Result<std::vector<std::string>> ReadBatches(Offset from, size_t max_bytes) const = 0;
  // The acknowledged batch holding record `offset`: its bounds and the
  // epoch stamped into it (a leader and a follower agree on a log prefix
  // ending at a boundary when their batches ending there carry the same
  // epoch). kNotFound when `offset` is outside [StartOffset(), EndOffset()).
  virtual Result<BatchInfo> BatchAt(Offset offset) const = 0;
};

}  // namespace spate::storage
