#include "storage/segment.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "util/crc32c.h"

namespace spate::storage {

namespace {
constexpr size_t kScanBufferBytes = 256u << 10;
constexpr size_t kSearchChunkBytes = 1u << 20;
}  // namespace

Segment::Segment(Offset base_offset, std::string path, std::string index_path, std::unique_ptr<util::File> file,
                 uint32_t index_interval_bytes)
    : base_offset_(base_offset),
      path_(std::move(path)),
      index_path_(std::move(index_path)),
      file_(std::move(file)),
      index_interval_bytes_(index_interval_bytes),
      end_offset_(base_offset),
      max_arrival_ms_(INT64_MIN) {}

void Segment::ResetAcked() {
  acked_end_pos_ = FilePos{};
  end_offset_ = base_offset_;
  max_arrival_ms_ = INT64_MIN;
  last_batch_pos_ = FilePos{};
  index_.clear();
}

void Segment::AddBatch(FilePos pos, const format::BatchHeader& h) {
  SPATE_ASSERT(h.base_offset == end_offset_, "segment batches must be contiguous");
  SPATE_ASSERT(pos == acked_end_pos_, "segment batches must be back to back");
  if (index_.empty() || pos.value >= index_.back().pos + uint64_t{index_interval_bytes_}) {
    index_.push_back(IndexEntry{static_cast<uint32_t>(h.base_offset - base_offset_), static_cast<uint32_t>(pos.value),
                                max_arrival_ms_});
  }
  last_batch_pos_ = pos;
  acked_end_pos_.value = pos.value + h.length;
  end_offset_ = h.base_offset + h.record_count;
  max_arrival_ms_ = std::max({max_arrival_ms_, h.first_arrival_ms, h.last_arrival_ms});
}

FilePos Segment::SeekOffset(Offset offset) const {
  SPATE_ASSERT(!index_.empty(), "SeekOffset on an empty segment");
  uint64_t rel = offset < base_offset_ ? 0 : offset - base_offset_;
  auto it = std::upper_bound(index_.begin(), index_.end(), rel,
                             [](uint64_t r, const IndexEntry& e) { return r < e.relative_offset; });
  if (it != index_.begin()) --it;
  return FilePos{it->pos};
}

FilePos Segment::SeekTime(int64_t ms) const {
  if (index_.empty()) return FilePos{0};
  // Entries' max_ms_before never decreases; take the last one still below ms.
  auto it = std::lower_bound(index_.begin(), index_.end(), ms,
                             [](const IndexEntry& e, int64_t t) { return e.max_ms_before < t; });
  if (it != index_.begin()) --it;
  return FilePos{it->pos};
}

std::string Segment::EncodeState(uint32_t magic, uint32_t version) const {
  using namespace format;
  std::string out(kIndexHeaderSize + index_.size() * kIndexEntrySize + 4, '\0');
  char* p = out.data();
  PutFixed32(p + 0, magic);
  PutFixed32(p + 4, version);
  PutFixed64(p + 8, base_offset_.value());
  PutFixed64(p + 16, end_offset_.value());
  PutFixed64(p + 24, acked_end_pos_.value);
  PutFixed64(p + 32, last_batch_pos_.value);
  PutFixed64(p + 40, static_cast<uint64_t>(max_arrival_ms_));
  PutFixed32(p + 48, index_interval_bytes_);
  PutFixed32(p + 52, static_cast<uint32_t>(index_.size()));
  char* e = p + kIndexHeaderSize;
  for (const IndexEntry& entry : index_) {
    PutFixed32(e, entry.relative_offset);
    PutFixed32(e + 4, entry.pos);
    PutFixed64(e + 8, static_cast<uint64_t>(entry.max_ms_before));
    e += kIndexEntrySize;
  }
  PutFixed32(e, util::Extend(0, p, static_cast<size_t>(e - p)));
  return out;
}

bool DecodeSegmentState(std::string_view data, uint32_t magic, uint32_t version, SegmentState* out) {
  using namespace format;
  if (data.size() < kIndexHeaderSize + 4) return false;
  const char* p = data.data();
  uint32_t count = GetFixed32(p + 52);
  if (data.size() != kIndexHeaderSize + uint64_t{count} * kIndexEntrySize + 4) return false;
  size_t crc_pos = data.size() - 4;
  if (GetFixed32(p + crc_pos) != util::Extend(0, p, crc_pos)) return false;
  if (GetFixed32(p) != magic || GetFixed32(p + 4) != version) return false;
  SegmentState st;
  st.base_offset = Offset(GetFixed64(p + 8));
  st.end_offset = Offset(GetFixed64(p + 16));
  st.end_pos = GetFixed64(p + 24);
  st.last_batch_pos = GetFixed64(p + 32);
  st.max_arrival_ms = static_cast<int64_t>(GetFixed64(p + 40));
  st.interval_bytes = GetFixed32(p + 48);
  if (st.end_offset <= st.base_offset || count == 0 || st.last_batch_pos >= st.end_pos) return false;
  st.entries.resize(count);
  const char* e = p + kIndexHeaderSize;
  for (uint32_t i = 0; i < count; ++i, e += kIndexEntrySize) {
    IndexEntry& en = st.entries[i];
    en.relative_offset = GetFixed32(e);
    en.pos = GetFixed32(e + 4);
    en.max_ms_before = static_cast<int64_t>(GetFixed64(e + 8));
    const IndexEntry* prev = i == 0 ? nullptr : &st.entries[i - 1];
    if (prev == nullptr ? (en.pos != 0 || en.relative_offset != 0)
                        : (en.pos <= prev->pos || en.relative_offset <= prev->relative_offset ||
                           en.max_ms_before < prev->max_ms_before)) {
      return false;
    }
    if (en.pos > st.last_batch_pos || st.base_offset + en.relative_offset >= st.end_offset) return false;
  }
  *out = std::move(st);
  return true;
}

bool Segment::Adopt(SegmentState state) {
  if (state.base_offset != base_offset_ || state.interval_bytes != index_interval_bytes_) return false;
  index_ = std::move(state.entries);
  end_offset_ = state.end_offset;
  acked_end_pos_ = FilePos{state.end_pos};
  last_batch_pos_ = FilePos{state.last_batch_pos};
  max_arrival_ms_ = state.max_arrival_ms;
  return true;
}

bool Segment::DecodeIndex(std::string_view data, uint64_t file_size, FilePos* last_batch_pos) {
  SegmentState st;
  if (!DecodeSegmentState(data, format::kIndexMagic, format::kIndexVersion, &st)) return false;
  if (st.end_pos != file_size) return false;
  uint64_t last = st.last_batch_pos;
  if (!Adopt(std::move(st))) return false;
  *last_batch_pos = FilePos{last};
  return true;
}

BatchScanner::BatchScanner(const util::File* file, FilePos pos, FilePos limit)
    : file_(file), pos_(pos), limit_(limit) {}

Result<size_t> BatchScanner::Fill(uint64_t pos, size_t n) {
  if (pos >= buf_pos_ && pos + n <= buf_pos_ + buf_len_) return n;
  uint64_t want = std::max(n, kScanBufferBytes);
  if (pos + want > limit_.value) want = limit_.value > pos ? limit_.value - pos : 0;
  if (buf_.size() < want) buf_.resize(want);
  SPATE_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(pos, want, buf_.data()));
  buf_pos_ = pos;
  buf_len_ = got;
  return std::min(got, n);
}

