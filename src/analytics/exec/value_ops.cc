#include "analytics/exec/value_ops.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

namespace spate::analytics {

bool IsNumericType(TypeId id) {
  switch (id) {
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger:
    case TypeId::kBigint:
    case TypeId::kReal:
    case TypeId::kDouble:
    case TypeId::kDecimal: return true;
    default: return false;
  }
}
bool IsIntegerType(TypeId id) {
  return id == TypeId::kTinyint || id == TypeId::kSmallint || id == TypeId::kInteger || id == TypeId::kBigint;
}
bool IsStringType(TypeId id) { return id == TypeId::kChar || id == TypeId::kVarchar; }
bool IsTimeType(TypeId id) { return id == TypeId::kDate || id == TypeId::kTime || id == TypeId::kTimestamp; }

int64_t Pow10(int n) {
  static const int64_t kPow[] = {1,
                                 10,
                                 100,
                                 1000,
                                 10000,
                                 100000,
                                 1000000,
                                 10000000,
                                 100000000,
                                 1000000000,
                                 10000000000,
                                 100000000000,
                                 1000000000000,
                                 10000000000000,
                                 100000000000000,
                                 1000000000000000,
                                 10000000000000000,
                                 100000000000000000,
                                 1000000000000000000};
  SPATE_ASSERT(n >= 0 && n <= 18, "Pow10 out of range");
  return kPow[n];
}

bool Rescale(const Decimal& d, int scale, Decimal* out) {
  if (scale > 18 || scale < 0) return false;
  if (scale >= d.scale) {
    __int128 v = static_cast<__int128>(d.unscaled) * Pow10(scale - d.scale);
    if (v > INT64_MAX || v < INT64_MIN) return false;
    *out = Decimal{static_cast<int64_t>(v), scale};
    return true;
  }
  int64_t div = Pow10(d.scale - scale);
  int64_t q = d.unscaled / div;
  int64_t r = d.unscaled % div;
  if (r * 2 >= div) ++q;
  if (r * 2 <= -div) --q;
  *out = Decimal{q, scale};
  return true;
}

double ToDouble(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* m = std::get_if<Decimal>(&v))
    return static_cast<double>(m->unscaled) / static_cast<double>(Pow10(m->scale));
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

std::string FormatDate(int64_t millis) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(millis, 86'400'000), &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string FormatTime(int64_t millis) {
  int64_t ms = millis - FloorDiv(millis, 86'400'000) * 86'400'000;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d", static_cast<int>(ms / 3'600'000),
                static_cast<int>(ms / 60'000 % 60), static_cast<int>(ms / 1000 % 60));
  return buf;
}

std::string FormatTimestamp(int64_t millis) {
  int64_t ms = millis - FloorDiv(millis, 1000) * 1000;
  char buf[8];
  std::snprintf(buf, sizeof(buf), ".%03d", static_cast<int>(ms));
  return FormatDate(millis) + " " + FormatTime(millis) + buf;
}

namespace {

bool ParseDigits(std::string_view s, size_t* i, int n, int64_t* out) {
  int64_t v = 0;
  for (int k = 0; k < n; ++k) {
    if (*i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[*i]))) return false;
    v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  *out = v;
  return true;
}

// HH:MM[:SS[.fff]] from s[*i]; millis since midnight.
bool ParseClock(std::string_view s, size_t* i, int64_t* out) {
  int64_t h, mi, sec = 0, frac = 0;
  if (!ParseDigits(s, i, 2, &h) || *i >= s.size() || s[*i] != ':') return false;
  ++*i;
  if (!ParseDigits(s, i, 2, &mi)) return false;
  if (*i < s.size() && s[*i] == ':') {
    ++*i;
    if (!ParseDigits(s, i, 2, &sec)) return false;
    if (*i < s.size() && s[*i] == '.') {
      ++*i;
      int digits = 0;
      while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i]))) {
        if (digits < 3) frac = frac * 10 + (s[*i] - '0');
        ++digits;
        ++*i;
      }
      if (digits == 0) return false;
      for (int k = digits; k < 3; ++k) frac *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  *out = ((h * 60 + mi) * 60 + sec) * 1000 + frac;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseTimestamp(std::string_view text, int64_t* millis) {
  std::string_view s = Trim(text);
  size_t i = 0;
  int64_t y, mo, d;
  if (!ParseDigits(s, &i, 4, &y) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!ParseDigits(s, &i, 2, &mo) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!ParseDigits(s, &i, 2, &d)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t y2;
  unsigned m2, d2;
  CivilFromDays(days, &y2, &m2, &d2);
  if (d2 != d) return false;  // 2026-02-30
  int64_t clock = 0;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T') return false;
    ++i;
    if (!ParseClock(s, &i, &clock)) return false;
    if (i < s.size() && s[i] == 'Z') ++i;
  }
  if (i != s.size()) return false;
  *millis = days * 86'400'000 + clock;
  return true;
}

bool ParseTime(std::string_view text, int64_t* millis) {
  std::string_view s = Trim(text);
  size_t i = 0;
  return ParseClock(s, &i, millis) && i == s.size();
}

std::string ValueToSqlText(const Value& value) {
  struct V {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(bool b) const { return b ? "TRUE" : "FALSE"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof(buf), d);
      std::string s(buf, r.ptr);
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      return s;
    }
    std::string operator()(const Decimal& m) const {
      bool neg = m.unscaled < 0;
      __int128 u = m.unscaled;
      if (neg) u = -u;
      std::string digits;
      do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
        u /= 10;
      } while (u != 0);
      if (m.scale > 0) {
        if (digits.size() <= static_cast<size_t>(m.scale)) {
          digits.insert(0, static_cast<size_t>(m.scale) + 1 - digits.size(), '0');
        }
        digits.insert(digits.size() - static_cast<size_t>(m.scale), ".");
      }
      return neg ? "-" + digits : digits;
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Bytes& b) const {
      static const char* kHex = "0123456789ABCDEF";
      std::string out;
      for (unsigned char c : b.bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      return out;
    }
    std::string operator()(const Timestamp& t) const { return FormatTimestamp(t.millis); }
  };
  return std::visit(V{}, value);
}

