// consumer_latency: end-to-end latency of spate::Consumer, from the moment a
// record is put (before the PutRecord call) to the moment ProcessRecords
// sees it, in polling mode (GetRecords) and enhanced fan-out mode
// (SubscribeToShard). Never part of the tests; bench/consumer/README.md.
//
//   consumer_latency --endpoint URL [--mode polling|efo] [--records N]
//                    [--rate R] [--shards S] [--idle-ms MS] [--max-seconds T]
//
// Creates a stream of S shards, starts one consumer worker (LATEST), waits
// until it holds every shard, then puts N records with PutRecord at R per
// second (one writer thread; each record's data carries its put time on the
// steady clock, which the processor reads back: same process, same clock).
// Prints one JSON line: mode, records put and seen, duplicates, and the
// latency quantiles in milliseconds. Every loop is bounded by --max-seconds.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spate/consumer.h"
#include "spate/kinesis_client.h"

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// What the processors saw: each record's latency, by record number.
struct Seen {
  std::mutex mu;
  std::vector<double> latency_ms;  // guarded by mu
  std::set<int64_t> ids;           // guarded by mu
  int64_t duplicates = 0;          // guarded by mu
};

// Data: "<record number> <put time ns>".
class LatencyProcessor final : public spate::RecordProcessor {
 public:
  explicit LatencyProcessor(Seen* seen) : seen_(seen) {}
  void Initialize(const std::string&) override {}
  void ProcessRecords(const std::vector<spate::ConsumedRecord>& records, spate::Checkpointer&) override {
    const int64_t now = NowNs();
    std::lock_guard lock(seen_->mu);
    for (const spate::ConsumedRecord& r : records) {
      int64_t id = 0, put_ns = 0;
      if (std::sscanf(r.data.c_str(), "%" SCNd64 " %" SCNd64, &id, &put_ns) != 2) continue;
      if (!seen_->ids.insert(id).second) {
        ++seen_->duplicates;
        continue;
      }
      seen_->latency_ms.push_back(static_cast<double>(now - put_ns) / 1e6);
    }
  }
  void ShardEnded(spate::Checkpointer& cp) override { (void)cp.Checkpoint(); }
  void ShutdownRequested(spate::Checkpointer&) override {}

 private:
  Seen* const seen_;
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spate::Consumer end-to-end latency (put -> ProcessRecords)"};
  std::string endpoint = "http://127.0.0.1:4567";
  std::string mode = "polling";
  int records = 1000;
  double rate = 100;
  int shards = 1;
  int idle_ms = 1000;
  int max_seconds = 120;
  app.add_option("--endpoint", endpoint, "spated's URL");
  app.add_option("--mode", mode, "polling (GetRecords) or efo (SubscribeToShard)")
      ->check(CLI::IsMember({"polling", "efo"}));
  app.add_option("--records", records, "Records to put")->check(CLI::Range(1, 1000000));
  app.add_option("--rate", rate, "Records per second")->check(CLI::Range(1.0, 100000.0));
  app.add_option("--shards", shards, "Shards of the stream")->check(CLI::Range(1, 64));
  app.add_option("--idle-ms", idle_ms, "Polling: pause after an empty GetRecords (the KCL's default is 1000)")
      ->check(CLI::Range(0, 60000));
  app.add_option("--max-seconds", max_seconds, "Bound on the whole run")->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);
  const auto deadline = Clock::now() + std::chrono::seconds(max_seconds);

  spate::ClientConfig cc;
  cc.endpoint = endpoint;
  auto resolved = spate::ClientConfig::Resolve(cc);
  if (!resolved.ok()) {
    std::fprintf(stderr, "config: %s\n", resolved.error().message.c_str());
    return 2;
  }
  auto made = spate::KinesisClient::Create(resolved.value());
  auto made_writer = spate::KinesisClient::Create(resolved.value());
  if (!made.ok() || !made_writer.ok()) {
    std::fprintf(stderr, "client: cannot be made\n");
    return 2;
  }
  std::unique_ptr<spate::KinesisClient> client = std::move(made).value();
  std::unique_ptr<spate::KinesisClient> writer = std::move(made_writer).value();

  const std::string stream = "latency-" + mode + "-" + std::to_string(NowNs() % 1000000000);
  if (auto r = client->CreateStream(stream, shards); !r.ok()) {
    std::fprintf(stderr, "CreateStream: %s: %s\n", r.error().type.c_str(), r.error().message.c_str());
    return 1;
  }
  while (true) {
    auto d = client->DescribeStreamSummary(stream);
    if (d.ok() && d.value().stream_status == "ACTIVE") break;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "stream never became ACTIVE\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  Seen seen;
  spate::ConsumerConfig config;
  config.application_name = stream + "-app";
  config.stream = stream;
  config.initial_position = spate::IteratorPosition::Latest();
  config.failover_time = std::chrono::milliseconds(3000);
  config.lease_taking_interval = std::chrono::milliseconds(100);
  config.idle_time_between_reads = std::chrono::milliseconds(idle_ms);
  config.enhanced_fan_out = mode == "efo";
  config.processor_factory = [&seen] { return std::make_unique<LatencyProcessor>(&seen); };
  auto consumer_made = spate::Consumer::Create(config, client.get());
  if (!consumer_made.ok()) {
    std::fprintf(stderr, "Consumer::Create: %s: %s\n", consumer_made.error().type.c_str(),
                 consumer_made.error().message.c_str());
    return 1;
  }
  std::unique_ptr<spate::Consumer> consumer = std::move(consumer_made).value();
  consumer->Start();
  while (static_cast<int>(consumer->HeldShards().size()) < shards) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "the consumer never held every shard\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // LATEST is taken when a shard's reader starts: give it a moment so the
  // first records are not put before the iterator exists.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  int put = 0, put_errors = 0;
  const auto start = Clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  for (int i = 0; i < records && Clock::now() < deadline; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(interval * i));
    spate::PutRecordsEntry e;
    e.partition_key = "k" + std::to_string(i);
    e.data = std::to_string(i) + " " + std::to_string(NowNs());
    if (writer->PutRecord(stream, e).ok()) {
      ++put;
    } else {
      ++put_errors;
    }
  }
  // Wait for the stragglers (bounded).
  const auto drain_until = std::min(deadline, Clock::now() + std::chrono::seconds(10));
  while (Clock::now() < drain_until) {
    {
      std::lock_guard lock(seen.mu);
      if (static_cast<int>(seen.ids.size()) >= put) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  consumer->Shutdown();
  (void)client->DeleteStream(stream, true);

  std::lock_guard lock(seen.mu);
  std::printf(
      "{\"mode\":\"%s\",\"shards\":%d,\"rate\":%.0f,\"idle_ms\":%d,\"put\":%d,\"put_errors\":%d,\"seen\":%zu,"
      "\"duplicates\":%" PRId64 ",\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f}\n",
      mode.c_str(), shards, rate, mode == "efo" ? 0 : idle_ms, put, put_errors, seen.ids.size(), seen.duplicates,
      Quantile(seen.latency_ms, 0.50), Quantile(seen.latency_ms, 0.90), Quantile(seen.latency_ms, 0.99),
      Quantile(seen.latency_ms, 1.0));
  return static_cast<int>(seen.ids.size()) >= put && put > 0 ? 0 : 1;
}
