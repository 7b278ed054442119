#include "analytics/application.h"

#include "protocol/json_codec.h"

namespace spate::analytics {
namespace {

using protocol::Value;

constexpr int64_t kFormatVersion = 1;

Result<AppStatus> StatusFromName(std::string_view s) {
  for (AppStatus st : {AppStatus::kReady, AppStatus::kStarting, AppStatus::kRunning, AppStatus::kUpdating,
                       AppStatus::kStopping, AppStatus::kDeleting}) {
    if (AppStatusName(st) == s) return st;
  }
  return Corruption("application record: unknown status " + std::string(s));
}

Value ArrayOr(const Value* v) { return v != nullptr && v->is_array() ? *v : Value::MakeArray(); }

}  // namespace

std::string_view AppStatusName(AppStatus s) {
  switch (s) {
    case AppStatus::kReady: return "READY";
    case AppStatus::kStarting: return "STARTING";
    case AppStatus::kRunning: return "RUNNING";
    case AppStatus::kUpdating: return "UPDATING";
    case AppStatus::kStopping: return "STOPPING";
    case AppStatus::kDeleting: return "DELETING";
  }
  return "READY";
}

std::string ApplicationMeta::Arn() const {
  return "arn:aws:kinesisanalytics:" + region + ":" + account + ":application/" + name;
}

Value ApplicationMeta::Summary() const {
  Value s = Value::MakeObject();
  s.Set("ApplicationName", Value::String(name));
  s.Set("ApplicationARN", Value::String(Arn()));
  s.Set("ApplicationStatus", Value::String(std::string(AppStatusName(status))));
  return s;
}

Value ApplicationMeta::Detail() const {
  Value d = Value::MakeObject();
  d.Set("ApplicationName", Value::String(name));
  if (has_description) d.Set("ApplicationDescription", Value::String(description));
  d.Set("ApplicationARN", Value::String(Arn()));
  d.Set("ApplicationStatus", Value::String(std::string(AppStatusName(status))));
  d.Set("CreateTimestamp", Value::TimestampMs(create_ms));
  d.Set("LastUpdateTimestamp", Value::TimestampMs(last_update_ms));
  Value in = inputs;
  // The starting position is described while the application runs.
  if (Runs() && !starting_position.empty()) {
    for (Value& i : in.mutable_array()) {
      Value pos = Value::MakeObject();
      pos.Set("InputStartingPosition", Value::String(starting_position));
      i.Set("InputStartingPositionConfiguration", std::move(pos));
    }
  }
  d.Set("InputDescriptions", std::move(in));
  d.Set("OutputDescriptions", outputs);
  d.Set("ReferenceDataSourceDescriptions", references);
  d.Set("CloudWatchLoggingOptionDescriptions", logging);
  if (has_code) d.Set("ApplicationCode", Value::String(code));
  d.Set("ApplicationVersionId", Value::Int(version_id));
  return d;
}

std::string EncodeApplicationMeta(const ApplicationMeta& m) {
  Value doc = Value::MakeObject();
  doc.Set("v", Value::Int(kFormatVersion));
  doc.Set("account", Value::String(m.account));
  doc.Set("region", Value::String(m.region));
  doc.Set("name", Value::String(m.name));
  if (m.has_description) doc.Set("description", Value::String(m.description));
  if (m.has_code) doc.Set("code", Value::String(m.code));
  doc.Set("status", Value::String(std::string(AppStatusName(m.status))));
  doc.Set("status_since_ms", Value::Int(m.status_since_ms));
  doc.Set("create_ms", Value::Int(m.create_ms));
  doc.Set("last_update_ms", Value::Int(m.last_update_ms));
  doc.Set("version_id", Value::Int(m.version_id));
  doc.Set("inputs", m.inputs);
  doc.Set("outputs", m.outputs);
  doc.Set("references", m.references);
  doc.Set("logging", m.logging);
  Value tags = Value::MakeArray();
  for (const auto& [k, v] : m.tags) {
    Value t = Value::MakeArray();
    t.Append(Value::String(k));
    t.Append(Value::String(v));
    tags.Append(std::move(t));
  }
  doc.Set("tags", std::move(tags));
  Value ids = Value::MakeObject();
  ids.Set("input", Value::Int(m.next_input_id));
  ids.Set("output", Value::Int(m.next_output_id));
  ids.Set("reference", Value::Int(m.next_reference_id));
  ids.Set("logging", Value::Int(m.next_logging_id));
  doc.Set("next_ids", std::move(ids));
  doc.Set("instance", Value::String(m.instance));
  doc.Set("starting_position", Value::String(m.starting_position));
  std::string out;
  protocol::WriteJson(doc, &out);
  return out;
}

Result<ApplicationMeta> DecodeApplicationMeta(std::string_view json) {
  auto parsed = protocol::ParseJson(json);
  if (!parsed.ok()) return Corruption("application record: " + parsed.status().message());
  const Value& doc = *parsed;
  if (!doc.is_object() || doc.GetInt("v", -1) != kFormatVersion) {
    return Corruption("application record: unknown format version");
  }
  ApplicationMeta m;
  m.account = std::string(doc.GetString("account"));
  m.region = std::string(doc.GetString("region"));
  m.name = std::string(doc.GetString("name"));
  if (m.name.empty()) return Corruption("application record without a name");
  m.has_description = doc.Has("description");
  m.description = std::string(doc.GetString("description"));
  m.has_code = doc.Has("code");
  m.code = std::string(doc.GetString("code"));
  SPATE_ASSIGN_OR_RETURN(m.status, StatusFromName(doc.GetString("status")));
  m.status_since_ms = doc.GetInt("status_since_ms");
  m.create_ms = doc.GetInt("create_ms");
  m.last_update_ms = doc.GetInt("last_update_ms");
  m.version_id = doc.GetInt("version_id", 1);
  m.inputs = ArrayOr(doc.Find("inputs"));
  m.outputs = ArrayOr(doc.Find("outputs"));
  m.references = ArrayOr(doc.Find("references"));
  m.logging = ArrayOr(doc.Find("logging"));
  if (const Value* tags = doc.Find("tags"); tags != nullptr && tags->is_array()) {
    for (const Value& t : tags->as_array()) {
      if (!t.is_array() || t.as_array().size() != 2 || !t.as_array()[0].is_string() || !t.as_array()[1].is_string()) {
        return Corruption("application record: malformed tag");
      }
      m.tags.emplace_back(t.as_array()[0].as_string(), t.as_array()[1].as_string());
    }
  }
  if (const Value* ids = doc.Find("next_ids"); ids != nullptr) {
    m.next_input_id = ids->GetInt("input", 1);
    m.next_output_id = ids->GetInt("output", 1);
    m.next_reference_id = ids->GetInt("reference", 1);
    m.next_logging_id = ids->GetInt("logging", 1);
  }
  m.instance = std::string(doc.GetString("instance"));
  m.starting_position = std::string(doc.GetString("starting_position"));
  return m;
}

}  // namespace spate::analytics
