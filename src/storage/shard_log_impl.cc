#include "storage/shard_log_impl.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include "base/log.h"
#include "util/crc32c.h"

namespace spate::storage {

namespace {

// After a clean end (zero header) of the active segment, recovery looks this
// far ahead for valid batches: acknowledged data is contiguous, so a valid
// batch there means a zeroed block inside acknowledged data.
constexpr uint64_t kZeroTailSearchBytes = 1u << 20;

std::string PosString(FilePos p) { return std::to_string(p.value); }

}  // namespace

ShardLogImpl::ShardLogImpl(const LogStoreOptions& options, std::shared_ptr<GroupCommitWriter> writer,
                           std::shared_ptr<Checkpointer> checkpointer, std::string dir, std::string name)
    : options_(options),
      fs_(options.fs),
      writer_(std::move(writer)),
      checkpointer_(std::move(checkpointer)),
      dir_(std::move(dir)),
      name_(std::move(name)) {}

Result<std::shared_ptr<ShardLogImpl>> ShardLogImpl::Open(const LogStoreOptions& options,
                                                         std::shared_ptr<GroupCommitWriter> writer,
                                                         std::shared_ptr<Checkpointer> checkpointer, std::string dir,
                                                         std::string name) {
  std::shared_ptr<ShardLogImpl> log(
      new ShardLogImpl(options, std::move(writer), std::move(checkpointer), std::move(dir), std::move(name)));
  Status s = log->Recover();
  if (s.code() == ErrorCode::kCorruption) {
    SPATE_LOG_ERROR("storage: shard log " + log->name_ + " is corrupt and will not be served: " + s.message());
    std::lock_guard<std::mutex> l(log->mu_);
    log->failed_ = s;
  } else if (!s.ok()) {
    return s;
  }
  return log;
}

std::string ShardLogImpl::Describe(const Segment& seg) const { return "shard log " + name_ + " segment " + seg.path(); }

Result<std::shared_ptr<Segment>> ShardLogImpl::OpenSegment(Offset base, bool writable) {
  std::string path = dir_ + "/" + format::SegmentFileName(base);
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f,
                         fs_->OpenFile(path, writable ? util::OpenMode::kReadWrite : util::OpenMode::kRead));
  return std::make_shared<Segment>(base, path, dir_ + "/" + format::IndexFileName(base), std::move(f),
                                   options_.index_interval_bytes);
}

// Creates a new, empty, pre-allocated segment file and makes its existence
// durable. On failure nothing is left behind (best effort).
Result<std::shared_ptr<Segment>> ShardLogImpl::CreateSegment(Offset base) {
  std::string path = dir_ + "/" + format::SegmentFileName(base);
  auto fail = [&](Status s) -> Status {
    fs_->Unlink(path).IgnoreError();  // may not exist
    return s;
  };
  Result<std::unique_ptr<util::File>> f = fs_->OpenFile(path, util::OpenMode::kCreate);
  if (!f.ok()) return fail(f.status());
  uint64_t reserve = AllocationTarget(0, 0);
  Status s = (*f)->Allocate(reserve);
  if (s.ok()) s = (*f)->Sync();
  if (s.ok()) s = fs_->SyncDir(dir_);
  if (!s.ok()) return fail(s);
  auto seg = std::make_shared<Segment>(base, path, dir_ + "/" + format::IndexFileName(base), std::move(*f),
                                       options_.index_interval_bytes);
  seg->allocated_bytes = reserve;
  return seg;
}

Status ShardLogImpl::Recover() {
  SPATE_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  std::vector<Offset> bases;
  std::set<Offset> indexes;
  for (const std::string& n : names) {
    Offset base;
    if (format::ParseSegmentFileName(n, &base)) {
      bases.push_back(base);
    } else if (format::ParseIndexFileName(n, &base)) {
      indexes.insert(base);
    } else if (n.size() > format::kTempSuffix.size() &&
               n.compare(n.size() - format::kTempSuffix.size(), std::string::npos, format::kTempSuffix) == 0) {
      fs_->Unlink(dir_ + "/" + n).IgnoreError();  // an index write interrupted by a crash
    }
  }
  std::sort(bases.begin(), bases.end());
  for (Offset i : indexes) {
    if (!std::binary_search(bases.begin(), bases.end(), i))
      fs_->Unlink(dir_ + "/" + format::IndexFileName(i)).IgnoreError();
  }

  std::vector<std::shared_ptr<Segment>> segs;
  if (bases.empty()) {
    SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Segment> seg, CreateSegment(Offset(0)));
    segs.push_back(std::move(seg));
  } else {
    for (size_t i = 0; i < bases.size(); ++i) {
      bool is_last = i + 1 == bases.size();
      SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Segment> seg, OpenSegment(bases[i], is_last));
      if (!segs.empty() && segs.back()->end_offset() != seg->base_offset()) {
        // Publish what was verified so far, for diagnostics; the log is failed anyway.
        segments_ = std::move(segs);
        return Corruption(Describe(*seg) + ": starts at offset " + std::to_string(seg->base_offset().value()) +
                          " but the previous segment ends at offset " +
                          std::to_string(segments_.back()->end_offset().value()) + " (missing or truncated segment)");
      }
      if (is_last) {
        FilePos start, valid_end;
        Status s = LoadCheckpoint(seg, &start);
        if (s.ok()) s = ScanSegment(seg, true, Offset(0), start, &valid_end);
        if (!s.ok()) {
          segments_ = std::move(segs);
          return s;
        }
        if (valid_end > start) {
          // Batches found after the checkpoint may sit only in the page
          // cache (the process died before their fdatasync): make them
          // durable before serving them as acknowledged.
          SPATE_TRY(seg->file()->DataSync());
        }
        seg->written_end = valid_end;
        SPATE_ASSIGN_OR_RETURN(uint64_t size, seg->file()->Size());
        seg->allocated_bytes = size;
        // Reserving ahead is an optimisation: with the disk full the log
        // still opens and serves reads; appends reserve as they go.
        Status s2 = EnsureAllocated(*seg, valid_end.value);
        if (!s2.ok() && !util::IsNoSpace(s2)) return s2;
      } else {
        Status s = LoadSealedSegment(seg, bases[i + 1], indexes.count(bases[i]) > 0);
        if (!s.ok()) {
          segments_ = std::move(segs);
          return s;
        }
        seg->written_end = seg->acked_end_pos();
        seg->sealed = true;
      }
      segs.push_back(std::move(seg));
    }
  }

  SPATE_ASSIGN_OR_RETURN(int64_t epoch, RecoverEpoch(segs));
  std::lock_guard<std::mutex> l(mu_);
  epoch_ = epoch;
  segments_ = std::move(segs);
  next_offset_ = segments_.back()->end_offset();
  acked_end_ = next_offset_;
  start_offset_ = segments_.front()->base_offset();
  int64_t last = -1;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (!(*it)->empty()) {
      last = (*it)->max_arrival_ms();
      break;
    }
  }
  last_arrival_ms_ = last;
  max_arrival_assigned_ = last;
  return Status::Ok();
}

