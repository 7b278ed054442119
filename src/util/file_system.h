#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::util {

// The file operations the storage layer needs, behind an interface so tests
// can inject faults and simulate crashes (STYLE.md rule 10; leveldb Env).
//
// Error convention for every method: out of space (ENOSPC, EDQUOT) is
// reported as ErrorCode::kUnavailable, a missing path as kNotFound, every
// other failure as kIoError. Messages carry the path and strerror text.
// Callers that must tell disk-full apart use IsNoSpace().

// An open file. Positional I/O only (no shared cursor), so one File may be
// used from several threads at once as long as concurrent writes do not
// overlap; ReadAt may run concurrently with anything.
class File {
 public:
  virtual ~File() = default;
  virtual const std::string& path() const = 0;

  // Writes the concatenation of `slices` at byte position `pos` (pwritev),
  // looping over short writes. On error, `*written` (if not null) holds how
  // many leading bytes did reach the file; on success it is the total.
  virtual Status WriteAt(uint64_t pos, std::span<const std::string_view> slices, size_t* written) = 0;
  Status WriteAt(uint64_t pos, std::string_view data) {
    return WriteAt(pos, std::span<const std::string_view>(&data, 1), nullptr);
  }

  // Reads up to `n` bytes at `pos` into `scratch` (pread, looping); returns
  // the byte count, which is short only at end of file.
  virtual Result<size_t> ReadAt(uint64_t pos, size_t n, char* scratch) const = 0;

  // fdatasync: makes the written data (and the size, if it changed) durable.
  virtual Status DataSync() = 0;
  // fsync: data and all metadata.
  virtual Status Sync() = 0;
  // ftruncate. Not durable until Sync().
  virtual Status Truncate(uint64_t size) = 0;
  // fallocate(mode 0): reserves blocks for [0, size) and grows the file size
  // to at least `size` (zero-filled). Not durable until Sync(). Falls back to
  // a no-op where the file system does not support it.
  virtual Status Allocate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() const = 0;
  // A hint: starts writing out the dirty pages of [pos, pos + len) without
  // waiting (sync_file_range SYNC_FILE_RANGE_WRITE), so a later DataSync()
  // has less left to do. Makes nothing durable and reports nothing: an I/O
  // error of that writeback is still reported by the next DataSync() of the
  // file. The default does nothing.
  virtual void StartWriteback(uint64_t pos, uint64_t len) {
    (void)pos;
    (void)len;
  }
  // A hint: the clean cached pages of [pos, pos + len) will not be needed
  // soon, so the kernel may free them now (posix_fadvise POSIX_FADV_DONTNEED).
  // Dirty pages are not dropped (the kernel starts their writeback), so this
  // never loses data; a later read of the range goes to the disk. The
  // default does nothing.
  virtual void DropCache(uint64_t pos, uint64_t len) {
    (void)pos;
    (void)len;
  }
};

enum class OpenMode {
  kRead,       // existing file, read only
  kReadWrite,  // existing file
  kCreate,     // create or truncate to empty, read/write
};

// Thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) = 0;
  // mkdir; ok if it already exists. The new entry is durable after
  // SyncDir(parent).
  virtual Status CreateDir(const std::string& path) = 0;
  // fsync of a directory: makes creations, renames and unlinks inside it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Entry names in `path` (not "." or ".."), unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual Result<bool> IsDirectory(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  // Removes a file or a directory tree; ok if it does not exist.
  virtual Status RemoveAll(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// The process-wide POSIX implementation (Linux).
FileSystem* PosixFileSystem();

// True if `s` is the out-of-space error of the convention above.
inline bool IsNoSpace(const Status& s) { return s.code() == ErrorCode::kUnavailable; }

// Maps an errno value to a Status per the convention above.
Status ErrnoStatus(int err, std::string_view op, std::string_view path);

// Helpers built on the interface.
Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path);
// Writes `data` to `path` + ".tmp" and renames it over `path`. No fsync:
// for cache files that are validated on load.
Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view data);

// Writes zeros over [begin, end) of `file` (in 1 MiB writes, not synced):
// turns pre-allocated space into written blocks, so later writes there are
// overwrites that change no file metadata.
Status WriteZeros(File& file, uint64_t begin, uint64_t end);

}  // namespace spate::util
