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

}  // namespace spate::cluster