// A rolled segment: trust its index cache only if it matches the file and
// the last batch it names verifies; otherwise rebuild it by a full scan.
Status ShardLogImpl::LoadSealedSegment(const std::shared_ptr<Segment>& seg, Offset next_base, bool have_index) {
  if (have_index) {
    SPATE_ASSIGN_OR_RETURN(uint64_t size, seg->file()->Size());
    Result<std::string> data = util::ReadFileToString(fs_, seg->index_path());
    FilePos last;
    bool valid = data.ok() && seg->DecodeIndex(*data, size, &last) && seg->end_offset() == next_base;
    if (valid) {
      BatchScanner scanner(seg->file(), last, seg->acked_end_pos());
      format::BatchHeader h;
      const char* p = nullptr;
      SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
      valid = o == BatchScanner::Outcome::kBatch && format::VerifyBatch(p, h).ok() &&
              last.value + h.length == seg->acked_end_pos().value &&
              h.base_offset + h.record_count == seg->end_offset();
    }
    if (valid) return Status::Ok();
    SPATE_LOG_WARN("storage: " + Describe(*seg) + ": index cache is stale or invalid; rebuilding it from the log");
  } else {
    SPATE_LOG_INFO("storage: " + Describe(*seg) + ": no index cache; rebuilding it from the log");
  }
  FilePos valid_end;
  SPATE_TRY(ScanSegment(seg, false, next_base, FilePos{0}, &valid_end));
  util::WriteFileAtomically(fs_, seg->index_path(), seg->EncodeIndex()).IgnoreError();  // a cache
  return Status::Ok();
}

Status ShardLogImpl::LoadCheckpoint(const std::shared_ptr<Segment>& seg, FilePos* start) {
  *start = FilePos{0};
  const std::string path = dir_ + "/" + std::string(format::kCheckpointFileName);
  if (!fs_->Exists(path)) return Status::Ok();
  Result<std::string> data = util::ReadFileToString(fs_, path);
  SegmentState st;
  if (!data.ok() || !DecodeSegmentState(*data, format::kCheckpointMagic, format::kCheckpointVersion, &st)) {
    SPATE_LOG_WARN("storage: shard log " + name_ + ": checkpoint " + path +
                   " is unreadable or invalid; scanning the whole active segment");
    return Status::Ok();
  }
  if (st.base_offset != seg->base_offset() || st.interval_bytes != options_.index_interval_bytes) {
    return Status::Ok();  // describes a segment rolled or dropped since: stale, harmless
  }
  // A checkpoint with a valid CRC names acknowledged, durable data: if the
  // log disagrees, the log was damaged (never a torn write).
  SPATE_ASSIGN_OR_RETURN(uint64_t size, seg->file()->Size());
  if (st.end_pos > size) {
    return Corruption(Describe(*seg) + ": file is " + std::to_string(size) + " bytes but its checkpoint says " +
                      std::to_string(st.end_pos) + " bytes (offsets below " + std::to_string(st.end_offset.value()) +
                      ") are acknowledged: acknowledged data was truncated");
  }
  const FilePos last{st.last_batch_pos};
  const FilePos end{st.end_pos};
  const Offset end_offset = st.end_offset;
  BatchScanner scanner(seg->file(), last, end);
  format::BatchHeader h;
  const char* p = nullptr;
  SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
  Status v = o == BatchScanner::Outcome::kBatch ? format::VerifyBatch(p, h) : Corruption("no valid batch header");
  if (v.ok() && (last.value + h.length != end.value || h.base_offset + h.record_count != end_offset)) {
    v = Corruption("batch does not end where the checkpoint says");
  }
  if (!v.ok()) {
    return Corruption(Describe(*seg) + ": the last acknowledged batch named by the checkpoint, at position " +
                      PosString(last) + ", is damaged: " + v.message());
  }
  SPATE_ASSERT(seg->Adopt(std::move(st)), "checkpoint base and interval were checked");
  std::lock_guard<std::mutex> l(mu_);
  checkpoint_base_ = seg->base_offset();
  checkpoint_pos_ = end;
  *start = end;
  return Status::Ok();
}

