#include "analytics/record_mapping.h"

#include <cmath>
#include <cstdio>

#include "protocol/json_codec.h"

namespace spate::analytics {

using protocol::Value;

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  if (text.empty() || text[0] != '$') return InvalidArgument("JSONPath " + std::string(text) + " must begin with $.");
  JsonPath p;
  size_t i = 1;
  auto bad = [&](std::string_view why) {
    return InvalidArgument("Invalid JSONPath " + std::string(text) + ": " + std::string(why) + ".");
  };
  while (i < text.size()) {
    Step s;
    if (text[i] == '.') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '.' && text[j] != '[') ++j;
      if (j == i + 1) return bad("empty member name");
      s.name = std::string(text.substr(i + 1, j - i - 1));
      i = j;
    } else if (text[i] == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return bad("unclosed [");
      std::string_view inner = text.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') && inner.back() == inner.front()) {
        s.name = std::string(inner.substr(1, inner.size() - 2));
      } else if (inner == "0:" || inner == "*") {
        s.kind = Step::Kind::kEvery;
      } else if (!inner.empty() && inner.find_first_not_of("0123456789") == std::string_view::npos &&
                 inner.size() < 10) {
        s.kind = Step::Kind::kIndex;
        s.index = std::stoul(std::string(inner));
      } else {
        return bad("unsupported subscript [" + std::string(inner) + "]");
      }
      i = close + 1;
    } else {
      return bad("expected . or [");
    }
    p.steps_.push_back(std::move(s));
  }
  return p;
}

std::vector<const Value*> JsonPath::Select(const Value& root) const {
  std::vector<const Value*> cur = {&root};
  for (const Step& s : steps_) {
    std::vector<const Value*> next;
    for (const Value* v : cur) {
      switch (s.kind) {
        case Step::Kind::kMember:
          if (const Value* m = v->Find(s.name); m != nullptr) next.push_back(m);
          break;
        case Step::Kind::kIndex:
          if (v->is_array() && s.index < v->as_array().size()) next.push_back(&v->as_array()[s.index]);
          break;
        case Step::Kind::kEvery:
          if (v->is_array()) {
            for (const Value& e : v->as_array()) next.push_back(&e);
          }
          break;
      }
    }
    cur = std::move(next);
  }
  return cur;
}

std::optional<std::string> JsonText(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return std::nullopt;
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", v.as_double());
      // The shortest text that reads back as the same double.
      for (int prec = 1; prec <= 17; ++prec) {
        char shorter[32];
        std::snprintf(shorter, sizeof(shorter), "%.*g", prec, v.as_double());
        if (std::strtod(shorter, nullptr) == v.as_double()) return std::string(shorter);
      }
      return std::string(buf);
    }
    case Value::Kind::kString:
    case Value::Kind::kBlob: return v.as_string();
    case Value::Kind::kTimestamp: return std::to_string(v.as_timestamp_ms());
    case Value::Kind::kArray:
    case Value::Kind::kObject: {
      std::string out;
      protocol::WriteJson(v, &out);
      return out;
    }
  }
  return std::nullopt;
}

Result<RecordMapper> RecordMapper::Create(const Value& schema) {
  RecordMapper m;
  const Value* format = schema.Find("RecordFormat");
  if (format == nullptr) return InvalidArgument("The schema has no RecordFormat.");
  std::string_view type = format->GetString("RecordFormatType");
  const Value* params = format->Find("MappingParameters");
  const Value* cols = schema.Find("RecordColumns");
  m.columns_ = cols != nullptr && cols->is_array() ? cols->as_array().size() : 0;
  if (type == "CSV") {
    m.json_ = false;
    const Value* csv = params != nullptr ? params->Find("CSVMappingParameters") : nullptr;
    if (csv == nullptr) return InvalidArgument("CSVMappingParameters are required for a CSV record format.");
    m.row_delimiter_ = std::string(csv->GetString("RecordRowDelimiter", "\n"));
    m.column_delimiter_ = std::string(csv->GetString("RecordColumnDelimiter", ","));
    if (m.row_delimiter_.empty() || m.column_delimiter_.empty()) {
      return InvalidArgument("CSV delimiters must not be empty.");
    }
    return m;
  }
  if (type != "JSON") return InvalidArgument("Unknown RecordFormatType " + std::string(type) + ".");
  const Value* json = params != nullptr ? params->Find("JSONMappingParameters") : nullptr;
  std::string row_path = json != nullptr ? std::string(json->GetString("RecordRowPath", "$")) : "$";
  SPATE_ASSIGN_OR_RETURN(m.row_path_, JsonPath::Parse(row_path));
  for (size_t i = 0; i < m.columns_; ++i) {
    const Value& c = cols->as_array()[i];
    std::string mapping(c.GetString("Mapping"));
    if (mapping.empty()) mapping = "$." + std::string(c.GetString("Name"));
    // A mapping written from the record's root through the row path
    // ("$.orders[0:].id" under "$.orders[0:]") is taken relative to the row.
    if (row_path != "$" && mapping.rfind(row_path, 0) == 0) mapping = "$" + mapping.substr(row_path.size());
    SPATE_ASSIGN_OR_RETURN(JsonPath p, JsonPath::Parse(mapping));
    m.column_paths_.push_back(std::move(p));
  }
  return m;
}

namespace {

std::vector<std::string_view> Split(std::string_view s, std::string_view delim) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(delim, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + delim.size();
  }
}

}  // namespace

Result<std::vector<RowText>> RecordMapper::Map(std::string_view record) const {
  std::vector<RowText> rows;
  if (!json_) {
    for (std::string_view line : Split(record, row_delimiter_)) {
      if (!line.empty() && line.back() == '\r' && row_delimiter_ == "\n") line.remove_suffix(1);
      if (line.empty()) continue;
      std::vector<std::string_view> fields = Split(line, column_delimiter_);
      RowText row(columns_);
      for (size_t i = 0; i < columns_ && i < fields.size(); ++i) row[i] = std::string(fields[i]);
      rows.push_back(std::move(row));
    }
    return rows;
  }
  auto doc = protocol::ParseJson(record);
  if (!doc.ok()) return InvalidArgument("The record is not valid JSON: " + doc.status().message());
  for (const Value* r : row_path_.Select(*doc)) {
    RowText row(columns_);
    for (size_t i = 0; i < columns_; ++i) {
      std::vector<const Value*> hit = column_paths_[i].Select(*r);
      if (!hit.empty()) row[i] = JsonText(*hit.front());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace spate::analytics
