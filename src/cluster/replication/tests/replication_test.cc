// Replication between three in-process nodes: each has its own LogStore in
// a temporary directory and a ReplicaServer on a loopback port; the leader
// ships batches over real sockets through a ShardReplicator. Placement is a
// small in-memory table, one view per node (a stale leader keeps its view).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "cluster/leader_sync.h"
#include "cluster/placement.h"
#include "cluster/replication/replica_client.h"
#include "cluster/replication/replica_server.h"
#include "cluster/replication/shard_replicator.h"
#include "cluster/shard_leaders.h"
#include "storage/log_store.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::cluster::replication {
namespace {

const streams::ReplicatedShard kShard{"123456789012", "us-east-1", "s", model::ShardIndex{0}};
const std::string kKey = ShardKey("123456789012", "us-east-1", "s", model::ShardIdName(model::ShardIndex{0}));
constexpr char kSecret[] = "cluster-secret";

// One node's view of placement.
class TablePlacement final : public Placement {
 public:
  explicit TablePlacement(std::string self) : self_(std::move(self)) {}
  const std::string& SelfId() const override { return self_; }
  std::optional<ReplicaSet> ReplicasOf(std::string_view shard_key) const override {
    std::lock_guard<std::mutex> l(mu_);
    if (shard_key != kKey || !set_) return std::nullopt;
    return set_;
  }
  std::optional<std::string> AddressOf(std::string_view node) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = addresses_.find(std::string(node));
    if (it == addresses_.end()) return std::nullopt;
    return it->second;
  }
  void Set(ReplicaSet set) {
    std::lock_guard<std::mutex> l(mu_);
    set_ = std::move(set);
  }
  void Clear() {  // the shard is gone (its stream deleted)
    std::lock_guard<std::mutex> l(mu_);
    set_.reset();
  }
  void SetAddress(const std::string& node, std::string address) {
    std::lock_guard<std::mutex> l(mu_);
    addresses_[node] = std::move(address);
  }

 private:
  const std::string self_;
  mutable std::mutex mu_;
  std::optional<ReplicaSet> set_;
  std::map<std::string, std::string> addresses_;
};

class OneShard final : public ReplicaLogs {
 public:
  explicit OneShard(std::shared_ptr<storage::ShardLog> log) : log_(std::move(log)) {}
  Result<std::shared_ptr<storage::ShardLog>> LogFor(std::string_view shard_key) override {
    if (shard_key != kKey) return Status(ErrorCode::kNotFound, "no shard " + std::string(shard_key));
    return log_;
  }

 private:
  std::shared_ptr<storage::ShardLog> log_;
};

struct Node {
  std::string id;
  CommittedEnds commits;  // shared by the node's server, replicator and catch-up
  std::unique_ptr<storage::LogStore> store;
  std::shared_ptr<storage::ShardLog> log;
  std::unique_ptr<OneShard> logs;
  std::unique_ptr<ReplicaServer> server;
  std::unique_ptr<TablePlacement> placement;
  std::unique_ptr<ShardReplicator> replicator;
};

