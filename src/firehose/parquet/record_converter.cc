#include "firehose/parquet/record_converter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "protocol/json_codec.h"
#include "util/base64.h"

namespace spate::firehose::parquet {
namespace {

using protocol::Value;

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerDay = 86'400 * kNanosPerSecond;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool ValidDate(int64_t y, int64_t m, int64_t d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// A cursor over text for the fixed timestamp and date forms.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i == s.size(); }
  bool Eat(char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  // min..max digits as a number.
  bool Digits(size_t min, size_t max, int64_t* v, size_t* count = nullptr) {
    size_t n = 0;
    int64_t x = 0;
    while (i < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[i]))) x = x * 10 + (s[i++] - '0'), ++n;
    if (count) *count = n;
    *v = x;
    return n >= min;
  }
};

// yyyy-[M]M-[d]d -> days.
bool ParseDateAt(Cursor* c, int64_t* days) {
  int64_t y, m, d;
  if (!c->Digits(4, 4, &y) || !c->Eat('-') || !c->Digits(1, 2, &m) || !c->Eat('-') || !c->Digits(1, 2, &d)) {
    return false;
  }
  if (!ValidDate(y, m, d)) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

// HH:mm:ss[.f{1,9}] -> nanoseconds of the day.
bool ParseTimeAt(Cursor* c, int64_t* nanos) {
  int64_t h, mi, se;
  if (!c->Digits(1, 2, &h) || !c->Eat(':') || !c->Digits(2, 2, &mi) || !c->Eat(':') || !c->Digits(2, 2, &se)) {
    return false;
  }
  if (h > 23 || mi > 59 || se > 59) return false;
  int64_t frac = 0;
  if (c->Eat('.')) {
    size_t n = 0;
    if (!c->Digits(1, 9, &frac, &n)) return false;
    for (size_t k = n; k < 9; ++k) frac *= 10;
  }
  *nanos = ((h * 60 + mi) * 60 + se) * kNanosPerSecond + frac;
  return true;
}

// Z, +hh:mm, +hhmm, +hh -> offset seconds east of UTC.
bool ParseOffsetAt(Cursor* c, int64_t* seconds) {
  if (c->Eat('Z')) return *seconds = 0, true;
  int sign = 0;
  if (c->Eat('+'))
    sign = 1;
  else if (c->Eat('-'))
    sign = -1;
  else
    return false;
  int64_t h, m = 0;
  if (!c->Digits(2, 2, &h)) return false;
  c->Eat(':');
  if (!c->done()) {
    if (!c->Digits(2, 2, &m)) return false;
  }
  if (h > 18 || m > 59) return false;
  *seconds = sign * (h * 3600 + m * 60);
  return true;
}

// Parses a decimal number's text (sign, digits, fraction, exponent) into an
// unscaled value at `scale`, rounding half up (away from zero), as Hive's
// HiveDecimal does. Returns false for text that is not a number; sets
// *overflow when the value has more than precision - scale integer digits
// (Hive writes such a value as null).
bool ParseDecimal(std::string_view t, int32_t precision, int32_t scale, __int128* unscaled, bool* overflow) {
  *overflow = false;
  size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) neg = t[i++] == '-';
  std::string digits;
  int64_t point = -1;
  for (; i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.'); ++i) {
    if (t[i] == '.') {
      if (point >= 0) return false;
      point = static_cast<int64_t>(digits.size());
    } else {
      digits.push_back(t[i]);
    }
  }
  if (digits.empty()) return false;
  if (point < 0) point = static_cast<int64_t>(digits.size());
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    int64_t e = 0;
    auto [p, ec] = std::from_chars(t.data() + i + (i < t.size() && t[i] == '+'), t.data() + t.size(), e);
    if (ec != std::errc() || p != t.data() + t.size() || e > 1000 || e < -1000) return false;
    point += e;
    i = t.size();
  }
  if (i != t.size()) return false;
  // value = 0.digits * 10^point; integer digits = point (after leading zeros).
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == '0') ++lead;
  const int64_t int_digits = static_cast<int64_t>(digits.size() - lead) - (static_cast<int64_t>(digits.size()) - point);
  // Round to `scale` fraction digits: keep digits [0, point + scale).
  const int64_t keep = point + scale;
  __int128 v = 0;
  for (int64_t k = 0; k < keep; ++k) {
    const int d = k < static_cast<int64_t>(digits.size()) && k >= 0 ? digits[static_cast<size_t>(k)] - '0' : 0;
    if (k < 0) continue;
    if (v > (std::numeric_limits<__int128>::max() - 9) / 10) return *overflow = true, true;
    v = v * 10 + d;
  }
  if (keep >= 0 && keep < static_cast<int64_t>(digits.size()) && digits[static_cast<size_t>(keep)] >= '5') ++v;
  __int128 limit = 1;
  for (int32_t k = 0; k < precision; ++k) limit *= 10;
  if (int_digits > precision - scale || v >= limit) *overflow = true;
  *unscaled = neg ? -v : v;
  return true;
}

