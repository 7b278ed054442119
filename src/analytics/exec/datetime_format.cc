#include "analytics/exec/datetime_format.h"

#include <array>
#include <cctype>
#include <vector>

#include "analytics/exec/value_ops.h"

namespace spate::analytics::exec {

namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

constexpr std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};
// Index 0 is Sunday.
constexpr std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};

struct Token {
  char letter = 0;  // 0: literal
  int width = 0;
  std::string literal;
};

bool IsPatternLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsKnownLetter(char c) { return std::string_view("yYMdHhkKmsSaEDuFwWZXz").find(c) != std::string_view::npos; }

Result<std::vector<Token>> Tokenize(std::string_view p) {
  std::vector<Token> out;
  auto literal = [&](char c) {
    if (out.empty() || out.back().letter != 0) out.push_back(Token{});
    out.back().literal.push_back(c);
  };
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '\'') {
      if (i + 1 < p.size() && p[i + 1] == '\'') {
        literal('\'');
        i += 2;
        continue;
      }
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= p.size()) return InvalidArgument("unterminated quote in date/time pattern '" + std::string(p) + "'");
        if (p[j] == '\'') {
          if (j + 1 < p.size() && p[j + 1] == '\'') {
            literal('\'');
            ++j;
            continue;
          }
          break;
        }
        literal(p[j]);
      }
      i = j + 1;
      continue;
    }
    if (IsPatternLetter(c)) {
      if (!IsKnownLetter(c)) {
        return InvalidArgument("illegal pattern character '" + std::string(1, c) + "' in '" + std::string(p) + "'");
      }
      size_t j = i;
      while (j < p.size() && p[j] == c) ++j;
      out.push_back(Token{c, static_cast<int>(j - i), {}});
      i = j;
      continue;
    }
    literal(c);
    ++i;
  }
  return out;
}

bool IsNumericField(const Token& t) {
  if (t.letter == 0 || t.letter == 'a' || t.letter == 'E' || t.letter == 'z' || t.letter == 'Z' || t.letter == 'X') {
    return false;
  }
  return !(t.letter == 'M' && t.width >= 3);
}

// Case-insensitive: does `text` at `pos` start with `word`?
bool StartsWithWord(std::string_view text, size_t pos, std::string_view word) {
  if (text.size() - pos < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

// Matches a full or a three-letter name; returns its index or -1.
template <size_t N>
int MatchName(std::string_view text, size_t* pos, const std::array<const char*, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (StartsWithWord(text, *pos, names[i])) {
      *pos += std::string_view(names[i]).size();
      return static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < N; ++i) {
    if (StartsWithWord(text, *pos, std::string_view(names[i]).substr(0, 3))) {
      *pos += 3;
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width) - s.size(), '0');
  return v < 0 ? "-" + s : s;
}

Status ParseError(std::string_view pattern, std::string_view text, size_t pos) {
  return InvalidArgument("'" + std::string(text) + "' does not match the date/time pattern '" + std::string(pattern) +
                         "' at character " + std::to_string(pos + 1));
}

}  // namespace

Result<int64_t> ParseDateTime(std::string_view pattern, std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Token> toks, Tokenize(pattern));
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, milli = 0, offset_ms = 0;
  int64_t day_of_year = -1;
  int pm = -1;               // -1 unset, 0 AM, 1 PM
  bool twelve_hour = false;  // h or K: hour is within AM/PM
  size_t pos = 0;
  for (size_t t = 0; t < toks.size(); ++t) {
    const Token& tok = toks[t];
    if (tok.letter == 0) {
      if (text.substr(pos, tok.literal.size()) != tok.literal) return ParseError(pattern, text, pos);
      pos += tok.literal.size();
      continue;
    }
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos >= text.size()) return ParseError(pattern, text, pos);
    if (tok.letter == 'M' && tok.width >= 3) {
      int m = MatchName(text, &pos, kMonths);
      if (m < 0) return ParseError(pattern, text, pos);
      month = m + 1;
      continue;
    }
    if (tok.letter == 'E') {
      if (MatchName(text, &pos, kDays) < 0) return ParseError(pattern, text, pos);
      continue;
    }
    if (tok.letter == 'a') {
      if (StartsWithWord(text, pos, "AM") || StartsWithWord(text, pos, "PM")) {
        pm = std::toupper(static_cast<unsigned char>(text[pos])) == 'P' ? 1 : 0;
        pos += 2;
        continue;
      }
      return ParseError(pattern, text, pos);
    }
    if (tok.letter == 'Z' || tok.letter == 'X' || tok.letter == 'z') {
      if (text[pos] == 'Z' && tok.letter != 'z') {
        ++pos;
        continue;
      }
      if (tok.letter == 'z') {
        if (StartsWithWord(text, pos, "UTC") || StartsWithWord(text, pos, "GMT")) pos += 3;
        if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) continue;
      }
      if (text[pos] != '+' && text[pos] != '-') return ParseError(pattern, text, pos);
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int64_t digits[4] = {0, 0, 0, 0};
      int n = 0;
      while (n < 4 && pos < text.size()) {
        if (text[pos] == ':' && n == 2) {
          ++pos;
          continue;
        }
        if (!std::isdigit(static_cast<unsigned char>(text[pos]))) break;
        digits[n++] = text[pos++] - '0';
      }
      if (n != 2 && n != 4) return ParseError(pattern, text, pos);
      int64_t hh = digits[0] * 10 + digits[1], mm = n == 4 ? digits[2] * 10 + digits[3] : 0;
      if (hh > 23 || mm > 59) return ParseError(pattern, text, pos);
      offset_ms = sign * (hh * 3'600'000 + mm * 60'000);
      continue;
    }
    // A numeric field: every digit, or exactly its width when the next
    // field abuts it.
    bool abutting = t + 1 < toks.size() && IsNumericField(toks[t + 1]);
    size_t start = pos;
    bool negative = tok.letter == 'y' && text[pos] == '-';
    if (negative) ++pos;
    size_t limit = abutting ? pos + static_cast<size_t>(tok.width) : text.size();
    int64_t v = 0;
    while (pos < text.size() && pos < limit && std::isdigit(static_cast<unsigned char>(text[pos])) && v < 100'000'000) {
      v = v * 10 + (text[pos++] - '0');
    }
    size_t ndigits = pos - start - (negative ? 1 : 0);
    if (ndigits == 0) return ParseError(pattern, text, start);
    if (negative) v = -v;
    auto check = [&](int64_t lo, int64_t hi) -> Status {
      if (v < lo || v > hi) return ParseError(pattern, text, start);
      return Status::Ok();
    };
    switch (tok.letter) {
      case 'y':
      case 'Y':
        year = v;
        if (tok.width == 2 && ndigits == 2 && !negative) {
          int64_t base = kTwoDigitYearPivot - 80;
          year = base - base % 100 + v;
          if (year < base) year += 100;
        }
        break;
      case 'M':
        SPATE_TRY(check(1, 12));
        month = v;
        break;
      case 'd':
        SPATE_TRY(check(1, 31));
        day = v;
        break;
      case 'D':
        SPATE_TRY(check(1, 366));
        day_of_year = v;
        break;
      case 'H':
        SPATE_TRY(check(0, 23));
        hour = v;
        break;
      case 'k':
        SPATE_TRY(check(1, 24));
        hour = v % 24;
        break;
      case 'h':
        SPATE_TRY(check(1, 12));
        hour = v % 12;
        twelve_hour = true;
        break;
      case 'K':
        SPATE_TRY(check(0, 11));
        hour = v;
        twelve_hour = true;
        break;
      case 'm':
        SPATE_TRY(check(0, 59));
        minute = v;
        break;
      case 's':
        SPATE_TRY(check(0, 59));
        second = v;
        break;
      case 'S':
        SPATE_TRY(check(0, 999));
        milli = v;
        break;
      default: break;  // u, F, w, W: read and not used
    }
  }
  if (pm == 1 && (twelve_hour || hour < 12)) hour += 12;
  int64_t days;
  if (day_of_year > 0) {
    days = DaysFromCivil(year, 1, 1) + day_of_year - 1;
  } else {
    days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    int64_t y2;
    unsigned m2, d2;
    CivilFromDays(days, &y2, &m2, &d2);
    if (static_cast<int64_t>(m2) != month) {
      return InvalidArgument("'" + std::string(text) + "' names day " + std::to_string(day) +
                             " of a month that has fewer days");
    }
  }
  return days * kMillisPerDay + hour * 3'600'000 + minute * 60'000 + second * 1000 + milli - offset_ms;
}

