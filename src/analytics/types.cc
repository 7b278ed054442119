// SqlType parsing and the text coercions engine.h declares.

#include <cctype>
#include <charconv>

#include "analytics/engine.h"
#include "analytics/exec/value_ops.h"

namespace spate::analytics {

namespace {

struct TypeName {
  const char* name;
  TypeId id;
};
constexpr TypeName kTypeNames[] = {
    {"BOOLEAN", TypeId::kBoolean},
    {"TINYINT", TypeId::kTinyint},
    {"SMALLINT", TypeId::kSmallint},
    {"INTEGER", TypeId::kInteger},
    {"INT", TypeId::kInteger},
    {"BIGINT", TypeId::kBigint},
    {"REAL", TypeId::kReal},
    {"FLOAT", TypeId::kDouble},
    {"DOUBLE", TypeId::kDouble},
    {"DOUBLE PRECISION", TypeId::kDouble},
    {"DECIMAL", TypeId::kDecimal},
    {"NUMERIC", TypeId::kDecimal},
    {"DEC", TypeId::kDecimal},
    {"CHAR", TypeId::kChar},
    {"CHARACTER", TypeId::kChar},
    {"VARCHAR", TypeId::kVarchar},
    {"CHARACTER VARYING", TypeId::kVarchar},
    {"BINARY", TypeId::kBinary},
    {"VARBINARY", TypeId::kVarbinary},
    {"DATE", TypeId::kDate},
    {"TIME", TypeId::kTime},
    {"TIMESTAMP", TypeId::kTimestamp},
};

// Largest DECIMAL precision a Decimal (int64 unscaled) holds.
constexpr int kMaxDecimalPrecision = 18;
constexpr int kDefaultDecimalPrecision = 18;
constexpr int kMaxStringLength = 1 << 20;

bool ParseInt(std::string_view s, int* out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

Result<SqlType> SqlType::Parse(std::string_view text) {
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view t = upper;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  std::string_view base = t;
  std::string_view args;
  size_t paren = t.find('(');
  if (paren != std::string_view::npos) {
    if (t.back() != ')') return InvalidArgument("bad SQL type '" + std::string(text) + "': missing ')'");
    base = t.substr(0, paren);
    args = t.substr(paren + 1, t.size() - paren - 2);
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  }
  SqlType type;
  bool found = false;
  for (const TypeName& n : kTypeNames) {
    if (base == n.name) {
      type.id = n.id;
      found = true;
      break;
    }
  }
  if (!found) return InvalidArgument("unknown SQL type '" + std::string(text) + "'");
  const bool sized = type.id == TypeId::kChar || type.id == TypeId::kVarchar || type.id == TypeId::kBinary ||
                     type.id == TypeId::kVarbinary;
  if (type.id == TypeId::kDecimal) {
    type.precision = kDefaultDecimalPrecision;
    if (!args.empty()) {
      size_t comma = args.find(',');
      if (!ParseInt(args.substr(0, comma), &type.precision) ||
          (comma != std::string_view::npos && !ParseInt(args.substr(comma + 1), &type.scale))) {
        return InvalidArgument("bad DECIMAL arguments in '" + std::string(text) + "'");
      }
    }
    if (type.precision < 1 || type.precision > kMaxDecimalPrecision || type.scale < 0 || type.scale > type.precision) {
      return InvalidArgument("DECIMAL precision must be 1.." + std::to_string(kMaxDecimalPrecision) +
                             " and scale 0..precision in '" + std::string(text) + "'");
    }
  } else if (sized) {
    type.length = type.id == TypeId::kChar || type.id == TypeId::kBinary ? 1 : 0;
    if (!args.empty()) {
      if (!ParseInt(args, &type.length) || type.length < 1 || type.length > kMaxStringLength) {
        return InvalidArgument("bad length in '" + std::string(text) + "'");
      }
    } else if (type.id == TypeId::kVarchar || type.id == TypeId::kVarbinary) {
      return InvalidArgument(std::string(base) + " needs a length, as in " + std::string(base) + "(64)");
    }
  } else if (!args.empty() && type.id != TypeId::kTimestamp && type.id != TypeId::kTime) {
    return InvalidArgument("type " + std::string(base) + " takes no arguments");
  }
  return type;
}

std::string SqlType::ToString() const {
  switch (id) {
    case TypeId::kBoolean: return "BOOLEAN";
    case TypeId::kTinyint: return "TINYINT";
    case TypeId::kSmallint: return "SMALLINT";
    case TypeId::kInteger: return "INTEGER";
    case TypeId::kBigint: return "BIGINT";
    case TypeId::kReal: return "REAL";
    case TypeId::kDouble: return "DOUBLE";
    case TypeId::kDecimal: return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case TypeId::kChar: return "CHAR(" + std::to_string(length) + ")";
    case TypeId::kVarchar: return "VARCHAR(" + std::to_string(length) + ")";
    case TypeId::kBinary: return "BINARY(" + std::to_string(length) + ")";
    case TypeId::kVarbinary: return "VARBINARY(" + std::to_string(length) + ")";
    case TypeId::kDate: return "DATE";
    case TypeId::kTime: return "TIME";
    case TypeId::kTimestamp: return "TIMESTAMP";
  }
  return "UNKNOWN";
}

Result<Value> CoerceText(std::string_view text, const SqlType& type) {
  // JSON booleans become 1/0 in numeric columns (KDA's documented coercion);
  // CastValue handles that from a bool, so map the literal text first.
  if (IsNumericType(type.id) && (text == "true" || text == "false")) return CastValue(Value{text == "true"}, type);
  if (type.id == TypeId::kTimestamp || type.id == TypeId::kDate) {
    int64_t ms = 0;
    if (ParseTimestamp(text, &ms)) return CastValue(Value{Timestamp{ms}}, type);
    // Whole numbers are milliseconds since the epoch.
    std::string_view t = text;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), ms);
    if (ec == std::errc() && p == t.data() + t.size() && !t.empty()) return CastValue(Value{Timestamp{ms}}, type);
    return InvalidArgument("cannot convert '" + std::string(text) + "' to " + type.ToString());
  }
  return CastValue(Value{std::string(text)}, type);
}

std::string RenderText(const Value& value, const SqlType& type) {
  if (IsNull(value)) return "";
  if (auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (auto* t = std::get_if<Timestamp>(&value)) {
    if (type.id == TypeId::kDate) return FormatDate(t->millis);
    if (type.id == TypeId::kTime) return FormatTime(t->millis);
    return FormatTimestamp(t->millis);
  }
  if (auto* m = std::get_if<Decimal>(&value)) {
    if (type.id == TypeId::kDecimal && type.scale != m->scale) {
      Decimal r;
      if (Rescale(*m, type.scale, &r)) return ValueToSqlText(Value{r});
    }
  }
  return ValueToSqlText(value);
}

}  // namespace spate::analytics