std::string DecimalBytes(__int128 v, int32_t width) {
  std::string out(static_cast<size_t>(width), '\0');
  for (int32_t k = width - 1; k >= 0; --k) {
    out[static_cast<size_t>(k)] = static_cast<char>(static_cast<uint8_t>(v & 0xFF));
    v >>= 8;  // arithmetic shift keeps the sign
  }
  return out;
}

// The text a JSON scalar stands for in a string column or a numeric parse.
std::string ScalarText(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString: return v.as_string();
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    default: {
      std::string out;
      protocol::WriteJson(v, &out);
      return out;
    }
  }
}

// Splits a record into its top-level JSON values' texts.
Status SplitValues(std::string_view record, std::vector<std::string_view>* out) {
  size_t i = 0;
  const size_t n = record.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (true) {
    while (i < n && ws(record[i])) ++i;
    if (i == n) break;
    if (record[i] != '{') {
      return InvalidArgument(record[i] == '['
                                 ? "a JSON array is not a record: each record must be one or more JSON objects"
                                 : "malformed JSON: a record must be one or more JSON objects");
    }
    const size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < n; ++i) {
      const char c = record[i];
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
        continue;
      }
      if (c == '"')
        in_string = true;
      else if (c == '{' || c == '[')
        ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i;
          break;
        }
      }
    }
    if (depth != 0) return InvalidArgument("malformed JSON: unexpected end of the record");
    out->push_back(record.substr(start, i - start));
  }
  if (out->empty()) return InvalidArgument("empty record: no JSON object");
  return Status::Ok();
}

// One pattern element of a Joda-Time DateTimeFormat.
struct JodaToken {
  char letter = 0;  // 0: literal
  int width = 0;
  std::string literal;
};

Result<std::vector<JodaToken>> CompileJoda(std::string_view p) {
  std::vector<JodaToken> out;
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\'') {
      std::string lit;
      ++i;
      while (i < p.size()) {
        if (p[i] == '\'') {
          if (i + 1 < p.size() && p[i + 1] == '\'')
            lit.push_back('\''), i += 2;
          else
            break;
        } else {
          lit.push_back(p[i++]);
        }
      }
      if (i == p.size()) return InvalidArgument("unterminated quote in timestamp format " + std::string(p));
      ++i;
      if (lit.empty()) lit = "'";
      out.push_back({0, 0, lit});
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < p.size() && p[j] == c) ++j;
      if (std::string_view("yMdHmsSZ").find(c) == std::string_view::npos) {
        return InvalidArgument("timestamp format " + std::string(p) + ": pattern letter '" + std::string(1, c) +
                               "' is not supported (supported: y M d H m s S Z and literals)");
      }
      out.push_back({c, static_cast<int>(j - i), {}});
      i = j;
      continue;
    }
    out.push_back({0, 0, std::string(1, c)});
    ++i;
  }
  return out;
}

