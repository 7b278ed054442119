#include "cluster/membership.h"

#include "base/log.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::cluster {

Membership::Membership(const EtcdClient* etcd, MembershipOptions options, util::Clock* clock)
    : etcd_(etcd), options_(std::move(options)), keeper_(etcd, options_.lease, clock) {
  // Registration is the lease's purpose: a lease it fails under is given
  // up by the keeper and another tried (a transient etcd error), or Start
  // fails (another live node holds the id).
  keeper_.OnGranted([this](int64_t lease) { return Register(lease); });
  keeper_.OnLost([this](int64_t lease) {
    SPATE_LOG_WARN("cluster: node " + options_.node_id + " lost lease " + std::to_string(lease) +
                   ": writes are refused until it registers again");
  });
}

Membership::~Membership() { Stop(); }

Status Membership::Register(int64_t lease) {
  std::string key = std::string(kNodesPrefix) + options_.node_id;
  protocol::Value v = protocol::Value::MakeObject();
  v.Set("advertise", protocol::Value::String(options_.advertise));
  v.Set("version", protocol::Value::String(options_.version));
  v.Set("lease", protocol::Value::String(std::to_string(lease)));
  if (!options_.replication.empty()) v.Set("replication", protocol::Value::String(options_.replication));
  std::string value;
  protocol::WriteJson(v, &value);
  // Absent, or left by an earlier lease of ours: the node id is ours to take.
  std::vector<Compare> free{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, 0, {}}};
  SPATE_ASSIGN_OR_RETURN(TxnResult txn, etcd_->Txn(free, {TxnOp::Put(key, value, lease)}, {TxnOp::Get(key)}));
  if (!txn.succeeded && !txn.ranges.empty() && !txn.ranges[0].empty() &&
      own_leases_.count(txn.ranges[0][0].lease) != 0) {
    // Left by a lease of ours that etcd has not expired yet (it was lost by
    // our clock first): take it over, unless it changed meanwhile.
    std::vector<Compare> same{
        {key, Compare::Target::kModRevision, Compare::Op::kEqual, txn.ranges[0][0].mod_revision, {}}};
    SPATE_ASSIGN_OR_RETURN(txn, etcd_->Txn(same, {TxnOp::Put(key, value, lease)}, {TxnOp::Get(key)}));
  }
  if (txn.succeeded) {
    own_leases_.insert(lease);
    registered_lease_.store(lease);
    SPATE_LOG_INFO("cluster: node " + options_.node_id + " registered as " + options_.advertise + " (lease " +
                   std::to_string(lease) + ", revision " + std::to_string(txn.revision) + ")");
    return Status::Ok();
  }
  return Status(
      ErrorCode::kAlreadyExists,
      "node id " + options_.node_id + " is held by a live node (lease " +
          (txn.ranges.empty() || txn.ranges[0].empty() ? std::string("?") : std::to_string(txn.ranges[0][0].lease)) +
          ")");
}

Status Membership::Start() { return keeper_.Start(); }

void Membership::Stop() { keeper_.Stop(); }

Result<int64_t> Membership::Admit(const metadata::StreamMeta&, model::ShardIndex) const {
  int64_t lease = keeper_.lease_id();
  if (lease != registered_lease_.load() || !keeper_.Holds(lease)) {
    return Status(ErrorCode::kUnavailable, "node " + options_.node_id + " holds no cluster lease");
  }
  return lease;
}

}  // namespace spate::cluster
