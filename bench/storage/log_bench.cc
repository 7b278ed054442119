// Durable-append benchmarks of the storage layer on the real disk.
//
//   storage_log_bench <scratch dir> [seconds]
//
// 1. small: 50 closed-loop appenders, one 100-byte record per Append, each
//    waiting for its acknowledgement (fsync-before-ack), over 10 shards.
// 2. bulk:  500 x 1 KiB records per Append across 100 shards, 16 closed-loop
//    appenders (PutRecords-sized batches).
// Both run with sync_threads = 0 (sequential fdatasyncs), 1, 3 and 7; then
// small (on 1 and 10 shards) and bulk with the overwrite-ready space off and on.
// 3. syncs: the raw cost of making N dirty files durable: N sequential
//    fdatasyncs vs N parallel fdatasyncs vs one syncfs().
//
//   storage_log_bench <scratch dir> <seconds> write-path
//
// Only the write-path comparisons, alternating each setting with the
// default in the same minutes:
// a. PutRecords-shaped requests: 8 closed-loop clients, each request 500 x
//    1 KiB or 500 x 100 B split over 16 shards (16 Appends of ~31 records,
//    the request done when all are), with journal_max_batch_bytes at 64 KiB
//    (every ~33 KiB batch of the 1 KiB shape copied into the journal) and at
//    the default (those synced in their own files; the ~4.5 KiB batches of
//    the 100 B shape journaled either way).
// b. small appends (50 closed-loop clients, 100 B, 8 shards, the default
//    16 MiB journal, so a run of a few seconds switches it a few times): the
//    tail (p99.9, max) with early writeback (writeback_bytes) off and at the
//    default.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/log_store.h"
#include "util/clock.h"
#include "util/file_system.h"

using namespace spate;
using namespace spate::storage;

namespace {

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ok = false;
  void Set(bool v) {
    std::lock_guard<std::mutex> l(mu);
    ok = v;
    done = true;
    cv.notify_one();
  }
  bool Wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done; });
    done = false;
    return ok;
  }
};

struct RunResult {
  double ops_per_s = 0, mb_per_s = 0, p50_us = 0, p99_us = 0, batches_per_round = 0, files_per_round = 0;
  uint64_t errors = 0;
};

RunResult Run(const std::string& dir, int sync_threads, int clients, int shards, int records_per_append,
              size_t record_bytes, double seconds, uint64_t ready_ahead_bytes = LogStoreOptions().ready_ahead_bytes,
              uint64_t journal_bytes = LogStoreOptions().journal_bytes) {
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  LogStoreOptions o;
  o.dir = dir;
  o.fs = util::PosixFileSystem();
  o.clock = util::SystemClock();
  o.sync_threads = sync_threads;
  o.segment_bytes = 64u << 20;
  o.max_queued_bytes = 256u << 20;
  o.ready_ahead_bytes = ready_ahead_bytes;
  o.journal_bytes = journal_bytes;
  auto store = LogStore::Open(o);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::shared_ptr<ShardLog>> logs;
  for (int s = 0; s < shards; ++s) {
    logs.push_back(*(*store)->OpenShard("bench", model::ShardIndex{static_cast<uint32_t>(s)}));
  }
  std::string payload(record_bytes, 'x');
  std::vector<RecordInput> batch(static_cast<size_t>(records_per_append), RecordInput{"partition-key-0001", payload});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0}, errors{0};
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(clients));
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  auto before = (*store)->Stats();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Waiter w;
      ShardLog& log = *logs[static_cast<size_t>(c % shards)];
      while (!stop.load(std::memory_order_relaxed)) {
        auto s = std::chrono::steady_clock::now();
        log.Append(batch, 1, [&](Result<AppendResult> r) { w.Set(r.ok()); });
        if (!w.Wait()) errors++;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s).count();
        lat[static_cast<size_t>(c)].push_back(static_cast<uint32_t>(us));
        ops++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // benchmark duration, not a test wait
  stop = true;
  for (auto& t : threads) t.join();
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto after = (*store)->Stats();
  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  RunResult r;
  r.ops_per_s = static_cast<double>(ops.load()) / el;
  r.mb_per_s = static_cast<double>(after.bytes - before.bytes) / el / 1e6;
  r.p50_us = all.empty() ? 0 : all[all.size() / 2];
  r.p99_us = all.empty() ? 0 : all[all.size() * 99 / 100];
  double rounds = static_cast<double>(after.rounds - before.rounds);
  r.batches_per_round = rounds > 0 ? static_cast<double>(after.batches - before.batches) / rounds : 0;
  r.files_per_round = rounds > 0 ? static_cast<double>(after.file_syncs - before.file_syncs) / rounds : 0;
  r.errors = errors.load();
  logs.clear();
  store->reset();
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  return r;
}

