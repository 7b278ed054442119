#pragma once

// Where a read of one shard (GetShardIterator, GetRecords) runs in cluster
// mode (docs/formats/cluster-protocol.md, "Forwarding"): a pure function of
// this node's view, so that the forwarder's choice is tested apart.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::cluster {

struct ReadRoute {
  // The nodes to send the read to, in order: each is tried when the one
  // before cannot be reached (this node may be among them: the read then
  // runs here as a forwarded call). Empty: run it here.
  std::vector<std::string> nodes;
  // No node can serve it now (this node holds no replica of the shard and
  // no replica is live): answer kUnavailable, which SDKs retry.
  bool refuse = false;
};

// The rules, in order:
// 1. This node leads the shard: here.
// 2. Placement unknown (no replica set in the view yet): the leader if it
//    is live, else here.
// 3. A live leader (ready or still catching up: a claimant serves reads up
//    to the committed end it knew): the leader; if it cannot be reached,
//    this node when it is a replica, else the other live replicas in
//    placement order.
// 4. No live leader (the key vacant, or its node gone): here when this node
//    is a replica (it serves its own log up to its committed end), else the
//    live replicas in placement order; none live: refused.
// Reads in the steady state go to the leader (rule 3): it knows the
// committed end first, so a client reads its own acknowledged writes.
//
// `leader` is the shard's leader key's node, if any; `replicas` its replica
// set in placement order; `live` says whether a node is registered now.
ReadRoute RouteRead(std::string_view self, const std::optional<std::string>& leader,
                    const std::vector<std::string>& replicas, const std::function<bool(std::string_view)>& live);

// Where a read runs again after the forwarder abandoned it because node
// `abandoned` (the node it was sent to) lost its lease: RouteRead over the
// same view with `abandoned` counted dead (a leader key still naming it is
// taken as no leader; re-registered under a new lease, it is still not
// chosen: the request to it never came back; when it is this node, this
// node's replica does not serve it either). `nodes` then never names
// `abandoned` and is empty only when `refuse` is set: a read RouteRead would
// run here is named as `self` (the forwarder cannot run it on its watcher
// thread, so it sends it to this node as a forwarded call).
ReadRoute RouteReadAgain(std::string_view self, std::string_view abandoned, const std::optional<std::string>& leader,
                         const std::vector<std::string>& replicas, const std::function<bool(std::string_view)>& live);

}  // namespace spate::cluster
