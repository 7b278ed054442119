// The decisions of cluster operation (balancer.h): hand-overs for balance
// and drain, claim order, replica replacement. Pure functions: no etcd.

#include "cluster/balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "cluster/coordinator.h"

namespace spate::cluster {
namespace {

ShardView Led(std::string key, std::vector<std::string> replicas, std::string leader, int64_t epoch = 1) {
  ShardView s;
  s.shard_key = std::move(key);
  s.replicas = std::move(replicas);
  s.leader = std::move(leader);
  s.epoch = epoch;
  return s;
}

BalanceInput Cluster(std::string self, std::set<std::string> live) {
  BalanceInput in;
  in.self = std::move(self);
  in.live = live;
  in.settled = live;
  return in;
}

// Lets every node plan in turn and applies the hand-overs as done, until a
// whole round plans none; the number of moves, or -1 past `limit` rounds.
int Converge(BalanceInput& in, int limit) {
  int moves = 0;
  for (int round = 0; round < limit; ++round) {
    bool any = false;
    for (const std::string& n : std::set<std::string>(in.live)) {
      in.self = n;
      for (const Handoff& h : PlanHandoffs(in, 1, nullptr)) {
        for (ShardView& s : in.shards) {
          if (s.shard_key != h.shard_key) continue;
          EXPECT_EQ(s.leader, n);
          EXPECT_EQ(s.epoch, h.epoch);
          EXPECT_NE(std::find(s.replicas.begin(), s.replicas.end(), h.successor), s.replicas.end());
          s.leader = h.successor;
          ++s.epoch;
        }
        ++moves;
        any = true;
      }
    }
    if (!any) return moves;
  }
  return -1;
}

TEST(BalancerTest, ANodeThatComesBackGetsItsShareOfLeadership) {
  BalanceInput in = Cluster("n1", {"n1", "n2", "n3"});
  for (int i = 0; i < 6; ++i) in.shards.push_back(Led("s" + std::to_string(i), {"n1", "n2", "n3"}, "n1", 10 + i));
  std::vector<Handoff> plan = PlanHandoffs(in, 10, nullptr);
  // 6 on n1 and none elsewhere: 4 moves leave 2 + 2 + 2.
  ASSERT_EQ(plan.size(), 4u);
  std::map<std::string, int> to;
  for (const Handoff& h : plan) ++to[h.successor];
  EXPECT_EQ(to["n2"], 2);
  EXPECT_EQ(to["n3"], 2);
  EXPECT_EQ(plan[0].epoch, 10);  // released at the leadership's own epoch
}

TEST(BalancerTest, MovesAreBoundedPerPlan) {
  BalanceInput in = Cluster("n1", {"n1", "n2"});
  for (int i = 0; i < 8; ++i) in.shards.push_back(Led("s" + std::to_string(i), {"n1", "n2"}, "n1"));
  EXPECT_EQ(PlanHandoffs(in, 1, nullptr).size(), 1u);
  EXPECT_EQ(PlanHandoffs(in, 0, nullptr).size(), 0u);
}

TEST(BalancerTest, ADifferenceOfOneNeverMoves) {
  // 2 against 1: moving would give 1 against 2, and then back: no flapping.
  BalanceInput in = Cluster("n1", {"n1", "n2"});
  in.shards = {Led("a", {"n1", "n2"}, "n1"), Led("b", {"n1", "n2"}, "n1"), Led("c", {"n1", "n2"}, "n2")};
  EXPECT_TRUE(PlanHandoffs(in, 5, nullptr).empty());
  in.self = "n2";
  EXPECT_TRUE(PlanHandoffs(in, 5, nullptr).empty());
}

TEST(BalancerTest, SuccessorIsAlwaysALiveReadyReplica) {
  BalanceInput in = Cluster("n1", {"n1", "n2", "n3"});
  // n3 leads nothing but is no replica of these; n2 is dead.
  in.live = {"n1", "n3"};
  in.settled = in.live;
  in.shards = {Led("a", {"n1", "n2"}, "n1"), Led("b", {"n1", "n2"}, "n1"), Led("c", {"n1", "n2"}, "n1")};
  EXPECT_TRUE(PlanHandoffs(in, 5, nullptr).empty());
  in.live = {"n1", "n2", "n3"};
  in.settled = in.live;
  auto not_ready = [](std::string_view, std::string_view node) { return node != "n2"; };
  EXPECT_TRUE(PlanHandoffs(in, 5, not_ready).empty());
  EXPECT_EQ(PlanHandoffs(in, 5, nullptr).size(), 1u);  // 3 vs 0: one move leaves 2 vs 1
}

TEST(BalancerTest, ANodeNotSettledReceivesNothingByBalancing) {
  BalanceInput in = Cluster("n1", {"n1", "n2"});
  in.settled = {"n1"};
  for (int i = 0; i < 4; ++i) in.shards.push_back(Led("s" + std::to_string(i), {"n1", "n2"}, "n1"));
  EXPECT_TRUE(PlanHandoffs(in, 5, nullptr).empty());
  in.draining = {"n1"};  // a drain does not wait for it
  EXPECT_EQ(PlanHandoffs(in, 5, nullptr).size(), 4u);
}

TEST(BalancerTest, HandOversUnderWayCountForTheirSuccessor) {
  BalanceInput in = Cluster("n1", {"n1", "n2"});
  in.shards = {Led("a", {"n1", "n2"}, "n1"), Led("b", {"n1", "n2"}, "n1"), Led("c", {"n1", "n2"}, "n1")};
  ShardView pending = Led("d", {"n1", "n2"}, "");
  pending.handoff_to = "n2";
  in.shards.push_back(pending);
  // 3 against 1 (the pending one): one more move, not two.
  EXPECT_EQ(LeaderCounts(in)["n2"], 1u);
  EXPECT_EQ(PlanHandoffs(in, 5, nullptr).size(), 1u);
}

TEST(BalancerTest, ADrainedNodeHandsEverythingToTheLeastLoadedReplicas) {
  BalanceInput in = Cluster("n1", {"n1", "n2", "n3"});
  in.draining = {"n1"};
  in.shards = {Led("a", {"n1", "n2", "n3"}, "n1"), Led("b", {"n1", "n2", "n3"}, "n1"),
               Led("c", {"n1", "n2", "n3"}, "n2"), Led("d", {"n1", "n3"}, "n1")};
  std::vector<Handoff> plan = PlanHandoffs(in, 10, nullptr);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].successor, "n3");  // n2 leads one already
  EXPECT_EQ(plan[1].successor, "n2");  // then 1 each: placement order
  EXPECT_EQ(plan[2].successor, "n3");  // only n3 holds d
  // A drained node never receives a leadership.
  in.self = "n2";
  in.draining = {"n1", "n3"};
  for (ShardView& s : in.shards) s.leader = "n2";
  EXPECT_EQ(PlanHandoffs(in, 10, nullptr).size(), 0u);
}