Status ShardLogImpl::ScanSegment(const std::shared_ptr<Segment>& seg, bool is_last, Offset next_base, FilePos start,
                                 FilePos* valid_end) {
  if (start.value == 0) seg->ResetAcked();
  SPATE_ASSIGN_OR_RETURN(uint64_t size, seg->file()->Size());
  BatchScanner scanner(seg->file(), start, FilePos{size});
  std::string reason;
  bool clean_end = false;
  for (;;) {
    format::BatchHeader h;
    const char* p = nullptr;
    SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
    if (o == BatchScanner::Outcome::kEnd) {
      clean_end = true;
      break;
    }
    if (o == BatchScanner::Outcome::kInvalid) {
      reason = "unreadable batch header or batch cut short";
      break;
    }
    if (h.base_offset != seg->end_offset()) {
      reason = "batch claims offset " + std::to_string(h.base_offset.value()) + ", expected " +
               std::to_string(seg->end_offset().value());
      break;
    }
    Status v = format::VerifyBatch(p, h);
    if (!v.ok()) {
      reason = v.message();
      break;
    }
    seg->AddBatch(scanner.pos(), h);
    scanner.Advance(h.length);
  }
  const FilePos bad = scanner.pos();
  *valid_end = bad;

  if (!is_last) {
    if (seg->end_offset() == next_base) {
      if (!clean_end) {
        SPATE_LOG_WARN("storage: " + Describe(*seg) + ": ignoring unacknowledged bytes after position " +
                       PosString(bad) + " (" + reason + "); the next segment starts at the expected offset");
      }
      return Status::Ok();
    }
    return Corruption(Describe(*seg) + ": data ends at position " + PosString(bad) + " with offset " +
                      std::to_string(seg->end_offset().value()) + " but the next segment starts at offset " +
                      std::to_string(next_base.value()) + (clean_end ? "" : " (" + reason + ")"));
  }

  // The active segment: an invalid batch with nothing valid after it is the
  // torn tail of a write that was never acknowledged; anything valid after
  // it means acknowledged data was damaged.
  FilePos search_limit{size};
  if (clean_end) search_limit.value = std::min<uint64_t>(size, bad.value + kZeroTailSearchBytes);
  FilePos found;
  format::BatchHeader fh;
  SPATE_ASSIGN_OR_RETURN(bool any, FindValidBatchAfter(seg->file(), FilePos{bad.value + 1}, search_limit, &found, &fh));
  if (any) {
    std::string why = clean_end ? "zeroed bytes" : reason;
    std::string verdict = fh.committed_offset > seg->end_offset()
                              ? "acknowledged data is damaged"
                              : "either acknowledged data is damaged or the disk reordered unacknowledged writes";
    return Corruption(Describe(*seg) + ": invalid batch at position " + PosString(bad) + " (offset " +
                      std::to_string(seg->end_offset().value()) + ": " + why +
                      ") followed by a valid batch at position " + PosString(found) + " (offset " +
                      std::to_string(fh.base_offset.value()) + ", written when offset " +
                      std::to_string(fh.committed_offset.value()) + " was acknowledged): " + verdict);
  }
  if (!clean_end) {
    SPATE_LOG_WARN("storage: " + Describe(*seg) + ": truncating torn tail at position " + PosString(bad) + " (" +
                   reason + "); it was never acknowledged");
    SPATE_TRY(seg->file()->Truncate(bad.value));
    SPATE_TRY(seg->file()->Sync());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Append path (caller threads).

void ShardLogImpl::Append(const std::vector<RecordInput>& records, int64_t arrival_ms, const AppendOptions& options,
                          AppendCallback done) {
  const int64_t admit_ns = options.received_ns != 0 ? options.received_ns : options_.clock->MonotonicNs();
  if (records.empty()) {
    done(InvalidArgument("append of no records"));
    return;
  }
  if (options.epoch < 0) {
    done(InvalidArgument("negative fencing epoch " + std::to_string(options.epoch)));
    return;
  }
  size_t size = format::EncodedBatchSize(records, options.epoch);
  if (size == 0 || size > format::kMaxBatchBytes) {
    done(InvalidArgument("batch of " + std::to_string(records.size()) + " records exceeds " +
                         std::to_string(format::kMaxBatchBytes) + " bytes"));
    return;
  }
  uint32_t key_ref = 0;
  if (!options.encryption_key_id.empty()) {
    if (options_.key_store == nullptr) {
      done(Unavailable("shard log " + name_ + ": encrypted append but the store has no key store"));
      return;
    }
    Result<uint32_t> ref = options_.key_store->RefFor(options.encryption_key_id);
    if (!ref.ok()) {
      done(ref.status());
      return;
    }
    key_ref = *ref;
    if (size + format::kEncryptionOverhead > format::kMaxBatchBytes) {
      done(InvalidArgument("encrypted batch of " + std::to_string(records.size()) + " records exceeds " +
                           std::to_string(format::kMaxBatchBytes) + " bytes"));
      return;
    }
  }
  auto b = std::make_unique<PendingBatch>();
  b->bytes.resize(key_ref != 0 ? size + format::kEncryptionOverhead : size);
  format::EncodeBatchBody(records, arrival_ms, b->bytes.data(), options.epoch);
  if (key_ref != 0) {
    // Outside the lock: sealing a large batch takes a while.
    Status es = format::EncryptBatch(*options_.key_store, key_ref, b->bytes.data(), size);
    if (!es.ok()) {
      done(es);
      return;
    }
    size = b->bytes.size();
  }
  b->done = std::move(done);
  b->log = shared_from_this();
  b->admit_ns = admit_ns;
  Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) {
      s = failed_;
    } else if (closed_) {
      s = Unavailable("shard log " + name_ + " is closed");
    } else if (!fenced_.ok()) {
      s = fenced_;
    } else if (truncating_) {
      s = Unavailable("shard log " + name_ + " is being truncated");
    } else if (options.epoch != 0 && options.epoch < epoch_) {
      s = Unavailable("shard log " + name_ + ": append under fencing epoch " + std::to_string(options.epoch) +
                      " refused, the shard has seen epoch " + std::to_string(epoch_));
    } else {
      // Arrival times never go backwards within a shard, whatever the wall
      // clock does, so retention (by arrival time) never expires a record
      // before one that was appended earlier.
      if (arrival_ms < max_arrival_assigned_) {
        format::SetBatchArrival(b->bytes.data(), max_arrival_assigned_);
      } else {
        max_arrival_assigned_ = arrival_ms;
      }
      format::SealBatch(b->bytes.data(), size, next_offset_, acked_end_.load());
      format::HeaderCheck c = format::ParseHeader(b->bytes.data(), &b->header);
      SPATE_ASSERT(c == format::HeaderCheck::kOk, "freshly encoded batch header must parse");
      b->header.epoch = options.epoch;
      b->generation = generation_;
      s = writer_->Enqueue(b);
      if (s.ok()) {
        next_offset_ += records.size();
        ++inflight_;
        epoch_ = std::max(epoch_, options.epoch);
      }
    }
  }
  if (!s.ok()) {
    AppendCallback cb = std::move(b->done);
    b.reset();
    cb(std::move(s));
  }
}

// ---------------------------------------------------------------------------
// Replication: follower appends, fencing epochs, truncation.

int64_t ShardLogImpl::Epoch() const {
  std::lock_guard<std::mutex> l(mu_);
  return epoch_;
}

Status ShardLogImpl::RaiseEpoch(int64_t epoch) {
  std::lock_guard<std::mutex> e(epoch_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (epoch < epoch_) {
      return Status(ErrorCode::kConcurrentModification, "shard log " + name_ + ": fencing epoch " +
                                                            std::to_string(epoch) + " is below the shard's " +
                                                            std::to_string(epoch_) + " (a newer leader exists)");
    }
  }
  if (epoch > durable_epoch_) {
    char buf[format::kEpochFileSize];
    format::PutFixed32(buf, format::kEpochFileMagic);
    format::PutFixed32(buf + 4, format::kEpochFileVersion);
    format::PutFixed64(buf + 8, static_cast<uint64_t>(epoch));
    format::PutFixed32(buf + 16, util::Extend(0, buf, 16));
    SPATE_TRY(WriteFileDurably(fs_, dir_, dir_ + "/" + std::string(format::kEpochFileName),
                               std::string_view(buf, sizeof buf)));
    durable_epoch_ = epoch;
  }
  std::lock_guard<std::mutex> l(mu_);
  epoch_ = std::max(epoch_, epoch);
  return Status::Ok();
}

Result<int64_t> ShardLogImpl::RecoverEpoch(const std::vector<std::shared_ptr<Segment>>& segs) {
  int64_t epoch = 0;
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    const Segment& seg = **it;
    if (seg.empty()) continue;
    BatchScanner scanner(seg.file(), seg.last_batch_pos(), seg.acked_end_pos());
    format::BatchHeader h;
    const char* p = nullptr;
    SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
    if (o != BatchScanner::Outcome::kBatch) {
      return Corruption(Describe(seg) + ": the last batch, at position " + PosString(seg.last_batch_pos()) +
                        ", is unreadable");
    }
    epoch = h.epoch;
    break;
  }
  const std::string path = dir_ + "/" + std::string(format::kEpochFileName);
  if (fs_->Exists(path)) {
    SPATE_ASSIGN_OR_RETURN(std::string data, util::ReadFileToString(fs_, path));
    if (data.size() != format::kEpochFileSize || format::GetFixed32(data.data()) != format::kEpochFileMagic ||
        format::GetFixed32(data.data() + 4) != format::kEpochFileVersion ||
        format::GetFixed32(data.data() + 16) != util::Extend(0, data.data(), 16)) {
      return Corruption("shard log " + name_ + ": epoch file " + path + " is invalid");
    }
    int64_t fenced = static_cast<int64_t>(format::GetFixed64(data.data() + 8));
    std::lock_guard<std::mutex> e(epoch_mu_);
    durable_epoch_ = fenced;
    epoch = std::max(epoch, fenced);
  }
  return epoch;
}

