#include "cluster/shared_catalog.h"

#include "model/types.h"

namespace spate::cluster {
namespace {

constexpr std::string_view kTokenKeySetting = "token-key";
constexpr std::string_view kStreamEpochSetting = "stream-epoch";

Status NotOwner() { return Status(ErrorCode::kUnavailable, "this node does not own the cluster's stream catalog"); }

}  // namespace

bool SharedCatalog::Shared(std::string_view setting) {
  return setting == kTokenKeySetting || setting == kStreamEpochSetting;
}

Status SharedCatalog::AsOwner(int64_t owner_epoch, std::vector<TxnOp> ops) const {
  std::vector<Compare> still_owner{
      {std::string(kCatalogOwnerKey), Compare::Target::kCreateRevision, Compare::Op::kEqual, owner_epoch, {}}};
  SPATE_ASSIGN_OR_RETURN(TxnResult txn, etcd_->Txn(still_owner, ops, {}));
  if (!txn.succeeded) return NotOwner();
  return Status::Ok();
}

Status SharedCatalog::PutStream(const metadata::StreamMeta& meta) {
  const int64_t owner = coordinator_->OwnerEpoch();
  if (owner != 0) {
    std::string key = StreamRecordKey(meta);
    std::map<std::string, std::vector<std::string>> replicas;
    if (auto kv = coordinator_->view().Get(key); kv.has_value()) {
      auto rec = DecodeStreamRecord(kv->value);
      if (rec.ok() && rec->meta.storage_group == meta.storage_group) replicas = std::move(rec->replicas);
    }
    std::vector<std::string> live = coordinator_->LiveNodes();
    for (const metadata::ShardMeta& s : meta.shards) {
      std::string shard_id = model::ShardIdName(s.index);
      if (replicas.count(shard_id) != 0) continue;
      replicas[shard_id] = PlaceReplicas(ShardKey(meta.account, meta.region, meta.name, shard_id), live,
                                         coordinator_->options().replication_factor);
    }
    SPATE_TRY(AsOwner(owner, {TxnOp::Put(key, EncodeStreamRecord(meta, replicas))}));
  } else if (!MirroringOnThisThread()) {
    return NotOwner();
  }
  return local_->PutStream(meta);
}

Status SharedCatalog::DeleteStream(std::string_view key) {
  if (const int64_t owner = coordinator_->OwnerEpoch(); owner != 0) {
    SPATE_TRY(AsOwner(owner, {TxnOp::Delete(StreamRecordKeyOf(key))}));
  } else if (!MirroringOnThisThread()) {
    return NotOwner();
  }
  return local_->DeleteStream(key);
}

Result<std::optional<std::string>> SharedCatalog::GetSetting(std::string_view name) {
  if (!Shared(name)) return local_->GetSetting(name);
  SPATE_ASSIGN_OR_RETURN(RangeResult r, etcd_->Range(std::string(kSettingsPrefix) + std::string(name)));
  if (!r.kvs.empty()) return std::optional<std::string>(r.kvs[0].value);
  // A token key only this node knows would seal iterators no peer opens.
  if (name == kTokenKeySetting) return std::optional<std::string>();
  return local_->GetSetting(name);
}

Status SharedCatalog::PutSetting(std::string_view name, std::string_view value) {
  if (!Shared(name)) return local_->PutSetting(name, value);
  std::string key = std::string(kSettingsPrefix) + std::string(name);
  if (name == kTokenKeySetting) {
    // First writer wins; the registry reads back the key in force.
    std::vector<Compare> vacant{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, 0, {}}};
    SPATE_ASSIGN_OR_RETURN(TxnResult txn, etcd_->Txn(vacant, {TxnOp::Put(key, std::string(value))}, {}));
    (void)txn;
  } else if (const int64_t owner = coordinator_->OwnerEpoch(); owner != 0) {
    SPATE_TRY(AsOwner(owner, {TxnOp::Put(key, std::string(value))}));
  }
  return local_->PutSetting(name, value);
}

}  // namespace spate::cluster