TEST(BalancerTest, ADrainedNodeWithNoOtherLiveReplicaKeepsTheShard) {
  BalanceInput in = Cluster("n1", {"n1", "n3"});
  in.draining = {"n1"};
  in.shards = {Led("a", {"n1", "n2"}, "n1")};
  EXPECT_TRUE(PlanHandoffs(in, 10, nullptr).empty());
}

TEST(BalancerTest, BalancingConvergesAndNeverUndoesItself) {
  // 60 shards over 5 nodes, 3 replicas each, every shard led by its first
  // replica, then nodes n4 and n5 lead nothing (they were away).
  std::vector<std::string> nodes{"n1", "n2", "n3", "n4", "n5"};
  BalanceInput in = Cluster("n1", {nodes.begin(), nodes.end()});
  for (int i = 0; i < 60; ++i) {
    std::string key = "000000000000/us-east-1/s/shardId-" + std::to_string(i);
    std::vector<std::string> replicas = PlaceReplicas(key, nodes, 3);
    std::string leader = replicas[0] == "n4" || replicas[0] == "n5" ? replicas[1] : replicas[0];
    if (leader == "n4" || leader == "n5") leader = replicas[2];
    in.shards.push_back(Led(key, replicas, leader));
  }
  int moves = Converge(in, 200);
  ASSERT_GE(moves, 0) << "balancing did not settle";
  EXPECT_LE(moves, 60);
  std::map<std::string, size_t> counts = LeaderCounts(in);
  size_t lo = std::numeric_limits<size_t>::max(), hi = 0;
  for (const auto& [n, c] : counts) {
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  EXPECT_LE(hi - lo, 2u) << "n1 " << counts["n1"] << " n4 " << counts["n4"];
  // Settled: nobody plans anything more.
  EXPECT_EQ(Converge(in, 1), 0);
}

TEST(BalancerTest, DrainThenUndrainSettles) {
  std::vector<std::string> nodes{"n1", "n2", "n3"};
  BalanceInput in = Cluster("n1", {nodes.begin(), nodes.end()});
  for (int i = 0; i < 12; ++i) {
    std::string key = "k" + std::to_string(i);
    in.shards.push_back(Led(key, PlaceReplicas(key, nodes, 3), nodes[i % 3]));
  }
  in.draining = {"n2"};
  ASSERT_GE(Converge(in, 50), 0);
  EXPECT_EQ(LeaderCounts(in)["n2"], 0u);
  in.draining.clear();
  ASSERT_GE(Converge(in, 50), 0);
  EXPECT_EQ(LeaderCounts(in)["n2"], 4u);
}

TEST(BalancerTest, ClaimOrderPutsTheSuccessorFirstAndDrainedNodesLast) {
  ShardView s = Led("a", {"n1", "n2", "n3"}, "");
  std::set<std::string> live{"n1", "n2", "n3"};
  EXPECT_EQ(ClaimRank(s, "n1", live, {}), 0u);
  EXPECT_EQ(ClaimRank(s, "n3", live, {}), 2u);
  EXPECT_EQ(ClaimRank(s, "n1", live, {"n1"}), 2u);
  EXPECT_EQ(ClaimRank(s, "n2", live, {"n1"}), 0u);
  s.handoff_to = "n3";
  EXPECT_EQ(ClaimRank(s, "n3", live, {}), 0u);
  EXPECT_EQ(ClaimRank(s, "n1", live, {}), 1u);
  EXPECT_EQ(ClaimRank(s, "n1", {"n1", "n2"}, {}), 0u);  // a dead successor is skipped
  EXPECT_EQ(ClaimRank(s, "n9", live, {}), std::numeric_limits<size_t>::max());
}

TEST(BalancerTest, ADeadReplicaIsReplacedAtTheEnd) {
  std::vector<std::string> after =
      ReplaceReplicas("k", {"n1", "n2", "n3"}, {"n2"}, {"n1", "n3", "n4"}, {"n1", "n3", "n4"}, 3);
  EXPECT_EQ(after, (std::vector<std::string>{"n1", "n3", "n4"}));
}

TEST(BalancerTest, ReplacementFollowsRendezvousHashing) {
  std::vector<std::string> candidates{"n1", "n4", "n5", "n6"};
  std::vector<std::string> after = ReplaceReplicas("k", {"n1", "n2"}, {"n2"}, candidates, {"n1", "n4", "n5", "n6"}, 2);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1], PlaceReplicas("k", {"n4", "n5", "n6"}, 1)[0]);
}

