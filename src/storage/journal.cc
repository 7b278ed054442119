#include "storage/journal.h"

#include <algorithm>
#include <map>

#include "base/log.h"
#include "storage/format.h"
#include "util/crc32c.h"

namespace spate::storage {

namespace {

using format::GetFixed16;
using format::GetFixed32;
using format::GetFixed64;
using format::PutFixed16;
using format::PutFixed32;
using format::PutFixed64;

std::string FileName(int i) { return std::string(format::kJournalFilePrefix) + std::to_string(i); }

std::string EncodeHeader(uint64_t generation) {
  std::string h(format::kJournalHeaderSize, '\0');
  PutFixed32(h.data(), format::kJournalFileMagic);
  PutFixed32(h.data() + 4, format::kJournalVersion);
  PutFixed64(h.data() + 8, generation);
  PutFixed32(h.data() + format::kJournalHeaderCrcPos,
             util::Crc32c(std::string_view(h.data(), format::kJournalHeaderCrcPos)));
  return h;
}

// The generation in a valid header; 0 if the header is not valid.
uint64_t ReadGeneration(const util::File& f) {
  char h[format::kJournalHeaderSize];
  Result<size_t> n = f.ReadAt(0, sizeof h, h);
  if (!n.ok() || *n < sizeof h) return 0;
  if (GetFixed32(h) != format::kJournalFileMagic || GetFixed32(h + 4) != format::kJournalVersion) return 0;
  if (GetFixed32(h + format::kJournalHeaderCrcPos) != util::Crc32c(std::string_view(h, format::kJournalHeaderCrcPos))) {
    return 0;
  }
  return GetFixed64(h + 8);
}

// A path written by this store: relative, no "." or ".." component.
bool SafeRelativePath(std::string_view p) {
  if (p.empty() || p.front() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// Creates `path` as a zero-filled file of `bytes` with a header of
// `generation`, durably.
Status CreateFile(util::FileSystem* fs, const std::string& path, uint64_t bytes, uint64_t generation) {
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f, fs->OpenFile(path, util::OpenMode::kCreate));
  SPATE_TRY(f->Allocate(bytes));
  SPATE_TRY(util::WriteZeros(*f, 0, bytes));
  SPATE_TRY(f->WriteAt(0, EncodeHeader(generation)));
  return f->Sync();
}

}  // namespace

Journal::Journal(util::FileSystem* fs, std::string dir, uint64_t file_bytes)
    : fs_(fs), dir_(std::move(dir)), file_bytes_(file_bytes) {}

Result<std::unique_ptr<Journal>> Journal::Open(util::FileSystem* fs, const std::string& data_dir, uint64_t file_bytes,
                                               uint64_t* replayed) {
  *replayed = 0;
  if (file_bytes < format::kJournalHeaderSize + (1u << 16)) return InvalidArgument("journal files too small");
  std::string dir = data_dir + "/" + std::string(format::kJournalDirName);
  if (!fs->Exists(dir)) {
    SPATE_TRY(fs->CreateDir(dir));
    SPATE_TRY(fs->SyncDir(data_dir));
  }
  std::unique_ptr<Journal> j(new Journal(fs, dir, file_bytes));
  // 1. Replay what the last run left (files of any size).
  SPATE_TRY(j->Replay(data_dir, replayed));
  // 2. Both files present at the configured size (the replayed data is
  //    durable in its segments now, so a file may be recreated).
  bool created = false;
  for (int i = 0; i < 2; ++i) {
    std::string path = dir + "/" + FileName(i);
    Result<uint64_t> size = fs->Exists(path) ? fs->FileSize(path) : Result<uint64_t>(uint64_t{0});
    if (!size.ok() || *size != file_bytes) {
      SPATE_TRY(CreateFile(fs, path, file_bytes, 0));
      created = true;
    }
    SPATE_ASSIGN_OR_RETURN(j->files_[i], fs->OpenFile(path, util::OpenMode::kReadWrite));
  }
  if (created) SPATE_TRY(fs->SyncDir(dir));
  // 3. A new generation, above every one on disk, in the other file.
  uint64_t g0 = ReadGeneration(*j->files_[0]), g1 = ReadGeneration(*j->files_[1]);
  j->current_ = g1 > g0 ? 1 : 0;
  j->generation_ = std::max(g0, g1);
  SPATE_TRY(j->Switch());
  return j;
}

Result<JournalContents> ReadJournal(util::FileSystem* fs, const std::string& journal_dir,
                                    const std::function<Status(const Journal::Entry&)>& visit) {
  JournalContents c;
  std::unique_ptr<util::File> files[2];
  for (int i = 0; i < 2; ++i) {
    std::string path = journal_dir + "/" + FileName(i);
    if (!fs->Exists(path)) continue;
    SPATE_ASSIGN_OR_RETURN(files[i], fs->OpenFile(path, util::OpenMode::kRead));
    uint64_t g = ReadGeneration(*files[i]);
    if (g > c.generation) {
      c.generation = g;
      c.current = i;
    }
  }
  if (c.current < 0) return c;
  // Record by record: a clean start finds zeros right after the header and
  // reads 24 bytes, not the whole file.
  const util::File& file = *files[c.current];
  SPATE_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  uint64_t pos = format::kJournalHeaderSize;
  std::string data;  // the current record
  auto malformed = [&] { return Corruption("journal record at " + std::to_string(pos) + " is malformed"); };
  for (;;) {
    c.end_pos = pos;
    char head[format::kJournalRecordHeaderSize];
    SPATE_ASSIGN_OR_RETURN(size_t got, file.ReadAt(pos, sizeof head, head));
    if (got < sizeof head) {
      c.stop = "end of file";
      break;
    }
    uint32_t length = GetFixed32(head + 4);
    if (GetFixed32(head) != format::kJournalRecordMagic) {
      c.stop = GetFixed32(head) == 0 ? "zeros" : "no record magic";
      break;
    }
    if (length < format::kJournalRecordHeaderSize || length > size - pos) {
      c.stop = "bad record length";
      break;
    }
    data.resize(length);
    SPATE_ASSIGN_OR_RETURN(got, file.ReadAt(pos, length, data.data()));
    if (got < length) {
      c.stop = "end of file";
      break;
    }
    const char* r = data.data();
    if (GetFixed64(r + 16) != c.generation) {
      c.stop = "older record";
      break;
    }
    if (GetFixed32(r + 8) !=
        util::Crc32c(std::string_view(r + format::kJournalRecordCrcFrom, length - format::kJournalRecordCrcFrom))) {
      c.stop = "torn record (CRC)";  // never acknowledged
      break;
    }
    uint32_t count = GetFixed32(r + 12);
    std::string_view rest(r + format::kJournalRecordHeaderSize, length - format::kJournalRecordHeaderSize);
    for (uint32_t e = 0; e < count; ++e) {
      if (rest.size() < 2) return malformed();
      uint16_t path_len = GetFixed16(rest.data());
      if (rest.size() < format::kJournalEntryFixedBytes + path_len) return malformed();
      Journal::Entry entry;
      entry.path = rest.substr(2, path_len);
      entry.file_pos = GetFixed64(rest.data() + 2 + path_len);
      uint32_t batch_len = GetFixed32(rest.data() + 10 + path_len);
      rest.remove_prefix(format::kJournalEntryFixedBytes + path_len);
      if (rest.size() < batch_len || !SafeRelativePath(entry.path)) return malformed();
      entry.bytes = rest.substr(0, batch_len);
      rest.remove_prefix(batch_len);
      SPATE_TRY(visit(entry));
      ++c.entries;
    }
    ++c.records;
    pos += length;
  }
  return c;
}

Status Journal::Replay(const std::string& data_dir, uint64_t* replayed) {
  std::map<std::string, std::unique_ptr<util::File>> touched;
  SPATE_ASSIGN_OR_RETURN(JournalContents c, ReadJournal(fs_, dir_, [&](const Entry& e) -> Status {
                           std::string full = data_dir + "/" + std::string(e.path);
                           auto it = touched.find(full);
                           if (it == touched.end()) {
                             if (!fs_->Exists(full))
                               return Status::Ok();  // retention or DropGroup removed it after it was synced
                             SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f,
                                                    fs_->OpenFile(full, util::OpenMode::kReadWrite));
                             it = touched.emplace(full, std::move(f)).first;
                           }
                           SPATE_TRY(it->second->WriteAt(e.file_pos, e.bytes));
                           ++*replayed;
                           return Status::Ok();
                         }));
  for (auto& [path, f] : touched) SPATE_TRY(f->DataSync());
  if (*replayed > 0) {
    SPATE_LOG_INFO("storage: journal replay rewrote " + std::to_string(*replayed) + " batches into " +
                   std::to_string(touched.size()) + " segment files (generation " + std::to_string(c.generation) +
                   ", " + std::to_string(c.records) + " records)");
  }
  return Status::Ok();
}

uint64_t Journal::EntryBytes(const Entry& e) {
  return format::kJournalEntryFixedBytes + e.path.size() + e.bytes.size();
}

uint64_t Journal::RecordBytes(const std::vector<Entry>& entries) {
  uint64_t n = format::kJournalRecordHeaderSize;
  for (const Entry& e : entries) n += EntryBytes(e);
  return n;
}

uint64_t Journal::Capacity() const { return file_bytes_ - format::kJournalHeaderSize; }

bool Journal::empty() const { return pos_ == format::kJournalHeaderSize; }

Status Journal::Write(const std::vector<Entry>& entries) {
  uint64_t length = RecordBytes(entries);
  SPATE_ASSERT(Fits(length) && !entries.empty(), "the caller checks Fits()");
  // Headers in one scratch buffer (reserved up front: the slices point
  // into it), batch bytes gathered from where they are.
  scratch_.clear();
  size_t meta = format::kJournalRecordHeaderSize;
  for (const Entry& e : entries) meta += format::kJournalEntryFixedBytes + e.path.size();
  scratch_.reserve(meta);
  scratch_.resize(format::kJournalRecordHeaderSize);
  std::vector<std::string_view>& slices = slices_;
  slices.clear();
  slices.emplace_back();  // record header, filled in below
  for (const Entry& e : entries) {
    size_t at = scratch_.size();
    scratch_.resize(at + format::kJournalEntryFixedBytes + e.path.size());
    char* p = scratch_.data() + at;
    PutFixed16(p, static_cast<uint16_t>(e.path.size()));
    std::copy(e.path.begin(), e.path.end(), p + 2);
    PutFixed64(p + 2 + e.path.size(), e.file_pos);
    PutFixed32(p + 10 + e.path.size(), static_cast<uint32_t>(e.bytes.size()));
    slices.emplace_back(p, format::kJournalEntryFixedBytes + e.path.size());
    slices.push_back(e.bytes);
  }
  char* h = scratch_.data();
  PutFixed32(h, format::kJournalRecordMagic);
  PutFixed32(h + 4, static_cast<uint32_t>(length));
  PutFixed32(h + 12, static_cast<uint32_t>(entries.size()));
  PutFixed64(h + 16, generation_);
  uint32_t crc = util::Extend(0, h + format::kJournalRecordCrcFrom,
                              format::kJournalRecordHeaderSize - format::kJournalRecordCrcFrom);
  for (size_t i = 1; i < slices.size(); ++i) crc = util::Extend(crc, slices[i].data(), slices[i].size());
  PutFixed32(h + 8, crc);
  slices[0] = std::string_view(h, format::kJournalRecordHeaderSize);
  SPATE_TRY(files_[current_]->WriteAt(pos_, slices, nullptr));
  pos_ += length;
  return Status::Ok();
}

Status Journal::Sync() { return files_[current_]->DataSync(); }

void Journal::RetractRound() {
  if (pos_ <= round_start_) return;
  files_[current_]->WriteAt(round_start_, std::string_view("\0\0\0\0", 4)).IgnoreError();
  pos_ = round_start_;
}

Status Journal::Switch() {
  int next = current_ ^ 1;
  SPATE_TRY(files_[next]->WriteAt(0, EncodeHeader(generation_ + 1)));
  SPATE_TRY(files_[next]->DataSync());
  current_ = next;
  ++generation_;
  pos_ = round_start_ = format::kJournalHeaderSize;
  return Status::Ok();
}

}  // namespace spate::storage