bool ParseJoda(const std::vector<JodaToken>& tokens, std::string_view text, __int128* epoch_nanos) {
  Cursor c{text};
  int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = 0, offset = 0;
  for (size_t k = 0; k < tokens.size(); ++k) {
    const JodaToken& t = tokens[k];
    if (t.letter == 0) {
      if (text.substr(c.i, t.literal.size()) != t.literal) return false;
      c.i += t.literal.size();
      continue;
    }
    // A numeric field followed directly by another numeric field takes
    // exactly its width (Joda's adjacent value parsing); otherwise up to 9.
    const bool adjacent = k + 1 < tokens.size() && tokens[k + 1].letter != 0 && tokens[k + 1].letter != 'Z';
    const size_t max = adjacent ? static_cast<size_t>(t.width) : 9;
    switch (t.letter) {
      case 'Z':
        if (!ParseOffsetAt(&c, &offset)) return false;
        break;
      case 'S': {
        size_t n = 0;
        if (!c.Digits(1, std::min<size_t>(max, 9), &frac, &n)) return false;
        for (size_t z = n; z < 9; ++z) frac *= 10;
        break;
      }
      default: {
        int64_t v;
        if (!c.Digits(1, max, &v)) return false;
        (t.letter == 'y'   ? y
         : t.letter == 'M' ? mo
         : t.letter == 'd' ? d
         : t.letter == 'H' ? h
         : t.letter == 'm' ? mi
                           : s) = v;
      }
    }
  }
  if (!c.done() || !ValidDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return false;
  *epoch_nanos = static_cast<__int128>(DaysFromCivil(y, mo, d)) * kNanosPerDay +
                 static_cast<__int128>((h * 60 + mi) * 60 + s - offset) * kNanosPerSecond + frac;
  return true;
}

}  // namespace

Int96 Int96FromEpochNanos(__int128 nanos) {
  __int128 days = nanos / kNanosPerDay;
  __int128 rem = nanos % kNanosPerDay;
  if (rem < 0) rem += kNanosPerDay, --days;
  return Int96{static_cast<int64_t>(rem), static_cast<int32_t>(days + kJulianDayOfUnixEpoch)};
}