namespace {

Status Bad(const Value& v, const SqlType& type) {
  return InvalidArgument("cannot convert '" + ValueToSqlText(v) + "' to " + type.ToString());
}

bool ParseDecimalText(std::string_view s, int scale, Decimal* out) {
  s = Trim(s);
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  __int128 v = 0;
  int frac_digits = 0;
  bool any = false;
  bool dot = false;
  bool round_up = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    any = true;
    if (dot) {
      if (frac_digits == scale) {
        if (frac_digits == scale && !round_up && c >= '5') round_up = true;
        // Only the first dropped digit decides the rounding.
        frac_digits = scale + 1;
        continue;
      }
      if (frac_digits > scale) continue;
      ++frac_digits;
    }
    v = v * 10 + (c - '0');
    if (v > INT64_MAX) return false;
  }
  if (!any) return false;
  int have = frac_digits > scale ? scale : frac_digits;
  for (int k = have; k < scale; ++k) {
    v *= 10;
    if (v > INT64_MAX) return false;
  }
  if (round_up) ++v;
  if (v > INT64_MAX) return false;
  out->unscaled = static_cast<int64_t>(neg ? -v : v);
  out->scale = scale;
  return true;
}

bool IntegerInRange(int64_t v, TypeId id) {
  switch (id) {
    case TypeId::kTinyint: return v >= -128 && v <= 127;
    case TypeId::kSmallint: return v >= -32768 && v <= 32767;
    case TypeId::kInteger: return v >= INT32_MIN && v <= INT32_MAX;
    default: return true;
  }
}

}  // namespace