struct SplitResult {
  double requests_per_s = 0, mb_per_s = 0, p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0, files_per_round = 0;
  uint64_t errors = 0, journaled = 0, switches = 0, hints = 0;
};

// `clients` closed-loop clients; each request spreads `records` records of
// `record_bytes` evenly over min(records, shards) shards (one Append per
// shard; client c starts at shard c) and is done when every Append is
// acknowledged.
SplitResult RunSplit(const std::string& dir, const LogStoreOptions& base, int clients, int shards, int records,
                     size_t record_bytes, double seconds) {
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  LogStoreOptions o = base;
  o.dir = dir;
  o.fs = util::PosixFileSystem();
  o.clock = util::SystemClock();
  o.max_queued_bytes = 256u << 20;
  auto store = LogStore::Open(o);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::shared_ptr<ShardLog>> logs;
  for (int s = 0; s < shards; ++s) {
    logs.push_back(*(*store)->OpenShard("bench", model::ShardIndex{static_cast<uint32_t>(s)}));
  }
  std::string payload(record_bytes, 'x');
  const int fan = std::min(records, shards);
  std::vector<RecordInput> part(static_cast<size_t>(records / fan), RecordInput{"partition-key-0001", payload});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> requests{0}, errors{0};
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(clients));
  auto before = (*store)->Stats();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mutex mu;
      std::condition_variable cv;
      int pending = 0;
      bool failed = false;
      while (!stop.load(std::memory_order_relaxed)) {
        auto s = std::chrono::steady_clock::now();
        {
          std::lock_guard<std::mutex> l(mu);
          pending = fan;
          failed = false;
        }
        for (int k = 0; k < fan; ++k) {
          logs[static_cast<size_t>((c + k) % shards)]->Append(part, 1, [&](Result<AppendResult> r) {
            std::lock_guard<std::mutex> l(mu);
            if (!r.ok()) failed = true;
            if (--pending == 0) cv.notify_one();
          });
        }
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return pending == 0; });
          if (failed) errors++;
        }
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s).count();
        lat[static_cast<size_t>(c)].push_back(static_cast<uint32_t>(us));
        requests++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // benchmark duration, not a test wait
  stop = true;
  for (auto& t : threads) t.join();
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto after = (*store)->Stats();
  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  SplitResult r;
  r.requests_per_s = static_cast<double>(requests.load()) / el;
  r.mb_per_s = static_cast<double>(after.bytes - before.bytes) / el / 1e6;
  if (!all.empty()) {
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[all.size() * 99 / 100];
    r.p999_us = all[all.size() * 999 / 1000];
    r.max_us = all.back();
  }
  double rounds = static_cast<double>(after.rounds - before.rounds);
  r.files_per_round = rounds > 0 ? static_cast<double>(after.file_syncs - before.file_syncs) / rounds : 0;
  r.errors = errors.load();
  r.journaled = after.journaled_batches - before.journaled_batches;
  r.switches = after.journal_switches - before.journal_switches;
  r.hints = after.writeback_hints - before.writeback_hints;
  logs.clear();
  store->reset();
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  return r;
}