// Epoch numbers: an integer of more than 11 digits is milliseconds (1e11 s is
// the year 5138; 1e11 ms is 1973), else seconds; a fraction is seconds.
static Result<Int96> EpochNumber(std::string_view text) {
  const char* b = text.data();
  const char* e = b + text.size();
  int64_t iv = 0;
  auto [p, ec] = std::from_chars(b, e, iv);
  if (ec == std::errc() && p == e) {
    const int64_t magnitude = iv < 0 ? -iv : iv;
    if (magnitude >= 100'000'000'000LL) return Int96FromEpochNanos(static_cast<__int128>(iv) * 1'000'000);
    return Int96FromEpochNanos(static_cast<__int128>(iv) * kNanosPerSecond);
  }
  double dv = 0;
  auto [p2, ec2] = std::from_chars(b, e, dv);
  if (ec2 == std::errc() && p2 == e && std::isfinite(dv) && std::fabs(dv) < 1e13) {
    // Microsecond precision: a double holds about 16 significant digits.
    return Int96FromEpochNanos(static_cast<__int128>(std::llround(dv * 1e6)) * 1000);
  }
  return InvalidArgument("not a timestamp: '" + std::string(text) + "'");
}

Result<Int96> ParseOpenXTimestamp(std::string_view text) {
  Cursor c{text};
  int64_t days = 0, nanos = 0, offset = 0;
  if (ParseDateAt(&c, &days)) {
    const bool iso = c.Eat('T');
    if ((iso || c.Eat(' ')) && ParseTimeAt(&c, &nanos)) {
      if (!c.done() && !ParseOffsetAt(&c, &offset))
        return InvalidArgument("not a timestamp: '" + std::string(text) + "'");
      if (c.done()) {
        return Int96FromEpochNanos(static_cast<__int128>(days) * kNanosPerDay + nanos -
                                   static_cast<__int128>(offset) * kNanosPerSecond);
      }
    }
    return InvalidArgument("not a timestamp: '" + std::string(text) + "'");
  }
  return EpochNumber(text);
}

struct RecordConverter::Impl {
  static Status ToCell(const Column& col, const DeserializerOptions& opt,
                       const std::vector<std::vector<JodaToken>>& joda, const Value& v, Cell* out) {
    auto mismatch = [&](std::string_view why) {
      std::string text = ScalarText(v);
      if (text.size() > 100) text = text.substr(0, 100) + "...";
      return InvalidArgument("column " + col.name + ": " + std::string(why) + ": " + text);
    };
    if (v.is_null()) {
      *out = std::monostate{};
      return Status::Ok();
    }
    const bool container = v.is_object() || v.is_array();
    if (container && col.kind != ColumnKind::kString) return mismatch("a JSON object or array for a primitive column");
    switch (col.kind) {
      case ColumnKind::kString:
        if (container && opt.kind == DeserializerOptions::Kind::kHive) {
          return mismatch("a JSON object or array for a string column");
        }
        *out = ScalarText(v);
        return Status::Ok();
      case ColumnKind::kBoolean: {
        if (v.is_bool()) {
          *out = v.as_bool();
          return Status::Ok();
        }
        const std::string t = Lower(ScalarText(v));
        if (v.is_string() && (t == "true" || t == "false")) {
          *out = t == "true";
          return Status::Ok();
        }
        return mismatch("not a boolean");
      }
      case ColumnKind::kInt8:
      case ColumnKind::kInt16:
      case ColumnKind::kInt32:
      case ColumnKind::kInt64: {
        int64_t i = 0;
        if (v.is_int()) {
          i = v.as_int();
        } else if (v.is_string()) {
          const std::string& s = v.as_string();
          const char* b = s.data() + (!s.empty() && s[0] == '+');
          auto [p, ec] = std::from_chars(b, s.data() + s.size(), i);
          if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return mismatch("not an integer");
        } else {
          return mismatch("not an integer");
        }
        const int64_t lo = col.kind == ColumnKind::kInt8    ? -128
                           : col.kind == ColumnKind::kInt16 ? -32768
                           : col.kind == ColumnKind::kInt32 ? std::numeric_limits<int32_t>::min()
                                                            : std::numeric_limits<int64_t>::min();
        const int64_t hi = col.kind == ColumnKind::kInt8    ? 127
                           : col.kind == ColumnKind::kInt16 ? 32767
                           : col.kind == ColumnKind::kInt32 ? std::numeric_limits<int32_t>::max()
                                                            : std::numeric_limits<int64_t>::max();
        if (i < lo || i > hi) return mismatch("out of the column's integer range");
        if (col.kind == ColumnKind::kInt64)
          *out = i;
        else
          *out = static_cast<int32_t>(i);
        return Status::Ok();
      }
      case ColumnKind::kFloat:
      case ColumnKind::kDouble: {
        double d = 0;
        if (v.is_number()) {
          d = v.as_number();
        } else if (v.is_string()) {
          const std::string& s = v.as_string();
          auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
          if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return mismatch("not a number");
        } else {
          return mismatch("not a number");
        }
        if (col.kind == ColumnKind::kFloat)
          *out = static_cast<float>(d);
        else
          *out = d;
        return Status::Ok();
      }
      case ColumnKind::kDecimal: {
        if (!v.is_number() && !v.is_string()) return mismatch("not a decimal");
        __int128 unscaled = 0;
        bool overflow = false;
        if (!ParseDecimal(ScalarText(v), col.precision, col.scale, &unscaled, &overflow)) {
          return mismatch("not a decimal");
        }
        if (overflow)
          *out = std::monostate{};  // Hive's rule: a value beyond the precision is null
        else
          *out = DecimalBytes(unscaled, DecimalByteWidth(col.precision));
        return Status::Ok();
      }
      case ColumnKind::kDate: {
        if (!v.is_string()) return mismatch("not a date (yyyy-MM-dd)");
        Cursor c{v.as_string()};
        int64_t days = 0;
        if (!ParseDateAt(&c, &days) || !c.done()) return mismatch("not a date (yyyy-MM-dd)");
        *out = static_cast<int32_t>(days);
        return Status::Ok();
      }
      case ColumnKind::kTimestamp: {
        if (!v.is_number() && !v.is_string()) return mismatch("not a timestamp");
        const std::string text = ScalarText(v);
        if (opt.kind == DeserializerOptions::Kind::kOpenX) {
          auto r = ParseOpenXTimestamp(text);
          if (!r.ok()) return mismatch("not a timestamp");
          *out = *r;
          return Status::Ok();
        }
        if (opt.timestamp_formats.empty()) {
          // java.sql.Timestamp.valueOf: yyyy-[M]M-[d]d HH:mm:ss[.f{1,9}]
          Cursor c{text};
          int64_t days = 0, nanos = 0;
          if (ParseDateAt(&c, &days) && c.Eat(' ') && ParseTimeAt(&c, &nanos) && c.done()) {
            *out = Int96FromEpochNanos(static_cast<__int128>(days) * kNanosPerDay + nanos);
            return Status::Ok();
          }
          return mismatch("not a timestamp (yyyy-MM-dd HH:mm:ss[.fffffffff])");
        }
        for (size_t k = 0; k < opt.timestamp_formats.size(); ++k) {
          if (opt.timestamp_formats[k] == "millis") {
            int64_t ms = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
            if (ec == std::errc() && p == text.data() + text.size()) {
              *out = Int96FromEpochNanos(static_cast<__int128>(ms) * 1'000'000);
              return Status::Ok();
            }
            continue;
          }
          __int128 nanos = 0;
          if (ParseJoda(joda[k], text, &nanos)) {
            *out = Int96FromEpochNanos(nanos);
            return Status::Ok();
          }
        }
        return mismatch("matches none of the TimestampFormats");
      }
    }
    return Internal("unknown column kind");
  }
};

RecordConverter::RecordConverter(std::vector<Column> columns, DeserializerOptions options)
    : columns_(std::move(columns)), options_(std::move(options)) {}

Result<std::unique_ptr<RecordConverter>> RecordConverter::Make(std::vector<Column> columns,
                                                               DeserializerOptions options) {
  for (const auto& [column, key] : options.column_to_json_key) {
    const std::string lc = Lower(column);
    if (std::none_of(columns.begin(), columns.end(), [&](const Column& c) { return c.name == lc; })) {
      return InvalidArgument("ColumnToJsonKeyMappings names column '" + column + "', which the table does not have");
    }
  }
  for (const std::string& f : options.timestamp_formats) {
    if (f != "millis") SPATE_TRY(CompileJoda(f).status());
  }
  std::unique_ptr<RecordConverter> rc(new RecordConverter(std::move(columns), std::move(options)));
  const bool ci = rc->options_.kind == DeserializerOptions::Kind::kHive || rc->options_.case_insensitive;
  for (size_t i = 0; i < rc->columns_.size(); ++i) {
    std::string key = rc->columns_[i].name;
    for (const auto& [column, json_key] : rc->options_.column_to_json_key) {
      if (Lower(column) == key) key = json_key;
    }
    rc->key_to_column_.emplace_back(ci ? Lower(key) : key, i);
  }
  std::sort(rc->key_to_column_.begin(), rc->key_to_column_.end());
  return rc;
}

Status RecordConverter::Convert(std::string_view record, std::vector<std::vector<Cell>>* rows) const {
  std::vector<std::string_view> objects;
  SPATE_TRY(SplitValues(record, &objects));
  std::vector<std::vector<JodaToken>> joda;
  if (options_.kind == DeserializerOptions::Kind::kHive) {
    for (const std::string& f : options_.timestamp_formats) {
      auto t = CompileJoda(f == "millis" ? "" : f);
      joda.push_back(t.ok() ? std::move(t).value() : std::vector<JodaToken>{});
    }
  }
  const bool ci = options_.kind == DeserializerOptions::Kind::kHive || options_.case_insensitive;
  const bool dots = options_.kind == DeserializerOptions::Kind::kOpenX && options_.convert_dots_to_underscores;
  std::vector<std::vector<Cell>> out;
  for (std::string_view text : objects) {
    auto parsed = protocol::ParseJson(text);
    if (!parsed.ok()) return InvalidArgument("malformed JSON: " + parsed.status().message());
    std::vector<Cell> row(columns_.size());
    for (const auto& [name, value] : parsed->as_object()) {
      std::string key = ci ? Lower(name) : name;
      if (dots) std::replace(key.begin(), key.end(), '.', '_');
      auto it = std::lower_bound(key_to_column_.begin(), key_to_column_.end(), std::make_pair(key, size_t{0}));
      if (it == key_to_column_.end() || it->first != key) continue;  // keys the table lacks are ignored
      SPATE_TRY(Impl::ToCell(columns_[it->second], options_, joda, value, &row[it->second]));
    }
    out.push_back(std::move(row));
  }
  for (auto& r : out) rows->push_back(std::move(r));
  return Status::Ok();
}

}  // namespace spate::firehose::parquet
