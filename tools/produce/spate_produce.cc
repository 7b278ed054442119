// spate-produce: writes records through spate::Producer and reports what it
// measured, one JSON object on stdout. The producer's integration tests
// (tests/integration/test_producer.py) and its benchmark (bench/producer/)
// drive it; it doubles as an example of the library's use.
//
//   spate-produce --stream S [--endpoint URL] [--count N] [--size BYTES]
//                 [--keys K] [--no-aggregation] [--buffered-time-ms MS]
//                 [--rate-limit-percent P] [--aggregation-max-size BYTES]
//
// Record i has partition key "key-<i mod K>" and data "<key>/<i>/" padded
// with 'x' to --size bytes, so a reader can check the order per key. Exit
// status 0 when every record was put, 1 when any failed, 2 on bad flags or
// a client that cannot be made.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "spate/kinesis_client.h"
#include "spate/producer.h"

namespace {

// Futures kept before the oldest is waited for: bounds this tool's own
// memory; the producer's buffer bounds the rest.
constexpr size_t kMaxOutstandingFutures = 100'000;

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  spate::ClientConfig client_config;
  spate::ProducerConfig config;
  std::string stream;
  uint64_t count = 1000;
  size_t size = 100;
  uint64_t keys = 100;
  bool no_aggregation = false;
  int64_t buffered_time_ms = config.record_max_buffered_time.count();

  CLI::App app{"spate-produce: put records through spate::Producer and report the numbers", "spate-produce"};
  app.add_option("--endpoint", client_config.endpoint,
                 "Service URL (else AWS_ENDPOINT_URL, else http://127.0.0.1:4567)");
  app.add_option("--stream", stream, "Stream name or ARN")->required();
  app.add_option("--count", count, "Records to put")->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--size", size, "Data bytes per record")->check(CLI::Range(size_t{1}, spate::kMaxRecordSize / 2));
  app.add_option("--keys", keys, "Distinct partition keys")->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000}));
  app.add_flag("--no-aggregation", no_aggregation, "Send every record plain");
  app.add_option("--buffered-time-ms", buffered_time_ms, "RecordMaxBufferedTime")->check(CLI::Range(0, 60'000));
  app.add_option("--aggregation-max-size", config.aggregation_max_size, "AggregationMaxSize, bytes")
      ->check(CLI::Range(size_t{64}, spate::kMaxRecordSize));
  app.add_option("--rate-limit-percent", config.rate_limit_percent, "Per-shard rate limit, percent of the shard's")
      ->check(CLI::Range(1, 1'000'000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.aggregation_enabled = !no_aggregation;
  config.record_max_buffered_time = std::chrono::milliseconds(buffered_time_ms);

  spate::Outcome<std::unique_ptr<spate::KinesisClient>> client = spate::KinesisClient::Create(client_config);
  if (!client.ok()) {
    std::fprintf(stderr, "spate-produce: %s\n", client.error().ToString().c_str());
    return 2;
  }
  spate::Outcome<std::unique_ptr<spate::Producer>> made =
      spate::Producer::Create(std::shared_ptr<spate::KinesisClient>(std::move(client).value()), config);
  if (!made.ok()) {
    std::fprintf(stderr, "spate-produce: %s\n", made.error().ToString().c_str());
    return 2;
  }
  std::unique_ptr<spate::Producer> producer = std::move(made).value();

  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;
  std::string first_error;
  auto settle = [&](std::future<spate::PutOutcome>& f) {
    spate::PutOutcome o = f.get();
    if (o.ok()) {
      ++ok;
      return;
    }
    ++errors[o.error().type];
    if (first_error.empty()) first_error = o.error().ToString();
  };

  const auto start = std::chrono::steady_clock::now();
  std::deque<std::future<spate::PutOutcome>> outstanding;
  std::string data;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string key = "key-" + std::to_string(i % keys);
    data = key + "/" + std::to_string(i) + "/";
    if (data.size() < size) data.append(size - data.size(), 'x');
    outstanding.push_back(producer->Put(stream, key, data));
    if (outstanding.size() > kMaxOutstandingFutures) {
      settle(outstanding.front());
      outstanding.pop_front();
    }
  }
  producer->Flush();
  for (auto& f : outstanding) settle(f);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const spate::ProducerMetrics m = producer->metrics();

  std::string err_json = "{";
  for (const auto& [type, n] : errors) {
    if (err_json.size() > 1) err_json += ",";
    err_json += JsonString(type) + ":" + std::to_string(n);
  }
  err_json += "}";
  std::printf(
      "{\"records\":%llu,\"ok\":%llu,\"failed\":%llu,\"errors\":%s,\"first_error\":%s,\"seconds\":%.3f,"
      "\"records_per_second\":%.0f,\"put_records_calls\":%llu,\"calls_per_1000_records\":%.3f,"
      "\"kinesis_records\":%llu,\"list_shards_calls\":%llu,\"retries\":%llu,\"throttled\":%llu,"
      "\"rate_limited_waits\":%llu,\"latency_ms\":{\"mean\":%.2f,\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f}}\n",
      static_cast<unsigned long long>(count), static_cast<unsigned long long>(ok),
      static_cast<unsigned long long>(count - ok), err_json.c_str(), JsonString(first_error).c_str(), seconds,
      static_cast<double>(ok) / seconds, static_cast<unsigned long long>(m.put_records_calls),
      1000.0 * static_cast<double>(m.put_records_calls) / static_cast<double>(count),
      static_cast<unsigned long long>(m.kinesis_records_put), static_cast<unsigned long long>(m.list_shards_calls),
      static_cast<unsigned long long>(m.retries), static_cast<unsigned long long>(m.throttled),
      static_cast<unsigned long long>(m.rate_limited_waits), m.latency_ms_mean, m.latency_ms_p50, m.latency_ms_p99,
      m.latency_ms_max);
  return ok == count ? 0 : 1;
}
