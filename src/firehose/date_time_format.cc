#include "firehose/date_time_format.h"

#include <cstdlib>

namespace spate::firehose {

namespace {

constexpr const char* kMonthFull[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDayFull[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kQuarterFull[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};

enum class Sign { kNormal, kExceedsPad, kNotNegative };

void AppendNumber(std::string* out, int64_t v, int32_t min_width, Sign sign = Sign::kNotNegative) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (v < 0) {
    out->push_back('-');
  } else if (sign == Sign::kExceedsPad && static_cast<int32_t>(digits.size()) > min_width) {
    out->push_back('+');
  }
  if (static_cast<int32_t>(digits.size()) < min_width) out->append(min_width - digits.size(), '0');
  out->append(digits);
}

// Text styles of Java's TextStyle by letter count: 1-3 short, 4 full, 5 narrow.
void AppendText(std::string* out, std::string_view full, int32_t count) {
  if (count == 4) {
    out->append(full);
  } else if (count == 5) {
    out->push_back(full[0]);
  } else {
    out->append(full.substr(0, 3));
  }
}

// Java's OffsetIdPrinterParser patterns, by index: +HH, +HHmm, +HH:mm, +HHMM,
// +HH:MM, +HHMMss, +HH:MM:ss, +HHMMSS, +HH:MM:SS (lowercase: printed only
// when non-zero).
void AppendOffset(std::string* out, int32_t offset_s, int type, std::string_view zero_text) {
  if (offset_s == 0) {
    out->append(zero_text);
    return;
  }
  int32_t abs = std::abs(offset_s);
  int32_t h = abs / 3600, m = abs / 60 % 60, s = abs % 60;
  bool colon = type > 0 && type % 2 == 0;
  out->push_back(offset_s < 0 ? '-' : '+');
  AppendNumber(out, h, 2);
  if (type >= 3 || (type >= 1 && m > 0)) {
    if (colon) out->push_back(':');
    AppendNumber(out, m, 2);
    if (type >= 7 || (type >= 5 && s > 0)) {
      if (colon) out->push_back(':');
      AppendNumber(out, s, 2);
    }
  }
}

// Java's localized offset: "GMT", "GMT+8" (short), "GMT+08:00" (full).
void AppendLocalizedOffset(std::string* out, int32_t offset_s, bool full) {
  out->append("GMT");
  if (offset_s == 0) return;
  int32_t abs = std::abs(offset_s);
  int32_t h = abs / 3600, m = abs / 60 % 60, s = abs % 60;
  out->push_back(offset_s < 0 ? '-' : '+');
  if (full) {
    AppendNumber(out, h, 2);
    out->push_back(':');
    AppendNumber(out, m, 2);
    if (s != 0) {
      out->push_back(':');
      AppendNumber(out, s, 2);
    }
    return;
  }
  AppendNumber(out, h, 1);
  if (m != 0 || s != 0) {
    out->push_back(':');
    AppendNumber(out, m, 2);
    if (s != 0) {
      out->push_back(':');
      AppendNumber(out, s, 2);
    }
  }
}

int32_t SundayBased(int32_t iso_day_of_week) { return iso_day_of_week % 7; }  // 0 = Sunday

// Week-based year and week of it under Locale.US (weeks start on Sunday;
// week 1 is the week holding January 1).
void UsWeek(const CivilTime& t, int32_t* week_year, int32_t* week) {
  int64_t week_start = t.epoch_day - SundayBased(t.day_of_week);
  int32_t y, m, d;
  CivilFromDays(week_start + 6, &y, &m, &d);
  int64_t jan1 = DaysFromCivil(y, 1, 1);
  int64_t jan1_week_start = jan1 - ((jan1 + 4) % 7 + 7) % 7;
  *week_year = y;
  *week = static_cast<int32_t>((week_start - jan1_week_start) / 7 + 1);
}

Status TooMany(char letter) { return InvalidArgument(std::string("Too many pattern letters: ") + letter); }

// Checks a letter run against Java's DateTimeFormatterBuilder rules.
Status CheckLetter(char c, int32_t n) {
  switch (c) {
    case 'G':
    case 'E':
    case 'M':
    case 'L':
    case 'Q':
    case 'q': return n <= 5 ? Status::Ok() : TooMany(c);
    case 'e': return n <= 5 ? Status::Ok() : TooMany(c);
    case 'c':
      if (n == 2) return InvalidArgument("Invalid pattern \"cc\"");
      return n <= 5 ? Status::Ok() : TooMany(c);
    case 'y':
    case 'u':
    case 'Y': return n <= 19 ? Status::Ok() : TooMany(c);
    case 'd':
    case 'h':
    case 'H':
    case 'k':
    case 'K':
    case 'm':
    case 's':
    case 'w': return n <= 2 ? Status::Ok() : TooMany(c);
    case 'W':
    case 'F':
    case 'a': return n == 1 ? Status::Ok() : TooMany(c);
    case 'D': return n <= 3 ? Status::Ok() : TooMany(c);
    case 'S':
      if (n > 9) return InvalidArgument("Minimum width must be from 0 to 9 inclusive but was " + std::to_string(n));
      return Status::Ok();
    case 'A':
    case 'n':
    case 'N': return n <= 19 ? Status::Ok() : TooMany(c);
    case 'V': return n == 2 ? Status::Ok() : InvalidArgument("Pattern letter count must be 2: V");
    case 'Z':
    case 'X':
    case 'x': return n <= 5 ? Status::Ok() : TooMany(c);
    case 'O': return n == 1 || n == 4 ? Status::Ok() : InvalidArgument("Pattern letter count must be 1 or 4: O");
    case 'z':
    case 'v':
      // Zone names ("JST") come from Java's locale data, which Spate lacks.
      return InvalidArgument(std::string("Pattern letter ") + c +
                             " (time-zone name) is not supported; use VV, O, X or Z");
    default: return InvalidArgument(std::string("Unknown pattern letter: ") + c);
  }
}

bool IsLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

Result<DateTimePattern> DateTimePattern::Compile(std::string_view p) {
  DateTimePattern out;
  auto literal = [&out](std::string_view s) {
    if (out.tokens_.empty() || out.tokens_.back().letter != 0) out.tokens_.push_back(Token{});
    out.tokens_.back().text.append(s);
  };
  int optional_depth = 0;
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (IsLetter(c)) {
      size_t j = i;
      while (j < p.size() && p[j] == c) ++j;
      int32_t n = static_cast<int32_t>(j - i);
      SPATE_TRY(CheckLetter(c, n));
      out.tokens_.push_back(Token{c, n, {}});
      i = j;
    } else if (c == '\'') {
      // 'literal' with '' for a quote inside; '' alone is one quote.
      size_t j = i + 1;
      std::string text;
      for (;;) {
        if (j >= p.size()) return InvalidArgument("Pattern ends with an incomplete string literal: " + std::string(p));
        if (p[j] == '\'') {
          if (j + 1 < p.size() && p[j + 1] == '\'') {
            text.push_back('\'');
            j += 2;
            continue;
          }
          break;
        }
        text.push_back(p[j++]);
      }
      if (j == i + 1) text = "'";
      literal(text);
      i = j + 1;
    } else if (c == '[') {
      ++optional_depth;
      ++i;
    } else if (c == ']') {
      if (optional_depth == 0) return InvalidArgument("Pattern invalid as it contains ] without previous [");
      --optional_depth;
      ++i;
    } else if (c == '{' || c == '}' || c == '#') {
      return InvalidArgument(std::string("Pattern includes reserved character: '") + c + "'");
    } else {
      literal(std::string_view(&p[i], 1));
      ++i;
    }
  }
  return out;
}

bool DateTimePattern::LiteralOnly() const {
  for (const Token& t : tokens_) {
    if (t.letter != 0) return false;
  }
  return true;
}

void DateTimePattern::Format(const CivilTime& t, const TimeZone& zone, std::string* out) const {
  for (const Token& tok : tokens_) {
    const int32_t n = tok.count;
    switch (tok.letter) {
      case 0: out->append(tok.text); break;
      case 'G': {
        const bool ad = t.year > 0;
        if (n == 4) {
          out->append(ad ? "Anno Domini" : "Before Christ");
        } else if (n == 5) {
          out->push_back(ad ? 'A' : 'B');
        } else {
          out->append(ad ? "AD" : "BC");
        }
        break;
      }
      case 'y':
      case 'u':
      case 'Y': {
        int64_t v = t.year;
        if (tok.letter == 'y' && v <= 0) v = 1 - v;  // year of era
        if (tok.letter == 'Y') {
          int32_t wy, w;
          UsWeek(t, &wy, &w);
          v = wy;
        }
        if (n == 2) {
          AppendNumber(out, ((v % 100) + 100) % 100, 2);
        } else {
          AppendNumber(out, v, n, n < 4 ? Sign::kNormal : Sign::kExceedsPad);
        }
        break;
      }
      case 'Q':
      case 'q': {
        int32_t q = (t.month - 1) / 3 + 1;
        if (n <= 2) {
          AppendNumber(out, q, n);
        } else if (n == 3) {
          out->push_back('Q');
          AppendNumber(out, q, 1);
        } else if (n == 4) {
          out->append(kQuarterFull[q - 1]);
        } else {
          AppendNumber(out, q, 1);
        }
        break;
      }
      case 'M':
      case 'L':
        if (n <= 2) {
          AppendNumber(out, t.month, n);
        } else {
          AppendText(out, kMonthFull[t.month - 1], n);
        }
        break;
      case 'w': {
        int32_t wy, w;
        UsWeek(t, &wy, &w);
        AppendNumber(out, w, n);
        break;
      }
      case 'W': {
        int64_t first = t.epoch_day - (t.day - 1);
        int32_t first_dow = static_cast<int32_t>(((first + 4) % 7 + 7) % 7);  // 0 = Sunday
        AppendNumber(out, (t.day - 1 + first_dow) / 7 + 1, 1);
        break;
      }
      case 'd': AppendNumber(out, t.day, n); break;
      case 'F':
        // Java's 'F' is ALIGNED_DAY_OF_WEEK_IN_MONTH (1..7 within the month's 7-day runs).
        AppendNumber(out, (t.day - 1) % 7 + 1, 1);
        break;
      case 'D': AppendNumber(out, t.day_of_year, n); break;
      case 'E': AppendText(out, kDayFull[t.day_of_week - 1], n); break;
      case 'e':
      case 'c':
        // Localized day of week, Locale.US: Sunday = 1.
        if (n <= 2) {
          AppendNumber(out, SundayBased(t.day_of_week) + 1, n);
        } else {
          AppendText(out, kDayFull[t.day_of_week - 1], n);
        }
        break;
      case 'a': out->append(t.hour < 12 ? "AM" : "PM"); break;
      case 'h': AppendNumber(out, t.hour % 12 == 0 ? 12 : t.hour % 12, n); break;
      case 'K': AppendNumber(out, t.hour % 12, n); break;
      case 'k': AppendNumber(out, t.hour == 0 ? 24 : t.hour, n); break;
      case 'H': AppendNumber(out, t.hour, n); break;
      case 'm': AppendNumber(out, t.minute, n); break;
      case 's': AppendNumber(out, t.second, n); break;
      case 'S': {
        // Fraction of the second, truncated to n digits (nanosecond precision).
        std::string nanos;
        AppendNumber(&nanos, int64_t{t.millisecond} * 1000000, 9);
        out->append(nanos, 0, static_cast<size_t>(n));
        break;
      }
      case 'A': AppendNumber(out, ((int64_t{t.hour} * 60 + t.minute) * 60 + t.second) * 1000 + t.millisecond, n); break;
      case 'n': AppendNumber(out, int64_t{t.millisecond} * 1000000, n); break;
      case 'N':
        AppendNumber(out, (((int64_t{t.hour} * 60 + t.minute) * 60 + t.second) * 1000 + t.millisecond) * 1000000, n);
        break;
      case 'V': out->append(zone.name()); break;
      case 'Z':
        if (n <= 3) {
          AppendOffset(out, t.utc_offset_s, 3, "+0000");
        } else if (n == 4) {
          AppendLocalizedOffset(out, t.utc_offset_s, true);
        } else {
          AppendOffset(out, t.utc_offset_s, 6, "Z");
        }
        break;
      case 'X':
      case 'x': {
        static constexpr int kTypes[] = {1, 3, 4, 5, 6};
        static constexpr const char* kZeroX[] = {"+00", "+0000", "+00:00", "+0000", "+00:00"};
        AppendOffset(out, t.utc_offset_s, kTypes[n - 1], tok.letter == 'X' ? "Z" : kZeroX[n - 1]);
        break;
      }
      case 'O': AppendLocalizedOffset(out, t.utc_offset_s, n == 4); break;
      default: SPATE_ASSERT(false, "letter accepted by Compile has no formatter");
    }
  }
}

}  // namespace spate::firehose