int WritePath(const std::string& dir, double seconds) {
  for (int rep = 0; rep < 3; ++rep) {
    for (uint32_t record_bytes : {1024u, 100u}) {
      for (uint64_t cap : {uint64_t{64} << 10, LogStoreOptions().journal_max_batch_bytes}) {
        LogStoreOptions o;
        o.journal_max_batch_bytes = cap;
        SplitResult r = RunSplit(dir + "/split", o, 8, 16, 500, record_bytes, seconds);
        std::printf(
            "PutRecords-shaped 500 x %4u B / 16 shards, journal_max_batch_bytes=%-6llu %7.1f MB/s  p50 %6.0f us  "
            "p99 %6.0f us  %4.1f files/round  %llu journaled  errors %llu\n",
            record_bytes, static_cast<unsigned long long>(cap), r.mb_per_s, r.p50_us, r.p99_us, r.files_per_round,
            static_cast<unsigned long long>(r.journaled), static_cast<unsigned long long>(r.errors));
        std::fflush(stdout);
      }
    }
  }
  for (int rep = 0; rep < 3; ++rep) {
    for (uint64_t wb : {uint64_t{0}, LogStoreOptions().writeback_bytes}) {
      LogStoreOptions o;  // the default 16 MiB journal, as spated's streams use
      o.writeback_bytes = wb;
      SplitResult r = RunSplit(dir + "/small", o, 50, 8, 1, 100, seconds);
      std::printf(
          "small 100 B, 50 clients, 8 shards, writeback_bytes=%-8llu %8.0f appends/s  p50 %6.0f  p99 %6.0f  "
          "p99.9 %6.0f  max %6.0f us  %llu switches  %llu hints\n",
          static_cast<unsigned long long>(wb), r.requests_per_s, r.p50_us, r.p99_us, r.p999_us, r.max_us,
          static_cast<unsigned long long>(r.switches), static_cast<unsigned long long>(r.hints));
      std::fflush(stdout);
    }
  }
  return 0;
}

