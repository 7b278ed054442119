#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/format.h"
#include "util/file_system.h"

namespace spate::storage {

// The commit journal of one LogStore: a pair of pre-zeroed files used in
// turn (layout in format.h and docs/formats/journal.md).
//
// Why: a commit round that touched N shard files paid N fdatasyncs (in
// parallel, but each a device flush and, on a VM, a costly exit). A round's
// small batches are instead copied into one journal record and made durable
// by one fdatasync of the journal; the shard files are written as before but
// synced only when the journal switches files (and on clean close). A crash
// loses nothing acknowledged: replay at open rewrites each journaled batch
// at its place in its segment file before any shard recovers.
//
// Not thread-safe: the group-commit writer thread owns it (Open runs before
// that thread starts).
class Journal {
 public:
  struct Entry {
    std::string_view path;  // segment file, relative to the data directory
    uint64_t file_pos = 0;
    std::string_view bytes;  // the batch as written there
  };

  // Opens <data_dir>/journal, creating and zero-filling both files of
  // `file_bytes` when missing; replays the current generation into the
  // segment files below `data_dir` (entries whose file is gone are
  // skipped: the group was dropped), syncs what it rewrote and starts a new,
  // empty generation. `*replayed` counts the batches rewritten.
  static Result<std::unique_ptr<Journal>> Open(util::FileSystem* fs, const std::string& data_dir, uint64_t file_bytes,
                                               uint64_t* replayed);

  // Bytes one entry adds to a record, and one record with these entries.
  static uint64_t EntryBytes(const Entry& e);
  static uint64_t RecordBytes(const std::vector<Entry>& entries);
  static constexpr uint64_t kEmptyRecordBytes = format::kJournalRecordHeaderSize;
  // Whether a record of `bytes` fits after what the current file holds.
  bool Fits(uint64_t bytes) const { return pos_ + bytes <= file_bytes_; }
  // The largest record an empty file takes.
  uint64_t Capacity() const;

  // Writes one record (which must fit). Durable after Sync().
  Status Write(const std::vector<Entry>& entries);
  Status Sync();
  // Marks where this round's records begin in the current file.
  void BeginRound() { round_start_ = pos_; }
  // The round failed (write or sync): zero the magic of its first record in
  // the current file, so that a restart does not replay batches that were
  // never acknowledged (replay stops there). Best effort, not synced: after a
  // crash they may reappear, like any written but unacknowledged batch.
  void RetractRound();
  // Makes the other file current with the next generation, empty. The
  // caller must first have made every segment written through the current
  // file durable: its records are then obsolete.
  Status Switch();
  // The current file holds no record.
  bool empty() const;

 private:
  Journal(util::FileSystem* fs, std::string dir, uint64_t file_bytes);
  Status Replay(const std::string& data_dir, uint64_t* replayed);

  util::FileSystem* const fs_;
  const std::string dir_;
  const uint64_t file_bytes_;
  std::unique_ptr<util::File> files_[2];
  int current_ = 0;
  uint64_t generation_ = 0;               // of the current file
  uint64_t pos_ = 0;                      // where the next record goes in the current file
  uint64_t round_start_ = 0;              // where the current round's records begin (BeginRound)
  std::string scratch_;                   // headers of the record being encoded
  std::vector<std::string_view> slices_;  // its pieces, for one pwritev
};

// What a journal directory holds, for replay and for tools/inspect.
struct JournalContents {
  int current = -1;         // file index (0 or 1) with the highest valid generation; -1: none
  uint64_t generation = 0;  // its generation
  uint64_t records = 0;     // valid records of that generation
  uint64_t entries = 0;
  uint64_t end_pos = 0;  // where the scan stopped
  std::string stop;      // why: "zeros", "torn record (CRC)", "older record", "end of file"
};

// Reads the current file of `journal_dir` and calls `visit` for each entry
// of its records, in order (the batches replay rewrites). kCorruption for a
// record whose CRC holds but whose entries do not parse.
Result<JournalContents> ReadJournal(util::FileSystem* fs, const std::string& journal_dir,
                                    const std::function<Status(const Journal::Entry&)>& visit);

}  // namespace spate::storage
