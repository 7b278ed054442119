// Put-to-push latency of enhanced fan-out, in process, on the real disk.
//
//   fanout_bench <scratch dir> [records_per_second=1000] [seconds=10] [subscribers=10]
//
// One stream with one shard; `subscribers` consumers each subscribed at
// LATEST. A paced loop puts one record per Registry::Put at the given rate
// (each record carries its put time). Every sink stamps the moment the hub
// hands it an event (ResponseStream::Write in the server: queued for the
// socket). Latency per record and subscriber = hand-off time - put time; it
// includes the group commit's fdatasync. Reports p50/p90/p99/max, the log
// reads the hub made and the records delivered.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metadata/catalog.h"
#include "protocol/event_stream.h"
#include "protocol/json_codec.h"
#include "storage/log_store.h"
#include "streams/consumers.h"
#include "streams/fan_out.h"
#include "streams/registry.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/file_system.h"

using namespace spate;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class StampingSink final : public streams::EventSink {
 public:
  bool Write(std::string bytes) override {
    int64_t t = NowNs();
    std::lock_guard<std::mutex> lock(mu_);
    writes_.emplace_back(t, std::move(bytes));
    return true;
  }
  size_t Buffered() const override { return 0; }
  void End() override {}
  void OnClose(std::function<void()>) override {}

  // Latency (ns) of every record delivered, from the put time in its data.
  std::vector<int64_t> Latencies() const {
    std::vector<int64_t> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [t, bytes] : writes_) {
      std::string_view in = bytes;
      std::string error;
      while (auto m = protocol::event_stream::Decode(&in, &error)) {
        if (m->HeaderValue(":event-type") != "SubscribeToShardEvent") continue;
        auto v = protocol::ParseJson(m->payload);
        if (!v.ok()) continue;
        for (const protocol::Value& r : v->Find("Records")->as_array()) {
          std::string data, err;
          if (!util::Base64Decode(r.Find("Data")->as_string(), &data, &err)) continue;
          out.push_back(t - std::stoll(data));
        }
      }
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<int64_t, std::string>> writes_;
};

double Pct(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return static_cast<double>(v[i]) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fanout_bench <scratch dir> [records_per_second] [seconds] [subscribers]\n");
    return 2;
  }
  std::filesystem::path dir = std::filesystem::path(argv[1]) / "fanout-bench";
  int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  int subscribers = argc > 4 ? std::atoi(argv[4]) : 10;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto catalog = metadata::Catalog::Open((dir / "catalog").string());
  storage::LogStoreOptions lo;
  lo.dir = (dir / "streams").string();
  lo.fs = util::PosixFileSystem();
  lo.clock = util::SystemClock();
  auto logs = storage::LogStore::Open(lo);
  if (!catalog.ok() || !logs.ok()) {
    std::fprintf(stderr, "cannot open the scratch stores\n");
    return 1;
  }
  streams::RegistryOptions ro;
  ro.state_delay_ms = 0;
  streams::Registry registry(ro, catalog->get(), logs->get(), util::SystemClock());
  streams::FanOut fan_out(streams::FanOutOptions{}, &registry, util::SystemClock());
  registry.SetAppendObserver([&](const std::string& g, model::ShardIndex s) { fan_out.OnAppend(g, s); });
  if (!registry.Start().ok()) return 1;
  streams::StreamRef ref{"000000000000", "us-east-1", "bench"};
  if (!registry.CreateStream(ref, 1, metadata::StreamMode::kProvisioned, {}).ok()) return 1;
  registry.RunMaintenance();
  fan_out.Start();

  std::vector<std::shared_ptr<StampingSink>> sinks;
  for (int i = 0; i < subscribers; ++i) {
    streams::SubscribeRequest req;
    req.stream = ref;
    req.shard = model::ShardIndex{0};
    Status st = registry.UpdateStream(ref, [&](metadata::StreamMeta& m) {
      int64_t now = util::SystemClock()->NowMs();
      metadata::ConsumerMeta c{"c" + std::to_string(i), now, metadata::ConsumerStatus::kActive, now, {}};
      req.consumer_arn = streams::ConsumerArn(m, c);
      req.consumer_name = c.name;
      req.consumer_created_ms = c.created_ms;
      req.storage_group = m.storage_group;
      m.consumers.push_back(c);
      return Status::Ok();
    });
    if (!st.ok()) return 1;
    registry
        .WithStream(ref,
                    [&](const streams::Stream& s) {
                      req.log = s.Log(req.shard);
                      req.start_offset = req.log->EndOffset();
                      return Status::Ok();
                    })
        .IgnoreError();
    auto sink = std::make_shared<StampingSink>();
    sinks.push_back(sink);
    if (!fan_out.Subscribe(std::move(req), [sink] { return sink; }).ok()) return 1;
  }

  std::atomic<int> acked{0};
  int total = rate * seconds;
  int64_t start = NowNs();
  int64_t interval = 1'000'000'000LL / rate;
  for (int i = 0; i < total; ++i) {
    int64_t due = start + i * interval;
    while (NowNs() < due) std::this_thread::sleep_for(std::chrono::microseconds(50));
    std::vector<streams::PutEntry> e;
    e.push_back(streams::PutEntry{"pk", std::to_string(NowNs()), std::nullopt});
    registry.Put(ref, std::move(e), [&](Result<std::vector<streams::PutOutcome>>) { acked.fetch_add(1); });
  }
  int64_t deadline = NowNs() + 10'000'000'000LL;
  while (acked.load() < total && NowNs() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // last pushes
  fan_out.Stop();

  std::vector<int64_t> all;
  for (auto& s : sinks) {
    auto l = s->Latencies();
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  std::printf("fan-out put-to-push: %d records/s x %d s, %d subscribers, 1 shard\n", rate, seconds, subscribers);
  std::printf("  delivered %zu of %d record-subscriber pairs; hub log reads %llu\n", all.size(), total * subscribers,
              static_cast<unsigned long long>(fan_out.ReadCount()));
  std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", Pct(all, 50), Pct(all, 90), Pct(all, 99),
              all.empty() ? 0.0 : static_cast<double>(all.back()) / 1e6);
  registry.Stop();
  std::filesystem::remove_all(dir);
  return all.size() == static_cast<size_t>(total) * subscribers ? 0 : 1;
}
