// Replicated appends on this machine: three in-process nodes (a LogStore
// each under <dir>, ReplicaServers on loopback ports), closed-loop
// appenders putting one 100-byte record per call, as the registry does
// (local group commit, then ShardReplicator until a majority is durable).
// Prints appends/s and p50/p99 latency for replication factor 1 (local
// only) and 3, alternating runs.
//
//   cluster_replication_bench DIR [seconds per run = 3] [appenders = 32] [shards = 8]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/placement.h"
#include "cluster/replication/replica_server.h"
#include "cluster/replication/shard_replicator.h"
#include "cluster/shard_leaders.h"
#include "storage/log_store.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::cluster::replication {
namespace {

constexpr char kSecret[] = "bench-secret";
constexpr int64_t kEpoch = 1;
constexpr uint64_t kMaxAppendsPerRun = 5'000'000;

class AllShards final : public Placement {
 public:
  AllShards(std::string self, std::vector<std::string> replicas) : self_(std::move(self)), replicas_(replicas) {}
  const std::string& SelfId() const override { return self_; }
  std::optional<ReplicaSet> ReplicasOf(std::string_view) const override {
    return ReplicaSet{kEpoch, "n1", replicas_, {}};
  }
  std::optional<std::string> AddressOf(std::string_view node) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = addresses_.find(std::string(node));
    if (it == addresses_.end()) return std::nullopt;
    return it->second;
  }
  void SetAddress(const std::string& node, std::string a) {
    std::lock_guard<std::mutex> l(mu_);
    addresses_[node] = std::move(a);
  }

 private:
  std::string self_;
  std::vector<std::string> replicas_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> addresses_;
};

class Logs final : public ReplicaLogs {
 public:
  Result<std::shared_ptr<storage::ShardLog>> LogFor(std::string_view key) override {
    auto it = logs.find(std::string(key));
    if (it == logs.end()) return Status(ErrorCode::kNotFound, "no shard");
    return it->second;
  }
  std::map<std::string, std::shared_ptr<storage::ShardLog>> logs;
};

struct Node {
  std::unique_ptr<storage::LogStore> store;
  Logs logs;
  std::unique_ptr<ReplicaServer> server;
};

std::string Key(int shard) {
  return ShardKey("123456789012", "us-east-1", "bench", model::ShardIdName(model::ShardIndex{uint32_t(shard)}));
}

void Run(const std::string& dir, int seconds, int appenders, int shards, int rf, int run) {
  util::ManualClock clock;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> ids = {"n1", "n2", "n3"};
  ids.resize(static_cast<size_t>(rf));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto n = std::make_unique<Node>();
    storage::LogStoreOptions o;
    o.dir = dir + "/run" + std::to_string(run) + "/" + ids[i];
    std::filesystem::create_directories(o.dir);
    o.fs = util::PosixFileSystem();
    o.clock = &clock;
    auto store = storage::LogStore::Open(o);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      std::exit(1);
    }
    n->store = std::move(*store);
    for (int s = 0; s < shards; ++s) {
      n->logs.logs[Key(s)] = *n->store->OpenShard("bench", model::ShardIndex{uint32_t(s)});
    }
    ReplicaServerOptions so;
    so.secret = kSecret;
    auto server = ReplicaServer::Start(so, &n->logs);
    if (!server.ok()) {
      std::fprintf(stderr, "listen: %s\n", server.status().ToString().c_str());
      std::exit(1);
    }
    n->server = std::move(server).value();
    nodes.push_back(std::move(n));
  }
  AllShards placement("n1", ids);
  for (size_t i = 0; i < ids.size(); ++i)
    placement.SetAddress(ids[i], "127.0.0.1:" + std::to_string(nodes[i]->server->port()));
  ReplicatorOptions ro;
  ro.secret = kSecret;
  auto replicator = std::make_unique<ShardReplicator>(&placement, ro);
  const streams::ReplicatedShard base{"123456789012", "us-east-1", "bench", model::ShardIndex{0}};

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0}, failed{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(appenders));
  std::vector<std::thread> threads;
  const std::string data(100, 'x');
  for (int a = 0; a < appenders; ++a) {
    threads.emplace_back([&, a] {
      int shard = a % shards;
      auto log = nodes[0]->logs.logs[Key(shard)];
      streams::ReplicatedShard target = base;
      target.shard = model::ShardIndex{uint32_t(shard)};
      std::vector<storage::RecordInput> in{{"pk", data}};
      storage::AppendOptions o;
      o.epoch = kEpoch;
      while (!stop && total < kMaxAppendsPerRun) {
        auto t0 = std::chrono::steady_clock::now();
        std::promise<Status> p;
        log->Append(in, 1, o, [&](Result<storage::AppendResult> r) {
          if (!r.ok()) {
            p.set_value(r.status());
            return;
          }
          replicator->Replicate(target, log, r->base_offset + r->count, kEpoch, [&p](Status s) { p.set_value(s); });
        });
        Status s = p.get_future().get();
        auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        if (s.ok()) {
          lat[static_cast<size_t>(a)].push_back(us);
          ++total;
        } else {
          ++failed;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all.empty() ? 0.0 : all[static_cast<size_t>(q * (all.size() - 1))] / 1000.0; };
  std::printf("rf=%d appenders=%d shards=%d: %.0f appends/s, p50 %.2f ms, p99 %.2f ms, failed %llu\n", rf, appenders,
              shards, double(total) / seconds, pct(0.5), pct(0.99), static_cast<unsigned long long>(failed.load()));
  replicator.reset();
  nodes.clear();
  util::PosixFileSystem()->RemoveAll(dir + "/run" + std::to_string(run)).IgnoreError();
}

}  // namespace
}  // namespace spate::cluster::replication

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [seconds] [appenders] [shards]\n", argv[0]);
    return 2;
  }
  int seconds = argc > 2 ? std::atoi(argv[2]) : 3;
  int appenders = argc > 3 ? std::atoi(argv[3]) : 32;
  int shards = argc > 4 ? std::atoi(argv[4]) : 8;
  int run = 0;
  for (int round = 0; round < 2; ++round) {
    spate::cluster::replication::Run(argv[1], seconds, appenders, shards, 1, run++);
    spate::cluster::replication::Run(argv[1], seconds, appenders, shards, 3, run++);
  }
  return 0;
}
