#include "cluster/shard_leaders.h"

namespace spate::cluster {

std::string ShardKey(std::string_view account, std::string_view region, std::string_view stream,
                     std::string_view shard_id) {
  std::string out;
  out.reserve(account.size() + region.size() + stream.size() + shard_id.size() + 3);
  out.append(account).append("/").append(region).append("/").append(stream).append("/").append(shard_id);
  return out;
}

std::optional<ShardKeyParts> ParseShardKey(std::string_view shard_key) {
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    size_t slash = shard_key.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    parts[i] = shard_key.substr(0, slash);
    shard_key.remove_prefix(slash + 1);
  }
  parts[3] = shard_key;
  auto shard = model::ParseShardId(parts[3]);
  if (!shard || parts[0].empty() || parts[1].empty() || parts[2].empty()) return std::nullopt;
  return ShardKeyParts{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), *shard};
}

namespace {

Leadership LeadershipOf(const KeyValue& kv) { return Leadership{kv.value, kv.create_revision, kv.lease}; }

}  // namespace

Result<Leadership> ShardLeaders::Claim(std::string_view shard_key, std::string_view node_id, int64_t lease) const {
  std::string key = std::string(kLeadersPrefix) + std::string(shard_key);
  std::vector<Compare> vacant{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, 0, {}}};
  SPATE_ASSIGN_OR_RETURN(TxnResult txn,
                         etcd_->Txn(vacant, {TxnOp::Put(key, std::string(node_id), lease)}, {TxnOp::Get(key)}));
  if (txn.succeeded) return Leadership{std::string(node_id), txn.revision, lease};
  if (txn.ranges.empty() || txn.ranges[0].empty()) {
    // Held at the compare, gone by the read: an expiry in between. The
    // caller claims again.
    return Status(ErrorCode::kUnavailable, "the leadership of " + std::string(shard_key) + " changed while claimed");
  }
  return LeadershipOf(txn.ranges[0][0]);
}

Result<std::optional<Leadership>> ShardLeaders::Leader(std::string_view shard_key) const {
  SPATE_ASSIGN_OR_RETURN(RangeResult r, etcd_->Range(std::string(kLeadersPrefix) + std::string(shard_key)));
  if (r.kvs.empty()) return std::optional<Leadership>();
  return std::optional<Leadership>(LeadershipOf(r.kvs[0]));
}

Result<bool> ShardLeaders::Release(std::string_view shard_key, int64_t epoch) const {
  std::string key = std::string(kLeadersPrefix) + std::string(shard_key);
  std::vector<Compare> same{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, epoch, {}}};
  SPATE_ASSIGN_OR_RETURN(TxnResult txn, etcd_->Txn(same, {TxnOp::Delete(key)}, {}));
  return txn.succeeded;
}

}  // namespace spate::cluster