double NowS() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Dirties `n` files with 4 KiB each, then makes them durable `how`; returns
// the mean time of the durability step in microseconds.
double SyncCost(const std::string& dir, int n, const std::string& how, int reps) {
  ::mkdir(dir.c_str(), 0755);
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    std::string p = dir + "/f" + std::to_string(i);
    int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::fallocate(fd, 0, 0, 64 << 20) != 0) std::exit(2);
    ::fsync(fd);
    fds.push_back(fd);
  }
  std::string buf(4096, 'y');
  double total = 0;
  for (int r = 0; r < reps; ++r) {
    for (int fd : fds) {
      if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(r) * 4096) != 4096) std::exit(3);
    }
    double t = NowS();
    if (how == "sequential") {
      for (int fd : fds) ::fdatasync(fd);
    } else if (how == "syncfs") {
      ::syncfs(fds[0]);
    } else {
      int threads = std::stoi(how.substr(9));  // "parallel-N"
      std::atomic<int> next{0};
      std::vector<std::thread> ts;
      for (int k = 0; k < threads; ++k) {
        ts.emplace_back([&] {
          for (int i = next++; i < n; i = next++) ::fdatasync(fds[static_cast<size_t>(i)]);
        });
      }
      for (auto& th : ts) th.join();
    }
    total += NowS() - t;
  }
  for (int fd : fds) ::close(fd);
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
  return total / reps * 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <scratch dir> [seconds per run] [write-path]\n", argv[0]);
    return 1;
  }
  std::string dir = argv[1];
  double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  if (argc > 3 && std::string(argv[3]) == "write-path") return WritePath(dir, seconds);
  std::printf("== raw durability step for N dirty files (4 KiB each), mean us\n");
  for (int n : {1, 10, 50, 100}) {
    std::printf("N=%3d  sequential %8.0f  parallel-2 %8.0f  parallel-4 %8.0f  parallel-8 %8.0f  syncfs %8.0f\n", n,
                SyncCost(dir + "/s", n, "sequential", 50), SyncCost(dir + "/s", n, "parallel-2", 50),
                SyncCost(dir + "/s", n, "parallel-4", 50), SyncCost(dir + "/s", n, "parallel-8", 50),
                SyncCost(dir + "/s", n, "syncfs", 50));
  }
  for (int threads : {0, 1, 3, 7}) {
    RunResult r = Run(dir + "/small", threads, 50, 10, 1, 100, seconds);
    std::printf(
        "small  sync_threads=%d: %8.0f appends/s  p50 %6.0f us  p99 %6.0f us  %5.1f batches/round  "
        "%4.1f files/round  errors %llu\n",
        threads, r.ops_per_s, r.p50_us, r.p99_us, r.batches_per_round, r.files_per_round,
        static_cast<unsigned long long>(r.errors));
  }
  // The commit journal off and on (sync_threads=7), alternating.
  const uint64_t journal = LogStoreOptions().journal_bytes;
  for (int shards : {1, 10, 100}) {
    for (int rep = 0; rep < 2; ++rep) {
      for (uint64_t j : {uint64_t{0}, journal}) {
        RunResult r = Run(dir + "/small", 7, 50, shards, 1, 100, seconds, LogStoreOptions().ready_ahead_bytes, j);
        std::printf("small  %3d shards journal=%-9llu %8.0f appends/s  p50 %6.0f us  p99 %6.0f us  %4.1f files/round\n",
                    shards, static_cast<unsigned long long>(j), r.ops_per_s, r.p50_us, r.p99_us, r.files_per_round);
      }
    }
  }
  for (uint64_t j : {uint64_t{0}, journal}) {
    RunResult r = Run(dir + "/bulk", 7, 16, 100, 500, 1024, seconds, LogStoreOptions().ready_ahead_bytes, j);
    std::printf("bulk   journal=%-9llu %8.1f MB/s  p50 %6.0f us  p99 %6.0f us\n", static_cast<unsigned long long>(j),
                r.mb_per_s, r.p50_us, r.p99_us);
  }
  // Overwrite-ready space off and on (without the journal, where it applies).
  for (int shards : {1, 10}) {
    for (int rep = 0; rep < 2; ++rep) {
      for (uint64_t ahead : {uint64_t{0}, LogStoreOptions().ready_ahead_bytes}) {
        RunResult r = Run(dir + "/small", 7, 50, shards, 1, 100, seconds, ahead, 0);
        std::printf("small  %2d shards ready_ahead=%-8llu %8.0f appends/s  p50 %6.0f us  p99 %6.0f us\n", shards,
                    static_cast<unsigned long long>(ahead), r.ops_per_s, r.p50_us, r.p99_us);
      }
    }
  }
  for (uint64_t ahead : {uint64_t{0}, LogStoreOptions().ready_ahead_bytes}) {
    RunResult r = Run(dir + "/bulk", 7, 16, 100, 500, 1024, seconds, ahead, 0);
    std::printf("bulk   ready_ahead=%-8llu %8.1f MB/s  p50 %6.0f us  p99 %6.0f us\n",
                static_cast<unsigned long long>(ahead), r.mb_per_s, r.p50_us, r.p99_us);
  }
  for (int threads : {0, 1, 3, 7}) {
    RunResult r = Run(dir + "/bulk", threads, 16, 100, 500, 1024, seconds);
    std::printf(
        "bulk   sync_threads=%d: %8.1f MB/s (%6.0f records/s)  p50 %6.0f us  p99 %6.0f us  "
        "%5.1f batches/round  %4.1f files/round  errors %llu\n",
        threads, r.mb_per_s, r.ops_per_s * 500, r.p50_us, r.p99_us, r.batches_per_round, r.files_per_round,
        static_cast<unsigned long long>(r.errors));
  }
  return 0;
}