void ShardLogImpl::AppendReplicated(std::string_view batch, int64_t leader_epoch, AppendCallback done) {
  format::BatchHeader h;
  if (batch.size() < format::kBatchHeaderSize || format::ParseHeader(batch.data(), &h) != format::HeaderCheck::kOk ||
      h.length != batch.size()) {
    done(Corruption("shard log " + name_ + ": replicated batch of " + std::to_string(batch.size()) +
                    " bytes does not parse"));
    return;
  }
  if (Status v = format::VerifyBatch(batch.data(), h); !v.ok()) {
    done(Corruption("shard log " + name_ + ": replicated " + v.message()));
    return;
  }
  h.epoch = format::BatchEpoch(batch.data(), h);
  if (h.epoch > leader_epoch) {
    done(Corruption("shard log " + name_ + ": replicated batch stamped with epoch " + std::to_string(h.epoch) +
                    " above its sender's " + std::to_string(leader_epoch)));
    return;
  }
  bool raise;
  {
    std::lock_guard<std::mutex> l(mu_);
    raise = leader_epoch > epoch_;
  }
  if (raise) {
    // Durable before the first batch of the new leadership: a restarted
    // follower keeps refusing the older leader.
    if (Status s = RaiseEpoch(leader_epoch); !s.ok()) {
      done(std::move(s));
      return;
    }
  }
  auto b = std::make_unique<PendingBatch>();
  b->bytes.assign(batch.data(), batch.size());
  b->header = h;
  b->done = std::move(done);
  b->log = shared_from_this();
  b->admit_ns = options_.clock->MonotonicNs();
  Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) {
      s = failed_;
    } else if (closed_) {
      s = Unavailable("shard log " + name_ + " is closed");
    } else if (!fenced_.ok()) {
      s = fenced_;
    } else if (truncating_) {
      s = Unavailable("shard log " + name_ + " is being truncated");
    } else if (leader_epoch < epoch_) {
      s = Status(ErrorCode::kConcurrentModification, "shard log " + name_ + ": replicated batch from epoch " +
                                                         std::to_string(leader_epoch) +
                                                         " refused, the shard has seen " + std::to_string(epoch_));
    } else if (h.base_offset != next_offset_) {
      s = InvalidArgument("shard log " + name_ + ": replicated batch at offset " +
                          std::to_string(h.base_offset.value()) + " does not continue the log, which ends at " +
                          std::to_string(next_offset_.value()));
    } else {
      max_arrival_assigned_ = std::max({max_arrival_assigned_, h.first_arrival_ms, h.last_arrival_ms});
      b->generation = generation_;
      s = writer_->Enqueue(b);
      if (s.ok()) {
        next_offset_ += h.record_count;
        ++inflight_;
      }
    }
  }
  if (!s.ok()) {
    AppendCallback cb = std::move(b->done);
    b.reset();
    cb(std::move(s));
  }
}

Status ShardLogImpl::TruncateTo(Offset end, int64_t epoch) {
  if (Status f = failure(); !f.ok()) return f;
  SPATE_TRY(RaiseEpoch(epoch));
  {
    std::unique_lock<std::mutex> l(mu_);
    if (closed_) return Unavailable("shard log " + name_ + " is closed");
    if (truncating_) return Unavailable("shard log " + name_ + " is already being truncated");
    truncating_ = true;
    idle_cv_.wait(l, [&] { return inflight_ == 0; });
  }
  Status result;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!fenced_.ok()) {
      result = fenced_;
    } else if (end < start_offset_.load() || end > acked_end_.load()) {
      result = InvalidArgument("shard log " + name_ + ": cannot truncate to offset " + std::to_string(end.value()) +
                               ", outside [" + std::to_string(start_offset_.load().value()) + ", " +
                               std::to_string(acked_end_.load().value()) + "]");
    }
  }
  if (result.ok() && end < acked_end_.load()) {
    // No journal record of the cut batches may be replayed into the files
    // after a crash: retire the journal (its segments are synced first).
    writer_->RetireJournal();
    std::lock_guard<std::mutex> cp(checkpoint_mu_);
    std::lock_guard<std::mutex> io(io_mu_);
    truncations_.fetch_add(1);  // odd: cutting
    result = CutFiles(end);
    truncations_.fetch_add(1);
  }
  std::lock_guard<std::mutex> l(mu_);
  truncating_ = false;
  return result;
}

Status ShardLogImpl::CutFiles(Offset end) {
  std::vector<std::shared_ptr<Segment>> segs;
  {
    std::lock_guard<std::mutex> l(mu_);
    segs = segments_;
  }
  // The segment that will hold `end`: the last one starting at or before it.
  size_t keep = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i]->base_offset() <= end) keep = i;
  }
  Segment& target = *segs[keep];
  FilePos cut{0};
  if (end == target.end_offset()) {
    cut = target.acked_end_pos();
  } else if (end != target.base_offset()) {
    BatchScanner scanner(target.file(), target.SeekOffset(end), target.acked_end_pos());
    for (;;) {
      format::BatchHeader h;
      const char* p = nullptr;
      SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
      if (o != BatchScanner::Outcome::kBatch || h.base_offset > end) {
        return InvalidArgument("shard log " + name_ + ": offset " + std::to_string(end.value()) +
                               " is not a batch boundary");
      }
      if (h.base_offset == end) {
        cut = scanner.pos();
        break;
      }
      scanner.Advance(h.length);
    }
  }
  // A checkpoint is evidence of acknowledged data: it goes first, or the
  // shorter file would read as damage at the next open.
  const std::string checkpoint = dir_ + "/" + std::string(format::kCheckpointFileName);
  if (fs_->Exists(checkpoint)) {
    SPATE_TRY(fs_->Unlink(checkpoint));
    SPATE_TRY(fs_->SyncDir(dir_));
  }
  // Later segments newest first, each unlink durable before the next, so a
  // crash never leaves a gap between segments.
  for (size_t i = segs.size(); i-- > keep + 1;) {
    Status s = fs_->Unlink(segs[i]->index_path());
    if (!s.ok() && s.code() != ErrorCode::kNotFound) return s;
    SPATE_TRY(fs_->Unlink(segs[i]->path()));
    SPATE_TRY(fs_->SyncDir(dir_));
  }
  if (target.sealed) {
    Status s = fs_->Unlink(target.index_path());
    if (!s.ok() && s.code() != ErrorCode::kNotFound) return s;
  }
  {
    // The target may be a sealed (read-only) segment: cut it through a
    // writable handle, which recovery below reopens as the active one.
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f, fs_->OpenFile(target.path(), util::OpenMode::kReadWrite));
    SPATE_TRY(f->Truncate(cut.value));
    SPATE_TRY(f->Sync());
  }
  SPATE_TRY(fs_->SyncDir(dir_));
  {
    std::lock_guard<std::mutex> l(mu_);
    checkpoint_base_ = Offset();
    checkpoint_pos_ = FilePos{};
  }
  // Rebuild the in-memory state from the files, as at open.
  Status s = Recover();
  if (!s.ok()) {
    SPATE_LOG_ERROR("storage: shard log " + name_ + ": recovery after truncation failed: " + s.message());
    std::lock_guard<std::mutex> l(mu_);
    if (failed_.ok()) failed_ = s.code() == ErrorCode::kCorruption ? s : Corruption(s.message());
  }
  return s;
}

