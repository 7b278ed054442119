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
    SPATE_TRY(PublishStream(owner, meta));
  } else if (!MirroringOnThisThread()) {
    return NotOwner();
  }
  return local_->PutStream(meta);
}

Status SharedCatalog::PublishStream(int64_t owner, const metadata::StreamMeta& meta) {
  const std::string key = StreamRecordKey(meta);
  // Read from etcd, written back only over that version: the owner's
  // replica set changes (coordinator thread) and this request's change never
  // overwrite each other; the loser reads again.
  for (int attempt = 0; attempt < kPublishAttempts; ++attempt) {
    SPATE_ASSIGN_OR_RETURN(RangeResult current, etcd_->Range(key));
    std::string value;
    int64_t mod_revision = 0;
    std::map<std::string, std::vector<std::string>> replicas, leaving;
    if (!current.kvs.empty()) {
      value = current.kvs[0].value;
      mod_revision = current.kvs[0].mod_revision;
      auto rec = DecodeStreamRecord(value);
      // A record of another incarnation of the name (a new storage group)
      // places its shards afresh.
      if (rec.ok() && rec->meta.storage_group == meta.storage_group) {
        replicas = std::move(rec->replicas);
        leaving = std::move(rec->leaving);
      } else {
        value.clear();
      }
    }
    std::vector<std::string> live = coordinator_->LiveNodes();
    for (const metadata::ShardMeta& s : meta.shards) {
      std::string shard_id = model::ShardIdName(s.index);
      if (replicas.count(shard_id) != 0) continue;
      replicas[shard_id] = PlaceReplicas(ShardKey(meta.account, meta.region, meta.name, shard_id), live,
                                         coordinator_->options().replication_factor);
    }
    SPATE_ASSIGN_OR_RETURN(std::string next, UpdateStreamRecord(value, &meta, replicas, leaving));
    std::vector<Compare> guard{
        {std::string(kCatalogOwnerKey), Compare::Target::kCreateRevision, Compare::Op::kEqual, owner, {}},
        {key, Compare::Target::kModRevision, Compare::Op::kEqual, mod_revision, {}},
    };
    SPATE_ASSIGN_OR_RETURN(TxnResult txn, etcd_->Txn(guard, {TxnOp::Put(key, std::move(next))},
                                                     {TxnOp::Get(std::string(kCatalogOwnerKey))}));
    if (txn.succeeded) return Status::Ok();
    // Refused: no longer the owner, or the record changed since read.
    const bool still_owner = !txn.ranges.empty() && !txn.ranges[0].empty() && txn.ranges[0][0].create_revision == owner;
    if (!still_owner) return NotOwner();
  }
  return Status(ErrorCode::kUnavailable, "the stream record " + key + " kept changing; try again");
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
