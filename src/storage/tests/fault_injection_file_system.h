#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util/clock.h"
#include "util/file_system.h"

namespace spate::storage::testing {

// A FileSystem for tests that wraps a real one (usually the POSIX one over a
// temp directory) and simulates power loss and I/O errors (leveldb
// db/fault_injection_test.cc, rocksdb utilities/fault_injection_fs.h).
//
// Durability model: every write reaches the base file at once, and the
// bytes it overwrote are remembered until the file is synced (DataSync or
// Sync). SimulateCrash() puts the unsynced bytes back, as a power cut would,
// and deletes files whose creation was not made durable by SyncDir of their
// parent. Syncs do not call the base fdatasync (tests stay fast). Allocate,
// Truncate, Rename, Unlink and RemoveAll are durable at once.
//
// Thread-safe: every operation holds one mutex (tests only).
class FaultInjectionFileSystem final : public util::FileSystem {
 public:
  enum class Fault { kNone, kNoSpace, kIoError };
  enum class Op { kWrite, kSync, kAllocate };
  enum class CrashMode {
    kDropUnsynced,      // every unsynced write is lost
    kKeepRandomPrefix,  // per file, a random prefix of the unsynced writes survives
    kTearLastWrite,     // all unsynced writes survive but the last one, which keeps a random prefix
  };
  struct FaultSpec {
    Fault fault = Fault::kNone;
    int skip = 0;             // let this many matching calls succeed first
    int count = 1 << 30;      // then fail this many
    bool partial = false;     // writes: a random strict prefix reaches the file first
    std::string path_substr;  // only paths containing this
  };

  explicit FaultInjectionFileSystem(util::FileSystem* base, uint64_t seed = 1);

  void SetFault(Op op, FaultSpec spec);
  void ClearFaults();
  // While inactive, every mutating call fails with kIoError (the process is
  // "dead"); reads still work.
  void SetActive(bool active);
  // Simulates power loss now. Leaves the file system inactive; call
  // SetActive(true) before reopening.
  void SimulateCrash(CrashMode mode);
  // A slow disk in test time: from now on every file write advances
  // `clock` by `write_ms` and every file sync by `sync_ms` (before it
  // returns). Null clock: off.
  void SetLatency(util::ManualClock* clock, int64_t write_ms, int64_t sync_ms);
  // Bytes written but not yet synced, over all files.
  uint64_t UnsyncedBytes();
  int SyncCalls();
  // File::StartWriteback calls seen (a hint: they make nothing durable here,
  // as on a real disk, where only a sync does).
  struct WritebackHint {
    std::string path;
    uint64_t pos = 0;
    uint64_t len = 0;
  };
  std::vector<WritebackHint> WritebackHints();
  // File::DropCache calls seen, whether the range overlapped a write not
  // yet synced (the store should drop only durable bytes: dropping dirty
  // ones loses nothing but costs an early writeback and a re-read), and
  // whether the calling thread had written to that file (the store drops
  // on a background thread, not on its writer's).
  struct CacheDrop {
    std::string path;
    uint64_t pos = 0;
    uint64_t len = 0;
    bool unsynced = false;
    bool by_a_writing_thread = false;
  };
  std::vector<CacheDrop> CacheDrops();

  // util::FileSystem
  Result<std::unique_ptr<util::File>> OpenFile(const std::string& path, util::OpenMode mode) override;
  Status CreateDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Result<bool> IsDirectory(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Unlink(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  bool Exists(const std::string& path) override;

 private:
  friend class FaultFile;
  struct Undo {
    uint64_t pos = 0;
    uint64_t len = 0;       // bytes written
    std::string old;        // previous bytes in [pos, pos + old.size()), within old_size
    uint64_t old_size = 0;  // file size before the write
  };

  // All called with mu_ held.
  Status CheckActive(const std::string& what);
  Status MaybeFail(Op op, const std::string& path, bool* partial);
  Status FaultStatus(Fault f, const std::string& what, const std::string& path);
  void RollBack(util::File* f, const Undo& u, uint64_t keep);

  util::FileSystem* const base_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  bool active_ = true;
  util::ManualClock* latency_clock_ = nullptr;  // SetLatency
  int64_t write_ms_ = 0, sync_ms_ = 0;
  std::map<Op, FaultSpec> faults_;
  std::map<Op, int> seen_;
  std::map<std::string, std::vector<Undo>> unsynced_;  // path -> writes since its last sync
  std::set<std::string> created_;                      // files whose directory entry is not durable
  int sync_calls_ = 0;
  std::vector<WritebackHint> writeback_hints_;
  std::vector<CacheDrop> cache_drops_;
  std::map<std::string, std::set<std::thread::id>> writing_threads_;  // path -> threads that wrote to it
};

}  // namespace spate::storage::testing