TEST(BalancerTest, NoReplacementWithoutACandidate) {
  // The set never shrinks: a dead replica stays until a node can take its place.
  EXPECT_EQ(ReplaceReplicas("k", {"n1", "n2", "n3"}, {"n3"}, {"n1", "n2"}, {"n1", "n2"}, 3),
            (std::vector<std::string>{"n1", "n2", "n3"}));
}

TEST(BalancerTest, NoReplacementWhenNoLiveReplicaRemains) {
  EXPECT_EQ(ReplaceReplicas("k", {"n1", "n2"}, {"n1", "n2"}, {"n3", "n4"}, {"n3", "n4"}, 2),
            (std::vector<std::string>{"n1", "n2"}));
}

TEST(BalancerTest, AShortSetIsFilledByAJoiningNode) {
  // Placed when only n1 was live; n2 joined since.
  EXPECT_EQ(ReplaceReplicas("k", {"n1"}, {}, {"n1", "n2"}, {"n1", "n2"}, 3), (std::vector<std::string>{"n1", "n2"}));
  // A full set is left alone.
  EXPECT_EQ(ReplaceReplicas("k", {"n1", "n2"}, {}, {"n1", "n2", "n3"}, {"n1", "n2", "n3"}, 2),
            (std::vector<std::string>{"n1", "n2"}));
}

