// spate bench NAME: a quick PutRecords throughput and latency run against an
// existing stream, with a live progress line on a terminal.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "cli/context.h"

namespace spate::cli {
namespace {

constexpr int kMaxThreads = 64;
constexpr int64_t kMaxRecords = 100'000'000;
constexpr int kMaxRecordBytes = 1024 * 1024;
constexpr size_t kMaxRecordsPerCall = 500;
constexpr int64_t kProgressIntervalMs = 250;
constexpr int64_t kBackoffMs = 50;

struct BenchFlags {
  std::string name;
  int64_t records = 10'000;
  int size = 100;
  int threads = 4;
  int batch = 500;
  int max_seconds = 60;
};

struct Totals {
  std::atomic<int64_t> put{0};
  std::atomic<int64_t> throttled{0};  // entries refused and retried
  std::atomic<int64_t> calls{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<int64_t> latencies_us;  // guarded by mu: one per PutRecords call
  std::optional<ApiError> error;      // guarded by mu: the first non-retryable error
};

// One sender thread: takes batches of record numbers from `next` until all
// are claimed, and puts each batch until every entry is in (or the run stops).
void Sender(KinesisClient& client, const BenchFlags& flags, std::atomic<int64_t>& next, Totals& totals,
            int64_t deadline_ms) {
  std::mt19937_64 rng(std::random_device{}());
  const std::string payload(static_cast<size_t>(flags.size), 'x');
  std::vector<int64_t> latencies;
  while (!totals.stop.load(std::memory_order_relaxed)) {
    int64_t first = next.fetch_add(flags.batch);
    if (first >= flags.records) break;
    int64_t count = std::min<int64_t>(flags.batch, flags.records - first);
    std::vector<PutRecordsEntry> batch;
    for (int64_t i = 0; i < count; ++i) {
      batch.push_back({payload, std::to_string(rng()), ""});
    }
    while (!batch.empty() && !totals.stop.load(std::memory_order_relaxed)) {
      if (MonotonicMs() > deadline_ms) {
        totals.stop = true;
        break;
      }
      auto start = std::chrono::steady_clock::now();
      Outcome<PutRecordsResult> r = client.PutRecords(flags.name, batch);
      latencies.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
      totals.calls.fetch_add(1, std::memory_order_relaxed);
      if (!r.ok()) {
        if (r.error().retryable()) {
          SleepMs(kBackoffMs);
          continue;
        }
        std::lock_guard<std::mutex> lock(totals.mu);
        if (!totals.error.has_value()) totals.error = r.error();
        totals.stop = true;
        break;
      }
      std::vector<PutRecordsEntry> retry;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!r.value().records[i].ok()) retry.push_back(std::move(batch[i]));
      }
      totals.put.fetch_add(static_cast<int64_t>(batch.size() - retry.size()), std::memory_order_relaxed);
      totals.throttled.fetch_add(static_cast<int64_t>(retry.size()), std::memory_order_relaxed);
      batch.swap(retry);
      if (!batch.empty()) SleepMs(kBackoffMs);
    }
  }
  std::lock_guard<std::mutex> lock(totals.mu);
  totals.latencies_us.insert(totals.latencies_us.end(), latencies.begin(), latencies.end());
}

std::string Ms(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

int RunBench(Context& ctx, const BenchFlags& flags) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Totals totals;
  std::atomic<int64_t> next{0};
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + static_cast<int64_t>(flags.max_seconds) * 1000;
  std::vector<std::thread> threads;
  for (int i = 0; i < flags.threads; ++i) {
    threads.emplace_back(Sender, std::ref(*client), std::cref(flags), std::ref(next), std::ref(totals), deadline);
  }
  const bool progress = ctx.stderr_is_terminal();
  while (true) {
    int64_t put = totals.put.load();
    if (put >= flags.records || totals.stop.load()) break;
    if (progress) {
      double secs = std::max(1e-3, static_cast<double>(MonotonicMs() - start) / 1000.0);
      std::fprintf(stderr, "\r\033[K%lld/%lld records, %.0f records/s", static_cast<long long>(put),
                   static_cast<long long>(flags.records), static_cast<double>(put) / secs);
      std::fflush(stderr);
    }
    SleepMs(kProgressIntervalMs);
  }
  for (std::thread& t : threads) t.join();
  if (progress) std::fputs("\r\033[K", stderr);
  if (totals.error.has_value()) return ctx.Fail(*totals.error);

  const double secs = std::max(1e-3, static_cast<double>(MonotonicMs() - start) / 1000.0);
  const int64_t put = totals.put.load();
  std::vector<int64_t>& lat = totals.latencies_us;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0 : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))];
  };
  char line[512];
  std::snprintf(line, sizeof line,
                "records %lld of %d bytes in %.2f s: %.0f records/s, %.2f MB/s; %lld PutRecords calls, %lld "
                "entries throttled and retried\n",
                static_cast<long long>(put), flags.size, secs, static_cast<double>(put) / secs,
                static_cast<double>(put) * flags.size / secs / 1e6, static_cast<long long>(totals.calls.load()),
                static_cast<long long>(totals.throttled.load()));
  std::string out = line;
  out += "PutRecords latency: p50 " + Ms(pct(0.50)) + ", p90 " + Ms(pct(0.90)) + ", p99 " + Ms(pct(0.99)) + ", max " +
         Ms(lat.empty() ? 0 : lat.back()) + "\n";
  WriteOut(out);
  FlushOut();
  if (put < flags.records) {
    return ctx.Fail("stopped after " + std::to_string(flags.max_seconds) + " s with " + std::to_string(put) + " of " +
                    std::to_string(flags.records) + " records put");
  }
  return kExitOk;
}

}  // namespace

void AddBenchCommand(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* bench = app.add_subcommand("bench", "PutRecords throughput and latency against an existing stream");
  bench->add_option("NAME", flags->name, "Stream name or ARN")->required();
  bench->add_option("--records", flags->records, "Records to put")
      ->check(CLI::Range(int64_t{1}, kMaxRecords))
      ->capture_default_str();
  bench->add_option("--size", flags->size, "Bytes of data per record")
      ->check(CLI::Range(1, kMaxRecordBytes))
      ->capture_default_str();
  bench->add_option("--threads", flags->threads, "Concurrent callers")
      ->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  bench->add_option("--batch", flags->batch, "Records per PutRecords call")
      ->check(CLI::Range(1, static_cast<int>(kMaxRecordsPerCall)))
      ->capture_default_str();
  bench->add_option("--max-seconds", flags->max_seconds, "Stop after this long")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  bench->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunBench(ctx, *flags); }; });
}

}  // namespace spate::cli
