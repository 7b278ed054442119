#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/format.h"
#include "storage/shard_log.h"
#include "util/file_system.h"

namespace spate::storage {

// A byte position inside one segment file. Kept apart from Offset (a record
// number) so the two cannot be mixed up (STYLE.md rule 4).
struct FilePos {
  uint64_t value = 0;
  friend auto operator<=>(FilePos, FilePos) = default;
};

// One sparse-index entry: the batch starting at `pos` holds offset
// base_offset + relative_offset first; every batch before it in the segment
// arrived at or before max_ms_before (INT64_MIN for the first entry).
struct IndexEntry {
  uint32_t relative_offset = 0;
  uint32_t pos = 0;
  int64_t max_ms_before = 0;
};

// The acknowledged state of a segment prefix as stored in an index cache
// file or a checkpoint (format.h): [0, end_pos) holds offsets
// [base_offset, end_offset).
struct SegmentState {
  Offset base_offset;
  Offset end_offset;
  uint64_t end_pos = 0;
  uint64_t last_batch_pos = 0;
  int64_t max_arrival_ms = 0;
  uint32_t interval_bytes = 0;
  std::vector<IndexEntry> entries;
};

// Decodes an index cache file or a checkpoint (`magic`/`version` tell
// which). False unless the CRC, magic, version and the internal consistency
// of the entries check out. Says nothing about whether the log agrees.
bool DecodeSegmentState(std::string_view data, uint32_t magic, uint32_t version, SegmentState* out);

// One segment file of a shard log: batches appended back to back from
// position 0, named by the offset of its first record.
//
// Thread-safety: the object is shared by the owning ShardLogImpl, the writer
// thread and readers (std::shared_ptr, so a reader may finish on a segment
// that retention just unlinked). Its mutable state is guarded by the owning
// log's locks, as marked. Bytes in [0, acked_end_pos) never change once
// acknowledged, so readers pread them without any lock.
class Segment {
 public:
  Segment(Offset base_offset, std::string path, std::string index_path, std::unique_ptr<util::File> file,
          uint32_t index_interval_bytes);

  Offset base_offset() const { return base_offset_; }
  const std::string& path() const { return path_; }
  const std::string& index_path() const { return index_path_; }
  util::File* file() const { return file_.get(); }

  // ---- Writer state: guarded by ShardLogImpl::io_mu_. ----
  // Where the next batch will be written (appended, maybe not yet durable).
  FilePos written_end;
  // Bytes reserved on disk (fallocate) for the active segment; grows in
  // LogStoreOptions::preallocate_bytes steps ahead of written_end.
  uint64_t allocated_bytes = 0;
  // The active segment was rolled: no more writes; trimmed to written_end.
  bool sealed = false;
  // Sealed and its index file is still to be written.
  bool index_pending = false;
  // [0, ready_end) was zero-filled in the background (or the space before
  // the write position when that happened): writes there change no file
  // metadata. [claim_begin, claim_end) is being zero-filled right now; the
  // writer waits before writing into it, and before truncating the file.
  uint64_t ready_end = 0;
  uint64_t claim_begin = 0, claim_end = 0;  // no claim when equal
  bool claimed() const { return claim_end > claim_begin; }
  // Round-size sampling (ShardLogImpl::NoteRound): written_end at the start
  // of the sample and the rounds since; small_writes is the last verdict.
  uint64_t sample_pos = 0;
  uint32_t sample_rounds = 0;
  bool small_writes = false;

  // ---- Page-cache budget (LogStoreOptions::page_cache_bytes): the
  // GroupCommitWriter's thread only. ----
  // [0, cache_noted_end) is durable and counted in the writer's budget;
  // [0, cache_dropped_end) was handed to File::DropCache (page aligned).
  uint64_t cache_noted_end = 0;
  uint64_t cache_dropped_end = 0;

  // ---- Acknowledged state: guarded by ShardLogImpl::mu_. ----
  // Forgets all acknowledged state (before a recovery scan).
  void ResetAcked();
  // Records the acknowledged (durable, or recovered) batch at `pos`.
  void AddBatch(FilePos pos, const format::BatchHeader& h);
  FilePos acked_end_pos() const { return acked_end_pos_; }
  // One past the last acknowledged record; base_offset() when empty.
  Offset end_offset() const { return end_offset_; }
  bool empty() const { return end_offset_ == base_offset_; }
  // Position of the last acknowledged batch. Precondition: !empty().
  FilePos last_batch_pos() const { return last_batch_pos_; }
  // Newest arrival time in the segment; INT64_MIN when empty.
  int64_t max_arrival_ms() const { return max_arrival_ms_; }
  // The position of the last batch starting at or before `offset`'s batch,
  // according to the sparse index. Precondition: !empty().
  FilePos SeekOffset(Offset offset) const;
  // A position from which a forward scan finds the first batch arriving at
  // or after `ms` (every batch before it arrived earlier).
  FilePos SeekTime(int64_t ms) const;

