#include "firehose/time_zone.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "util/file_system.h"

namespace spate::firehose {

namespace {

constexpr char kZoneinfoDir[] = "/usr/share/zoneinfo";
constexpr size_t kTzifHeaderBytes = 44;  // "TZif", version, 15 reserved, six 32-bit counts
constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// A POSIX TZ transition date: Jn (1..365, never Feb 29), n (0..365) or
// Mm.w.d (month, week 1..5 where 5 = last, weekday 0 = Sunday).
struct PosixDate {
  enum class Kind { kJulianNoLeap, kJulianZero, kMonthWeekDay } kind = Kind::kMonthWeekDay;
  int32_t day = 0;  // Jn / n
  int32_t month = 0, week = 0, weekday = 0;
  int32_t time_s = 7200;  // local time of day of the change, may be <0 or >24h
};

// The footer of a TZif v2+ file: "std offset [dst [offset] ,start,end]".
struct PosixRule {
  int32_t std_offset_s = 0;  // local = UTC + offset (already sign-flipped)
  bool has_dst = false;
  int32_t dst_offset_s = 0;
  PosixDate start, end;
};

}  // namespace

struct TimeZone::Rules {
  std::string name;
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int32_t> offsets;      // offsets[i] in force from transitions[i]
  int32_t initial_offset = 0;        // before the first transition
  std::optional<PosixRule> footer;   // after the last transition
};

namespace {

// ---- POSIX TZ string (RFC 8536 section 3.3, POSIX.1-2017 TZ) ----

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  std::optional<PosixRule> Parse() {
    PosixRule r;
    if (!Name()) return std::nullopt;
    int32_t off;
    if (!Offset(&off)) return std::nullopt;
    r.std_offset_s = -off;
    if (pos_ == s_.size()) return r;
    if (!Name()) return std::nullopt;
    r.has_dst = true;
    r.dst_offset_s = r.std_offset_s + 3600;
    if (pos_ < s_.size() && s_[pos_] != ',') {
      if (!Offset(&off)) return std::nullopt;
      r.dst_offset_s = -off;
    }
    if (!Eat(',') || !Date(&r.start) || !Eat(',') || !Date(&r.end)) return std::nullopt;
    if (pos_ != s_.size()) return std::nullopt;
    return r;
  }

