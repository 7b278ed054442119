#include "cluster/coordinator.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

#include "base/log.h"
#include "model/types.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "streams/registry.h"
#include "util/base64.h"
#include "util/md5.h"

namespace spate::cluster {
namespace {

using protocol::Value;

thread_local bool mirroring = false;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t Weight(std::string_view shard_key, std::string_view node) {
  std::string text(shard_key);
  text.append("\n").append(node);
  util::Md5Digest d = util::Md5(text);
  uint64_t w = 0;
  for (size_t i = 0; i < 8; ++i) w = (w << 8) | d[i];
  return w;
}

}  // namespace

bool MirroringOnThisThread() { return mirroring; }

std::string StreamRecordKey(const metadata::StreamMeta& meta) {
  return std::string(kStreamsPrefix) + meta.account + "/" + meta.region + "/" + meta.name;
}

std::string StreamRecordKeyOf(std::string_view catalog_key) {
  constexpr std::string_view kCatalogPrefix = "stream/";
  if (catalog_key.substr(0, kCatalogPrefix.size()) == kCatalogPrefix) catalog_key.remove_prefix(kCatalogPrefix.size());
  return std::string(kStreamsPrefix) + std::string(catalog_key);
}

std::string EncodeStreamRecord(const metadata::StreamMeta& meta,
                               const std::map<std::string, std::vector<std::string>>& replicas_by_shard_id) {
  Value v = Value::MakeObject();
  v.Set("meta", Value::String(util::Base64Encode(metadata::EncodeStreamMeta(meta))));
  Value replicas = Value::MakeObject();
  for (const auto& [shard_id, nodes] : replicas_by_shard_id) {
    Value list = Value::MakeArray();
    for (const std::string& n : nodes) list.Append(Value::String(n));
    replicas.Set(shard_id, std::move(list));
  }
  v.Set("replicas", std::move(replicas));
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

Result<StreamRecord> DecodeStreamRecord(std::string_view value) {
  SPATE_ASSIGN_OR_RETURN(Value v, protocol::ParseJson(value));
  if (!v.is_object()) return Status(ErrorCode::kCorruption, "a stream record is not a JSON object");
  std::string bytes, error;
  if (!util::Base64Decode(v.GetString("meta"), &bytes, &error)) {
    return Status(ErrorCode::kCorruption, "a stream record's meta: " + error);
  }
  StreamRecord out;
  SPATE_ASSIGN_OR_RETURN(out.meta, metadata::DecodeStreamMeta(bytes));
  for (auto [member, map] : {std::pair{"replicas", &out.replicas}, std::pair{"leaving", &out.leaving}}) {
    const Value* r = v.Find(member);
    if (r == nullptr || !r->is_object()) continue;
    for (const auto& [shard_id, nodes] : r->as_object()) {
      if (!nodes.is_array()) continue;
      auto& list = (*map)[shard_id];
      for (const Value& n : nodes.as_array()) {
        if (n.is_string()) list.push_back(n.as_string());
      }
    }
  }
  return out;
}

Result<std::string> UpdateStreamRecord(std::string_view value, const metadata::StreamMeta* meta,
                                       const std::map<std::string, std::vector<std::string>>& replicas,
                                       const std::map<std::string, std::vector<std::string>>& leaving) {
  Value v = Value::MakeObject();
  if (!value.empty()) {
    SPATE_ASSIGN_OR_RETURN(v, protocol::ParseJson(value));
    if (!v.is_object()) return Status(ErrorCode::kCorruption, "a stream record is not a JSON object");
  }
  if (meta != nullptr) v.Set("meta", Value::String(util::Base64Encode(metadata::EncodeStreamMeta(*meta))));
  auto as_object = [](const std::map<std::string, std::vector<std::string>>& by_shard) {
    Value map = Value::MakeObject();
    for (const auto& [shard_id, nodes] : by_shard) {
      Value list = Value::MakeArray();
      for (const std::string& n : nodes) list.Append(Value::String(n));
      map.Set(shard_id, std::move(list));
    }
    return map;
  };
  v.Set("replicas", as_object(replicas));
  std::map<std::string, std::vector<std::string>> under_way;
  for (const auto& [shard_id, nodes] : leaving) {
    if (!nodes.empty()) under_way[shard_id] = nodes;
  }
  if (under_way.empty()) {
    Value::Object& members = v.mutable_object();
    members.erase(std::remove_if(members.begin(), members.end(), [](const auto& m) { return m.first == "leaving"; }),
                  members.end());
  } else {
    v.Set("leaving", as_object(under_way));
  }
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

std::vector<std::string> PlaceReplicas(std::string_view shard_key, const std::vector<std::string>& nodes,
                                       size_t factor) {
  std::vector<std::pair<uint64_t, std::string>> ranked;
  ranked.reserve(nodes.size());
  for (const std::string& n : nodes) ranked.emplace_back(Weight(shard_key, n), n);
  // Highest weight first; the node id breaks a tie so the order is total.
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < factor; ++i) out.push_back(std::move(ranked[i].second));
  return out;
}

Coordinator::Coordinator(const EtcdClient* etcd, const Membership* membership, CoordinatorOptions options)
    : etcd_(etcd),
      membership_(membership),
      options_(std::move(options)),
      leaders_(etcd),
      view_(etcd, std::string(kClusterPrefix)) {
  view_.OnChange([this] {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
    cv_.notify_all();
  });
}

Coordinator::~Coordinator() { Stop(); }

Status Coordinator::Start() {
  SPATE_TRY(view_.Start());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Coordinator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  view_.Stop();
}

void Coordinator::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [this] { return wake_ || stopping_; });
    if (stopping_) break;
    wake_ = false;
    lock.unlock();
    Tick();
    lock.lock();
  }
}