TEST(BalancerTest, ADeadButNotYetReplacedReplicaKeepsItsPlace) {
  // n2 is down but within the grace period (not in `dead`).
  EXPECT_EQ(ReplaceReplicas("k", {"n1", "n2", "n3"}, {}, {"n1", "n3", "n4"}, {"n1", "n3", "n4"}, 3),
            (std::vector<std::string>{"n1", "n2", "n3"}));
}

// ---- replica set changes (PlanReplicaChange) ----------------------------------

ReplicaPlanInput Plan(std::vector<std::string> replicas, std::vector<std::string> leaving, std::string leader,
                      std::set<std::string> live, std::set<std::string> dead = {}) {
  ReplicaPlanInput in;
  in.shard_key = "000000000000/us-east-1/s/shardId-000000000000";
  in.set = ReplicaSetState{std::move(replicas), std::move(leaving)};
  in.leader = std::move(leader);
  in.live = live;
  in.settled = live;
  in.dead = std::move(dead);
  in.candidates.assign(live.begin(), live.end());
  in.factor = 3;
  return in;
}

CaughtUp Holding(std::set<std::string> nodes) {
  return [nodes](const std::string& n) { return nodes.count(n) != 0; };
}

TEST(BalancerTest, AReplacementAddsTheNewcomerBeforeDroppingTheDeadReplica) {
  ReplicaSetState next = PlanReplicaChange(Plan({"n1", "n2", "n3"}, {}, "n1", {"n1", "n2", "n4"}, {"n3"}), Holding({}));
  // The dead n3 stays in the set, on its way out, until n4 is caught up.
  EXPECT_EQ(next, (ReplicaSetState{{"n1", "n2", "n3", "n4"}, {"n3"}}));
}

TEST(BalancerTest, TheDeadReplicaLeavesOnlyOnceTheNewcomerIsCaughtUp) {
  ReplicaPlanInput in = Plan({"n1", "n2", "n3", "n4"}, {"n3"}, "n1", {"n1", "n2", "n4"}, {"n3"});
  // n2 holds everything, n4 does not yet: wait (n4 is not counted before it is caught up).
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n2"})), in.set);
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n4"})), in.set);
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n2", "n4"})), (ReplicaSetState{{"n1", "n2", "n4"}, {}}));
}

TEST(BalancerTest, NoChangeCompletesWithoutALiveLeaderInTheRemainingSet) {
  ReplicaPlanInput in = Plan({"n1", "n2", "n3", "n4"}, {"n3"}, "", {"n1", "n2", "n4"}, {"n3"});
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n1", "n2", "n4"})), in.set);  // no leader: no report to trust
  in.leader = "n3";  // led by the leaving member: it hands over first
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n1", "n2", "n4"})), in.set);
}

TEST(BalancerTest, ANewcomerThatDiesDoesNotHoldTheChangeIfAMajorityHoldsEverything) {
  // n4 died before it caught up; n1 (leader) and n2 are a majority of {n1, n2, n4}.
  ReplicaPlanInput in = Plan({"n1", "n2", "n3", "n4"}, {"n3"}, "n1", {"n1", "n2"}, {"n3"});
  EXPECT_EQ(PlanReplicaChange(in, Holding({"n2"})), (ReplicaSetState{{"n1", "n2", "n4"}, {}}));
  // With n2 behind, the leader alone is no majority: wait.
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), in.set);
}

