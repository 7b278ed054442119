// Restart-to-serving benchmark of the storage layer (issue 3 target: at most
// 2 s with a 1 GiB active segment).
//
//   storage_restart_bench <scratch dir> [active segment MiB, default 1024]
//
// Fills one shard's active segment with PutRecords-sized batches (500 x 1 KiB
// records), then measures LogStore::Open + OpenShard + the first read of the
// newest record ("serving") in three situations:
//   clean:       after a clean close (the checkpoint covers everything)
//   crash:       the checkpoint lags by just under checkpoint_interval_bytes
//                (what a kill -9 leaves: the tail after it is scanned)
//   no-checkpoint: the checkpoint file deleted (the whole segment is scanned)
// each with the segment's pages in the page cache ("warm") and evicted with
// posix_fadvise(DONTNEED) after an fdatasync ("cold").

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include "storage/format.h"
#include "storage/log_store.h"
#include "util/clock.h"
#include "util/file_system.h"

using namespace spate;
using namespace spate::storage;

namespace {

constexpr int kRecordsPerBatch = 500;
constexpr size_t kRecordBytes = 1024;

LogStoreOptions Options(const std::string& dir) {
  LogStoreOptions o;
  o.dir = dir;
  o.fs = util::PosixFileSystem();
  o.clock = util::SystemClock();
  o.segment_bytes = format::kMaxSegmentBytes;  // one 1 GiB segment at most
  return o;
}

void Evict(const std::string& shard_dir) {
  auto names = util::PosixFileSystem()->ListDir(shard_dir);
  for (const std::string& n : *names) {
    std::string p = shard_dir + "/" + n;
    int fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

Result<AppendResult> Append(ShardLog& log, const std::vector<RecordInput>& in) {
  std::promise<Result<AppendResult>> p;
  log.Append(in, util::SystemClock()->NowMs(), [&](Result<AppendResult> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// Open + OpenShard + read of the last record, in ms.
double TimeRestart(const std::string& dir, Offset* end) {
  auto t0 = std::chrono::steady_clock::now();
  auto store = LogStore::Open(Options(dir));
  if (!store.ok()) std::abort();
  auto log = (*store)->OpenShard("bench", model::ShardIndex{0});
  if (!log.ok() || !(*log)->Read((*log)->EndOffset() - 1, ReadLimits{1, 1 << 20}).ok()) std::abort();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  *end = (*log)->EndOffset();
  // Do not checkpoint on this close: keep the situation for the next run.
  std::string cp = dir + "/bench/000000000000/checkpoint";
  std::string saved;
  bool had = util::PosixFileSystem()->Exists(cp);
  if (had) saved = *util::ReadFileToString(util::PosixFileSystem(), cp);
  log->reset();
  store->reset();
  if (had) {
    util::WriteFileAtomically(util::PosixFileSystem(), cp, saved).IgnoreError();
  } else {
    util::PosixFileSystem()->Unlink(cp).IgnoreError();
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <scratch dir> [active segment MiB]\n", argv[0]);
    return 1;
  }
  std::string dir = std::string(argv[1]) + "/restart_bench";
  uint64_t target = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024) << 20;
  target = std::min<uint64_t>(target, format::kMaxSegmentBytes - (1u << 20));
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  std::string shard_dir = dir + "/bench/000000000000";
  std::string payload(kRecordBytes, 'x');
  std::vector<RecordInput> in(kRecordsPerBatch, RecordInput{"partition-key", payload});
  uint64_t batch_bytes = format::EncodedBatchSize(in);
  std::string saved_checkpoint;
  {
    auto store = LogStore::Open(Options(dir));
    auto log = (*store)->OpenShard("bench", model::ShardIndex{0});
    auto t0 = std::chrono::steady_clock::now();
    uint64_t written = 0;
    LogStoreOptions defaults;
    while (written + batch_bytes <= target) {
      if (!Append(**log, in).ok()) return 2;
      written += batch_bytes;
      // Remember the checkpoint as a kill -9 would find it: the last one
      // written in the background before the end.
      if (target - written < defaults.checkpoint_interval_bytes && saved_checkpoint.empty()) {
        auto cp = util::ReadFileToString(util::PosixFileSystem(), shard_dir + "/checkpoint");
        if (cp.ok()) saved_checkpoint = *cp;
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("filled %.0f MiB in %.1f s (%.0f MB/s), %llu records\n", written / 1048576.0, s, written / 1e6 / s,
                static_cast<unsigned long long>((*log)->EndOffset().value()));
  }  // clean close: final checkpoint
  std::string clean_checkpoint = *util::ReadFileToString(util::PosixFileSystem(), shard_dir + "/checkpoint");
  std::string cp_path = shard_dir + "/checkpoint";
  struct Case {
    const char* name;
    const std::string* checkpoint;  // null: none
  } cases[] = {{"clean", &clean_checkpoint}, {"crash", &saved_checkpoint}, {"no-checkpoint", nullptr}};
  for (const Case& c : cases) {
    if (c.checkpoint != nullptr && c.checkpoint->empty()) {
      std::printf("%-14s (no background checkpoint was captured)\n", c.name);
      continue;
    }
    for (bool cold : {false, true}) {
      if (c.checkpoint != nullptr) {
        util::WriteFileAtomically(util::PosixFileSystem(), cp_path, *c.checkpoint).IgnoreError();
      } else {
        util::PosixFileSystem()->Unlink(cp_path).IgnoreError();
      }
      Offset end;
      if (!cold) TimeRestart(dir, &end);  // warm the page cache
      if (cold) Evict(shard_dir);
      double ms = TimeRestart(dir, &end);
      std::printf("%-14s %-4s restart to serving: %8.1f ms (%llu records)\n", c.name, cold ? "cold" : "warm", ms,
                  static_cast<unsigned long long>(end.value()));
    }
  }
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  return 0;
}
