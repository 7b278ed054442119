#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "metrics/registry.h"
#include "model/shard_index.h"
#include "storage/key_store.h"
#include "storage/shard_log.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::storage {

struct LogStoreOptions {
  // The data directory; created if absent (its parent must exist).
  std::string dir;
  // Not owned; must outlive the store and every ShardLog it returned.
  util::FileSystem* fs = nullptr;
  // Not owned; used for commit-latency statistics. Arrival times are passed
  // to Append and cutoffs to DropBefore by the caller.
  util::Clock* clock = nullptr;
  // A segment is rolled once the next batch would take it past this size
  // (a batch larger than this gets a segment of its own). Segment files are
  // pre-allocated to this size. At most format::kMaxSegmentBytes.
  uint64_t segment_bytes = 128u << 20;
  // One sparse-index entry per this many bytes of log (about 16 bytes of
  // memory per entry, so 1/256 of the retained log at the default).
  // The active segment's file is reserved (fallocate) ahead of its end in
  // steps that start at 64 KiB and double up to this, so a busy shard's
  // appends rarely change file metadata while a shard that holds little data
  // reserves little disk; a clean close gives the reserved tail back.
  uint64_t preallocate_bytes = 8u << 20;
  // Overwrite-ready space. fallocate leaves "unwritten" extents, and the
  // first write into one changes file metadata, so every fdatasync of a
  // small append also commits the file system's journal. A shard whose
  // commit rounds average less than small_write_round_bytes has this much
  // of its active segment ahead of the write position zero-filled in the
  // background, after which its appends are pure overwrites (on the machine
  // measured in README.md: fdatasync 180 instead of 260 us). Shards written
  // in big rounds are left alone: for them the zeros would double the bytes
  // written for little gain. Only without the journal (journal_bytes 0):
  // with it, small batches are synced through the journal's own pre-zeroed
  // files. 0: never.
  uint64_t ready_ahead_bytes = 8u << 20;
  uint64_t small_write_round_bytes = 64u << 10;
  uint32_t index_interval_bytes = 4096;
  // A shard's checkpoint (the durable prefix of its active segment, see
  // docs/formats/shard_log.md) is rewritten in the background once this many
  // acknowledged bytes follow the last one, and on clean close. Recovery
  // scans only what follows it. 0: only on clean close.
  uint64_t checkpoint_interval_bytes = 16u << 20;
  // Bound on batch bytes queued for (or in) the writer. Beyond it Append
  // fails fast with kUnavailable instead of queueing.
  uint64_t max_queued_bytes = 64u << 20;
  // Threads that run the per-file fdatasyncs of one commit round in
  // parallel, besides the writer thread. 0: the writer syncs the files one
  // after another. See README.md for the measurements behind the default.
  int sync_threads = 7;
  // Commit journal (docs/formats/journal.md): batches of at most
  // journal_max_batch_bytes are made durable by one fdatasync of a journal
  // file per commit round rather than one per shard file written; their
  // segment files are synced when the journal switches files (every
  // journal_bytes of small batches), when a group is dropped and on close.
  // Two files of journal_bytes each under <dir>/journal. 0: no journal (each
  // touched file is synced every round). journal_bytes must be 0 or at least
  // 4 x journal_max_batch_bytes + 64 KiB, and at most 1 GiB.
  //
  // A batch above journal_max_batch_bytes is synced in its segment file, and
  // so is every batch of the round in the same file (its fdatasync is paid
  // anyway). The bound is per batch, not per file and round: a PutRecords of
  // 500 x 1 KiB over 16 shards puts ~33 KiB batches into each file, which
  // the journal would make the disk write twice to save one fdatasync per
  // file; while 500 x 100 B requests put ~4.5 KiB batches, several of which
  // share a file in a busy round, and there saving the fdatasyncs is what
  // counts (a bound of 16 KiB per file and round had 4-6 files synced per
  // round instead of one, and cost a third of the throughput). Measured in
  // docs/benchmarks.md ("The write path against the disk").
  uint64_t journal_bytes = 16u << 20;
  uint64_t journal_max_batch_bytes = 16u << 10;
  // A round whose small batches add up to more than this is not journaled:
  // its batches are synced in their segment files, as big batches are.
  // Copying that much into the journal would make the disk write every byte
  // twice, and a round that big is bound by the disk's bandwidth, not by
  // the number of files it syncs. 0: no bound.
  uint64_t journal_round_max_bytes = 1u << 20;
  // Early writeback of journaled data. Segment bytes made durable through
  // the journal are synced in their files only when the journal switches,
  // which would then flush up to journal_bytes at once while the round's
  // acknowledgements wait. Once this many such bytes of one segment file
  // have been written since the last hint, the writer (after the round's
  // callbacks) asks the kernel to start writing them out
  // (File::StartWriteback: sync_file_range, no wait), whole pages only, so
  // the switch finds little left. A hint only: durability still comes from
  // the fdatasyncs. Per file, so with N shards up to N x this is left for
  // the switch: small. 0: never.
  uint64_t writeback_bytes = 256u << 10;
  // Page cache left to the newest durable segment bytes. Once more than
  // this many durable bytes were written since the oldest still cached, the
  // writer (after a round's callbacks) asks the kernel to drop the oldest
  // ones (File::DropCache: posix_fadvise DONTNEED), whole pages only and
  // never the page an append goes on to. A log's readers mostly read what
  // was just written, and that stays cached; older data is read from disk.
  // Why: a log only ever appends, so without this every byte written takes
  // a fresh page and the page cache grows until the kernel reclaims, and
  // allocating fresh pages is what the write() path pays for (on the VM
  // measured in README.md: 2.1 ms of kernel time per MB written into fresh
  // pages, 0.24 ms/MB into pages just freed). A hint only: it drops clean
  // pages, so nothing is lost and durability is untouched. 0: never (the
  // kernel's LRU decides).
  uint64_t page_cache_bytes = 1u << 30;
  // Master keys of encrypted batches (AppendOptions::encryption_key_id).
  // Not owned; may be null (then encrypted appends fail and encrypted
  // batches read as kUnavailable). Must outlive the store.
  KeyStore* key_store = nullptr;
  // Where the store registers its metrics (the spate_storage_* families:
  // fdatasync latency, commit-round sizes, and Stats() read at scrape
  // time); they are removed again when the store is destroyed. Not owned;
  // null: none. At most one open store per registry.
  metrics::Registry* metrics = nullptr;
};