Result<BatchScanner::Outcome> BatchScanner::Next(format::BatchHeader* h, const char** data) {
  using format::kBatchHeaderSize;
  if (pos_ >= limit_) return Outcome::kEnd;
  SPATE_ASSIGN_OR_RETURN(size_t got, Fill(pos_.value, kBatchHeaderSize));
  if (got == 0) return Outcome::kEnd;
  const char* p = buf_.data() + (pos_.value - buf_pos_);
  if (got < kBatchHeaderSize) {
    // A fragment shorter than a header: zeros are the pre-allocated tail.
    bool all_zero = std::all_of(p, p + got, [](char c) { return c == 0; });
    return all_zero ? Outcome::kEnd : Outcome::kInvalid;
  }
  switch (format::ParseHeader(p, h)) {
    case format::HeaderCheck::kZero: return Outcome::kEnd;
    case format::HeaderCheck::kInvalid: return Outcome::kInvalid;
    case format::HeaderCheck::kOk: break;
  }
  if (pos_.value + h->length > limit_.value) return Outcome::kInvalid;
  SPATE_ASSIGN_OR_RETURN(got, Fill(pos_.value, h->length));
  if (got < h->length) return Outcome::kInvalid;
  *data = buf_.data() + (pos_.value - buf_pos_);
  h->epoch = format::BatchEpoch(*data, *h);
  return Outcome::kBatch;
}

