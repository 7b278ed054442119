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
  ReadRoute r = RouteRead("n4", std::nullopt, {"n1", "n2", "n3"}, Live({"n4"}));
  EXPECT_TRUE(r.refuse);
  EXPECT_TRUE(r.nodes.empty());
}

TEST(ReadRoutingTest, WithoutAReplicaSetTheLeaderOrHere) {
  EXPECT_EQ(RouteRead("n2", "n1", {}, Live({"n1", "n2"})).nodes, (Nodes{"n1"}));
  ReadRoute r = RouteRead("n2", std::nullopt, {}, Live({"n1", "n2"}));
  EXPECT_TRUE(r.nodes.empty());
  EXPECT_FALSE(r.refuse);
}

}  // namespace
}  // namespace spate::cluster
