#include "firehose/delivery_stream.h"

#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr int64_t kFormatVersion = 1;

Result<DeliveryStatus> StatusFromName(std::string_view s) {
  if (s == "CREATING") return DeliveryStatus::kCreating;
  if (s == "ACTIVE") return DeliveryStatus::kActive;
  if (s == "DELETING") return DeliveryStatus::kDeleting;
  return Corruption("delivery stream record: unknown status " + std::string(s));
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kCreating: return "CREATING";
    case DeliveryStatus::kActive: return "ACTIVE";
    case DeliveryStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

std::string EncodeDeliveryStreamMeta(const DeliveryStreamMeta& m) {
  Value doc = Value::MakeObject();
  doc.Set("v", Value::Int(kFormatVersion));
  doc.Set("account", Value::String(m.account));
  doc.Set("region", Value::String(m.region));
  doc.Set("name", Value::String(m.name));
  doc.Set("type", Value::String(m.type));
  doc.Set("status", Value::String(std::string(DeliveryStatusName(m.status))));
  doc.Set("status_since_ms", Value::Int(m.status_since_ms));
  doc.Set("create_ms", Value::Int(m.create_ms));
  doc.Set("last_update_ms", Value::Int(m.last_update_ms));
  doc.Set("version_id", Value::Int(m.version_id));
  doc.Set("log_group", Value::String(m.log_group));
  doc.Set("destination", m.destination);
  doc.Set("source", m.source);
  Value tags = Value::MakeArray();
  for (const auto& [k, v] : m.tags) {
    Value t = Value::MakeArray();
    t.Append(Value::String(k));
    t.Append(Value::String(v));
    tags.Append(std::move(t));
  }
  doc.Set("tags", std::move(tags));
  Value enc = Value::MakeObject();
  enc.Set("status", Value::String(m.encryption.status));
  enc.Set("key_type", Value::String(m.encryption.key_type));
  enc.Set("key_arn", Value::String(m.encryption.key_arn));
  enc.Set("status_since_ms", Value::Int(m.encryption.status_since_ms));
  doc.Set("encryption", std::move(enc));
  std::string out;
  protocol::WriteJson(doc, &out);
  return out;
}

Result<DeliveryStreamMeta> DecodeDeliveryStreamMeta(std::string_view bytes) {
  auto parsed = protocol::ParseJson(bytes);
  if (!parsed.ok()) return Corruption("delivery stream record: " + parsed.status().message());
  const Value& doc = *parsed;
  if (!doc.is_object()) return Corruption("delivery stream record: not an object");
  if (doc.GetInt("v", 0) != kFormatVersion) return Corruption("delivery stream record: unknown version");
  DeliveryStreamMeta m;
  m.account = std::string(doc.GetString("account"));
  m.region = std::string(doc.GetString("region"));
  m.name = std::string(doc.GetString("name"));
  m.type = std::string(doc.GetString("type"));
  SPATE_ASSIGN_OR_RETURN(m.status, StatusFromName(doc.GetString("status")));
  m.status_since_ms = doc.GetInt("status_since_ms", 0);
  m.create_ms = doc.GetInt("create_ms", 0);
  m.last_update_ms = doc.GetInt("last_update_ms", 0);
  m.version_id = doc.GetInt("version_id", 1);
  m.log_group = std::string(doc.GetString("log_group"));
  if (m.account.empty() || m.region.empty() || m.name.empty() || m.log_group.empty()) {
    return Corruption("delivery stream record: missing identity");
  }
  if (const Value* d = doc.Find("destination")) m.destination = *d;
  if (const Value* s = doc.Find("source")) m.source = *s;
  if (const Value* tags = doc.Find("tags"); tags != nullptr && tags->is_array()) {
    for (const Value& t : tags->as_array()) {
      if (!t.is_array() || t.as_array().size() != 2 || !t.as_array()[0].is_string() || !t.as_array()[1].is_string()) {
        return Corruption("delivery stream record: malformed tag");
      }
      m.tags.emplace_back(t.as_array()[0].as_string(), t.as_array()[1].as_string());
    }
  }
  if (const Value* e = doc.Find("encryption"); e != nullptr && e->is_object()) {
    m.encryption.status = std::string(e->GetString("status", "DISABLED"));
    m.encryption.key_type = std::string(e->GetString("key_type"));
    m.encryption.key_arn = std::string(e->GetString("key_arn"));
    m.encryption.status_since_ms = e->GetInt("status_since_ms", 0);
  }
  return m;
}

Result<std::string> BucketFromArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:";
  // arn:<partition>:s3:::<bucket>
  if (arn.substr(0, kPrefix.size()) == kPrefix) {
    size_t p1 = arn.find(':', kPrefix.size());
    if (p1 != std::string_view::npos && arn.substr(p1, 6) == ":s3:::") {
      std::string_view bucket = arn.substr(p1 + 6);
      if (!bucket.empty() && bucket.find('/') == std::string_view::npos) return std::string(bucket);
    }
  }
  return InvalidArgument("BucketARN " + std::string(arn) + " is not a valid S3 bucket ARN.");
}

Result<S3Destination> ParseS3Configuration(const Value& cfg) {
  S3Destination d;
  SPATE_ASSIGN_OR_RETURN(d.bucket, BucketFromArn(cfg.GetString("BucketARN")));
  if (const Value* p = cfg.Find("Prefix"); p != nullptr && p->is_string()) d.prefix = p->as_string();
  if (const Value* p = cfg.Find("ErrorOutputPrefix"); p != nullptr && p->is_string()) {
    d.error_output_prefix = p->as_string();
  }
  if (const Value* h = cfg.Find("BufferingHints"); h != nullptr && h->is_object()) {
    d.buffer_bytes = static_cast<uint64_t>(h->GetInt("SizeInMBs", 5)) << 20;
    d.buffer_interval_ms = h->GetInt("IntervalInSeconds", 300) * 1000;
  }
  d.compression = std::string(cfg.GetString("CompressionFormat", "UNCOMPRESSED"));
  if (const Value* e = cfg.Find("FileExtension"); e != nullptr && e->is_string()) d.file_extension = e->as_string();
  d.time_zone = std::string(cfg.GetString("CustomTimeZone", "UTC"));
  if (d.time_zone.empty()) d.time_zone = "UTC";
  return d;
}

Result<S3Destination> ParseS3Destination(const Value& destination) {
  const Value* cfg = destination.Find("ExtendedS3DestinationConfiguration");
  if (cfg == nullptr) cfg = destination.Find("S3DestinationConfiguration");
  if (cfg == nullptr || !cfg->is_object()) return InvalidArgument("The delivery stream has no S3 destination.");
  return ParseS3Configuration(*cfg);
}

Result<std::optional<S3Destination>> ParseS3Backup(const Value& destination) {
  const Value* cfg = destination.Find("ExtendedS3DestinationConfiguration");
  if (cfg == nullptr || !cfg->is_object() || cfg->GetString("S3BackupMode", "Disabled") != "Enabled") {
    return std::optional<S3Destination>();
  }
  const Value* backup = cfg->Find("S3BackupConfiguration");
  if (backup == nullptr || !backup->is_object()) {
    return InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled.");
  }
  SPATE_ASSIGN_OR_RETURN(S3Destination d, ParseS3Configuration(*backup));
  // S3DestinationConfiguration has neither CustomTimeZone nor FileExtension:
  // backup keys are in UTC with the compression's extension.
  d.time_zone = "UTC";
  d.file_extension.reset();
  return std::optional<S3Destination>(std::move(d));
}

}  // namespace spate::firehose
