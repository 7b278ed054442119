// The control-plane operations of Firehose: create, delete, describe, list,
// update, tags and encryption of delivery streams.

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <vector>

#include "base/log.h"
#include "firehose/delivery_streams.h"
#include "firehose/object_keys.h"
#include "firehose/stream_state.h"
#include "firehose/time_zone.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr std::string_view kDestinationId = "destinationId-000000000001";
constexpr size_t kMaxTags = 50;

// Destination configurations of the model; Spate delivers to S3 today.
constexpr std::array<std::string_view, 10> kDestinationMembers = {
    "ExtendedS3DestinationConfiguration",
    "S3DestinationConfiguration",
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
};

std::string NewLogGroup() {
  std::random_device rd;
  uint64_t hi = (static_cast<uint64_t>(rd()) << 32) | rd();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "ds-%016llx", static_cast<unsigned long long>(hi));
  return buf;
}

Value Description(const DeliveryStreamMeta& m, const Value& in) {
  Value d = Value::MakeObject();
  d.Set("DeliveryStreamName", Value::String(m.name));
  d.Set("DeliveryStreamARN", Value::String(m.Arn()));
  d.Set("DeliveryStreamStatus", Value::String(std::string(DeliveryStatusName(m.status))));
  Value enc = Value::MakeObject();
  if (!m.encryption.key_type.empty()) {
    if (!m.encryption.key_arn.empty()) enc.Set("KeyARN", Value::String(m.encryption.key_arn));
    enc.Set("KeyType", Value::String(m.encryption.key_type));
  }
  enc.Set("Status", Value::String(m.encryption.status));
  d.Set("DeliveryStreamEncryptionConfiguration", std::move(enc));
  d.Set("DeliveryStreamType", Value::String(m.type));
  d.Set("VersionId", Value::String(std::to_string(m.version_id)));
  d.Set("CreateTimestamp", Value::TimestampMs(m.create_ms));
  if (m.last_update_ms > 0) d.Set("LastUpdateTimestamp", Value::TimestampMs(m.last_update_ms));
  if (m.type == "KinesisStreamAsSource" && m.source.is_object()) {
    Value src = Value::MakeObject();
    Value k = Value::MakeObject();
    k.Set("KinesisStreamARN", Value::String(std::string(m.source.GetString("KinesisStreamARN"))));
    k.Set("RoleARN", Value::String(std::string(m.source.GetString("RoleARN"))));
    k.Set("DeliveryStartTimestamp", Value::TimestampMs(m.create_ms));
    src.Set("KinesisStreamSourceDescription", std::move(k));
    d.Set("Source", std::move(src));
  }
  Value dests = Value::MakeArray();
  std::string_view start = in.GetString("ExclusiveStartDestinationId");
  // One destination per delivery stream: listed unless the caller starts after it.
  if (start.empty() || start < kDestinationId) {
    Value dest = Value::MakeObject();
    dest.Set("DestinationId", Value::String(std::string(kDestinationId)));
    if (const DestinationKind* kind = DestinationKindOf(m.destination)) {
      Value described = kind->Describe(*m.destination.Find(std::string(kind->Name()) + "DestinationConfiguration"));
      for (const auto& [member, value] : described.as_object()) dest.Set(member, value);
    }
    dests.Append(std::move(dest));
  }
  d.Set("Destinations", std::move(dests));
  d.Set("HasMoreDestinations", Value::Bool(false));
  return d;
}

Status CheckTags(const std::vector<std::pair<std::string, std::string>>& tags) {
  for (const auto& [k, v] : tags) {
    if (k.rfind("aws:", 0) == 0) {
      return InvalidArgument("Tag keys cannot start with the reserved prefix 'aws:': " + k);
    }
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> TagsOf(const Value* list) {
  std::vector<std::pair<std::string, std::string>> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const Value& t : list->as_array()) {
    out.emplace_back(std::string(t.GetString("Key")), std::string(t.GetString("Value")));
  }
  return out;
}

Status ResourceInUse(std::string m) { return Status(ErrorCode::kResourceInUse, std::move(m)); }

// DeliveryStreamEncryptionConfigurationInput as AWS checks it.
Status CheckEncryptionKey(const std::string& key_type, const std::string& key_arn) {
  if (key_type == "CUSTOMER_MANAGED_CMK" && key_arn.empty()) {
    return InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.");
  }
  if (key_type == "AWS_OWNED_CMK" && !key_arn.empty()) {
    return InvalidArgument("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.");
  }
  if (!key_arn.empty() && !storage::KeyStore::CanonicalKeyId(key_arn).ok()) {
    return InvalidArgument("KeyARN " + key_arn + " is not a valid KMS key ARN.");
  }
  return Status::Ok();
}

}  // namespace