std::vector<std::string> Batches(const storage::ShardLog& log) {
  auto r = log.ReadBatches(log.StartOffset(), SIZE_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{};
}

// Waits for a condition another thread brings about, up to 10 s.
bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

class ReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spate_replication_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* id : {"n1", "n2", "n3"}) {
      auto n = std::make_unique<Node>();
      n->id = id;
      storage::LogStoreOptions o;
      o.dir = root_ + "/" + id;
      o.fs = util::PosixFileSystem();
      o.clock = &clock_;
      o.segment_bytes = 16 << 10;
      o.sync_threads = 1;
      auto store = storage::LogStore::Open(o);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      n->store = std::move(*store);
      auto log = n->store->OpenShard("g", model::ShardIndex{0});
      ASSERT_TRUE(log.ok());
      n->log = *log;
      n->logs = std::make_unique<OneShard>(n->log);
      n->placement = std::make_unique<TablePlacement>(id);
      nodes_[id] = std::move(n);
    }
    for (const char* id : {"n1", "n2", "n3"}) StartServer(id);
  }
  void TearDown() override {
    for (auto& [id, n] : nodes_) n->replicator.reset();
    for (auto& [id, n] : nodes_) n->server.reset();
    nodes_.clear();
    util::PosixFileSystem()->RemoveAll(root_).IgnoreError();
  }

  Node& N(const std::string& id) { return *nodes_.at(id); }

  void StartServer(const std::string& id) {
    ReplicaServerOptions o;
    o.secret = kSecret;
    o.committed_ends = &N(id).commits;
    auto s = ReplicaServer::Start(o, N(id).logs.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    N(id).server = std::move(*s);
    for (auto& [other, n] : nodes_) {
      n->placement->SetAddress(id, "127.0.0.1:" + std::to_string(N(id).server->port()));
    }
  }

  // Makes `leader` the shard's leader under `epoch` in `leader`'s view
  // (and in the views of `also`), with replica set `replicas`.
  void Lead(const std::string& leader, int64_t epoch, std::vector<std::string> replicas,
            ReplicatorOptions options = {}) {
    ReplicaSet set{epoch, leader, std::move(replicas), {}};
    N(leader).placement->Set(set);
    if (N(leader).replicator == nullptr) {
      options.secret = options.secret.empty() ? kSecret : options.secret;
      options.committed_ends = &N(leader).commits;
      N(leader).replicator = std::make_unique<ShardReplicator>(N(leader).placement.get(), options);
    }
  }

  // What the registry does: a durable local append under `epoch`, then
  // replication; the put's outcome.
  Status Put(const std::string& leader, int64_t epoch, int records = 3) {
    Node& n = N(leader);
    std::vector<std::string> datas;
    std::vector<storage::RecordInput> in;
    for (int i = 0; i < records; ++i) datas.push_back("record-" + std::to_string(++counter_) + std::string(100, '.'));
    for (const auto& d : datas) in.push_back(storage::RecordInput{"pk", d});
    storage::AppendOptions o;
    o.epoch = epoch;
    std::promise<Status> p;
    n.log->Append(in, 1000 + counter_, o, [&](Result<storage::AppendResult> r) {
      if (!r.ok()) {
        p.set_value(r.status());
        return;
      }
      n.replicator->Replicate(kShard, n.log, r->base_offset + r->count, epoch, [&p](Status s) { p.set_value(s); });
    });
    return p.get_future().get();
  }

  // The end reads on `node` stop at (Replicator::CommittedEnd, as the
  // registry asks it), leader or follower.
  uint64_t Readable(const std::string& node) {
    Node& n = N(node);
    if (n.replicator == nullptr) {
      ReplicatorOptions o;
      o.secret = kSecret;
      o.committed_ends = &n.commits;
      n.replicator = std::make_unique<ShardReplicator>(n.placement.get(), o);
    }
    return n.replicator->CommittedEnd(kShard, *n.log).value();
  }

  bool SameLog(const std::string& a, const std::string& b) {
    return Eventually([&] { return Batches(*N(a).log) == Batches(*N(b).log); });
  }

  std::string root_;
  util::ManualClock clock_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  int counter_ = 0;
};

TEST_F(ReplicationTest, MajorityAcknowledgesAndFollowersHoldTheLeadersBatches) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Put("n1", 5).ok()) << i;
  EXPECT_EQ(N("n1").log->EndOffset(), storage::Offset(120));
  EXPECT_TRUE(SameLog("n1", "n2"));
  EXPECT_TRUE(SameLog("n1", "n3"));
  EXPECT_EQ(N("n2").log->Epoch(), 5);
  EXPECT_TRUE(Eventually([&] { return N("n1").replicator->FollowerDurableEnd(kKey, "n3") == storage::Offset(120); }));
}

TEST_F(ReplicationTest, OneDeadFollowerDoesNotBlockAcknowledgements) {
  N("n3").server.reset();
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put("n1", 5).ok()) << i;
  EXPECT_TRUE(SameLog("n1", "n2"));
  EXPECT_EQ(N("n3").log->EndOffset(), storage::Offset(0));
  EXPECT_EQ(N("n1").replicator->FollowerDurableEnd(kKey, "n3"), std::nullopt);
}

TEST_F(ReplicationTest, NoMajorityFailsThePutWithUnavailable) {
  N("n2").server.reset();
  N("n3").server.reset();
  ReplicatorOptions o;
  o.ack_timeout_ms = 200;
  Lead("n1", 5, {"n1", "n2", "n3"}, o);
  Status s = Put("n1", 5);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
}