void ShardLogImpl::Close() {
  {
    std::unique_lock<std::mutex> l(mu_);
    closed_ = true;
    idle_cv_.wait(l, [&] { return inflight_ == 0; });
  }
  // Wait for a checkpoint being written, so the caller may delete the files.
  std::lock_guard<std::mutex> cp(checkpoint_mu_);
  // Give back the reserved tail of the active segment: a closed log costs
  // the disk its records take (the next open reserves again on the first
  // append; a crash before this is harmless, the scan stops at the zeros).
  std::lock_guard<std::mutex> io(io_mu_);
  std::shared_ptr<Segment> active;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok() || !fenced_.ok() || segments_.empty()) return;
    active = segments_.back();
  }
  if (active->sealed || active->claimed() || active->allocated_bytes <= active->written_end.value) return;
  Status s = active->file()->Truncate(active->written_end.value);
  if (s.ok()) s = active->file()->Sync();
  if (s.ok()) {
    active->allocated_bytes = active->written_end.value;
    active->ready_end = std::min(active->ready_end, active->written_end.value);
  } else {
    SPATE_LOG_INFO("storage: " + Describe(*active) + ": cannot give back the reserved tail: " + s.message());
  }
}

Status ShardLogImpl::WriteCheckpoint() {
  std::lock_guard<std::mutex> cp(checkpoint_mu_);
  std::string bytes;
  Offset base;
  FilePos pos;
  {
    std::lock_guard<std::mutex> l(mu_);
    checkpoint_scheduled_ = false;
    if (!failed_.ok() || closed_) return Status::Ok();
    const std::shared_ptr<Segment>& active = segments_.back();
    if (active->empty()) return Status::Ok();
    base = active->base_offset();
    pos = active->acked_end_pos();
    if (base == checkpoint_base_ && pos == checkpoint_pos_) return Status::Ok();  // up to date
    bytes = active->EncodeState(format::kCheckpointMagic, format::kCheckpointVersion);
  }
  SPATE_TRY(WriteFileDurably(fs_, dir_, dir_ + "/" + std::string(format::kCheckpointFileName), bytes));
  std::lock_guard<std::mutex> l(mu_);
  checkpoint_base_ = base;
  checkpoint_pos_ = pos;
  return Status::Ok();
}

void ShardLogImpl::BatchFinished() {
  std::lock_guard<std::mutex> l(mu_);
  if (--inflight_ == 0) idle_cv_.notify_all();
}

// ---------------------------------------------------------------------------
// Writer thread.

void ShardLogImpl::FenceAfterSyncError(const Status& cause) {
  std::lock_guard<std::mutex> l(mu_);
  Fence(cause);
}

void ShardLogImpl::Fence(const Status& cause) {
  if (!fenced_.ok()) return;
  fenced_ = Unavailable("shard log " + name_ + " is fenced after an I/O error (" + cause.message() +
                        "); appends fail until restart, acknowledged data stays readable");
  needs_trim_ = true;
  SPATE_LOG_ERROR("storage: " + fenced_.message());
}

void ShardLogImpl::Rewind(PendingBatch* failed, const Status& error) {
  std::lock_guard<std::mutex> l(mu_);
  if (failed->segment != nullptr) failed->segment->written_end = failed->pos;
  next_offset_ = failed->header.base_offset;
  ++generation_;
  SPATE_LOG_WARN("storage: shard log " + name_ + ": append failed, disk full (" + error.message() +
                 "); rewound to offset " + std::to_string(next_offset_.value()));
}

// Writes `chunk` (batches placed back to back in `seg`) with one pwritev.
// Returns false if some batch failed; the failed batch and the rest of the
// chunk are marked, the log rewound (disk full) or fenced (other errors).
bool ShardLogImpl::FlushChunk(const std::shared_ptr<Segment>& seg, std::vector<PendingBatch*>& chunk) {
  if (chunk.empty()) return true;
  std::vector<std::string_view> slices;
  slices.reserve(chunk.size());
  for (PendingBatch* b : chunk) slices.emplace_back(b->bytes);
  size_t written = 0;
  Status s = seg->file()->WriteAt(chunk.front()->pos.value, slices, &written);
  uint64_t done_end = chunk.front()->pos.value + written;
  bool ok = true;
  for (PendingBatch* b : chunk) {
    if (ok && b->pos.value + b->bytes.size() <= done_end) {
      b->written = true;
      continue;
    }
    if (ok) {
      ok = false;
      if (util::IsNoSpace(s)) {
        Rewind(b, s);
      } else {
        std::lock_guard<std::mutex> l(mu_);
        Fence(s);
      }
    }
    b->error = Unavailable("append to shard log " + name_ + " failed: " + s.message());
  }
  chunk.clear();
  return ok;
}

uint64_t ShardLogImpl::AllocationTarget(uint64_t need, uint64_t allocated) const {
  // The step grows with the segment, from kMinReserveStep doubling up to
  // preallocate_bytes: a shard that holds a few records reserves tens of
  // KiB, a busy one changes file metadata once per preallocate_bytes.
  constexpr uint64_t kMinReserveStep = 64u << 10;
  uint64_t step = std::min<uint64_t>(options_.preallocate_bytes, std::max(allocated, kMinReserveStep));
  step = std::max<uint64_t>(step, format::kBatchHeaderSize);
  uint64_t target = (need / step + 1) * step;
  return std::max(need, std::min(target, options_.segment_bytes));
}

Status ShardLogImpl::EnsureAllocated(Segment& seg, uint64_t need) {
  if (need <= seg.allocated_bytes) return Status::Ok();
  uint64_t target = AllocationTarget(need, seg.allocated_bytes);
  SPATE_TRY(seg.file()->Allocate(target));
  seg.allocated_bytes = target;
  return Status::Ok();
}

void ShardLogImpl::WaitForClaim(std::unique_lock<std::mutex>& io, const Segment& seg, uint64_t end) {
  claim_cv_.wait(io, [&] { return !seg.claimed() || seg.claim_begin >= end; });
}

void ShardLogImpl::NoteRound(Segment& active) {
  if (active.sealed) return;
  // A verdict every 64 rounds: quick for small writers (well under a
  // second), while a bulk writer's 64 rounds span many MiB.
  constexpr uint32_t kSampleRounds = 64;
  uint64_t pos = active.written_end.value;
  if (pos < active.sample_pos) active.sample_pos = pos;  // rewound after disk full
  if (++active.sample_rounds >= kSampleRounds) {
    active.small_writes = (pos - active.sample_pos) / active.sample_rounds < options_.small_write_round_bytes;
    active.sample_pos = pos;
    active.sample_rounds = 0;
  }
  // Ask again once half of the ready space ahead is used up.
  if (!active.small_writes || prepare_scheduled_ || active.claimed() ||
      active.ready_end >= std::min(pos + options_.ready_ahead_bytes / 2, options_.segment_bytes)) {
    return;
  }
  prepare_scheduled_ = true;
  checkpointer_->Schedule(weak_from_this(), Checkpointer::Job::kPrepareSpace);
}