Result<Value> DeliveryStreams::CreateDeliveryStream(const iam::Caller& caller, const Value& in) {
  DeliveryStreamMeta m;
  m.account = caller.account;
  m.region = caller.region;
  m.name = std::string(in.GetString("DeliveryStreamName"));
  m.type = std::string(in.GetString("DeliveryStreamType", "DirectPut"));
  if (m.type == "KinesisStreamAsSource") {
    const Value* src = in.Find("KinesisStreamSourceConfiguration");
    if (src == nullptr) {
      return InvalidArgument("KinesisStreamSourceConfiguration is required for a KinesisStreamAsSource stream.");
    }
    if (options_.kinesis == nullptr) return InvalidArgument("KinesisStreamAsSource is not available on this server.");
    std::string_view arn = src->GetString("KinesisStreamARN");
    auto shards = options_.kinesis->Shards(caller, arn);
    if (!shards.ok()) {
      return Status(ErrorCode::kInvalidArgument, "Kinesis stream " + std::string(arn) +
                                                     " cannot be used as the source: " + shards.status().message());
    }
    m.source = *src;
    if (in.Has("DeliveryStreamEncryptionConfigurationInput")) {
      return InvalidArgument("Server-side encryption is not supported for a KinesisStreamAsSource delivery stream.");
    }
  } else if (m.type != "DirectPut") {
    return InvalidArgument(m.type + " is not supported by this server.");
  } else if (in.Has("KinesisStreamSourceConfiguration")) {
    return InvalidArgument("KinesisStreamSourceConfiguration is only allowed for a KinesisStreamAsSource stream.");
  }
  int destinations = 0;
  std::string_view given;
  for (std::string_view member : kDestinationMembers) {
    if (in.Has(member)) {
      ++destinations;
      given = member;
    }
  }
  if (destinations != 1) {
    return InvalidArgument("Exactly one destination configuration must be provided; " + std::to_string(destinations) +
                           " were given.");
  }
  const DestinationKind* kind = FindDestinationKind(given);
  if (kind == nullptr) {
    return InvalidArgument(std::string(given) + " is not supported by this server yet.");
  }
  m.destination = Value::MakeObject();
  m.destination.Set(std::string(given), *in.Find(given));
  SPATE_TRY(kind->Check(*in.Find(given)));
  m.tags = TagsOf(in.Find("Tags"));
  SPATE_TRY(CheckTags(m.tags));
  if (const Value* enc = in.Find("DeliveryStreamEncryptionConfigurationInput")) {
    std::string key_type(enc->GetString("KeyType"));
    std::string key_arn(enc->GetString("KeyARN"));
    SPATE_TRY(CheckEncryptionKey(key_type, key_arn));
    m.encryption.status = "ENABLED";
    m.encryption.key_type = key_type;
    m.encryption.key_arn = key_arn;
  }
  int64_t now = clock_->NowMs();
  m.create_ms = now;
  m.status_since_ms = now;
  m.encryption.status_since_ms = now;
  m.status = options_.state_delay_ms == 0 ? DeliveryStatus::kActive : DeliveryStatus::kCreating;
  m.log_group = NewLogGroup();

  {
    // The name is reserved under the lock; the catalog write and the log's
    // creation (disk I/O) happen outside it, so puts to other delivery
    // streams never wait on a create.
    std::unique_lock lock(mu_);
    if (Find(caller, m.name) || reserving_.count(m.Key()) != 0) {
      return ResourceInUse("Firehose " + m.name + " under accountId " + caller.account + " already exists");
    }
    size_t count = 0;
    for (const auto& [k, s] : streams_) count += s->meta.account == caller.account && s->meta.region == caller.region;
    for (const auto& k : reserving_) count += k.rfind(caller.account + "/" + caller.region + "/", 0) == 0;
    if (count >= options_.max_delivery_streams) {
      return Status(ErrorCode::kLimitExceeded, "You have already consumed your firehose quota of " +
                                                   std::to_string(options_.max_delivery_streams) + " hoses.");
    }
    reserving_.insert(m.Key());
  }
  std::string key = m.Key();
  auto unreserve = [this, &key] {
    std::unique_lock lock(mu_);
    reserving_.erase(key);
  };
  auto s = std::make_shared<Stream>();
  if (Status st = catalog_->PutEntry(kDeliveryStreamNamespace, key, EncodeDeliveryStreamMeta(m)); !st.ok()) {
    unreserve();
    return st;
  }
  s->meta = std::move(m);
  if (Status st = OpenStream(s.get()); !st.ok()) {
    catalog_->DeleteEntry(kDeliveryStreamNamespace, key).IgnoreError();
    unreserve();
    return st;
  }
  Value out = Value::MakeObject();
  out.Set("DeliveryStreamARN", Value::String(s->meta.Arn()));
  SPATE_LOG_INFO("delivery stream " + s->meta.name + " created (" + s->meta.log_group + ")");
  std::unique_lock lock(mu_);
  reserving_.erase(key);
  streams_[key] = std::move(s);
  return out;
}