// Counters since Open, for benchmarks and metrics. Thread-safe snapshot.
struct LogStoreStats {
  uint64_t rounds = 0;               // group-commit rounds
  uint64_t batches = 0;              // batches acknowledged
  uint64_t bytes = 0;                // bytes of acknowledged batches
  uint64_t file_syncs = 0;           // fdatasync calls on segment and journal files
  uint64_t sync_wall_ns = 0;         // wall time spent in the sync phase of rounds
  uint64_t zero_filled_bytes = 0;    // space made overwrite-ready (ready_ahead_bytes)
  uint64_t journaled_batches = 0;    // acknowledged through the journal
  uint64_t journal_switches = 0;     // journal file switches (segments synced)
  uint64_t journal_replayed = 0;     // batches rewritten from the journal at open
  uint64_t writeback_hints = 0;      // early writeback requests (writeback_bytes)
  uint64_t cache_dropped_bytes = 0;  // durable segment bytes dropped from the page cache (page_cache_bytes)
  // What is on disk now (a snapshot, not a count since Open): open shard
  // logs, their segment files and the acknowledged bytes in them. Logs
  // being opened (recovering) at the time are left out.
  uint64_t open_logs = 0;
  uint64_t segments = 0;
  uint64_t segment_bytes = 0;
};

// All shard logs of one data directory (one disk), sharing one group-commit
// writer thread. Layout: <dir>/<group>/<shard %012u>/<first offset %020llu>.log
// (+ .index cache files). Thread-safe.
//
// Destroying the store finishes every queued append (its callback runs) and
// stops the writer; ShardLogs still held afterwards fail appends with
// kUnavailable and keep serving reads.
class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(LogStoreOptions options);
  virtual ~LogStore() = default;

  // Opens (recovering it from disk) or creates the log of shard `shard` in
  // `group`, a directory name chosen by the caller (one per
  // stream instance): 1-200 characters of [A-Za-z0-9._-], not starting with
  // '.'. Returns the same object while it is open. A log whose files fail
  // verification is returned in a failed state (reads kCorruption, appends
  // fail) and an error is logged: the rest of the store keeps working.
  // kIoError if the files cannot be read at all.
  virtual Result<std::shared_ptr<ShardLog>> OpenShard(std::string_view group, model::ShardIndex shard) = 0;

  // Closes every open log of `group` (waiting for their queued appends to
  // finish; later appends on them fail with kUnavailable) and deletes the
  // group's files durably. Ok if the group does not exist. Must not be
  // called from an append callback. The caller makes sure no OpenShard on
  // the same group runs concurrently.
  virtual Status DropGroup(std::string_view group) = 0;

  // Names of the groups present on disk, sorted.
  virtual Result<std::vector<std::string>> ListGroups() = 0;

  virtual LogStoreStats Stats() const = 0;

  // Returns once the background jobs (checkpoints, zero-fill ahead,
  // page-cache drops) that appends acknowledged before the call asked for
  // have run. Appends never
  // wait for them; this is the sync point for tests that assert on their
  // effect (or its absence) instead of sleeping (STYLE.md rule 10).
  virtual void WaitForBackgroundJobs() = 0;
};

}  // namespace spate::storage
