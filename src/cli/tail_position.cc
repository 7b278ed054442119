#include "cli/tail_position.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

namespace spate::cli {
namespace {

constexpr int64_t kMsPerSecond = 1000;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Reads exactly `width` digits from the front of *s.
std::optional<int> Digits(std::string_view* s, size_t width) {
  if (s->size() < width || !AllDigits(s->substr(0, width))) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < width; ++i) v = v * 10 + ((*s)[i] - '0');
  s->remove_prefix(width);
  return v;
}

bool Eat(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

std::optional<int64_t> ParseIso(std::string_view s) {
  auto year = Digits(&s, 4);
  if (!year || !Eat(&s, '-')) return std::nullopt;
  auto month = Digits(&s, 2);
  if (!month || !Eat(&s, '-')) return std::nullopt;
  auto day = Digits(&s, 2);
  if (!day || !(Eat(&s, 'T') || Eat(&s, 't') || Eat(&s, ' '))) return std::nullopt;
  auto hour = Digits(&s, 2);
  if (!hour || !Eat(&s, ':')) return std::nullopt;
  auto minute = Digits(&s, 2);
  if (!minute || !Eat(&s, ':')) return std::nullopt;
  auto second = Digits(&s, 2);
  if (!second) return std::nullopt;
  int64_t ms = 0;
  if (Eat(&s, '.')) {
    int scale = 100;
    size_t n = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      if (scale > 0) ms += (s.front() - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (Eat(&s, 'Z') || Eat(&s, 'z')) {
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    auto oh = Digits(&s, 2);
    Eat(&s, ':');
    auto om = Digits(&s, 2);
    if (!oh || !om) return std::nullopt;
    offset_s = sign * (*oh * 3600 + *om * 60);
  }
  if (!s.empty() || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return secs * kMsPerSecond + ms;
}

}  // namespace

std::optional<int64_t> ParseTimestampMs(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (AllDigits(whole) && (dot == std::string_view::npos || AllDigits(text.substr(dot + 1)))) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return static_cast<int64_t>(std::llround(seconds * kMsPerSecond));
  }
  return ParseIso(text);
}

std::optional<IteratorPosition> ParseTailPosition(std::string_view text, std::string* error) {
  if (text == "trim-horizon") return IteratorPosition::TrimHorizon();
  if (text == "latest") return IteratorPosition::Latest();
  if (text.starts_with("at-timestamp:")) {
    std::optional<int64_t> ms = ParseTimestampMs(text.substr(13));
    if (ms.has_value()) return IteratorPosition::AtTimestamp(*ms);
    *error = "--from at-timestamp:T wants T as epoch seconds or ISO 8601 (2026-12-07T01:02:03Z), not '" +
             std::string(text.substr(13)) + "'";
    return std::nullopt;
  }
  if (text.starts_with("at-sequence:")) {
    std::string_view seq = text.substr(12);
    if (AllDigits(seq)) return IteratorPosition::AtSequenceNumber(std::string(seq));
    *error = "--from at-sequence:S wants a sequence number (digits), not '" + std::string(seq) + "'";
    return std::nullopt;
  }
  *error = "--from is trim-horizon, latest, at-timestamp:T or at-sequence:S, not '" + std::string(text) + "'";
  return std::nullopt;
}

}  // namespace spate::cli