 private:
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Name() {
    if (Eat('<')) {
      size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos || close == pos_) return false;
      pos_ = close + 1;
      return true;
    }
    size_t begin = pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= 'A' && s_[pos_] <= 'Z') || (s_[pos_] >= 'a' && s_[pos_] <= 'z'))) ++pos_;
    return pos_ - begin >= 3;
  }
  bool Number(int32_t* v, int32_t max) {
    size_t begin = pos_;
    int64_t n = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      n = n * 10 + (s_[pos_] - '0');
      if (n > max) return false;
      ++pos_;
    }
    *v = static_cast<int32_t>(n);
    return pos_ > begin;
  }
  // [+-]hh[:mm[:ss]]; hours up to 167 for the transition times of RFC 8536.
  bool Offset(int32_t* seconds) {
    int32_t sign = 1;
    if (Eat('-')) {
      sign = -1;
    } else {
      (void)Eat('+');
    }
    int32_t h = 0, m = 0, sec = 0;
    if (!Number(&h, 167)) return false;
    if (Eat(':')) {
      if (!Number(&m, 59)) return false;
      if (Eat(':') && !Number(&sec, 59)) return false;
    }
    *seconds = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool Date(PosixDate* d) {
    if (Eat('M')) {
      d->kind = PosixDate::Kind::kMonthWeekDay;
      if (!Number(&d->month, 12) || d->month < 1 || !Eat('.') || !Number(&d->week, 5) || d->week < 1 || !Eat('.') ||
          !Number(&d->weekday, 6)) {
        return false;
      }
    } else if (Eat('J')) {
      d->kind = PosixDate::Kind::kJulianNoLeap;
      if (!Number(&d->day, 365) || d->day < 1) return false;
    } else {
      d->kind = PosixDate::Kind::kJulianZero;
      if (!Number(&d->day, 365)) return false;
    }
    d->time_s = 7200;
    if (Eat('/')) return Offset(&d->time_s);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int32_t DaysInMonth(int64_t y, int32_t m) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Weekday of a day count since the epoch: 0 = Sunday (1970-01-01 was a Thursday).
int32_t WeekdaySunday0(int64_t days) { return static_cast<int32_t>(((days + 4) % 7 + 7) % 7); }

// The local-time second (since the epoch, in the zone's local reckoning) at
// which the rule date falls in `year`.
int64_t LocalTransition(const PosixDate& d, int64_t year) {
  int64_t day;
  switch (d.kind) {
    case PosixDate::Kind::kJulianNoLeap: {
      // Day 1..365, February 29 never counted.
      day = DaysFromCivil(year, 1, 1) + d.day - 1;
      if (IsLeap(year) && d.day >= 60) ++day;
      break;
    }
    case PosixDate::Kind::kJulianZero: day = DaysFromCivil(year, 1, 1) + d.day; break;
    case PosixDate::Kind::kMonthWeekDay:
    default: {
      int64_t first = DaysFromCivil(year, d.month, 1);
      int32_t delta = (d.weekday - WeekdaySunday0(first) + 7) % 7;
      day = first + delta + 7 * (d.week - 1);
      int64_t last = first + DaysInMonth(year, d.month) - 1;
      while (day > last) day -= 7;
      break;
    }
  }
  return day * kSecondsPerDay + d.time_s;
}

int32_t FooterOffset(const PosixRule& r, int64_t t) {
  if (!r.has_dst) return r.std_offset_s;
  int32_t y;
  int32_t m, d;
  CivilFromDays(FloorDiv(t + r.std_offset_s, kSecondsPerDay), &y, &m, &d);
  // Start is given in standard local time, end in daylight local time.
  int64_t start = LocalTransition(r.start, y) - r.std_offset_s;
  int64_t end = LocalTransition(r.end, y) - r.dst_offset_s;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r.dst_offset_s : r.std_offset_s;
}

// ---- TZif (RFC 8536) ----

uint32_t BigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}
int64_t BigEndian64(const char* p) {
  return static_cast<int64_t>((uint64_t{BigEndian32(p)} << 32) | uint64_t{BigEndian32(p + 4)});
}

struct TzifCounts {
  uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

bool ReadHeader(std::string_view data, size_t pos, char* version, TzifCounts* c) {
  if (data.size() < pos + kTzifHeaderBytes || data.substr(pos, 4) != "TZif") return false;
  *version = data[pos + 4];
  const char* p = data.data() + pos + 20;
  c->isutcnt = BigEndian32(p);
  c->isstdcnt = BigEndian32(p + 4);
  c->leapcnt = BigEndian32(p + 8);
  c->timecnt = BigEndian32(p + 12);
  c->typecnt = BigEndian32(p + 16);
  c->charcnt = BigEndian32(p + 20);
  return true;
}

uint64_t BlockBytes(const TzifCounts& c, uint64_t time_size) {
  return uint64_t{c.timecnt} * time_size + c.timecnt + uint64_t{c.typecnt} * 6 + c.charcnt +
         uint64_t{c.leapcnt} * (time_size + 4) + c.isstdcnt + c.isutcnt;
}

Status Bad(std::string_view name, std::string_view why) {
  return Corruption("time zone " + std::string(name) + ": " + std::string(why));
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t slash = name.find('/', begin);
    std::string_view part =
        name.substr(begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    if (part.empty() || part == "." || part == "..") return false;
    for (char ch : part) {
      bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                ch == '+' || ch == '-';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  return true;
}

std::shared_ptr<const TimeZone::Rules> UtcRules() {
  static const auto* utc = new std::shared_ptr<const TimeZone::Rules>([] {
    auto r = std::make_shared<TimeZone::Rules>();
    r->name = "UTC";
    return r;
  }());
  return *utc;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int32_t m, int32_t d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int32_t* year, int32_t* month, int32_t* day) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int32_t>(yoe + era * 400 + (m <= 2));
  *month = static_cast<int32_t>(m);
  *day = static_cast<int32_t>(d);
}

TimeZone::TimeZone() : rules_(UtcRules()) {}

const std::string& TimeZone::name() const { return rules_->name; }

Result<TimeZone> TimeZone::Load(std::string_view name) { return Load(name, util::PosixFileSystem(), kZoneinfoDir); }

Result<TimeZone> TimeZone::Load(std::string_view name, util::FileSystem* fs, const std::string& zoneinfo_dir) {
  if (name == "UTC") return TimeZone();
  if (!ValidZoneName(name)) return InvalidArgument("invalid time zone name: " + std::string(name));
  std::string path = zoneinfo_dir + "/" + std::string(name);
  Result<bool> dir = fs->IsDirectory(path);
  if (!dir.ok() || *dir) return NotFound("unknown time zone: " + std::string(name));
  Result<std::string> bytes = util::ReadFileToString(fs, path);
  if (!bytes.ok()) {
    if (bytes.status().code() == ErrorCode::kNotFound) return NotFound("unknown time zone: " + std::string(name));
    return bytes.status();
  }
  return Parse(name, *bytes);
}

Result<TimeZone> TimeZone::Parse(std::string_view name, std::string_view data) {
  char version;
  TzifCounts v1;
  if (!ReadHeader(data, 0, &version, &v1)) return Bad(name, "not a TZif file");
  if (version < '2') return Bad(name, "TZif version 1 has no 64-bit data");
  uint64_t pos = kTzifHeaderBytes + BlockBytes(v1, 4);
  TzifCounts c;
  char version2;
  if (pos > data.size() || !ReadHeader(data, pos, &version2, &c)) return Bad(name, "truncated before the v2 header");
  pos += kTzifHeaderBytes;
  if (c.typecnt == 0 || c.typecnt > 256 || c.timecnt > (1u << 20)) return Bad(name, "implausible counts");
  if (data.size() - pos < BlockBytes(c, 8)) return Bad(name, "truncated v2 data block");

  auto rules = std::make_shared<Rules>();
  rules->name = std::string(name);
  const char* p = data.data() + pos;
  std::vector<int64_t> times(c.timecnt);
  for (uint32_t i = 0; i < c.timecnt; ++i) times[i] = BigEndian64(p + 8 * i);
  p += 8 * uint64_t{c.timecnt};
  std::vector<uint8_t> idx(c.timecnt);
  for (uint32_t i = 0; i < c.timecnt; ++i) idx[i] = static_cast<uint8_t>(p[i]);
  p += c.timecnt;
  std::vector<int32_t> type_offsets(c.typecnt);
  for (uint32_t i = 0; i < c.typecnt; ++i) {
    type_offsets[i] = static_cast<int32_t>(BigEndian32(p + 6 * i));
    if (type_offsets[i] <= -(25 * 3600) || type_offsets[i] >= 26 * 3600) return Bad(name, "offset out of range");
  }
  p += 6 * uint64_t{c.typecnt};
  for (uint32_t i = 0; i < c.timecnt; ++i) {
    if (idx[i] >= c.typecnt) return Bad(name, "transition type out of range");
    if (i > 0 && times[i] <= times[i - 1]) return Bad(name, "transitions not ascending");
    rules->transitions.push_back(times[i]);
    rules->offsets.push_back(type_offsets[idx[i]]);
  }
  rules->initial_offset = type_offsets[0];
  pos += BlockBytes(c, 8);

  // Footer: "\n<POSIX TZ string>\n"; empty means no rule after the last transition.
  if (pos < data.size()) {
    if (data[pos] != '\n') return Bad(name, "malformed footer");
    size_t end = data.find('\n', pos + 1);
    if (end == std::string_view::npos) return Bad(name, "unterminated footer");
    std::string_view tz = data.substr(pos + 1, end - pos - 1);
    if (!tz.empty()) {
      std::optional<PosixRule> rule = PosixParser(tz).Parse();
      if (!rule) return Bad(name, "unsupported footer TZ string '" + std::string(tz) + "'");
      rules->footer = *rule;
    }
  }
  return TimeZone(std::move(rules));
}

int32_t TimeZone::OffsetSeconds(int64_t epoch_ms) const {
  const Rules& r = *rules_;
  int64_t t = FloorDiv(epoch_ms, 1000);
  if (r.transitions.empty()) return r.footer ? FooterOffset(*r.footer, t) : r.initial_offset;
  if (t < r.transitions.front()) return r.initial_offset;
  if (t >= r.transitions.back() && r.footer) return FooterOffset(*r.footer, t);
  auto it = std::upper_bound(r.transitions.begin(), r.transitions.end(), t);
  return r.offsets[static_cast<size_t>(it - r.transitions.begin()) - 1];
}

CivilTime TimeZone::Civil(int64_t epoch_ms) const {
  CivilTime c;
  c.utc_offset_s = OffsetSeconds(epoch_ms);
  int64_t local_ms = epoch_ms + int64_t{c.utc_offset_s} * 1000;
  int64_t days = FloorDiv(local_ms, kSecondsPerDay * 1000);
  int64_t ms_of_day = local_ms - days * kSecondsPerDay * 1000;
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.epoch_day = days;
  c.hour = static_cast<int32_t>(ms_of_day / 3600000);
  c.minute = static_cast<int32_t>(ms_of_day / 60000 % 60);
  c.second = static_cast<int32_t>(ms_of_day / 1000 % 60);
  c.millisecond = static_cast<int32_t>(ms_of_day % 1000);
  int32_t sunday0 = WeekdaySunday0(days);
  c.day_of_week = sunday0 == 0 ? 7 : sunday0;
  c.day_of_year = static_cast<int32_t>(days - DaysFromCivil(c.year, 1, 1)) + 1;
  return c;
}

}  // namespace spate::firehose
