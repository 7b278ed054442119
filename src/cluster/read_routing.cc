#include "cluster/read_routing.h"

#include <algorithm>

namespace spate::cluster {

ReadRoute RouteRead(std::string_view self, const std::optional<std::string>& leader,
                    const std::vector<std::string>& replicas, const std::function<bool(std::string_view)>& live) {
  ReadRoute route;
  if (leader.has_value() && *leader == self) return route;
  const bool leader_live = leader.has_value() && live(*leader);
  if (replicas.empty()) {
    if (leader_live) route.nodes.push_back(*leader);
    return route;
  }
  const bool replica_here = std::find(replicas.begin(), replicas.end(), self) != replicas.end();
  std::vector<std::string> fallback;
  if (replica_here) {
    fallback.emplace_back(self);
  } else {
    for (const std::string& node : replicas) {
      if ((!leader.has_value() || node != *leader) && live(node)) fallback.push_back(node);
    }
  }
  if (leader_live) {
    route.nodes.push_back(*leader);
    route.nodes.insert(route.nodes.end(), fallback.begin(), fallback.end());
    return route;
  }
  if (replica_here) return route;
  route.nodes = std::move(fallback);
  route.refuse = route.nodes.empty();
  return route;
}

ReadRoute RouteReadAgain(std::string_view self, std::string_view abandoned, const std::optional<std::string>& leader,
                         const std::vector<std::string>& replicas, const std::function<bool(std::string_view)>& live) {
  std::optional<std::string> live_leader = leader;
  if (live_leader.has_value() && *live_leader == abandoned) live_leader.reset();
  // This node abandoned as the target (its own lease lapsed): it does not
  // serve the read from its replica either.
  std::vector<std::string> members = replicas;
  if (self == abandoned) members.erase(std::remove(members.begin(), members.end(), self), members.end());
  ReadRoute route =
      RouteRead(self, live_leader, members, [&](std::string_view node) { return node != abandoned && live(node); });
  if (route.nodes.empty() && !route.refuse) route.nodes.emplace_back(self);
  route.nodes.erase(std::remove(route.nodes.begin(), route.nodes.end(), abandoned), route.nodes.end());
  route.refuse = route.nodes.empty();
  return route;
}

}  // namespace spate::cluster