void ShardLogImpl::PrepareSpace() {
  std::lock_guard<std::mutex> job(checkpoint_mu_);
  std::shared_ptr<Segment> seg;
  uint64_t begin = 0, end = 0;
  {
    std::lock_guard<std::mutex> io(io_mu_);
    prepare_scheduled_ = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!failed_.ok() || !fenced_.ok() || closed_) return;
      seg = segments_.back();
    }
    if (seg->sealed || seg->claimed()) return;
    // Leave a margin before the write position so the writer, which keeps
    // going meanwhile, rarely reaches the claim; 4 KiB aligned so the zeros
    // and the writer's bytes never share a page being written.
    constexpr uint64_t kPage = 4096;
    const uint64_t margin = std::min<uint64_t>(256u << 10, options_.segment_bytes / 16);
    begin = std::max(seg->ready_end, seg->written_end.value + margin);
    begin = (begin + kPage - 1) / kPage * kPage;
    end = std::min(begin + options_.ready_ahead_bytes, options_.segment_bytes);
    if (end <= begin) return;
    seg->claim_begin = begin;
    seg->claim_end = end;
  }
  // The writer never writes into [begin, end) nor truncates the file while
  // the claim stands, so these writes race with nothing.
  Status s = seg->file()->Allocate(end);
  if (s.ok()) s = util::WriteZeros(*seg->file(), begin, end);
  {
    std::lock_guard<std::mutex> io(io_mu_);
    seg->claim_begin = seg->claim_end = 0;
    if (s.ok()) {
      seg->ready_end = end;
      seg->allocated_bytes = std::max(seg->allocated_bytes, end);
    }
  }
  claim_cv_.notify_all();
  if (s.ok()) writer_->CountZeroFilled(end - begin);
  if (!s.ok())
    SPATE_LOG_INFO("storage: " + Describe(*seg) + ": cannot zero-fill ahead (appends go on): " + s.message());
}

// Rolls the active segment so `b` starts a new one. Disk full while
// creating the new file is not fatal (*fatal = false); an error making the
// old segment durable is.
Status ShardLogImpl::RollFor(PendingBatch* b, bool* fatal) {
  std::shared_ptr<Segment> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    old = segments_.back();
  }
  // The old segment's data must be durable before the new file exists:
  // a durable segment named N claims that every offset below N is durable
  // (recovery treats every non-last segment as complete).
  *fatal = true;
  SPATE_TRY(old->file()->DataSync());
  Result<std::shared_ptr<Segment>> fresh = CreateSegment(b->header.base_offset);
  if (!fresh.ok()) {
    *fatal = !util::IsNoSpace(fresh.status());
    return fresh.status();
  }
  // Give back the pre-allocated tail (a crash before this is harmless: the
  // scan stops at the zeros).
  Status s = old->file()->Truncate(old->written_end.value);
  if (s.ok()) s = old->file()->Sync();
  if (!s.ok()) {
    fs_->Unlink((*fresh)->path()).IgnoreError();
    return s;
  }
  old->sealed = true;
  old->index_pending = true;
  std::lock_guard<std::mutex> l(mu_);
  segments_.push_back(std::move(*fresh));
  return Status::Ok();
}

void ShardLogImpl::WriteBatches(const std::vector<PendingBatch*>& batches) {
  std::unique_lock<std::mutex> io(io_mu_);
  std::vector<PendingBatch*> chunk;
  std::shared_ptr<Segment> chunk_seg;
  size_t i = 0;
  auto fail_from = [&](size_t from, const Status& s) {
    for (size_t j = from; j < batches.size(); ++j) {
      if (batches[j]->error.ok() && !batches[j]->written) batches[j]->error = s;
    }
  };
  for (; i < batches.size(); ++i) {
    PendingBatch* b = batches[i];
    std::shared_ptr<Segment> active;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!fenced_.ok()) break;
      if (b->generation != generation_) {
        b->error = Unavailable("append to shard log " + name_ + " failed: an earlier append failed (disk full)");
        continue;
      }
      active = segments_.back();
    }
    uint64_t size = b->bytes.size();
    if (active->written_end.value > 0 && active->written_end.value + size > options_.segment_bytes) {
      if (!FlushChunk(chunk_seg, chunk)) {
        ++i;
        break;
      }
      WaitForClaim(io, *active, UINT64_MAX);  // RollFor truncates it
      bool fatal = false;
      Status s = RollFor(b, &fatal);
      if (!s.ok()) {
        Status err = Unavailable("append to shard log " + name_ + " failed: " + s.message());
        if (fatal) {
          std::lock_guard<std::mutex> l(mu_);
          Fence(s);
        } else {
          Rewind(b, s);
        }
        fail_from(i, err);
        break;
      }
      std::lock_guard<std::mutex> l(mu_);
      active = segments_.back();
    }
    if (active->written_end.value + size > active->allocated_bytes) {
      // Reserve more of the file before writing past what is reserved; the
      // batches gathered so far go out first so a failure cuts cleanly.
      if (!FlushChunk(chunk_seg, chunk)) break;  // later batches are failed below
      Status s = EnsureAllocated(*active, active->written_end.value + size);
      if (!s.ok()) {
        if (util::IsNoSpace(s)) {
          Rewind(b, s);
        } else {
          std::lock_guard<std::mutex> l(mu_);
          Fence(s);
        }
        fail_from(i, Unavailable("append to shard log " + name_ + " failed: " + s.message()));
        break;
      }
    }
    if (active->claimed() && active->written_end.value + size > active->claim_begin) {
      // Catching up with a zero-fill in progress: the zeros must land first.
      if (!FlushChunk(chunk_seg, chunk)) break;
      WaitForClaim(io, *active, active->written_end.value + size);
    }
    if (chunk_seg != active) {
      SPATE_ASSERT(chunk.empty(), "a chunk never spans segments");
      chunk_seg = active;
    }
    b->segment = active;
    b->pos = active->written_end;
    active->written_end.value += size;
    chunk.push_back(b);
  }
  FlushChunk(chunk_seg, chunk);  // on failure the failed batches are marked
  if (ZeroFillAhead()) {
    std::shared_ptr<Segment> active;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (fenced_.ok() && !closed_) active = segments_.back();
    }
    if (active != nullptr) NoteRound(*active);
  }
  // Batches after a failure cannot keep their offsets: fail them too.
  Status rest;
  {
    std::lock_guard<std::mutex> l(mu_);
    rest = fenced_.ok() ? Unavailable("append to shard log " + name_ + " failed: an earlier append failed") : fenced_;
  }
  for (PendingBatch* b : batches) {
    if (!b->written && b->error.ok()) b->error = rest;
  }
}

void ShardLogImpl::Publish(const std::vector<PendingBatch*>& batches,
                           const std::function<Status(const PendingBatch&)>& sync_status) {
  std::lock_guard<std::mutex> l(mu_);
  bool failing = !fenced_.ok();  // fenced since the write phase: acknowledge nothing more
  for (PendingBatch* b : batches) {
    if (!b->written) continue;  // failed in the write phase
    Status s = failing ? fenced_ : sync_status(*b);
    if (!failing && s.ok()) {
      b->segment->AddBatch(b->pos, b->header);
      acked_end_.store(b->header.base_offset + b->header.record_count);
      last_arrival_ms_.store(b->header.last_arrival_ms);
      continue;
    }
    if (!failing) {
      Fence(s);  // never retry an fsync and then acknowledge
      failing = true;
    }
    b->error = fenced_;
  }
  const Segment& active = *segments_.back();
  uint64_t since =
      active.acked_end_pos().value -
      (checkpoint_base_ == active.base_offset() ? std::min(checkpoint_pos_, active.acked_end_pos()).value : 0);
  if (options_.checkpoint_interval_bytes > 0 && since >= options_.checkpoint_interval_bytes && !checkpoint_scheduled_) {
    checkpoint_scheduled_ = true;
    checkpointer_->Schedule(weak_from_this(), Checkpointer::Job::kCheckpoint);
  }
}

