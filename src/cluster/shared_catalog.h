#pragma once

#include <memory>
#include <string>

#include "cluster/coordinator.h"
#include "cluster/etcd_client.h"
#include "metadata/catalog.h"

namespace spate::cluster {

inline constexpr std::string_view kSettingsPrefix = "/spate/settings/";

// The stream catalog a cluster node's registry writes to: the node's own
// catalog (`local`), and while this node owns the catalog
// (Coordinator::OwnerEpoch), every stream record also published to etcd
// (kStreamsPrefix, EncodeStreamRecord) by a Txn that holds only while the
// owner key is still the one this node created, so a deposed owner can
// never overwrite its successor's records. Published before the local
// write: a change etcd refused is not made (kUnavailable, InternalFailure).
// A new shard's replicas are placed at its first publication over the
// live nodes (PlaceReplicas) and kept from then on.
//
// On other nodes (mirroring the owner's records) writes go to the local
// catalog only. Settings shared by the cluster: "token-key" (sealed
// iterators and tokens must open on every node: the first node's key wins,
// by a create-only Txn) and "stream-epoch" (the owner's counter). Other
// settings and the entries (Firehose, account settings) stay local.
//
// Thread-safe; `local`, `etcd` and `coordinator` must outlive it.
class SharedCatalog final : public metadata::Catalog {
 public:
  SharedCatalog(metadata::Catalog* local, const EtcdClient* etcd, const Coordinator* coordinator)
      : local_(local), etcd_(etcd), coordinator_(coordinator) {}

  Status PutStream(const metadata::StreamMeta& meta) override;
  Status DeleteStream(std::string_view key) override;
  Result<std::vector<metadata::StreamMeta>> LoadStreams() override { return local_->LoadStreams(); }
  Status PutEntry(std::string_view ns, std::string_view key, std::string_view value) override {
    return local_->PutEntry(ns, key, value);
  }
  Status DeleteEntry(std::string_view ns, std::string_view key) override { return local_->DeleteEntry(ns, key); }
  Result<std::vector<std::pair<std::string, std::string>>> LoadEntries(std::string_view ns) override {
    return local_->LoadEntries(ns);
  }
  Result<std::optional<std::string>> GetEntry(std::string_view ns, std::string_view key) override {
    return local_->GetEntry(ns, key);
  }
  Result<std::optional<std::string>> GetSetting(std::string_view name) override;
  Status PutSetting(std::string_view name, std::string_view value) override;

 private:
  static bool Shared(std::string_view setting);
  // Runs `ops` if this node still owns the catalog (epoch `owner_epoch`).
  Status AsOwner(int64_t owner_epoch, std::vector<TxnOp> ops) const;
  // Writes the stream's record to etcd as the owner of epoch `owner`:
  // `meta`, the replica sets (kept, new shards placed) and every other
  // member as they are in etcd, compared on the record's mod revision and
  // read again when another write came between (at most kPublishAttempts).
  static constexpr int kPublishAttempts = 5;
  Status PublishStream(int64_t owner, const metadata::StreamMeta& meta);

  metadata::Catalog* const local_;
  const EtcdClient* const etcd_;
  const Coordinator* const coordinator_;
};

}  // namespace spate::cluster