TEST(BalancerTest, AShortSetIsFilledWithNothingLeaving) {
  EXPECT_EQ(PlanReplicaChange(Plan({"n1", "n2"}, {}, "n1", {"n1", "n2", "n3"}), Holding({})),
            (ReplicaSetState{{"n1", "n2", "n3"}, {}}));
}

TEST(BalancerTest, ADeadReplicaWithinTheGraceIsLeftAlone) {
  ReplicaPlanInput in = Plan({"n1", "n2", "n3"}, {}, "n1", {"n1", "n2", "n4"});
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), in.set);
}

// The shard key whose rendezvous placement over n1..n4 leaves out one of
// n1..n3 and takes n4 (a shard n4 should get a replica of).
std::string KeyPlacedOn(const std::string& node) {
  for (int i = 0; i < 1000; ++i) {
    std::string key = "000000000000/us-east-1/s/shardId-" + std::to_string(i);
    std::vector<std::string> ideal = PlaceReplicas(key, {"n1", "n2", "n3", "n4"}, 3);
    if (std::find(ideal.begin(), ideal.end(), node) != ideal.end()) return key;
  }
  return "";
}

TEST(BalancerTest, ANodeThatJoinsGetsAShareOfFullSets) {
  const std::string key = KeyPlacedOn("n4");
  ASSERT_FALSE(key.empty());
  std::vector<std::string> ideal = PlaceReplicas(key, {"n1", "n2", "n3", "n4"}, 3);
  ReplicaPlanInput in = Plan({"n1", "n2", "n3"}, {}, "", {"n1", "n2", "n3", "n4"});
  in.shard_key = key;
  std::string out;
  for (const char* n : {"n1", "n2", "n3"}) {
    if (std::find(ideal.begin(), ideal.end(), n) == ideal.end()) out = n;
  }
  in.leader = out == "n1" ? "n2" : "n1";
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), in.set) << "not allowed: no move";
  in.allow_share_move = true;
  ReplicaSetState next = PlanReplicaChange(in, Holding({}));
  EXPECT_EQ(next, (ReplicaSetState{{"n1", "n2", "n3", "n4"}, {out}}));
  // Completed the same way as a replacement; then the set is where placement wants it: no more moves.
  ReplicaPlanInput after = in;
  after.set = next;
  ReplicaSetState done = PlanReplicaChange(after, Holding({"n1", "n2", "n3", "n4"}));
  EXPECT_TRUE(done.leaving.empty());
  EXPECT_EQ(std::set<std::string>(done.replicas.begin(), done.replicas.end()),
            std::set<std::string>(ideal.begin(), ideal.end()));
  after.set = done;
  EXPECT_EQ(PlanReplicaChange(after, Holding({})), done);
  // The leader's own replica moves too (it is leaving: it hands the shard over first, below).
  in.leader = out;
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), next);
  // Not onto a node that is not settled, nor while a member is down.
  in.leader = out == "n1" ? "n2" : "n1";
  in.settled = {"n1", "n2", "n3"};
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), in.set);
  in.settled = in.live;
  in.live.erase(out);
  EXPECT_EQ(PlanReplicaChange(in, Holding({})), in.set);
}

TEST(BalancerTest, ALeaderLeavingItsSetHandsTheShardOverToAMemberThatStays) {
  BalanceInput in = Cluster("n1", {"n1", "n2", "n3", "n4"});
  ShardView s = Led("k", {"n1", "n2", "n3", "n4"}, "n1");
  s.leaving = {"n1"};
  in.shards = {s};
  std::vector<Handoff> h = PlanHandoffs(in, 4, nullptr);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NE(h[0].successor, "n1");
  // And a leaving member is never chosen as a successor.
  BalanceInput other = Cluster("n2", {"n2", "n3"});
  ShardView t = Led("k2", {"n2", "n3"}, "n2");
  t.leaving = {"n3"};
  other.draining = {"n2"};
  other.shards = {t};
  EXPECT_TRUE(PlanHandoffs(other, 4, nullptr).empty());
}

}  // namespace
}  // namespace spate::cluster