TEST_F(ReplicationTest, AMemberLeavingTheSetIsNotCountedTowardsTheMajority) {
  // n4 (dead, never reachable) is being replaced by n3, which is down too:
  // n1 and n2 are no majority of the four, but they are of the three that stay.
  N("n3").server.reset();
  ReplicatorOptions o;
  o.ack_timeout_ms = 300;
  Lead("n1", 5, {"n1", "n2", "n3", "n4"}, o);
  Status s = Put("n1", 5);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
  ReplicaSet set{5, "n1", {"n1", "n2", "n3", "n4"}, {}};
  set.leaving = {"n4"};
  N("n1").placement->Set(set);
  EXPECT_TRUE(Put("n1", 5).ok());
  EXPECT_TRUE(SameLog("n1", "n2"));
  // Two members leaving at once: a majority of the whole set again.
  set.leaving = {"n3", "n4"};
  N("n1").placement->Set(set);
  s = Put("n1", 5);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
}

TEST_F(ReplicationTest, ASingleReplicaSetAcknowledgesAtOnce) {
  Lead("n1", 5, {"n1"});
  EXPECT_TRUE(Put("n1", 5).ok());
}

TEST_F(ReplicationTest, AWrongSecretIsRefused) {
  ReplicatorOptions o;
  o.secret = "not-the-secret";
  o.ack_timeout_ms = 300;
  Lead("n1", 5, {"n1", "n2", "n3"}, o);
  EXPECT_EQ(Put("n1", 5).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(N("n2").log->EndOffset(), storage::Offset(0));
}

TEST_F(ReplicationTest, AStaleLeaderIsFencedByReplicasThatSawAHigherEpoch) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(SameLog("n1", "n2"));
  ASSERT_TRUE(SameLog("n1", "n3"));
  // n2 takes over under epoch 7 with n3 (n1 is believed dead); n1 does not
  // know and keeps its view.
  Lead("n2", 7, {"n2", "n3"});
  ASSERT_TRUE(Put("n2", 7).ok());
  EXPECT_EQ(N("n3").log->Epoch(), 7);
  // n1's local append still works (its own log never saw epoch 7), but no
  // replica acknowledges an epoch 5 batch any more.
  Status s = Put("n1", 5);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
  EXPECT_EQ(N("n3").log->EndOffset(), storage::Offset(6));
}