Result<Value> DeliveryStreams::DeleteDeliveryStream(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  std::shared_ptr<Stream> doomed;
  {
    std::unique_lock lock(mu_);
    auto s = Find(caller, name);
    if (!s) return NotFound(caller, name);
    if (s->meta.status == DeliveryStatus::kCreating) {
      return ResourceInUse("Firehose " + std::string(name) + " is in CREATING state and cannot be deleted.");
    }
    if (s->meta.status == DeliveryStatus::kDeleting) return Value::MakeObject();
    DeliveryStreamMeta next = s->meta;
    next.status = DeliveryStatus::kDeleting;
    next.status_since_ms = clock_->NowMs();
    SPATE_TRY(Commit(s.get(), std::move(next)));
  }
  // The state machine removes it after the state delay.
  state_cv_.notify_all();
  return Value::MakeObject();
}

Result<Value> DeliveryStreams::DescribeDeliveryStream(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  std::shared_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  Value out = Value::MakeObject();
  out.Set("DeliveryStreamDescription", Description(s->meta, in));
  return out;
}

Result<Value> DeliveryStreams::ListDeliveryStreams(const iam::Caller& caller, const Value& in) {
  int64_t limit = 10;
  if (const Value* l = in.Find("Limit"); l != nullptr && l->is_int()) limit = l->as_int();
  std::string_view type = in.GetString("DeliveryStreamType");
  std::string_view start = in.GetString("ExclusiveStartDeliveryStreamName");
  std::vector<std::string> names;
  {
    std::shared_lock lock(mu_);
    for (const auto& [k, s] : streams_) {
      const DeliveryStreamMeta& m = s->meta;
      if (m.account != caller.account || m.region != caller.region) continue;
      if (!type.empty() && m.type != type) continue;
      if (!start.empty() && m.name <= start) continue;
      names.push_back(m.name);
    }
  }
  std::sort(names.begin(), names.end());
  Value out = Value::MakeObject();
  Value list = Value::MakeArray();
  size_t n = std::min(names.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < n; ++i) list.Append(Value::String(names[i]));
  out.Set("DeliveryStreamNames", std::move(list));
  out.Set("HasMoreDeliveryStreams", Value::Bool(names.size() > n));
  return out;
}

Result<Value> DeliveryStreams::UpdateDestination(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  std::unique_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  if (s->meta.status != DeliveryStatus::kActive) {
    return ResourceInUse("Firehose " + std::string(name) + " is not in the ACTIVE state.");
  }
  std::string_view current = in.GetString("CurrentDeliveryStreamVersionId");
  if (current != std::to_string(s->meta.version_id)) {
    return Status(ErrorCode::kConcurrentModification,
                  "Cannot update firehose: " + std::string(name) +
                      " since the current version id: " + std::to_string(s->meta.version_id) +
                      " and the specified version id: " + std::string(current) + " do not match");
  }
  std::string_view dest_id = in.GetString("DestinationId");
  if (dest_id != kDestinationId) {
    return InvalidArgument("Destination Id " + std::string(dest_id) + " not found for firehose " + std::string(name) +
                           ".");
  }
  const DestinationKind* kind = DestinationKindOf(s->meta.destination);
  if (kind == nullptr) return Internal("delivery stream " + std::string(name) + " has no destination");
  std::string kind_name(kind->Name());
  // An S3 destination takes either S3 update (ExtendedS3DestinationUpdate is
  // the superset).
  bool s3 = kind_name == "S3" || kind_name == "ExtendedS3";
  const Value* update = nullptr;
  for (const auto& [member, value] : in.as_object()) {
    if (member.size() <= 17 || member.compare(member.size() - 17, 17, "DestinationUpdate") != 0) continue;
    std::string updated = member.substr(0, member.size() - 17);
    if (updated == kind_name || (s3 && (updated == "S3" || updated == "ExtendedS3"))) {
      if (update == nullptr || updated == "ExtendedS3") update = &value;
      continue;
    }
    return InvalidArgument("Changing the destination type to or from " + updated + " is not supported by this server.");
  }
  if (update == nullptr) return Value::MakeObject();  // nothing to change: AWS still bumps nothing
  DeliveryStreamMeta next = s->meta;
  Value* cfg = next.destination.FindMutable(kind_name + "DestinationConfiguration");
  SPATE_TRY(kind->Update(cfg, *update));
  next.version_id++;
  next.last_update_ms = clock_->NowMs();
  SPATE_ASSIGN_OR_RETURN(DeliveryTarget target, TargetOf(next, s->metrics));
  SPATE_TRY(Commit(s.get(), std::move(next)));
  s->deliverer->Update(std::move(target));
  if (Status st = StartBackup(s.get()); !st.ok()) {
    // The update is committed; the backup starts at the next start of spated.
    SPATE_LOG_ERROR("cannot start the S3 backup of " + s->meta.name + ": " + st.ToString());
  }
  return Value::MakeObject();
}