Result<std::string> FormatDateTime(std::string_view pattern, int64_t millis) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Token> toks, Tokenize(pattern));
  int64_t days = FloorDiv(millis, kMillisPerDay);
  int64_t in_day = millis - days * kMillisPerDay;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  int64_t hour = in_day / 3'600'000, minute = in_day / 60'000 % 60, second = in_day / 1000 % 60, milli = in_day % 1000;
  int64_t weekday = ((days % 7) + 11) % 7;  // 0 = Sunday (1970-01-01 was a Thursday)
  std::string out;
  for (const Token& tok : toks) {
    switch (tok.letter) {
      case 0: out += tok.literal; break;
      case 'y':
      case 'Y': out += tok.width == 2 ? Pad(((year % 100) + 100) % 100, 2) : Pad(year, tok.width); break;
      case 'M':
        if (tok.width >= 4) {
          out += kMonths[month - 1];
        } else if (tok.width == 3) {
          out += std::string_view(kMonths[month - 1]).substr(0, 3);
        } else {
          out += Pad(month, tok.width);
        }
        break;
      case 'd': out += Pad(day, tok.width); break;
      case 'D': out += Pad(days - DaysFromCivil(year, 1, 1) + 1, tok.width); break;
      case 'H': out += Pad(hour, tok.width); break;
      case 'k': out += Pad(hour == 0 ? 24 : hour, tok.width); break;
      case 'K': out += Pad(hour % 12, tok.width); break;
      case 'h': out += Pad(hour % 12 == 0 ? 12 : hour % 12, tok.width); break;
      case 'm': out += Pad(minute, tok.width); break;
      case 's': out += Pad(second, tok.width); break;
      case 'S': out += Pad(milli, tok.width); break;
      case 'a': out += hour < 12 ? "AM" : "PM"; break;
      case 'E':
        out += tok.width >= 4 ? std::string(kDays[static_cast<size_t>(weekday)])
                              : std::string(std::string_view(kDays[static_cast<size_t>(weekday)]).substr(0, 3));
        break;
      case 'u': out += Pad(weekday == 0 ? 7 : weekday, tok.width); break;
      case 'F': out += Pad((day - 1) / 7 + 1, tok.width); break;
      case 'w': out += Pad((days - DaysFromCivil(year, 1, 1)) / 7 + 1, tok.width); break;
      case 'W': out += Pad((day - 1) / 7 + 1, tok.width); break;
      case 'Z': out += "+0000"; break;
      case 'X': out += "Z"; break;
      case 'z': out += "UTC"; break;
    }
  }
  return out;
}

}  // namespace spate::analytics::exec