TEST_F(ReplicationTest, ANewLeaderTruncatesDivergentTailsAndKeepsEveryAcknowledgedBatch) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(SameLog("n1", "n2"));
  ASSERT_TRUE(SameLog("n1", "n3"));
  const auto acknowledged = Batches(*N("n1").log);
  // n1 stops replicating, appends three batches that are never
  // acknowledged, and one of them reaches n3 only, before n1 "dies".
  N("n1").replicator.reset();
  for (int i = 0; i < 3; ++i) {
    std::promise<bool> p;
    std::vector<storage::RecordInput> in{{"pk", "unacknowledged-" + std::to_string(i)}};
    storage::AppendOptions o;
    o.epoch = 5;
    N("n1").log->Append(in, 5000, o, [&](Result<storage::AppendResult> r) { p.set_value(r.ok()); });
    ASSERT_TRUE(p.get_future().get());
  }
  auto tail = *N("n1").log->ReadBatches(storage::Offset(30), SIZE_MAX);
  ASSERT_EQ(tail.size(), 3u);
  {
    std::promise<Status> p;
    N("n3").log->AppendReplicated(tail[0], 5, [&](Result<storage::AppendResult> r) { p.set_value(r.status()); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  // n2 (which holds every acknowledged batch) leads under epoch 8.
  Lead("n2", 8, {"n2", "n3", "n1"});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Put("n2", 8).ok());
  ASSERT_TRUE(SameLog("n2", "n3"));
  ASSERT_TRUE(SameLog("n2", "n1"));
  auto now = Batches(*N("n3").log);
  ASSERT_EQ(now.size(), acknowledged.size() + 2);
  for (size_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ(now[i], acknowledged[i]);
  EXPECT_EQ(N("n3").log->BatchAt(storage::Offset(30))->epoch, 8);
  EXPECT_EQ(N("n1").log->Epoch(), 8);
  EXPECT_EQ(N("n3").log->Epoch(), 8);
}

TEST_F(ReplicationTest, ALaggingFollowerIsCaughtUpFromTheLeadersLog) {
  N("n3").server.reset();
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(Put("n1", 5, 5).ok());  // several segments
  EXPECT_EQ(N("n3").log->EndOffset(), storage::Offset(0));
  StartServer("n3");
  ASSERT_TRUE(Put("n1", 5).ok());
  EXPECT_TRUE(SameLog("n1", "n3"));
  EXPECT_TRUE(Eventually([&] { return N("n1").replicator->FollowerDurableEnd(kKey, "n3") == storage::Offset(303); }));
}

TEST_F(ReplicationTest, AFollowerThatRestartsIsMatchedAgain) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(SameLog("n1", "n2"));
  N("n2").server.reset();
  N("n3").server.reset();
  StartServer("n2");
  StartServer("n3");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  EXPECT_TRUE(SameLog("n1", "n2"));
  EXPECT_TRUE(SameLog("n1", "n3"));
}

TEST_F(ReplicationTest, TheStateOfAShardNoLongerLedHereIsForgotten) {
  ReplicatorOptions o;
  o.forget_interval_ms = 10;
  Lead("n1", 5, {"n1", "n2", "n3"}, o);
  ASSERT_TRUE(Put("n1", 5).ok());
  EXPECT_EQ(N("n1").replicator->ShardCount(), 1u);
  // The leadership moved to n2: n1 keeps nothing of the shard.
  N("n1").placement->Set(ReplicaSet{6, "n2", {"n1", "n2", "n3"}, {}});
  EXPECT_TRUE(Eventually([&] { return N("n1").replicator->ShardCount() == 0; }));
  EXPECT_EQ(N("n1").replicator->FollowerDurableEnd(kKey, "n2"), std::nullopt);
  // Led here again: started afresh, its followers matched again.
  N("n1").placement->Set(ReplicaSet{7, "n1", {"n1", "n2", "n3"}, {}});
  ASSERT_TRUE(Put("n1", 7).ok());
  EXPECT_EQ(N("n1").replicator->ShardCount(), 1u);
  EXPECT_TRUE(SameLog("n1", "n2"));
  EXPECT_TRUE(SameLog("n1", "n3"));
  // The shard is gone (its stream deleted): forgotten as well.
  N("n1").placement->Clear();
  EXPECT_TRUE(Eventually([&] { return N("n1").replicator->ShardCount() == 0; }));
}

// Reads: the committed end, as the leader learns it and tells its followers
// (COMMIT), bounds what every node serves.

TEST_F(ReplicationTest, AnIdleLeaderStillTellsItsFollowersTheCommittedEnd) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  // Acknowledged means committed on the leader, at once.
  EXPECT_EQ(Readable("n1"), 12u);
  // No append follows the last one: the followers learn its commit from a
  // COMMIT of its own.
  EXPECT_TRUE(Eventually([&] { return Readable("n2") == 12; }));
  EXPECT_TRUE(Eventually([&] { return Readable("n3") == 12; }));
}

TEST_F(ReplicationTest, AFollowerNeverServesABatchPastTheCommittedEnd) {
  ReplicatorOptions o;
  o.ack_timeout_ms = 300;
  // Five replicas, two of which (n4, n5) never answer: three make a majority.
  Lead("n1", 5, {"n1", "n2", "n3", "n4", "n5"}, o);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(Eventually([&] { return Readable("n2") == 6 && Readable("n3") == 6; }));
  // With n3 gone a batch reaches n1 and n2 only: durable on n2, never
  // acknowledged, not committed.
  N("n3").server.reset();
  EXPECT_EQ(Put("n1", 5).code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(Eventually([&] { return N("n2").log->EndOffset() == storage::Offset(9); }));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Readable("n2"), 6u);
    EXPECT_EQ(Readable("n1"), 6u);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // n3 back and caught up: the batch is on three replicas now, committed
  // without another append, and the followers are told.
  StartServer("n3");
  EXPECT_TRUE(Eventually([&] { return Readable("n1") == 9; }));
  EXPECT_TRUE(Eventually([&] { return Readable("n2") == 9 && Readable("n3") == 9; }));
}

TEST_F(ReplicationTest, AFollowerKeepsItsCommittedEndWhenTheLeaderDies) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(Eventually([&] { return Readable("n2") == 9; }));
  N("n1").replicator.reset();
  N("n1").server.reset();
  // No leader at all, then n2 holding the key but not caught up: n2 serves
  // what it knew committed.
  EXPECT_EQ(Readable("n2"), 9u);
  N("n2").placement->Set(ReplicaSet{7, "n2", {"n1", "n2", "n3"}, {}});
  EXPECT_EQ(Readable("n2"), 9u);
}