  // The index cache file's bytes (format.h), for a sealed, complete segment.
  std::string EncodeIndex() const { return EncodeState(format::kIndexMagic, format::kIndexVersion); }
  // The acknowledged state in the index/checkpoint layout with `magic`.
  std::string EncodeState(uint32_t magic, uint32_t version) const;
  // Replaces the acknowledged state with `state` if it describes this
  // segment (base offset and index interval match); false otherwise.
  bool Adopt(SegmentState state);
  // Replaces the acknowledged state with the one in `data` if it is a valid
  // index for this segment whose data ends at `file_size`. On success
  // `*last_batch_pos` is the last batch's position, for the caller to verify
  // against the log. Never trusted alone: see ShardLogImpl recovery.
  bool DecodeIndex(std::string_view data, uint64_t file_size, FilePos* last_batch_pos);

 private:
  const Offset base_offset_;
  const std::string path_;
  const std::string index_path_;
  const std::unique_ptr<util::File> file_;
  const uint32_t index_interval_bytes_;

  FilePos acked_end_pos_;
  Offset end_offset_;
  int64_t max_arrival_ms_;
  FilePos last_batch_pos_;
  std::vector<IndexEntry> index_;
};

// Reads batches one after another from a segment file, through a buffer.
// Not thread-safe; the file may be shared.
class BatchScanner {
 public:
  enum class Outcome {
    kBatch,    // a whole batch with a plausible header (CRC not yet checked)
    kEnd,      // `limit` reached, end of file, or a zero header (pre-allocated tail)
    kInvalid,  // a header that is not plausible, or a batch cut short by the end
  };

  BatchScanner(const util::File* file, FilePos pos, FilePos limit);

  // Parses the batch at pos(). On kBatch, *data points at h->length bytes
  // valid until the next call; pos() is unchanged until Advance().
  Result<Outcome> Next(format::BatchHeader* h, const char** data);
  void Advance(uint32_t length) { pos_.value += length; }
  FilePos pos() const { return pos_; }

 private:
  // Makes [pos, pos + n) available in buf_, reading past it when possible.
  // Returns the bytes available (< n only at limit / end of file).
  Result<size_t> Fill(uint64_t pos, size_t n);

  const util::File* file_;
  FilePos pos_;
  const FilePos limit_;
  std::string buf_;
  uint64_t buf_pos_ = 0;
  size_t buf_len_ = 0;
};

// Reads batches one after another from a segment file like BatchScanner,
// but into buffers it never reuses: a batch's bytes stay valid after the
// next call, as long as the caller keeps the chunks (the read path hands
// them to the reader as views instead of copying every record out).
//
// Each pread fetches a fresh chunk: at least the batch at hand, otherwise
// min(the current chunk size, max(hint, kFirstChunkBytes)), where the chunk
// size starts at kFirstChunkBytes and doubles up to kMaxChunkBytes, never
// past `limit`. A batch cut by the end of a chunk is read again whole into
// the next one (the cut part is not copied over). Not thread-safe; the file
// may be shared.
class BatchChunkReader {
 public:
  static constexpr size_t kFirstChunkBytes = 256u << 10;
  static constexpr size_t kMaxChunkBytes = 4u << 20;

  // Appends every chunk it reads to *chunks, which must outlive the reader.
  BatchChunkReader(const util::File* file, FilePos pos, FilePos limit, std::vector<std::unique_ptr<char[]>>* chunks);

  // As BatchScanner::Next. On kBatch, *data points at h->length bytes in
  // the last chunk of *chunks. `hint`: how many more bytes the caller
  // expects to want from pos() on (a read's remaining byte budget); it
  // bounds how far a new chunk reads ahead.
  Result<BatchScanner::Outcome> Next(format::BatchHeader* h, const char** data, size_t hint);
  void Advance(uint32_t length) { pos_.value += length; }
  FilePos pos() const { return pos_; }

 private:
  // Makes [pos, pos + n) available in the current chunk, reading a new one
  // when needed. Returns the bytes available (< n only at limit / end of
  // file) and a pointer to them.
  Result<size_t> Fill(uint64_t pos, size_t n, size_t hint, const char** p);

  const util::File* file_;
  FilePos pos_;
  const FilePos limit_;
  std::vector<std::unique_ptr<char[]>>* chunks_;
  const char* chunk_ = nullptr;  // the last chunk, holding [chunk_pos_, chunk_pos_ + chunk_len_)
  uint64_t chunk_pos_ = 0;
  size_t chunk_len_ = 0;
  size_t next_chunk_bytes_ = kFirstChunkBytes;
};

// Searches [from, limit) of `file` for any whole batch with a valid CRC;
// used by recovery to tell a torn tail from corruption. Returns true and
// its position and header if one exists.
Result<bool> FindValidBatchAfter(const util::File* file, FilePos from, FilePos limit, FilePos* found,
                                 format::BatchHeader* h);

}  // namespace spate::storage
