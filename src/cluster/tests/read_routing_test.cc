// Where a shard's reads run (read_routing.h): the leader while it is live,
// a replica's own log while the shard has no reachable leader.

#include "cluster/read_routing.h"

#include <gtest/gtest.h>

#include <set>

namespace spate::cluster {
namespace {

using Nodes = std::vector<std::string>;

std::function<bool(std::string_view)> Live(std::set<std::string> nodes) {
  return [nodes = std::move(nodes)](std::string_view n) { return nodes.count(std::string(n)) != 0; };
}

// No node can serve the read now.
void ExpectRefused(const ReadRoute& r) {
  EXPECT_TRUE(r.refuse);
  EXPECT_TRUE(r.nodes.empty());
}

TEST(ReadRoutingTest, TheLeaderServesItsOwnReads) {
  ReadRoute r = RouteRead("n1", "n1", {"n1", "n2", "n3"}, Live({"n1", "n2", "n3"}));
  EXPECT_TRUE(r.nodes.empty());
  EXPECT_FALSE(r.refuse);
}

TEST(ReadRoutingTest, ALiveLeaderServesTheSteadyStateWithThisReplicaAsTheFallback) {
  ReadRoute r = RouteRead("n2", "n1", {"n1", "n2", "n3"}, Live({"n1", "n2", "n3"}));
  EXPECT_EQ(r.nodes, (Nodes{"n1", "n2"}));
}

TEST(ReadRoutingTest, ANonReplicaFallsBackToTheOtherLiveReplicasInPlacementOrder) {
  ReadRoute r = RouteRead("n4", "n2", {"n1", "n2", "n3"}, Live({"n2", "n3", "n4"}));
  EXPECT_EQ(r.nodes, (Nodes{"n2", "n3"}));  // n1 is not live
}

TEST(ReadRoutingTest, AReplicaServesWhileTheShardHasNoLeader) {
  EXPECT_TRUE(RouteRead("n2", std::nullopt, {"n1", "n2", "n3"}, Live({"n2", "n3"})).nodes.empty());
  // The leader key still names a node whose registration is gone.
  ReadRoute r = RouteRead("n3", "n1", {"n1", "n2", "n3"}, Live({"n2", "n3"}));
  EXPECT_TRUE(r.nodes.empty());
  EXPECT_FALSE(r.refuse);
}

TEST(ReadRoutingTest, ANonReplicaForwardsToALiveReplicaWhileTheShardHasNoLeader) {
  EXPECT_EQ(RouteRead("n4", std::nullopt, {"n1", "n2", "n3"}, Live({"n3", "n4"})).nodes, (Nodes{"n3"}));
  EXPECT_EQ(RouteRead("n4", "n1", {"n1", "n2", "n3"}, Live({"n2", "n3", "n4"})).nodes, (Nodes{"n2", "n3"}));
}

TEST(ReadRoutingTest, NoLiveReplicaAndNoneHereIsRefused) {
  ExpectRefused(RouteRead("n4", std::nullopt, {"n1", "n2", "n3"}, Live({"n4"})));
}

TEST(ReadRoutingTest, WithoutAReplicaSetTheLeaderOrHere) {
  EXPECT_EQ(RouteRead("n2", "n1", {}, Live({"n1", "n2"})).nodes, (Nodes{"n1"}));
  ReadRoute r = RouteRead("n2", std::nullopt, {}, Live({"n1", "n2"}));
  EXPECT_TRUE(r.nodes.empty());
  EXPECT_FALSE(r.refuse);
}

// A read the forwarder abandoned because its target's lease lapsed runs again
// where RouteRead says over the same view, the abandoned node counted dead.

TEST(ReadRoutingTest, AnAbandonedReadGoesToALiveReplicaWhileTheShardHasNoLeader) {
  // n1 led and was abandoned; no new leader yet; n4 holds no replica.
  ReadRoute r = RouteReadAgain("n4", "n1", std::nullopt, {"n1", "n2", "n3"}, Live({"n2", "n3", "n4"}));
  EXPECT_EQ(r.nodes, (Nodes{"n2", "n3"}));
  EXPECT_FALSE(r.refuse);
}

TEST(ReadRoutingTest, AnAbandonedReadRunsOnThisReplicaWhileTheShardHasNoLeader) {
  ReadRoute r = RouteReadAgain("n2", "n1", std::nullopt, {"n1", "n2", "n3"}, Live({"n2", "n3"}));
  EXPECT_EQ(r.nodes, (Nodes{"n2"}));  // here, sent to itself as a forwarded call
}

TEST(ReadRoutingTest, AnAbandonedReadGoesToTheNewLeaderWithTheReplicasAsFallback) {
  EXPECT_EQ(RouteReadAgain("n4", "n1", "n3", {"n1", "n2", "n3"}, Live({"n2", "n3", "n4"})).nodes, (Nodes{"n3", "n2"}));
  EXPECT_EQ(RouteReadAgain("n2", "n1", "n3", {"n1", "n2", "n3"}, Live({"n2", "n3"})).nodes, (Nodes{"n3", "n2"}));
  // This node took the shard over: here.
  EXPECT_EQ(RouteReadAgain("n2", "n1", "n2", {"n1", "n2", "n3"}, Live({"n2", "n3"})).nodes, (Nodes{"n2"}));
}

TEST(ReadRoutingTest, AnAbandonedReadNeverGoesBackToTheAbandonedNode) {
  // A leader key still naming it, and the node registered again under a new
  // lease: neither makes it a target.
  EXPECT_EQ(RouteReadAgain("n4", "n1", "n1", {"n1", "n2", "n3"}, Live({"n1", "n2", "n4"})).nodes, (Nodes{"n2"}));
  // It was the only replica left: refused, not sent to it again.
  ExpectRefused(RouteReadAgain("n4", "n1", "n1", {"n1", "n2", "n3"}, Live({"n1", "n4"})));
}

TEST(ReadRoutingTest, AnAbandonedReadNeverGoesToADeadLeaderOrANodeWithoutAReplica) {
  // The leader key names n3, whose registration is gone; n5 is live but holds
  // no replica.
  EXPECT_EQ(RouteReadAgain("n4", "n1", "n3", {"n1", "n2", "n3"}, Live({"n2", "n4", "n5"})).nodes, (Nodes{"n2"}));
  ExpectRefused(RouteReadAgain("n4", "n1", "n3", {"n1", "n2", "n3"}, Live({"n4", "n5"})));
}

TEST(ReadRoutingTest, AnAbandonedReadToThisNodeGoesToTheOtherLiveReplicas) {
  // This node's own lease lapsed while the read was sent to it.
  EXPECT_EQ(RouteReadAgain("n2", "n2", "n2", {"n1", "n2", "n3"}, Live({"n1", "n3"})).nodes, (Nodes{"n1", "n3"}));
  ExpectRefused(RouteReadAgain("n2", "n2", std::nullopt, {"n1", "n2", "n3"}, Live({})));
}

TEST(ReadRoutingTest, AnAbandonedReadWithoutAReplicaSetGoesToTheNewLeaderOrHere) {
  EXPECT_EQ(RouteReadAgain("n2", "n1", "n3", {}, Live({"n2", "n3"})).nodes, (Nodes{"n3"}));
  EXPECT_EQ(RouteReadAgain("n2", "n1", std::nullopt, {}, Live({"n2", "n3"})).nodes, (Nodes{"n2"}));
}

}  // namespace
}  // namespace spate::cluster