Result<Value> CastValue(const Value& value, const SqlType& type) {
  if (IsNull(value)) return Value{};
  const TypeId id = type.id;
  if (id == TypeId::kBoolean) {
    if (auto* b = std::get_if<bool>(&value)) return Value{*b};
    if (auto* s = std::get_if<std::string>(&value)) {
      std::string u;
      for (char c : Trim(*s)) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (u == "TRUE") return Value{true};
      if (u == "FALSE") return Value{false};
    }
    if (auto* i = std::get_if<int64_t>(&value)) return Value{*i != 0};
    return Bad(value, type);
  }
  if (IsIntegerType(id)) {
    int64_t v = 0;
    if (auto* i = std::get_if<int64_t>(&value)) {
      v = *i;
    } else if (auto* d = std::get_if<double>(&value)) {
      if (!std::isfinite(*d) || *d >= 9.2233720368547758e18 || *d < -9.2233720368547758e18) return Bad(value, type);
      v = static_cast<int64_t>(*d);
    } else if (auto* m = std::get_if<Decimal>(&value)) {
      v = m->unscaled / Pow10(m->scale);
    } else if (auto* b = std::get_if<bool>(&value)) {
      v = *b ? 1 : 0;
    } else if (auto* s = std::get_if<std::string>(&value)) {
      std::string_view t = Trim(*s);
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || p != t.data() + t.size() || t.empty()) {
        Decimal dec;
        if (!ParseDecimalText(t, 0, &dec)) return Bad(value, type);
        Decimal exact;
        if (!ParseDecimalText(t, 6, &exact)) return Bad(value, type);
        v = exact.unscaled / Pow10(6);
      }
    } else {
      return Bad(value, type);
    }
    if (!IntegerInRange(v, id))
      return InvalidArgument("value " + std::to_string(v) + " is out of range for " + type.ToString());
    return Value{v};
  }
  if (id == TypeId::kReal || id == TypeId::kDouble) {
    double d = 0;
    if (auto* s = std::get_if<std::string>(&value)) {
      std::string_view t = Trim(*s);
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return Bad(value, type);
    } else if (std::holds_alternative<int64_t>(value) || std::holds_alternative<double>(value) ||
               std::holds_alternative<Decimal>(value) || std::holds_alternative<bool>(value)) {
      d = ToDouble(value);
    } else {
      return Bad(value, type);
    }
    if (id == TypeId::kReal) d = static_cast<double>(static_cast<float>(d));
    return Value{d};
  }
  if (id == TypeId::kDecimal) {
    Decimal out;
    int scale = type.scale;
    if (auto* i = std::get_if<int64_t>(&value)) {
      if (!Rescale(Decimal{*i, 0}, scale, &out)) return Bad(value, type);
    } else if (auto* m = std::get_if<Decimal>(&value)) {
      if (!Rescale(*m, scale, &out)) return Bad(value, type);
    } else if (auto* d = std::get_if<double>(&value)) {
      double scaled = std::round(*d * static_cast<double>(Pow10(scale)));
      if (!std::isfinite(scaled) || std::fabs(scaled) >= 9.2e18) return Bad(value, type);
      out = Decimal{static_cast<int64_t>(scaled), scale};
    } else if (auto* b = std::get_if<bool>(&value)) {
      out = Decimal{(*b ? 1 : 0) * Pow10(scale), scale};
    } else if (auto* s = std::get_if<std::string>(&value)) {
      if (!ParseDecimalText(*s, scale, &out)) return Bad(value, type);
    } else {
      return Bad(value, type);
    }
    if (type.precision > 0 && type.precision < 19) {
      int64_t limit = Pow10(type.precision);
      if (out.unscaled >= limit || out.unscaled <= -limit) {
        return InvalidArgument("value " + ValueToSqlText(value) + " is out of range for " + type.ToString());
      }
    }
    return Value{out};
  }
  if (IsStringType(id)) {
    std::string s = ValueToSqlText(value);
    // A length counts characters (code points), never splitting one.
    size_t chars = 0, at = 0;
    const size_t limit = static_cast<size_t>(type.length);
    while (at < s.size() && (type.length <= 0 || chars < limit)) {
      unsigned char lead = static_cast<unsigned char>(s[at]);
      at += lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
      ++chars;
    }
    if (at < s.size()) s.resize(at);
    if (id == TypeId::kChar && type.length > 0 && chars < limit) s.append(limit - chars, ' ');
    return Value{std::move(s)};
  }
  if (id == TypeId::kBinary || id == TypeId::kVarbinary) {
    if (auto* b = std::get_if<Bytes>(&value)) return Value{*b};
    if (auto* s = std::get_if<std::string>(&value)) return Value{Bytes{*s}};
    return Bad(value, type);
  }
  // DATE, TIME, TIMESTAMP
  int64_t ms = 0;
  if (auto* t = std::get_if<Timestamp>(&value)) {
    ms = t->millis;
  } else if (auto* i = std::get_if<int64_t>(&value)) {
    ms = *i;
  } else if (auto* s = std::get_if<std::string>(&value)) {
    if (id == TypeId::kTime) {
      if (!ParseTime(*s, &ms)) return Bad(value, type);
      return Value{Timestamp{ms}};
    }
    if (!ParseTimestamp(*s, &ms)) return Bad(value, type);
  } else {
    return Bad(value, type);
  }
  if (id == TypeId::kDate) ms = FloorDiv(ms, 86'400'000) * 86'400'000;
  if (id == TypeId::kTime) ms -= FloorDiv(ms, 86'400'000) * 86'400'000;
  return Value{Timestamp{ms}};
}