void Coordinator::Tick() {
  if (!membership_->live()) return;
  const int64_t lease = membership_->lease_id();
  if (!view_.Get(kCatalogOwnerKey).has_value()) {
    std::string key(kCatalogOwnerKey);
    std::vector<Compare> vacant{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, 0, {}}};
    auto txn = etcd_->Txn(vacant, {TxnOp::Put(key, options_.node_id, lease)}, {});
    if (txn.ok() && txn->succeeded) {
      SPATE_LOG_INFO("cluster: node " + options_.node_id + " owns the stream catalog (epoch " +
                     std::to_string(txn->revision) + ")");
    }
  }
  std::vector<KeyValue> records = view_.List(kStreamsPrefix);
  ReplicaMap replicas;
  ReplicaMap leaving;
  for (const KeyValue& kv : records) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) {
      SPATE_LOG_ERROR("cluster: unreadable stream record " + kv.key + ": " + rec.status().ToString());
      continue;
    }
    const metadata::StreamMeta& m = rec->meta;
    for (const auto& [shard_id, nodes] : rec->replicas) {
      replicas[ShardKey(m.account, m.region, m.name, shard_id)] = nodes;
    }
    for (const auto& [shard_id, nodes] : rec->leaving) {
      leaving[ShardKey(m.account, m.region, m.name, shard_id)] = nodes;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    replicas_ = replicas;
    leaving_ = leaving;
  }
  if (registry_ != nullptr && !OwnsCatalog()) Mirror(records);
  ClaimLeaderships(lease);
  Operate(replicas, leaving);
  PublishProgress(replicas, lease);
}

void Coordinator::Mirror(const std::vector<KeyValue>& records) {
  mirroring = true;
  struct Reset {
    ~Reset() { mirroring = false; }
  } reset;
  std::set<std::string> present;  // catalog keys of the records
  for (const KeyValue& kv : records) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    present.insert(rec->meta.Key());
    auto it = applied_.find(kv.key);
    if (it != applied_.end() && it->second == kv.mod_revision) continue;
    Status st = registry_->ApplyReplicated(std::move(rec->meta));
    if (!st.ok()) {
      SPATE_LOG_ERROR("cluster: cannot mirror " + kv.key + ": " + st.ToString());
      continue;
    }
    applied_[kv.key] = kv.mod_revision;
  }
  for (const std::string& key : registry_->StreamKeys()) {
    if (present.count(key) != 0) continue;
    if (Status st = registry_->RemoveReplicated(key); !st.ok()) {
      SPATE_LOG_ERROR("cluster: cannot remove mirrored " + key + ": " + st.ToString());
      continue;
    }
    applied_.erase(StreamRecordKeyOf(key));
  }
}

