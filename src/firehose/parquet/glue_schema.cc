#include "firehose/parquet/glue_schema.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "protocol/json_codec.h"

namespace spate::firehose::parquet {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ParseInt(std::string_view s, int32_t* v) {
  s = Trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// "name(args)" -> name, args (without parentheses); no parentheses -> args empty.
bool SplitParams(std::string_view type, std::string_view* base, std::string_view* args) {
  const size_t open = type.find('(');
  if (open == std::string_view::npos) {
    *base = type;
    *args = {};
    return true;
  }
  if (type.back() != ')') return false;
  *base = Trim(type.substr(0, open));
  *args = type.substr(open + 1, type.size() - open - 2);
  return true;
}

}  // namespace

Result<Column> ParseGlueColumn(std::string_view name, std::string_view type_in) {
  Column col;
  col.name = Lower(Trim(name));
  if (col.name.empty()) return InvalidArgument("a Glue column needs a Name");
  const std::string type = Lower(Trim(type_in));
  auto bad = [&](std::string why) {
    return InvalidArgument("column " + col.name + " has type '" + std::string(type_in) + "': " + why);
  };
  std::string_view base, args;
  if (!SplitParams(type, &base, &args)) return bad("malformed type");
  if (base == "string" || base == "varchar" || base == "char") {
    col.kind = ColumnKind::kString;
  } else if (base == "boolean") {
    col.kind = ColumnKind::kBoolean;
  } else if (base == "tinyint") {
    col.kind = ColumnKind::kInt8;
  } else if (base == "smallint") {
    col.kind = ColumnKind::kInt16;
  } else if (base == "int" || base == "integer") {
    col.kind = ColumnKind::kInt32;
  } else if (base == "bigint") {
    col.kind = ColumnKind::kInt64;
  } else if (base == "float") {
    col.kind = ColumnKind::kFloat;
  } else if (base == "double") {
    col.kind = ColumnKind::kDouble;
  } else if (base == "date") {
    col.kind = ColumnKind::kDate;
  } else if (base == "timestamp") {
    col.kind = ColumnKind::kTimestamp;
  } else if (base == "decimal") {
    col.kind = ColumnKind::kDecimal;
    col.precision = 10;  // Hive's default decimal
    col.scale = 0;
    if (!args.empty()) {
      const size_t comma = args.find(',');
      if (!ParseInt(args.substr(0, comma), &col.precision)) return bad("malformed decimal precision");
      if (comma != std::string_view::npos && !ParseInt(args.substr(comma + 1), &col.scale)) {
        return bad("malformed decimal scale");
      }
    }
    if (col.precision < 1 || col.precision > 38) return bad("decimal precision must be 1..38");
    if (col.scale < 0 || col.scale > col.precision) return bad("decimal scale must be 0..precision");
    return col;
  } else if (base.starts_with("array<") || base.starts_with("map<") || base.starts_with("struct<") ||
             base.starts_with("uniontype<")) {
    return bad("complex types are not supported by Spate's Parquet writer (flat tables only)");
  } else {
    return bad("not a type Spate's Parquet conversion writes");
  }
  if (!args.empty() && col.kind != ColumnKind::kString) return bad("this type takes no parameters");
  if (!args.empty()) {
    int32_t n = 0;
    if (!ParseInt(args, &n) || n < 1) return bad("malformed length");
  } else if (base == "varchar" || base == "char") {
    return bad("needs a length");
  }
  return col;
}

Result<std::vector<Column>> LoadGlueTable(const std::string& dir, std::string_view database, std::string_view table) {
  for (std::string_view part : {database, table}) {
    if (part.empty() || part == "." || part == ".." || part.find('/') != std::string_view::npos ||
        part.find('\0') != std::string_view::npos) {
      return InvalidArgument("Glue database and table names must be non-empty and contain no '/': '" +
                             std::string(part) + "'");
    }
  }
  const std::string path = dir + "/" + std::string(database) + "/" + std::string(table) + ".json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("Glue table " + std::string(database) + "." + std::string(table) + " not found (no " + path + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = protocol::ParseJson(text.str());
  if (!parsed.ok()) return InvalidArgument(path + ": " + parsed.status().message());
  const protocol::Value* v = &parsed.value();
  if (const protocol::Value* t = v->Find("Table")) v = t;
  if (const protocol::Value* sd = v->Find("StorageDescriptor")) v = sd;
  if (const protocol::Value* cols = v->Find("Columns")) v = cols;
  if (!v->is_array()) return InvalidArgument(path + ": expected a list of columns [{\"Name\", \"Type\"}...]");
  std::vector<Column> columns;
  for (const protocol::Value& c : v->as_array()) {
    const protocol::Value* n = c.Find("Name");
    const protocol::Value* t = c.Find("Type");
    if (n == nullptr || t == nullptr || !n->is_string() || !t->is_string()) {
      return InvalidArgument(path + ": every column needs a string Name and Type");
    }
    SPATE_ASSIGN_OR_RETURN(Column col, ParseGlueColumn(n->as_string(), t->as_string()));
    for (const Column& prior : columns) {
      if (prior.name == col.name) return InvalidArgument(path + ": duplicate column " + col.name);
    }
    columns.push_back(std::move(col));
  }
  if (columns.empty()) return InvalidArgument(path + ": the table has no columns");
  return columns;
}

}  // namespace spate::firehose::parquet
