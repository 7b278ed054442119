#include "firehose/opensearch_bulk.h"

#include "base/assert.h"
#include "firehose/date_time_format.h"
#include "firehose/error_document.h"
#include "firehose/time_zone.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/base64.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// Documents nest deeper than API requests; simdjson's own limit is 1024.
constexpr int kMaxDocumentDepth = 512;
// Of an unexpected answer, quoted in an error message.
constexpr size_t kMaxQuotedBytes = 200;

// The suffix patterns, in Java's DateTimeFormatter syntax with Locale.US
// week fields (date_time_format.h): Y is the week-based year, ww the week.
const DateTimePattern& SuffixPattern(IndexRotation rotation) {
  static const DateTimePattern kHour = DateTimePattern::Compile("yyyy-MM-dd-HH").value();
  static const DateTimePattern kDay = DateTimePattern::Compile("yyyy-MM-dd").value();
  static const DateTimePattern kWeek = DateTimePattern::Compile("YYYY-'w'ww").value();
  static const DateTimePattern kMonth = DateTimePattern::Compile("yyyy-MM").value();
  switch (rotation) {
    case IndexRotation::kOneHour: return kHour;
    case IndexRotation::kOneDay: return kDay;
    case IndexRotation::kOneWeek: return kWeek;
    case IndexRotation::kOneMonth: return kMonth;
    case IndexRotation::kNoRotation: break;
  }
  SPATE_ASSERT(false, "no suffix for NoRotation");
  return kDay;
}

void AppendJsonString(std::string_view s, std::string* out) { protocol::WriteJson(Value::String(std::string(s)), out); }

}  // namespace

std::optional<IndexRotation> ParseIndexRotation(std::string_view name) {
  if (name == "NoRotation") return IndexRotation::kNoRotation;
  if (name == "OneHour") return IndexRotation::kOneHour;
  if (name == "OneDay") return IndexRotation::kOneDay;
  if (name == "OneWeek") return IndexRotation::kOneWeek;
  if (name == "OneMonth") return IndexRotation::kOneMonth;
  return std::nullopt;
}

std::string RotatedIndexName(std::string_view index_name, IndexRotation rotation, int64_t arrival_ms) {
  std::string out(index_name);
  if (rotation == IndexRotation::kNoRotation) return out;
  out += '-';
  TimeZone utc = TimeZone::Utc();
  SuffixPattern(rotation).Format(utc.Civil(arrival_ms), utc, &out);
  return out;
}

std::string FirehoseDocumentId(std::string_view batch_id, const BatchRecord& r) {
  return std::string(batch_id) + "-" + std::to_string(r.offset.value()) + "-" + std::to_string(r.sub_index);
}

std::optional<std::string_view> BulkDocument(std::string_view data) {
  if (data.size() >= 1 && data.back() == '\n') data.remove_suffix(1);
  if (data.size() >= 1 && data.back() == '\r') data.remove_suffix(1);
  if (data.find('\n') != std::string_view::npos || data.find('\r') != std::string_view::npos) return std::nullopt;
  // ParseJson checks UTF-8 (simdjson validates it) and the syntax.
  Result<Value> v = protocol::ParseJson(data, kMaxDocumentDepth);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  return data;
}

std::string BulkBody(const std::vector<BulkItem>& items) {
  std::string out;
  size_t size = 0;
  for (const BulkItem& item : items) size += item.document.size() + item.index.size() + item.id.size() + 64;
  out.reserve(size);
  for (const BulkItem& item : items) {
    out += "{\"index\":{\"_index\":";
    AppendJsonString(item.index, &out);
    if (!item.type.empty()) {
      out += ",\"_type\":";
      AppendJsonString(item.type, &out);
    }
    if (!item.id.empty()) {
      out += ",\"_id\":";
      AppendJsonString(item.id, &out);
    }
    out += "}}\n";
    out += item.document;
    out += '\n';
  }
  return out;
}

Result<std::vector<BulkItemResult>> ParseBulkResponse(std::string_view body, size_t sent) {
  auto bad = [&](std::string_view why) {
    return Unavailable("_bulk answer " + std::string(why) + ": " + std::string(body.substr(0, kMaxQuotedBytes)));
  };
  Result<Value> doc = protocol::ParseJson(body, kMaxDocumentDepth);
  if (!doc.ok() || !doc->is_object()) return bad("is not a JSON object");
  const Value* items = doc->Find("items");
  if (items == nullptr || !items->is_array()) return bad("has no items");
  if (items->as_array().size() != sent) {
    return bad("has " + std::to_string(items->as_array().size()) + " items for " + std::to_string(sent) + " documents");
  }
  std::vector<BulkItemResult> out;
  out.reserve(sent);
  for (const Value& item : items->as_array()) {
    // {"index": {...}} (or "create", which a cluster answers for the same op).
    if (!item.is_object() || item.as_object().size() != 1 || !item.as_object().front().second.is_object()) {
      return bad("has a malformed item");
    }
    const Value& result = item.as_object().front().second;
    const Value* status = result.Find("status");
    if (status == nullptr || !status->is_int()) return bad("has an item without a status");
    BulkItemResult r;
    r.status = static_cast<int>(status->as_int());
    r.id = std::string(result.GetString("_id"));
    if (const Value* error = result.Find("error"); error != nullptr && !error->is_null()) {
      protocol::WriteJson(*error, &r.error_json);
      if (error->is_object()) r.error_type = std::string(error->GetString("type"));
      if (r.ok()) r.status = 500;  // an error with a success status: not trusted as indexed
    } else if (!r.ok()) {
      r.error_json = "{}";
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string FailedDocumentJson(const FailedDocument& d, bool serverless) {
  ErrorDocument v({d.attempts, d.arrival_ms, d.error_code, d.error_message, d.attempt_ending_ms});
  if (serverless) {
    v.Add("osDocumentId", Value::String(d.document_id));
    v.Add("osIndexName", Value::String(d.index));
  } else {
    v.Add("esDocumentId", Value::String(d.document_id));
    v.Add("esIndexName", Value::String(d.index));
    v.Add("esTypeName", Value::String(d.type));
  }
  v.AddRawData(d.raw_data);
  return v.Json();
}

}  // namespace spate::firehose