void ShardLogImpl::AfterRound() {
  std::unique_lock<std::mutex> io(io_mu_);
  std::vector<std::pair<std::shared_ptr<Segment>, std::string>> indexes;
  std::vector<std::shared_ptr<Segment>> trim;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& seg : segments_) {
      if (seg->index_pending && seg->acked_end_pos() == seg->written_end) {
        indexes.emplace_back(seg, seg->EncodeIndex());
      }
      if (needs_trim_ && seg->written_end > seg->acked_end_pos()) trim.push_back(seg);
    }
    needs_trim_ = false;
  }
  for (auto& [seg, bytes] : indexes) {
    seg->index_pending = false;
    Status s = util::WriteFileAtomically(fs_, seg->index_path(), bytes);
    if (!s.ok()) SPATE_LOG_WARN("storage: " + Describe(*seg) + ": cannot write index cache: " + s.message());
  }
  for (const auto& seg : trim) {
    // Best effort: keep failed batches from resurfacing after a restart.
    WaitForClaim(io, *seg, UINT64_MAX);
    FilePos acked;
    {
      std::lock_guard<std::mutex> l(mu_);
      acked = seg->acked_end_pos();
    }
    Status s = seg->file()->Truncate(acked.value);
    if (s.ok()) s = seg->file()->Sync();
    seg->written_end = acked;
    if (!s.ok()) {
      SPATE_LOG_ERROR("storage: " + Describe(*seg) + ": cannot trim unacknowledged bytes after position " +
                      PosString(acked) + ": " + s.message());
    }
  }
}

// ---------------------------------------------------------------------------
// Reads (any thread).

Offset ShardLogImpl::StartOffset() const { return start_offset_.load(); }
Offset ShardLogImpl::EndOffset() const { return acked_end_.load(); }

Offset ShardLogImpl::AssignedEndOffset() const {
  std::lock_guard<std::mutex> l(mu_);
  return next_offset_;
}
int64_t ShardLogImpl::LastArrivalMs() const { return last_arrival_ms_.load(); }

Status ShardLogImpl::ReadRange(const Segment& seg, FilePos from_pos, FilePos to_pos, Offset from,
                               const ReadLimits& limits, size_t* bytes, ReadView* out, bool* full) const {
  BatchChunkReader reader(seg.file(), from_pos, to_pos, &out->chunks);
  // Framing beyond the record bytes a chunk is expected to hold (headers,
  // varints); only sizes the read-ahead.
  constexpr size_t kFramingSlack = 64u << 10;
  for (;;) {
    format::BatchHeader h;
    const char* p = nullptr;
    const size_t budget = limits.max_bytes > *bytes ? limits.max_bytes - *bytes : 0;
    SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, reader.Next(&h, &p, budget + kFramingSlack));
    if (o == BatchScanner::Outcome::kEnd && reader.pos() >= to_pos) return Status::Ok();
    if (o != BatchScanner::Outcome::kBatch) {
      return Corruption(Describe(seg) + ": invalid batch header at position " + PosString(reader.pos()) +
                        " inside acknowledged data");
    }
    Status v = format::VerifyBatch(p, h);
    if (!v.ok()) return Corruption(Describe(seg) + " position " + PosString(reader.pos()) + ": " + v.message());
    if (h.base_offset + h.record_count > from) {
      // An encrypted batch's plaintext goes where the views can point into
      // it; a plaintext batch is read in place (its scratch stays unused).
      const bool encrypted = (h.flags & format::kFlagEncrypted) != 0;
      std::string unused;
      std::string* plain = &unused;
      if (encrypted) plain = out->decrypted.emplace_back(std::make_unique<std::string>()).get();
      Result<std::string_view> records = format::BatchRecords(p, h, options_.key_store, plain);
      if (!records.ok()) {
        Status e = records.status();
        return Status(e.code(), Describe(seg) + " position " + PosString(reader.pos()) + ": " + e.message());
      }
      format::ForEachRecord(*records, h, [&](Offset off, std::string_view key, std::string_view data) {
        if (off < from) return true;
        if (!limits.control_records && IsControlRecord(key)) {
          out->next_offset = off + 1;
          return true;
        }
        size_t size = key.size() + data.size();
        if (!out->records.empty() && (out->records.size() >= limits.max_records || *bytes + size > limits.max_bytes)) {
          *full = true;
          return false;
        }
        out->records.push_back(RecordView{off, h.last_arrival_ms, key, data, encrypted});
        out->next_offset = off + 1;
        *bytes += size;
        return true;
      });
      if (*full || out->records.size() >= limits.max_records) {
        *full = true;
        return Status::Ok();
      }
    }
    reader.Advance(h.length);
  }
}

Status ShardLogImpl::ReportReadCorruption(Status s) const {
  if (s.code() != ErrorCode::kCorruption) return s;
  std::lock_guard<std::mutex> l(mu_);
  if (failed_.ok()) {
    failed_ = s;
    SPATE_LOG_ERROR("storage: shard log " + name_ + " is corrupt and will not be served: " + s.message());
  }
  return s;
}

Result<ReadResult> ShardLogImpl::Read(Offset from, const ReadLimits& limits) const {
  SPATE_ASSIGN_OR_RETURN(ReadView view, ReadViews(from, limits));
  ReadResult out;
  out.next_offset = view.next_offset;
  out.records.reserve(view.records.size());
  for (const RecordView& r : view.records) {
    out.records.push_back(
        StoredRecord{r.offset, r.arrival_ms, std::string(r.partition_key), std::string(r.data), r.encrypted});
  }
  return out;
}

std::vector<ShardLogImpl::SegmentRange> ShardLogImpl::RangesFrom(Offset from) const {
  std::vector<SegmentRange> ranges;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                             [](Offset o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
  SPATE_ASSERT(it != segments_.begin(), "from >= the first segment's base");
  for (--it; it != segments_.end(); ++it) {
    const auto& seg = *it;
    if (seg->empty()) continue;
    FilePos start = ranges.empty() ? seg->SeekOffset(from) : FilePos{0};
    ranges.push_back(SegmentRange{seg, start, seg->acked_end_pos(), truncations_.load()});
  }
  return ranges;
}

Status ShardLogImpl::ScanBatches(
    const SegmentRange& range, bool verify,
    const std::function<Result<Scan>(const format::BatchHeader&, const char*)>& visit) const {
  BatchScanner scanner(range.seg->file(), range.from, range.to);
  for (;;) {
    format::BatchHeader h;
    const char* p = nullptr;
    SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(&h, &p));
    if (o == BatchScanner::Outcome::kEnd && scanner.pos() >= range.to) return Status::Ok();
    if (o != BatchScanner::Outcome::kBatch) {
      // The range was taken before or during a truncation: its bytes may be
      // gone. The end of what can be read now, not damage.
      if ((range.truncations & 1) != 0 || truncations_.load() != range.truncations) return Status::Ok();
      return ReportReadCorruption(Corruption(Describe(*range.seg) + ": invalid batch at position " +
                                             PosString(scanner.pos()) + " inside acknowledged data"));
    }
    if (verify) {
      Status v = format::VerifyBatch(p, h);
      if (!v.ok()) {
        return ReportReadCorruption(
            Corruption(Describe(*range.seg) + " position " + PosString(scanner.pos()) + ": " + v.message()));
      }
    }
    SPATE_ASSIGN_OR_RETURN(Scan next, visit(h, p));
    if (next == Scan::kStop) return Status::Ok();
    scanner.Advance(h.length);
  }
}