Result<Value> DeliveryStreams::TagDeliveryStream(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  auto tags = TagsOf(in.Find("Tags"));
  SPATE_TRY(CheckTags(tags));
  std::unique_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  DeliveryStreamMeta next = s->meta;
  for (const auto& [k, v] : tags) {
    auto it = std::find_if(next.tags.begin(), next.tags.end(), [&](const auto& t) { return t.first == k; });
    if (it != next.tags.end()) {
      it->second = v;
    } else {
      next.tags.emplace_back(k, v);
    }
  }
  if (next.tags.size() > kMaxTags) {
    return Status(ErrorCode::kLimitExceeded, "Firehose " + std::string(name) + " would have " +
                                                 std::to_string(next.tags.size()) +
                                                 " tags, more than the limit of 50.");
  }
  SPATE_TRY(Commit(s.get(), std::move(next)));
  return Value::MakeObject();
}

Result<Value> DeliveryStreams::UntagDeliveryStream(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  std::unique_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  DeliveryStreamMeta next = s->meta;
  if (const Value* keys = in.Find("TagKeys"); keys != nullptr && keys->is_array()) {
    for (const Value& k : keys->as_array()) {
      std::erase_if(next.tags, [&](const auto& t) { return t.first == k.as_string(); });
    }
  }
  SPATE_TRY(Commit(s.get(), std::move(next)));
  return Value::MakeObject();
}

Result<Value> DeliveryStreams::ListTagsForDeliveryStream(const iam::Caller& caller, const Value& in) {
  std::string_view name = in.GetString("DeliveryStreamName");
  int64_t limit = 50;
  if (const Value* l = in.Find("Limit"); l != nullptr && l->is_int()) limit = l->as_int();
  std::string_view start = in.GetString("ExclusiveStartTagKey");
  std::vector<std::pair<std::string, std::string>> tags;
  {
    std::shared_lock lock(mu_);
    auto s = Find(caller, name);
    if (!s) return NotFound(caller, name);
    tags = s->meta.tags;
  }
  std::sort(tags.begin(), tags.end());
  Value list = Value::MakeArray();
  size_t listed = 0, remaining = 0;
  for (const auto& [k, v] : tags) {
    if (!start.empty() && k <= start) continue;
    if (listed < static_cast<size_t>(limit)) {
      Value t = Value::MakeObject();
      t.Set("Key", Value::String(k));
      t.Set("Value", Value::String(v));
      list.Append(std::move(t));
      ++listed;
    } else {
      ++remaining;
    }
  }
  Value out = Value::MakeObject();
  out.Set("Tags", std::move(list));
  out.Set("HasMoreTags", Value::Bool(remaining > 0));
  return out;
}

Result<Value> DeliveryStreams::StartDeliveryStreamEncryption(const iam::Caller& caller, const Value& in) {
  std::string key_type = "AWS_OWNED_CMK";
  std::string key_arn;
  if (const Value* enc = in.Find("DeliveryStreamEncryptionConfigurationInput")) {
    key_type = std::string(enc->GetString("KeyType"));
    key_arn = std::string(enc->GetString("KeyARN"));
  }
  SPATE_TRY(CheckEncryptionKey(key_type, key_arn));
  return ChangeEncryption(caller, in.GetString("DeliveryStreamName"), true, key_type, key_arn);
}

Result<Value> DeliveryStreams::StopDeliveryStreamEncryption(const iam::Caller& caller, const Value& in) {
  return ChangeEncryption(caller, in.GetString("DeliveryStreamName"), false, "", "");
}

Result<Value> DeliveryStreams::ChangeEncryption(const iam::Caller& caller, std::string_view name, bool enable,
                                                const std::string& key_type, const std::string& key_arn) {
  std::unique_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  if (s->meta.type != "DirectPut") {
    return InvalidArgument("This operation is not supported for a delivery stream of type " + s->meta.type + ".");
  }
  if (s->meta.status != DeliveryStatus::kActive) {
    return ResourceInUse("Firehose " + std::string(name) + " is not in the ACTIVE state.");
  }
  DeliveryStreamMeta next = s->meta;
  bool now = options_.state_delay_ms == 0;
  next.encryption.status = enable ? (now ? "ENABLED" : "ENABLING") : (now ? "DISABLED" : "DISABLING");
  if (enable) {
    next.encryption.key_type = key_type;
    next.encryption.key_arn = key_arn;
  }
  next.encryption.status_since_ms = clock_->NowMs();
  SPATE_TRY(Commit(s.get(), std::move(next)));
  return Value::MakeObject();
}

}  // namespace spate::firehose
