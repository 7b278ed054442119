#include "leases/lease_table.h"

#include <utility>

#include "protocol/json_codec.h"

namespace spate::leases {
namespace {

constexpr std::string_view kNamespace = "lease";
constexpr int64_t kRecordVersion = 1;
constexpr char kKeySeparator = '\0';

void Append(std::string* key, std::string_view part) {
  key->append(part);
  key->push_back(kKeySeparator);
}

std::string Prefix(const iam::Caller& caller, std::string_view application) {
  std::string key;
  Append(&key, caller.account);
  Append(&key, caller.region);
  Append(&key, application);
  return key;
}

Status NoSuchLease(std::string_view application, std::string_view shard_id) {
  return NotFound("Lease for shard " + std::string(shard_id) + " of application " + std::string(application) +
                  " not found.");
}

}  // namespace

std::string LeaseTable::Key(const iam::Caller& caller, std::string_view application, std::string_view stream_arn,
                            std::string_view shard_id) {
  std::string key = Prefix(caller, application);
  Append(&key, stream_arn);
  key.append(shard_id);
  return key;
}

protocol::Value LeaseTable::ToValue(const Lease& lease) {
  protocol::Value v = protocol::Value::MakeObject();
  v.Set("ApplicationName", protocol::Value::String(lease.application));
  v.Set("StreamARN", protocol::Value::String(lease.stream_arn));
  v.Set("ShardId", protocol::Value::String(lease.shard_id));
  if (!lease.owner.empty()) v.Set("LeaseOwner", protocol::Value::String(lease.owner));
  v.Set("LeaseCounter", protocol::Value::Int(lease.counter));
  v.Set("Checkpoint", protocol::Value::String(lease.checkpoint));
  v.Set("CheckpointSubSequenceNumber", protocol::Value::Int(lease.checkpoint_sub_sequence));
  protocol::Value parents = protocol::Value::MakeArray();
  for (const std::string& p : lease.parent_shard_ids) parents.mutable_array().push_back(protocol::Value::String(p));
  v.Set("ParentShardIds", std::move(parents));
  return v;
}

std::string LeaseTable::Encode(const Lease& lease) {
  protocol::Value v = ToValue(lease);
  v.Set("Version", protocol::Value::Int(kRecordVersion));
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

Result<Lease> LeaseTable::Decode(std::string_view bytes) {
  auto parsed = protocol::ParseJson(bytes);
  if (!parsed.ok() || !parsed->is_object()) return Corruption("lease record is not a JSON object");
  const protocol::Value& v = *parsed;
  const protocol::Value* version = v.Find("Version");
  if (version == nullptr || !version->is_int() || version->as_int() != kRecordVersion) {
    return Corruption("lease record has an unknown version");
  }
  for (std::string_view member : {"ApplicationName", "StreamARN", "ShardId", "Checkpoint"}) {
    const protocol::Value* m = v.Find(member);
    if (m == nullptr || !m->is_string()) return Corruption("lease record lacks " + std::string(member));
  }
  for (std::string_view member : {"LeaseCounter", "CheckpointSubSequenceNumber"}) {
    const protocol::Value* m = v.Find(member);
    if (m == nullptr || !m->is_int()) return Corruption("lease record lacks " + std::string(member));
  }
  Lease lease;
  lease.application = v.GetString("ApplicationName");
  lease.stream_arn = v.GetString("StreamARN");
  lease.shard_id = v.GetString("ShardId");
  lease.owner = v.GetString("LeaseOwner");
  lease.counter = v.GetInt("LeaseCounter");
  lease.checkpoint = v.GetString("Checkpoint");
  lease.checkpoint_sub_sequence = v.GetInt("CheckpointSubSequenceNumber");
  if (const protocol::Value* parents = v.Find("ParentShardIds"); parents != nullptr) {
    if (!parents->is_array()) return Corruption("lease record has malformed ParentShardIds");
    for (const protocol::Value& p : parents->as_array()) {
      if (!p.is_string()) return Corruption("lease record has malformed ParentShardIds");
      lease.parent_shard_ids.push_back(p.as_string());
    }
  }
  return lease;
}

Status LeaseTable::Start() {
  SPATE_ASSIGN_OR_RETURN(auto entries, catalog_->LoadEntries(kNamespace));
  std::lock_guard lock(mu_);
  for (auto& [key, value] : entries) {
    SPATE_ASSIGN_OR_RETURN(Lease lease, Decode(value));
    leases_.emplace(key, std::move(lease));
  }
  return Status::Ok();
}

Result<protocol::Value> LeaseTable::CreateLease(const iam::Caller& caller, const protocol::Value& input) {
  Lease lease;
  lease.application = input.GetString("ApplicationName");
  lease.stream_arn = input.GetString("StreamARN");
  lease.shard_id = input.GetString("ShardId");
  if (input.Has("Checkpoint")) lease.checkpoint = input.GetString("Checkpoint");
  lease.checkpoint_sub_sequence = input.GetInt("CheckpointSubSequenceNumber");
  if (const protocol::Value* parents = input.Find("ParentShardIds"); parents != nullptr) {
    for (const protocol::Value& p : parents->as_array()) lease.parent_shard_ids.push_back(p.as_string());
  }
  std::string key = Key(caller, lease.application, lease.stream_arn, lease.shard_id);
  std::lock_guard lock(mu_);
  if (leases_.count(key) != 0) {
    return Status(ErrorCode::kAlreadyExists,
                  "Lease for shard " + lease.shard_id + " of application " + lease.application + " already exists.");
  }
  SPATE_TRY(catalog_->PutEntry(kNamespace, key, Encode(lease)));
  protocol::Value out = protocol::Value::MakeObject();
  out.Set("Lease", ToValue(lease));
  leases_.emplace(std::move(key), std::move(lease));
  return out;
}

Result<protocol::Value> LeaseTable::ListLeases(const iam::Caller& caller, const protocol::Value& input) {
  std::string prefix = Prefix(caller, input.GetString("ApplicationName"));
  if (input.Has("StreamARN")) Append(&prefix, input.GetString("StreamARN"));
  protocol::Value list = protocol::Value::MakeArray();
  {
    std::lock_guard lock(mu_);
    for (auto it = leases_.lower_bound(prefix); it != leases_.end() && it->first.starts_with(prefix); ++it) {
      list.mutable_array().push_back(ToValue(it->second));
    }
  }
  protocol::Value out = protocol::Value::MakeObject();
  out.Set("Leases", std::move(list));
  return out;
}

Result<protocol::Value> LeaseTable::UpdateLease(const iam::Caller& caller, const protocol::Value& input) {
  std::string_view application = input.GetString("ApplicationName");
  std::string_view shard_id = input.GetString("ShardId");
  std::string key = Key(caller, application, input.GetString("StreamARN"), shard_id);
  int64_t expected = input.GetInt("ExpectedLeaseCounter");
  std::lock_guard lock(mu_);
  auto it = leases_.find(key);
  if (it == leases_.end()) return NoSuchLease(application, shard_id);
  const Lease& current = it->second;
  if (current.counter != expected) {
    return Status(ErrorCode::kConcurrentModification, "Lease counter of shard " + std::string(shard_id) + " is " +
                                                          std::to_string(current.counter) + ", expected " +
                                                          std::to_string(expected) + ".");
  }
  if (input.Has("ExpectedLeaseOwner") && input.GetString("ExpectedLeaseOwner") != current.owner) {
    return Status(ErrorCode::kConcurrentModification,
                  "Lease of shard " + std::string(shard_id) + " is owned by '" + current.owner + "'.");
  }
  Lease next = current;
  next.counter = current.counter + 1;
  if (input.Has("LeaseOwner")) next.owner = input.GetString("LeaseOwner");
  if (input.Has("Checkpoint")) {
    next.checkpoint = input.GetString("Checkpoint");
    next.checkpoint_sub_sequence = input.GetInt("CheckpointSubSequenceNumber");
  }
  SPATE_TRY(catalog_->PutEntry(kNamespace, key, Encode(next)));
  it->second = std::move(next);
  protocol::Value out = protocol::Value::MakeObject();
  out.Set("Lease", ToValue(it->second));
  return out;
}

Result<protocol::Value> LeaseTable::DeleteLease(const iam::Caller& caller, const protocol::Value& input) {
  std::string_view application = input.GetString("ApplicationName");
  std::string_view shard_id = input.GetString("ShardId");
  std::string key = Key(caller, application, input.GetString("StreamARN"), shard_id);
  std::lock_guard lock(mu_);
  auto it = leases_.find(key);
  if (it == leases_.end()) return NoSuchLease(application, shard_id);
  if (input.Has("ExpectedLeaseCounter") && input.GetInt("ExpectedLeaseCounter") != it->second.counter) {
    return Status(ErrorCode::kConcurrentModification, "Lease counter of shard " + std::string(shard_id) + " is " +
                                                          std::to_string(it->second.counter) + ".");
  }
  SPATE_TRY(catalog_->DeleteEntry(kNamespace, key));
  leases_.erase(it);
  return protocol::Value::MakeObject();
}

}  // namespace spate::leases