BatchChunkReader::BatchChunkReader(const util::File* file, FilePos pos, FilePos limit,
                                   std::vector<std::unique_ptr<char[]>>* chunks)
    : file_(file), pos_(pos), limit_(limit), chunks_(chunks) {}

Result<size_t> BatchChunkReader::Fill(uint64_t pos, size_t n, size_t hint, const char** p) {
  if (chunk_ != nullptr && pos >= chunk_pos_ && pos + n <= chunk_pos_ + chunk_len_) {
    *p = chunk_ + (pos - chunk_pos_);
    return n;
  }
  uint64_t want = std::max<uint64_t>(n, std::min(next_chunk_bytes_, std::max(hint, kFirstChunkBytes)));
  if (pos + want > limit_.value) want = limit_.value > pos ? limit_.value - pos : 0;
  next_chunk_bytes_ = std::min(next_chunk_bytes_ * 2, kMaxChunkBytes);
  // Not zero-filled: pread overwrites what is used.
  auto chunk = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(want));
  SPATE_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(pos, static_cast<size_t>(want), chunk.get()));
  chunk_ = chunk.get();
  chunk_pos_ = pos;
  chunk_len_ = got;
  chunks_->push_back(std::move(chunk));
  *p = chunk_;
  return std::min(got, n);
}

Result<BatchScanner::Outcome> BatchChunkReader::Next(format::BatchHeader* h, const char** data, size_t hint) {
  using format::kBatchHeaderSize;
  using Outcome = BatchScanner::Outcome;
  if (pos_ >= limit_) return Outcome::kEnd;
  const char* p = nullptr;
  SPATE_ASSIGN_OR_RETURN(size_t got, Fill(pos_.value, kBatchHeaderSize, hint, &p));
  if (got == 0) return Outcome::kEnd;
  if (got < kBatchHeaderSize) {
    // A fragment shorter than a header: zeros are the pre-allocated tail.
    bool all_zero = std::all_of(p, p + got, [](char c) { return c == 0; });
    return all_zero ? Outcome::kEnd : Outcome::kInvalid;
  }
  switch (format::ParseHeader(p, h)) {
    case format::HeaderCheck::kZero: return Outcome::kEnd;
    case format::HeaderCheck::kInvalid: return Outcome::kInvalid;
    case format::HeaderCheck::kOk: break;
  }
  if (pos_.value + h->length > limit_.value) return Outcome::kInvalid;
  SPATE_ASSIGN_OR_RETURN(got, Fill(pos_.value, h->length, hint, &p));
  if (got < h->length) return Outcome::kInvalid;
  *data = p;
  return Outcome::kBatch;
}

Result<bool> FindValidBatchAfter(const util::File* file, FilePos from, FilePos limit, FilePos* found,
                                 format::BatchHeader* h) {
  char magic[4];
  format::PutFixed32(magic, format::kBatchMagic);
  std::string chunk(kSearchChunkBytes + format::kBatchHeaderSize, '\0');
  uint64_t pos = from.value;
  while (pos < limit.value) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), limit.value - pos));
    SPATE_ASSIGN_OR_RETURN(size_t got, file->ReadAt(pos, want, chunk.data()));
    if (got < 4) break;
    std::string_view view(chunk.data(), got);
    for (size_t i = view.find(std::string_view(magic, 4)); i != std::string_view::npos;
         i = view.find(std::string_view(magic, 4), i + 1)) {
      BatchScanner scanner(file, FilePos{pos + i}, limit);
      const char* data = nullptr;
      SPATE_ASSIGN_OR_RETURN(BatchScanner::Outcome o, scanner.Next(h, &data));
      if (o == BatchScanner::Outcome::kBatch && format::VerifyBatch(data, *h).ok()) {
        *found = FilePos{pos + i};
        return true;
      }
    }
    if (got < want) break;
    // Overlap by a header so a magic straddling chunks is seen.
    pos += got > format::kBatchHeaderSize ? got - format::kBatchHeaderSize : got;
  }
  return false;
}

}  // namespace spate::storage
