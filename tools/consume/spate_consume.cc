// spate-consume: one spate::Consumer worker that prints every record it
// processes and every processor event, one JSON object per line on stdout,
// flushed line by line. The consumer's integration tests
// (tests/integration/test_consumer.py) run several of them as separate
// processes; it doubles as an example of the library's use.
//
//   spate-consume --stream S --app A [--worker W (default worker-<pid>)] [--endpoint URL]
//                 [--failover-ms MS] [--idle-ms MS] [--max-records N]
//                 [--max-seconds S] [--enhanced-fan-out [--consumer-name NAME]]
//
// Lines: {"event":"record","worker":W,"shard":..,"seq":..,"sub":..,"key":..,"data":..}
// and {"event":"init"|"shard_end"|"shutdown"|"lease_lost","worker":W,"shard":..}.
// The processor checkpoints after every batch and at the shard's end.
// SIGTERM or SIGINT shut the worker down gracefully (final checkpoints,
// leases released); it also stops after --max-seconds. Exit status 0, or 2
// on bad flags or a consumer that cannot be made.

#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "spate/consumer.h"
#include "spate/kinesis_client.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::mutex g_out_mu;

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

void Emit(const std::string& line) {
  std::lock_guard lock(g_out_mu);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

class PrintingProcessor final : public spate::RecordProcessor {
 public:
  explicit PrintingProcessor(std::string worker) : worker_(std::move(worker)) {}

  void Initialize(const std::string& shard_id) override {
    shard_ = shard_id;
    Event("init");
  }
  void ProcessRecords(const std::vector<spate::ConsumedRecord>& records, spate::Checkpointer& cp) override {
    for (const spate::ConsumedRecord& r : records) {
      Emit(R"({"event":"record","worker":)" + JsonString(worker_) + R"(,"shard":)" + JsonString(shard_) +
           R"(,"seq":")" + r.sequence_number + R"(","sub":)" + std::to_string(r.sub_sequence_number) + R"(,"key":)" +
           JsonString(r.partition_key) + R"(,"data":)" + JsonString(r.data) + "}");
    }
    Checkpoint(cp);
  }
  void ShardEnded(spate::Checkpointer& cp) override {
    Event("shard_end");
    Checkpoint(cp);
  }
  void ShutdownRequested(spate::Checkpointer& cp) override {
    Event("shutdown");
    Checkpoint(cp);
  }
  void LeaseLost() override { Event("lease_lost"); }

 private:
  void Event(const char* name) {
    Emit(std::string(R"({"event":")") + name + R"(","worker":)" + JsonString(worker_) + R"(,"shard":)" +
         JsonString(shard_) + "}");
  }
  void Checkpoint(spate::Checkpointer& cp) {
    auto r = cp.Checkpoint();
    if (!r.ok()) {
      Emit(R"({"event":"checkpoint_failed","worker":)" + JsonString(worker_) + R"(,"shard":)" + JsonString(shard_) +
           R"(,"error":)" + JsonString(r.error().ToString()) + "}");
    }
  }

  const std::string worker_;
  std::string shard_;
};

}  // namespace

int main(int argc, char** argv) {
  spate::ClientConfig client_config;
  spate::ConsumerConfig config;
  int64_t failover_ms = 10000;
  int64_t idle_ms = 1000;
  int64_t max_seconds = 600;
  CLI::App app{"Runs one spate::Consumer worker and prints what it processes."};
  app.add_option("--endpoint", client_config.endpoint, "service endpoint");
  app.add_option("--stream", config.stream, "stream name or ARN")->required();
  app.add_option("--app", config.application_name, "application name")->required();
  app.add_option("--worker", config.worker_id, "worker id (default: host:pid:random)");
  app.add_option("--failover-ms", failover_ms, "lease failover time")->check(CLI::Range(int64_t{30}, int64_t{600000}));
  app.add_option("--idle-ms", idle_ms, "idle time between empty reads")->check(CLI::Range(int64_t{1}, int64_t{60000}));
  app.add_option("--max-records", config.max_records, "GetRecords limit")->check(CLI::Range(1, 10000));
  app.add_flag("--enhanced-fan-out", config.enhanced_fan_out, "read with SubscribeToShard instead of GetRecords");
  app.add_option("--consumer-name", config.consumer_name, "fan-out consumer name (default: the application)");
  app.add_option("--max-seconds", max_seconds, "stop after this long")->check(CLI::Range(int64_t{1}, int64_t{3600}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.failover_time = std::chrono::milliseconds(failover_ms);
  config.lease_taking_interval = std::chrono::milliseconds(failover_ms / 2);
  config.idle_time_between_reads = std::chrono::milliseconds(idle_ms);

  auto client = spate::KinesisClient::Create(client_config);
  if (!client.ok()) {
    std::fprintf(stderr, "spate-consume: %s\n", client.error().ToString().c_str());
    return 2;
  }
  if (config.worker_id.empty()) config.worker_id = "worker-" + std::to_string(::getpid());
  const std::string worker = config.worker_id;
  config.processor_factory = [worker] { return std::make_unique<PrintingProcessor>(worker); };
  auto consumer = spate::Consumer::Create(config, client.value().get());
  if (!consumer.ok()) {
    std::fprintf(stderr, "spate-consume: %s\n", consumer.error().ToString().c_str());
    return 2;
  }
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  consumer.value()->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(max_seconds);
  constexpr auto kPoll = std::chrono::milliseconds(20);
  while (g_stop == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPoll);
  consumer.value()->Shutdown();
  Emit(R"({"event":"stopped","worker":)" + JsonString(consumer.value()->worker_id()) + "}");
  return 0;
}
