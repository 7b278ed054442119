#include "analytics/schema_discovery.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>

#include "analytics/record_mapping.h"
#include "protocol/json_codec.h"

namespace spate::analytics {
namespace {

using protocol::Value;

constexpr size_t kMaxColumnNameChars = 100;

// SQL:2011 reserved words, and the dialect's own (ROWTIME, STREAM, PUMP,
// STEP, ...): a discovered column named like one is prefixed with COL_.
constexpr std::array<std::string_view, 281> kReserved = {
    "ABS",
    "ALL",
    "ALLOCATE",
    "ALTER",
    "AND",
    "ANY",
    "ARE",
    "ARRAY",
    "AS",
    "ASENSITIVE",
    "ASYMMETRIC",
    "AT",
    "ATOMIC",
    "AUTHORIZATION",
    "AVG",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOOLEAN",
    "BOTH",
    "BY",
    "CALL",
    "CALLED",
    "CARDINALITY",
    "CASCADED",
    "CASE",
    "CAST",
    "CEIL",
    "CEILING",
    "CHAR",
    "CHARACTER",
    "CHARACTER_LENGTH",
    "CHAR_LENGTH",
    "CHECK",
    "CLOB",
    "CLOSE",
    "COALESCE",
    "COLLATE",
    "COLLECT",
    "COLUMN",
    "COMMIT",
    "CONDITION",
    "CONNECT",
    "CONSTRAINT",
    "CONVERT",
    "CORR",
    "CORRESPONDING",
    "COUNT",
    "COVAR_POP",
    "COVAR_SAMP",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_ROW_TIMESTAMP",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "CYCLE",
    "DATE",
    "DAY",
    "DEALLOCATE",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DENSE_RANK",
    "DEREF",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISCONNECT",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "DYNAMIC",
    "EACH",
    "ELEMENT",
    "ELSE",
    "END",
    "ESCAPE",
    "EVERY",
    "EXCEPT",
    "EXEC",
    "EXECUTE",
    "EXISTS",
    "EXP",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST_VALUE",
    "FLOAT",
    "FLOOR",
    "FOR",
    "FOREIGN",
    "FREE",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUSION",
    "GET",
    "GLOBAL",
    "GRANT",
    "GROUP",
    "GROUPING",
    "HAVING",
    "HOLD",
    "HOUR",
    "IDENTITY",
    "IN",
    "INDICATOR",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERSECTION",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAG",
    "LANGUAGE",
    "LARGE",
    "LAST_VALUE",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LN",
    "LOCAL",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOWER",
    "MATCH",
    "MAX",
    "MEMBER",
    "MERGE",
    "METHOD",
    "MIN",
    "MINUTE",
    "MOD",
    "MODIFIES",
    "MODULE",
    "MONTH",
    "MULTISET",
    "NATIONAL",
    "NATURAL",
    "NCHAR",
    "NCLOB",
    "NEW",
    "NO",
    "NONE",
    "NORMALIZE",
    "NOT",
    "NTH_VALUE",
    "NULL",
    "NULLIF",
    "NUMERIC",
    "OCTET_LENGTH",
    "OF",
    "OLD",
    "ON",
    "ONLY",
    "OPEN",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OVER",
    "OVERLAPS",
    "OVERLAY",
    "PARAMETER",
    "PARTITION",
    "PERCENT_RANK",
    "POSITION",
    "POWER",
    "PRECISION",
    "PREPARE",
    "PRIMARY",
    "PROCEDURE",
    "PUMP",
    "RANGE",
    "RANK",
    "READS",
    "REAL",
    "RECURSIVE",
    "REF",
    "REFERENCES",
    "REFERENCING",
    "RELEASE",
    "RESULT",
    "RETURN",
    "RETURNS",
    "REVOKE",
    "RIGHT",
    "ROLLBACK",
    "ROLLUP",
    "ROW",
    "ROWS",
    "ROWTIME",
    "ROW_NUMBER",
    "SAVEPOINT",
    "SCOPE",
    "SCROLL",
    "SEARCH",
    "SECOND",
    "SELECT",
    "SENSITIVE",
    "SESSION_USER",
    "SET",
    "SIMILAR",
    "SMALLINT",
    "SOME",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQRT",
    "START",
    "STATIC",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "STEP",
    "STREAM",
    "SUBMULTISET",
    "SUBSTRING",
    "SUM",
    "SYMMETRIC",
    "SYSTEM",
    "SYSTEM_USER",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TIMEZONE_HOUR",
    "TIMEZONE_MINUTE",
    "TINYINT",
    "TO",
    "TRAILING",
    "TRANSLATE",
    "TRANSLATION",
    "TREAT",
    "TRIGGER",
    "TRIM",
    "TRUE",
    "UESCAPE",
    "UNION",
    "UNIQUE",
    "UNKNOWN",
    "UNNEST",
    "UPDATE",
    "UPPER",
    "USER",
    "USING",
    "VALUE",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARYING",
    "VAR_POP",
    "VAR_SAMP",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "YEAR",
};

// The inferred type of one column, widened as samples come.
struct Inferred {
  enum class Kind : uint8_t { kNone, kBoolean, kInteger, kBigint, kDouble, kTimestamp, kVarchar } kind = Kind::kNone;
  size_t max_chars = 0;
};

bool IsTimestampText(std::string_view s) {
  // yyyy-MM-dd[ T]HH:mm:ss[.fff][Z]
  if (s.size() < 19) return false;
  static constexpr std::string_view kShape = "dddd-dd-dd?dd:dd:dd";
  for (size_t i = 0; i < kShape.size(); ++i) {
    char c = s[i];
    if (kShape[i] == 'd' && !std::isdigit(static_cast<unsigned char>(c))) return false;
    if (kShape[i] == '?' && c != ' ' && c != 'T') return false;
    if (kShape[i] != 'd' && kShape[i] != '?' && c != kShape[i]) return false;
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  if (rest.empty()) return true;
  if (rest[0] != '.' || rest.size() < 2) return false;
  return std::all_of(rest.begin() + 1, rest.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::optional<Inferred::Kind> NumberKind(std::string_view s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  std::string text(s);
  errno = 0;
  long long i = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() + text.size() && errno == 0) {
    return i >= INT32_MIN && i <= INT32_MAX ? Inferred::Kind::kInteger : Inferred::Kind::kBigint;
  }
  std::strtod(text.c_str(), &end);
  if (end == text.c_str() + text.size() && !std::isspace(static_cast<unsigned char>(text[0]))) {
    return Inferred::Kind::kDouble;
  }
  return std::nullopt;
}

void Widen(Inferred& col, Inferred::Kind kind, size_t chars) {
  col.max_chars = std::max(col.max_chars, chars);
  using K = Inferred::Kind;
  if (col.kind == K::kNone || col.kind == kind) {
    col.kind = kind;
    return;
  }
  auto numeric = [](K k) { return k == K::kInteger || k == K::kBigint || k == K::kDouble; };
  if (numeric(col.kind) && numeric(kind)) {
    col.kind = std::max(col.kind, kind);
    return;
  }
  col.kind = K::kVarchar;
}

// A JSON value's kind, as discovery types it.
Inferred::Kind JsonKind(const Value& v, const std::string& text) {
  using K = Inferred::Kind;
  if (v.is_bool()) return K::kBoolean;
  if (v.is_int()) return NumberKind(text).value_or(K::kBigint);
  if (v.is_double()) return K::kDouble;
  if (v.is_string() && IsTimestampText(text)) return K::kTimestamp;
  return K::kVarchar;
}

Inferred::Kind TextKind(const std::string& text) {
  using K = Inferred::Kind;
  if (text == "true" || text == "false" || text == "TRUE" || text == "FALSE") return K::kBoolean;
  if (auto n = NumberKind(text)) return *n;
  if (IsTimestampText(text)) return K::kTimestamp;
  return K::kVarchar;
}

size_t NextPowerOfTwo(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

std::string SqlTypeOf(const Inferred& c) {
  using K = Inferred::Kind;
  switch (c.kind) {
    case K::kBoolean: return "BOOLEAN";
    case K::kInteger: return "INTEGER";
    case K::kBigint: return "BIGINT";
    case K::kDouble: return "DOUBLE";
    case K::kTimestamp: return "TIMESTAMP";
    case K::kNone:
    case K::kVarchar: break;
  }
  return "VARCHAR(" + std::to_string(NextPowerOfTwo(std::max<size_t>(c.max_chars, 1))) + ")";
}

// One discovered column of a JSON sample: its path from the record's root.
struct JsonColumn {
  std::string raw_name;  // the leaf's field name
  std::string mapping;   // "$.a.b" or "$['a b']"
  Inferred type;
};

bool PlainMember(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string Step(std::string_view name) {
  if (PlainMember(name)) return "." + std::string(name);
  std::string escaped;
  for (char c : name) {
    if (c == '\'') escaped += '\\';
    escaped += c;
  }
  return "['" + escaped + "']";
}

// Walks one record's object, adding the columns it has and widening their types.
void Collect(const Value& obj, const std::string& path, std::vector<JsonColumn>* cols) {
  for (const auto& [name, v] : obj.as_object()) {
    std::string p = path + Step(name);
    if (v.is_object()) {
      Collect(v, p, cols);
      continue;
    }
    auto it = std::find_if(cols->begin(), cols->end(), [&](const JsonColumn& c) { return c.mapping == p; });
    if (it == cols->end()) {
      cols->push_back({name, p, {}});
      it = cols->end() - 1;
    }
    if (v.is_null()) continue;
    std::string text = JsonText(v).value_or("");
    Widen(it->type, JsonKind(v, text), text.size());
  }
}

Value Column(std::string name, std::string type, std::optional<std::string> mapping) {
  Value c = Value::MakeObject();
  c.Set("Name", Value::String(std::move(name)));
  c.Set("SqlType", Value::String(std::move(type)));
  if (mapping) c.Set("Mapping", Value::String(std::move(*mapping)));
  return c;
}

// Makes names unique ("X", "X_2", ...): two fields may clean to one name.
std::vector<std::string> UniqueNames(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  int unnamed = 0;
  for (const std::string& r : raw) {
    std::string name = DiscoveredColumnName(r, &unnamed);
    std::string candidate = name;
    for (int n = 2; std::find(out.begin(), out.end(), candidate) != out.end(); ++n) {
      candidate = name + "_" + std::to_string(n);
    }
    out.push_back(std::move(candidate));
  }
  return out;
}

Value Schema(Value columns, std::string_view format, Value params) {
  Value schema = Value::MakeObject();
  Value rf = Value::MakeObject();
  rf.Set("RecordFormatType", Value::String(std::string(format)));
  rf.Set("MappingParameters", std::move(params));
  schema.Set("RecordFormat", std::move(rf));
  schema.Set("RecordEncoding", Value::String("UTF-8"));
  schema.Set("RecordColumns", std::move(columns));
  return schema;
}

Value StringArray(const std::vector<std::string>& v) {
  Value a = Value::MakeArray();
  for (const std::string& s : v) a.Append(Value::String(s));
  return a;
}

}  // namespace

bool IsReservedWord(std::string_view word) {
  std::string upper(word);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return std::find(kReserved.begin(), kReserved.end(), upper) != kReserved.end();
}

std::string DiscoveredColumnName(std::string_view raw, int* unnamed) {
  std::string clean;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') clean += c;
  }
  if (clean.empty()) return "COL_" + std::to_string((*unnamed)++);
  bool prefix = clean.size() != raw.size() || IsReservedWord(clean) ||
                std::isdigit(static_cast<unsigned char>(clean[0])) || clean.size() > kMaxColumnNameChars;
  return prefix ? "COL_" + clean : clean;
}

Result<Value> DiscoverSchema(const std::vector<std::string>& records) {
  std::vector<std::string> samples;
  for (const std::string& r : records) {
    if (r.find_first_not_of(" \t\r\n") != std::string::npos) samples.push_back(r);
  }
  if (samples.empty()) {
    return Status(ErrorCode::kUnableToDetectSchema, "Unable to detect a schema: the input has no records to sample.");
  }
  Value out = Value::MakeObject();
  Value parsed = Value::MakeArray();

  // JSON: every sample an object.
  std::vector<Value> docs;
  for (const std::string& s : samples) {
    auto d = protocol::ParseJson(s);
    if (!d.ok() || !d->is_object()) break;
    docs.push_back(std::move(*d));
  }
  if (docs.size() == samples.size()) {
    std::vector<JsonColumn> cols;
    for (const Value& d : docs) Collect(d, "$", &cols);
    if (cols.empty()) {
      return Status(ErrorCode::kUnableToDetectSchema, "Unable to detect a schema: the JSON records have no fields.");
    }
    std::vector<std::string> raw;
    for (const JsonColumn& c : cols) raw.push_back(c.raw_name);
    std::vector<std::string> names = UniqueNames(raw);
    Value columns = Value::MakeArray();
    for (size_t i = 0; i < cols.size(); ++i) columns.Append(Column(names[i], SqlTypeOf(cols[i].type), cols[i].mapping));
    for (const Value& d : docs) {
      std::vector<std::string> fields;
      for (const JsonColumn& c : cols) {
        auto path = JsonPath::Parse(c.mapping);
        std::vector<const Value*> hit = path.ok() ? path->Select(d) : std::vector<const Value*>{};
        fields.push_back(hit.empty() ? "" : JsonText(*hit.front()).value_or(""));
      }
      parsed.Append(StringArray(fields));
    }
    Value params = Value::MakeObject();
    Value json = Value::MakeObject();
    json.Set("RecordRowPath", Value::String("$"));
    params.Set("JSONMappingParameters", std::move(json));
    out.Set("InputSchema", Schema(std::move(columns), "JSON", std::move(params)));
  } else {
    // CSV: the delimiter that splits every line into the same number (> 1)
    // of fields; else the whole line is one field.
    std::vector<std::string> lines;
    for (const std::string& s : samples) {
      size_t start = 0;
      while (start <= s.size()) {
        size_t nl = s.find('\n', start);
        std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(std::move(line));
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
    }
    std::string delimiter;
    size_t fields = 1;
    for (std::string_view d : {",", "|", "\t", ";"}) {
      size_t n = 0;
      bool same = true;
      for (const std::string& l : lines) {
        size_t k = 1 + static_cast<size_t>(std::count(l.begin(), l.end(), d[0]));
        if (n == 0) n = k;
        if (k != n) same = false;
      }
      if (same && n > 1) {
        delimiter = std::string(d);
        fields = n;
        break;
      }
    }
    if (delimiter.empty()) {
      // One column: a delimiter that never occurs in the sample.
      for (std::string_view d : {",", "|", "\t", ";", "\x01"}) {
        bool found = std::any_of(lines.begin(), lines.end(),
                                 [&](const std::string& l) { return l.find(d[0]) != std::string::npos; });
        if (!found) {
          delimiter = std::string(d);
          break;
        }
      }
      if (delimiter.empty()) {
        return Status(ErrorCode::kUnableToDetectSchema, "Unable to detect a schema: no delimiter fits the records.");
      }
    }
    std::vector<Inferred> types(fields);
    for (const std::string& l : lines) {
      std::vector<std::string> parts;
      size_t start = 0;
      for (size_t i = 0; i < fields; ++i) {
        size_t at = i + 1 < fields ? l.find(delimiter, start) : std::string::npos;
        parts.push_back(l.substr(start, at == std::string::npos ? std::string::npos : at - start));
        start = at == std::string::npos ? l.size() : at + delimiter.size();
      }
      for (size_t i = 0; i < fields; ++i) Widen(types[i], TextKind(parts[i]), parts[i].size());
      parsed.Append(StringArray(parts));
    }
    Value columns = Value::MakeArray();
    for (size_t i = 0; i < fields; ++i) {
      columns.Append(Column("COL" + std::to_string(i + 1), SqlTypeOf(types[i]), std::nullopt));
    }
    Value params = Value::MakeObject();
    Value csv = Value::MakeObject();
    csv.Set("RecordRowDelimiter", Value::String("\n"));
    csv.Set("RecordColumnDelimiter", Value::String(delimiter));
    params.Set("CSVMappingParameters", std::move(csv));
    out.Set("InputSchema", Schema(std::move(columns), "CSV", std::move(params)));
  }
  out.Set("ParsedInputRecords", std::move(parsed));
  out.Set("ProcessedInputRecords", StringArray(samples));
  out.Set("RawInputRecords", StringArray(samples));
  return out;
}

}  // namespace spate::analytics