int CompareValues(const Value& a, const Value& b, bool* comparable) {
  *comparable = true;
  auto num = [](const Value& v) {
    return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) ||
           std::holds_alternative<Decimal>(v);
  };
  if (num(a) && num(b)) {
    if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
      int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (!std::holds_alternative<double>(a) && !std::holds_alternative<double>(b)) {
      Decimal x = std::holds_alternative<Decimal>(a) ? std::get<Decimal>(a) : Decimal{std::get<int64_t>(a), 0};
      Decimal y = std::holds_alternative<Decimal>(b) ? std::get<Decimal>(b) : Decimal{std::get<int64_t>(b), 0};
      int s = std::max(x.scale, y.scale);
      Decimal xs, ys;
      if (Rescale(x, s, &xs) && Rescale(y, s, &ys)) {
        return xs.unscaled < ys.unscaled ? -1 : xs.unscaled > ys.unscaled ? 1 : 0;
      }
    }
    double x = ToDouble(a), y = ToDouble(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.index() != b.index()) {
    *comparable = false;
    return 0;
  }
  if (auto* s = std::get_if<std::string>(&a)) {
    // CHAR padding does not count in comparisons.
    std::string_view x = *s, y = std::get<std::string>(b);
    while (!x.empty() && x.back() == ' ') x.remove_suffix(1);
    while (!y.empty() && y.back() == ' ') y.remove_suffix(1);
    int c = x.compare(y);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (auto* t = std::get_if<Timestamp>(&a)) {
    int64_t x = t->millis, y = std::get<Timestamp>(b).millis;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (auto* x = std::get_if<bool>(&a)) {
    bool y = std::get<bool>(b);
    return *x == y ? 0 : (*x ? 1 : -1);
  }
  if (auto* x = std::get_if<Bytes>(&a)) {
    int c = x->bytes.compare(std::get<Bytes>(b).bytes);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  *comparable = false;
  return 0;
}

bool GroupEqual(const Value& a, const Value& b) {
  if (IsNull(a) || IsNull(b)) return IsNull(a) && IsNull(b);
  bool comparable = false;
  return CompareValues(a, b, &comparable) == 0 && comparable;
}

size_t HashValue(const Value& v) {
  struct H {
    size_t operator()(std::monostate) const { return 0x9e37; }
    size_t operator()(bool b) const { return b ? 1 : 2; }
    size_t operator()(int64_t i) const { return std::hash<double>()(static_cast<double>(i)); }
    size_t operator()(double d) const { return std::hash<double>()(d); }
    size_t operator()(const Decimal& m) const { return std::hash<double>()(ToDouble(Value{m})); }
    size_t operator()(const std::string& s) const {
      std::string_view x = s;
      while (!x.empty() && x.back() == ' ') x.remove_suffix(1);
      return std::hash<std::string_view>()(x);
    }
    size_t operator()(const Bytes& b) const { return std::hash<std::string>()(b.bytes); }
    size_t operator()(const Timestamp& t) const { return std::hash<int64_t>()(t.millis); }
  };
  return std::visit(H{}, v);
}

}  // namespace spate::analytics