TEST_F(ReplicationTest, ACommitFromADeposedLeaderIsIgnored) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(Eventually([&] { return Readable("n2") == 6 && Readable("n3") == 6; }));
  // A new leadership (epoch 7) probes n2; n1 does not know yet and commits
  // one more batch with n3.
  auto address = N("n1").placement->AddressOf("n2");
  ASSERT_TRUE(address.has_value());
  auto client = ReplicaClient::Connect(*address, kSecret, "n3", 1000);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto probed = (*client)->Probe(kKey, 7, 0);
  ASSERT_TRUE(probed.ok() && probed->code == ErrorCode::kOk);
  ASSERT_TRUE(Put("n1", 5).ok());
  EXPECT_TRUE(Eventually([&] { return Readable("n3") == 9; }));
  // n2 holds the batch but takes no commit from epoch 5 any more.
  ASSERT_TRUE(Eventually([&] { return N("n2").log->EndOffset() == storage::Offset(9); }));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Readable("n2"), 6u);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_F(ReplicationTest, ACommittedEndBelongsToOneIncarnationOfTheLog) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(Eventually([&] { return Readable("n2") == 6 && Readable("n3") == 6; }));
  // The stream deleted and created again under the same name: a new log
  // under the same shard key knows nothing committed.
  auto again = N("n2").store->OpenShard("g2", model::ShardIndex{0});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(N("n2").commits.Get(kKey, **again), 0u);
  N("n2").commits.Raise(kKey, *again, 5, 3);
  EXPECT_EQ(N("n2").commits.Get(kKey, **again), 0u);  // never past the log's own end (empty)
  EXPECT_EQ(Readable("n2"), 0u);                      // the entry now belongs to the new log
  // A cut below the known end lowers it (the invariant broken, reads stay off the cut).
  N("n3").commits.Lower(kKey, *N("n3").log, 3);
  EXPECT_EQ(Readable("n3"), 3u);
}

// Rule 5: a node that won the leadership catches up before it serves.
class LeaderSyncTest : public ReplicationTest {
 protected:
  void TearDown() override {
    syncs_.clear();
    ReplicationTest::TearDown();
  }
  // `node` leads under `epoch` with `replicas` and runs the catch-up.
  LeaderSync& Claim(const std::string& node, int64_t epoch, std::vector<std::string> replicas) {
    Lead(node, epoch, std::move(replicas));
    LeaderSyncOptions o;
    o.secret = kSecret;
    o.retry_ms = 20;
    o.committed_ends = &N(node).commits;
    auto& slot = syncs_[node];
    slot.reset();
    slot = std::make_unique<LeaderSync>(N(node).placement.get(), N(node).logs.get(), N(node).replicator.get(), o);
    return *slot;
  }
  bool BecomesReady(LeaderSync& sync, int64_t epoch) {
    return Eventually([&] { return sync.Ready(kKey, epoch); });
  }
  // The user records' data in a log, in order (the leadership markers left out).
  static std::vector<std::string> Datas(const storage::ShardLog& log) {
    auto r = log.Read(log.StartOffset(), storage::ReadLimits{100000, SIZE_MAX});
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    for (const auto& rec : r->records) {
      if (!rec.partition_key.empty()) out.push_back(rec.data);
    }
    return out;
  }
  // An append under `epoch` to `node`'s log alone (never acknowledged).
  void LocalOnly(const std::string& node, int64_t epoch, const std::string& data) {
    std::promise<bool> p;
    std::vector<storage::RecordInput> in{{"pk", data}};
    storage::AppendOptions o;
    o.epoch = epoch;
    N(node).log->Append(in, 5000, o, [&](Result<storage::AppendResult> r) { p.set_value(r.ok()); });
    ASSERT_TRUE(p.get_future().get());
  }

  std::map<std::string, std::unique_ptr<LeaderSync>> syncs_;
};

TEST_F(LeaderSyncTest, ALaggingClaimantCopiesEveryAcknowledgedBatchBeforeItServes) {
  // n1 leads with n3 down: everything acknowledged is on n1 and n2 only.
  N("n3").server.reset();
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(SameLog("n1", "n2"));
  const auto acknowledged = Datas(*N("n1").log);
  // n1 dies; n3 comes back with an empty log and wins the leader key.
  N("n1").replicator.reset();
  N("n1").server.reset();
  StartServer("n3");
  ASSERT_EQ(N("n3").log->EndOffset(), storage::Offset(0));
  LeaderSync& sync = Claim("n3", 8, {"n1", "n2", "n3"});
  EXPECT_FALSE(sync.Ready(kKey, 8));  // the first ask starts the catch-up
  EXPECT_FALSE(sync.Ready(kKey, 7));  // an older leadership is never ready
  ASSERT_TRUE(BecomesReady(sync, 8));
  EXPECT_EQ(Datas(*N("n3").log), acknowledged);
  // Its marker comes after them, under its epoch, and n2 gets it too.
  EXPECT_EQ(N("n3").log->BatchAt(storage::Offset(N("n3").log->EndOffset().value() - 1))->epoch, 8);
  EXPECT_TRUE(SameLog("n3", "n2"));
  ASSERT_TRUE(Put("n3", 8).ok());
  EXPECT_TRUE(
      Eventually([&] { return N("n3").replicator->CommittedEnd(kShard, *N("n3").log) == N("n3").log->EndOffset(); }));
}