Result<ReadView> ShardLogImpl::ReadViews(Offset from, const ReadLimits& limits) const {
  std::vector<SegmentRange> ranges;
  ReadView out;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) return failed_;
    from = std::max(from, segments_.front()->base_offset());
    out.next_offset = from;
    if (from >= acked_end_.load()) return out;
    ranges = RangesFrom(from);
  }
  size_t bytes = 0;
  bool full = false;
  for (const SegmentRange& r : ranges) {
    Status s = ReadRange(*r.seg, r.from, r.to, from, limits, &bytes, &out, &full);
    if (!s.ok()) return ReportReadCorruption(std::move(s));
    if (full) break;
  }
  return out;
}

Result<std::vector<std::string>> ShardLogImpl::ReadBatches(Offset from, size_t max_bytes) const {
  std::vector<SegmentRange> ranges;
  std::vector<std::string> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) return failed_;
    if (from < segments_.front()->base_offset() || from > acked_end_.load()) {
      return InvalidArgument("shard log " + name_ + ": offset " + std::to_string(from.value()) + " is not retained");
    }
    if (from == acked_end_.load()) return out;
    ranges = RangesFrom(from);
  }
  size_t bytes = 0;
  bool found = false;
  bool full = false;
  for (const SegmentRange& r : ranges) {
    // Batches are verified only once they are taken: the scan up to `from`
    // reads headers alone.
    SPATE_TRY(ScanBatches(r, /*verify=*/false, [&](const format::BatchHeader& h, const char* p) -> Result<Scan> {
      if (!found) {
        if (h.base_offset < from) return Scan::kNext;
        if (h.base_offset != from) {
          return InvalidArgument("shard log " + name_ + ": offset " + std::to_string(from.value()) +
                                 " is not a batch boundary");
        }
        found = true;
      }
      if (!out.empty() && bytes + h.length > max_bytes) {
        full = true;
        return Scan::kStop;
      }
      Status v = format::VerifyBatch(p, h);
      if (!v.ok()) return ReportReadCorruption(Corruption(Describe(*r.seg) + ": " + v.message()));
      out.emplace_back(p, h.length);
      bytes += h.length;
      return Scan::kNext;
    }));
    if (full) break;
  }
  return out;
}

Result<BatchInfo> ShardLogImpl::BatchAt(Offset offset) const {
  auto missing = [&] {
    return NotFound("shard log " + name_ + ": offset " + std::to_string(offset.value()) + " is not retained");
  };
  SegmentRange range;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) return failed_;
    for (const auto& s : segments_) {
      if (!s->empty() && s->base_offset() <= offset && offset < s->end_offset()) range.seg = s;
    }
    if (range.seg != nullptr) {
      range.from = range.seg->SeekOffset(offset);
      range.to = range.seg->acked_end_pos();
      range.truncations = truncations_.load();
    }
  }
  if (range.seg == nullptr || offset < start_offset_.load()) return missing();
  std::optional<BatchInfo> found;
  SPATE_TRY(ScanBatches(range, /*verify=*/false, [&](const format::BatchHeader& h, const char*) -> Result<Scan> {
    if (h.base_offset > offset) return Scan::kStop;
    if (offset < h.base_offset + h.record_count) {
      found = BatchInfo{h.base_offset, h.base_offset + h.record_count, h.epoch};
      return Scan::kStop;
    }
    return Scan::kNext;
  }));
  if (!found) return missing();
  return *found;
}

Result<Offset> ShardLogImpl::OffsetForTime(int64_t ms) const {
  SegmentRange range;
  Offset end;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failed_.ok()) return failed_;
    end = acked_end_.load();
    for (const auto& s : segments_) {
      if (!s->empty() && s->max_arrival_ms() >= ms) {
        range.seg = s;
        break;
      }
    }
    if (range.seg == nullptr) return end;
    range.from = range.seg->SeekTime(ms);
    range.to = range.seg->acked_end_pos();
    range.truncations = truncations_.load();
  }
  std::optional<Offset> found;
  SPATE_TRY(ScanBatches(range, /*verify=*/true, [&](const format::BatchHeader& h, const char*) -> Result<Scan> {
    if (std::max(h.first_arrival_ms, h.last_arrival_ms) < ms) return Scan::kNext;
    found = h.base_offset;
    return Scan::kStop;
  }));
  // The segment's newest record arrived at or after `ms`: a batch of it did.
  if (!found) {
    return ReportReadCorruption(Corruption(Describe(*range.seg) + ": no batch before its acknowledged end arrived at " +
                                           std::to_string(ms) + " or later, as its index says one did"));
  }
  return *found;
}

// ---------------------------------------------------------------------------
// Retention.

Status ShardLogImpl::DropBefore(int64_t cutoff_ms, Offset keep_from) {
  if (Status f = failure(); !f.ok()) return f;
  std::lock_guard<std::mutex> io(io_mu_);
  size_t expired = 0;
  bool roll = false;
  Offset end;
  {
    std::lock_guard<std::mutex> l(mu_);
    // Only whole, fully acknowledged segments, oldest first.
    while (expired + 1 < segments_.size() && segments_[expired]->max_arrival_ms() < cutoff_ms &&
           segments_[expired]->acked_end_pos() == segments_[expired]->written_end &&
           segments_[expired + 1]->base_offset() <= keep_from) {
      ++expired;
    }
    const auto& active = segments_.back();
    end = acked_end_.load();
    roll = expired + 1 == segments_.size() && !active->empty() && active->max_arrival_ms() < cutoff_ms &&
           next_offset_ == end && end <= keep_from && active->written_end == active->acked_end_pos() && fenced_.ok() &&
           !closed_;
  }
  if (roll) {
    // Everything expired: start an empty segment at the end so the old one
    // can go, leaving StartOffset() == EndOffset().
    SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Segment> fresh, CreateSegment(end));
    std::lock_guard<std::mutex> l(mu_);
    segments_.back()->sealed = true;
    segments_.push_back(std::move(fresh));
    ++expired;
  }
  if (expired == 0) return Status::Ok();
  std::vector<std::shared_ptr<Segment>> doomed;
  {
    std::lock_guard<std::mutex> l(mu_);
    doomed.assign(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(expired));
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(expired));
    start_offset_.store(segments_.front()->base_offset());
  }
  Status result;
  for (const auto& seg : doomed) {
    seg->index_pending = false;
    Status s = fs_->Unlink(seg->path());
    if (!s.ok() && s.code() != ErrorCode::kNotFound && result.ok()) result = s;
    s = fs_->Unlink(seg->index_path());
    if (!s.ok() && s.code() != ErrorCode::kNotFound && result.ok()) result = s;
  }
  Status s = fs_->SyncDir(dir_);
  if (!s.ok() && result.ok()) result = s;
  return result;
}

void ShardLogImpl::AddUsage(LogStoreStats* stats) const {
  std::lock_guard<std::mutex> l(mu_);
  stats->segments += segments_.size();
  for (const auto& seg : segments_) stats->segment_bytes += seg->acked_end_pos().value;
}

}  // namespace spate::storage