void Coordinator::ClaimLeaderships(int64_t lease) {
  ReplicaMap replicas;
  {
    std::lock_guard<std::mutex> lock(mu_);
    replicas = replicas_;
  }
  std::vector<std::string> live = LiveNodes();
  std::set<std::string> live_set(live.begin(), live.end());
  const int64_t now = SteadyMs();
  std::map<std::string, int64_t> still_vacant;
  for (const auto& [shard_key, nodes] : replicas) {
    if (std::find(nodes.begin(), nodes.end(), options_.node_id) == nodes.end()) continue;
    std::string leader_key = std::string(kLeadersPrefix) + shard_key;
    if (view_.Get(leader_key).has_value()) continue;
    // This node's rank among the claimants (placement order, a hand-over's
    // successor first, draining nodes last).
    size_t rank = ClaimRankOf(shard_key, nodes, live_set);
    if (rank == std::numeric_limits<size_t>::max()) continue;
    auto seen = vacant_since_.find(leader_key);
    int64_t since = seen != vacant_since_.end() ? seen->second : now;
    still_vacant[leader_key] = since;
    if (now - since < static_cast<int64_t>(rank) * options_.standby_claim_delay_ms) continue;
    auto won = leaders_.Claim(shard_key, options_.node_id, lease);
    if (won.ok() && won->node_id == options_.node_id) {
      SPATE_LOG_INFO("cluster: node " + options_.node_id + " leads " + shard_key + " (epoch " +
                     std::to_string(won->epoch) + ")");
      // Catch up before the first append is admitted (rule 5).
      if (leader_ready_) leader_ready_(shard_key, won->epoch);
    }
  }
  vacant_since_ = std::move(still_vacant);
  // The catch-up of every leadership the view shows this node holding: one
  // asked for at the claim may have found the view not yet showing it, and
  // given up; asked again here it starts once more (a map lookup when done).
  // Without it a shard nobody writes to would keep a leader that never
  // committed a batch (no progress to report, no replica change completing).
  if (leader_ready_) {
    for (const auto& [shard_key, nodes] : replicas) {
      auto kv = view_.Get(std::string(kLeadersPrefix) + shard_key);
      if (kv.has_value() && kv->value == options_.node_id && kv->lease == lease) {
        leader_ready_(shard_key, kv->create_revision);
      }
    }
  }
  // Forget leaderships that are over.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = held_.begin(); it != held_.end();) {
    auto kv = view_.Get(it->second.first);
    if (!kv.has_value() || kv->create_revision != it->first) {
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<ReplicaSet> Coordinator::ReplicasOf(std::string_view shard_key) const {
  auto kv = view_.Get(std::string(kLeadersPrefix) + std::string(shard_key));
  if (!kv.has_value()) return std::nullopt;
  ReplicaSet out;
  out.epoch = kv->create_revision;
  out.leader = kv->value;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(shard_key);
  if (it != replicas_.end()) out.replicas = it->second;
  if (auto l = leaving_.find(shard_key); l != leaving_.end()) out.leaving = l->second;
  return out;
}

std::optional<std::string> Coordinator::AddressOf(std::string_view node_id) const {
  auto kv = view_.Get(std::string(kNodesPrefix) + std::string(node_id));
  if (!kv.has_value()) return std::nullopt;
  auto v = protocol::ParseJson(kv->value);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  std::string_view addr = v->GetString("advertise");
  if (addr.empty()) return std::nullopt;
  return std::string(addr);
}

Result<int64_t> Coordinator::Admit(const metadata::StreamMeta& stream, model::ShardIndex shard) const {
  std::string shard_key = ShardKey(stream.account, stream.region, stream.name, model::ShardIdName(shard));
  std::string leader_key = std::string(kLeadersPrefix) + shard_key;
  auto kv = view_.Get(leader_key);
  int64_t lease = membership_->lease_id();
  if (!kv.has_value() || kv->value != options_.node_id || kv->lease != lease || !membership_->StillHolds(lease)) {
    return Status(ErrorCode::kUnavailable, "node " + options_.node_id + " does not lead " + shard_key);
  }
  if (leader_ready_ && !leader_ready_(shard_key, kv->create_revision)) {
    return Status(ErrorCode::kUnavailable, "node " + options_.node_id + " is catching up before it leads " + shard_key +
                                               " (epoch " + std::to_string(kv->create_revision) + ")");
  }
  std::lock_guard<std::mutex> lock(mu_);
  held_[kv->create_revision] = {std::move(leader_key), lease};
  return kv->create_revision;
}

bool Coordinator::StillHolds(int64_t authority) const {
  std::string leader_key;
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(authority);
    if (it == held_.end()) return false;
    leader_key = it->second.first;
    lease = it->second.second;
  }
  if (!membership_->StillHolds(lease)) return false;
  auto kv = view_.Get(leader_key);
  return kv.has_value() && kv->create_revision == authority && kv->value == options_.node_id;
}

std::optional<std::string> Coordinator::ReplicationAddressOf(std::string_view node_id) const {
  auto kv = view_.Get(std::string(kNodesPrefix) + std::string(node_id));
  if (!kv.has_value()) return std::nullopt;
  auto v = protocol::ParseJson(kv->value);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  std::string_view addr = v->GetString("replication");
  if (addr.empty()) return std::nullopt;
  return std::string(addr);
}

int64_t Coordinator::OwnerEpoch() const {
  auto kv = view_.Get(kCatalogOwnerKey);
  if (!kv.has_value() || kv->value != options_.node_id) return 0;
  if (kv->lease != membership_->lease_id() || !membership_->StillHolds(kv->lease)) return 0;
  return kv->create_revision;
}

std::optional<std::string> Coordinator::CatalogOwner() const {
  auto kv = view_.Get(kCatalogOwnerKey);
  if (!kv.has_value()) return std::nullopt;
  return kv->value;
}

std::optional<std::string> Coordinator::LeaderOf(std::string_view shard_key) const {
  auto kv = view_.Get(std::string(kLeadersPrefix) + std::string(shard_key));
  if (!kv.has_value()) return std::nullopt;
  return kv->value;
}

std::vector<std::string> Coordinator::ReplicaNodesOf(std::string_view shard_key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(shard_key);
  return it == replicas_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> Coordinator::LiveNodes() const {
  std::vector<std::string> out;
  for (const KeyValue& kv : view_.List(kNodesPrefix)) out.push_back(kv.key.substr(kNodesPrefix.size()));
  return out;
}

}  // namespace spate::cluster