TEST_F(LeaderSyncTest, ReadsContinueUpToTheCommittedEndThroughAFailover) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(Eventually([&] { return Readable("n2") == 30 && Readable("n3") == 30; }));
  N("n1").replicator.reset();
  N("n1").server.reset();
  // The shard has no leader: both survivors serve what they knew committed.
  EXPECT_EQ(Readable("n2"), 30u);
  EXPECT_EQ(Readable("n3"), 30u);
  // n2 claims it; while it catches up, and once it leads, it serves at
  // least that much; its marker and next batch commit and reach n3.
  LeaderSync& sync = Claim("n2", 8, {"n1", "n2", "n3"});
  EXPECT_FALSE(sync.Ready(kKey, 8));
  EXPECT_GE(Readable("n2"), 30u);
  ASSERT_TRUE(BecomesReady(sync, 8));
  EXPECT_GE(Readable("n2"), 30u);
  ASSERT_TRUE(Put("n2", 8).ok());
  const uint64_t end = N("n2").log->EndOffset().value();
  EXPECT_EQ(end, 34u);  // 30 records, the marker, 3 records
  EXPECT_EQ(Readable("n2"), end);
  EXPECT_TRUE(Eventually([&] { return Readable("n3") == end; }));
}

TEST_F(LeaderSyncTest, AClaimantsDivergentTailIsCutAndTheNewerLogCopied) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  ASSERT_TRUE(SameLog("n1", "n2"));
  ASSERT_TRUE(SameLog("n1", "n3"));
  // n1 appends two batches nobody else gets, then is cut off; n2 leads under
  // epoch 7 with n3 and writes more.
  N("n1").replicator.reset();
  LocalOnly("n1", 5, "unacknowledged-1");
  LocalOnly("n1", 5, "unacknowledged-2");
  Lead("n2", 7, {"n2", "n3"});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Put("n2", 7).ok());
  ASSERT_TRUE(SameLog("n2", "n3"));
  const auto expected = Datas(*N("n2").log);
  // n2 dies; n1 wins the key under epoch 9. Its log's last epoch (5) is
  // behind n3's (7): it cuts its tail and copies n3's.
  N("n2").replicator.reset();
  N("n2").server.reset();
  N("n1").replicator.reset();
  LeaderSync& sync = Claim("n1", 9, {"n1", "n2", "n3"});
  ASSERT_TRUE(BecomesReady(sync, 9));
  EXPECT_EQ(Datas(*N("n1").log), expected);
  EXPECT_EQ(N("n1").log->Epoch(), 9);
}

TEST_F(LeaderSyncTest, NoMajorityNoService) {
  Lead("n1", 5, {"n1", "n2", "n3"});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Put("n1", 5).ok());
  N("n2").server.reset();
  N("n3").server.reset();
  N("n1").replicator.reset();
  LeaderSync& sync = Claim("n1", 6, {"n1", "n2", "n3"});
  // Several attempts (retry_ms 20) without a majority: never ready.
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(sync.Ready(kKey, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // One replica back makes two of three: it serves.
  StartServer("n2");
  EXPECT_TRUE(BecomesReady(sync, 6));
}

TEST_F(LeaderSyncTest, AClaimantFencedByAHigherEpochNeverServes) {
  Lead("n2", 9, {"n1", "n2", "n3"});
  ASSERT_TRUE(Put("n2", 9).ok());
  ASSERT_TRUE(SameLog("n2", "n1"));
  ASSERT_TRUE(SameLog("n2", "n3"));
  // n1 believes it won under epoch 6, which both replicas have seen past.
  LeaderSync& sync = Claim("n1", 6, {"n1", "n2", "n3"});
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(sync.Ready(kKey, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace
}  // namespace spate::cluster::replication
