#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::util {
class FileSystem;
}

namespace spate::firehose {

// An instant broken down in a time zone, as Java's ZonedDateTime fields.
struct CivilTime {
  int32_t year = 1970;       // proleptic Gregorian, astronomical (0 = 1 BC)
  int32_t month = 1;         // 1..12
  int32_t day = 1;           // 1..31
  int32_t hour = 0;          // 0..23
  int32_t minute = 0;        // 0..59
  int32_t second = 0;        // 0..59 (no leap seconds, as Java's time)
  int32_t millisecond = 0;   // 0..999
  int32_t day_of_week = 4;   // ISO: 1 = Monday .. 7 = Sunday
  int32_t day_of_year = 1;   // 1..366
  int32_t utc_offset_s = 0;  // local = UTC + utc_offset_s
  int64_t epoch_day = 0;     // local date as days since 1970-01-01
};

// A time zone: UTC, or an IANA zone ("Asia/Tokyo") read from the system's
// compiled tz database (/usr/share/zoneinfo, Debian's tzdata; RFC 8536 TZif,
// version 2 or later: the 64-bit section and its POSIX TZ footer for instants
// after the last listed transition). These are the zones of Firehose's
// CustomTimeZone. g++ 12 has no std::chrono tzdb, hence this.
//
// Immutable once built; copies share one table, so a TimeZone is cheap to
// copy and safe to use from any number of threads.
class TimeZone {
 public:
  // UTC; also what a default-constructed TimeZone is.
  TimeZone();
  static TimeZone Utc() { return TimeZone(); }

  // "UTC" (built in, no file needed) or an IANA name found under
  // /usr/share/zoneinfo. Errors: kInvalidArgument for a malformed name (only
  // letters, digits, '_', '+', '-' and '/' between non-empty components),
  // kNotFound when no such zone file exists, kCorruption when the file is not
  // a valid TZif v2+ file.
  static Result<TimeZone> Load(std::string_view name);
  // As Load, reading `<zoneinfo_dir>/<name>` through `fs` (tests).
  static Result<TimeZone> Load(std::string_view name, util::FileSystem* fs, const std::string& zoneinfo_dir);
  // Builds the zone `name` from the bytes of a TZif file.
  static Result<TimeZone> Parse(std::string_view name, std::string_view tzif);

  // The name it was loaded by ("UTC" for the default).
  const std::string& name() const;

  // Offset from UTC in force at the instant, in seconds (local = UTC + offset).
  int32_t OffsetSeconds(int64_t epoch_ms) const;

  // The instant's wall-clock fields in this zone.
  CivilTime Civil(int64_t epoch_ms) const;

  struct Rules;  // the parsed transitions and footer rule (time_zone.cc)

 private:
  explicit TimeZone(std::shared_ptr<const Rules> rules) : rules_(std::move(rules)) {}
  std::shared_ptr<const Rules> rules_;  // never null
};

// Civil-date helpers (Howard Hinnant's algorithms, as std::chrono uses).
// Days since 1970-01-01 of the proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, int32_t month, int32_t day);
void CivilFromDays(int64_t days, int32_t* year, int32_t* month, int32_t* day);

}  // namespace spate::firehose
