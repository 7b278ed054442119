#include "firehose/time_zone.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "util/file_system.h"

namespace spate::firehose {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

TimeZone MustLoad(std::string_view name) {
  Result<TimeZone> z = TimeZone::Load(name);
  EXPECT_TRUE(z.ok()) << name << ": " << z.status().ToString();
  return z.ok() ? *z : TimeZone::Utc();
}

// ---- a TZif v2 file written by hand (RFC 8536), for the parser's edge cases ----
void Be32(std::string* s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s->push_back(static_cast<char>((v >> shift) & 0xFF));
}
void Be64(std::string* s, int64_t v) {
  Be32(s, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
  Be32(s, static_cast<uint32_t>(v));
}
struct Transition {
  int64_t at;
  int type;
};
std::string Tzif(const std::vector<int32_t>& type_offsets, const std::vector<Transition>& transitions,
                 std::string_view footer) {
  auto header = [&](std::string* s, uint32_t timecnt) {
    s->append("TZif2");
    s->append(15, '\0');
    Be32(s, 0);  // isutcnt
    Be32(s, 0);  // isstdcnt
    Be32(s, 0);  // leapcnt
    Be32(s, timecnt);
    Be32(s, static_cast<uint32_t>(type_offsets.size()));
    Be32(s, 4);  // charcnt: "ABC\0"
  };
  std::string s;
  header(&s, 0);  // an empty v1 block but for the types
  for (int32_t off : type_offsets) {
    Be32(&s, static_cast<uint32_t>(off));
    s.push_back(0);
    s.push_back(0);
  }
  s.append("ABC", 4);
  header(&s, static_cast<uint32_t>(transitions.size()));
  for (const Transition& t : transitions) Be64(&s, t.at);
  for (const Transition& t : transitions) s.push_back(static_cast<char>(t.type));
  for (int32_t off : type_offsets) {
    Be32(&s, static_cast<uint32_t>(off));
    s.push_back(0);
    s.push_back(0);
  }
  s.append("ABC", 4);
  s.push_back('\n');
  s.append(footer);
  s.push_back('\n');
  return s;
}

TEST(TimeZoneTest, DefaultIsUtc) {
  TimeZone z;
  EXPECT_EQ(z.name(), "UTC");
  EXPECT_EQ(z.OffsetSeconds(1535365800000), 0);
}

TEST(TimeZoneTest, UtcNeedsNoZoneFiles) {
  Result<TimeZone> z = TimeZone::Load("UTC", util::PosixFileSystem(), "/nonexistent-zoneinfo");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->name(), "UTC");
}

TEST(TimeZoneTest, TokyoIsNineHoursAhead) {
  TimeZone tokyo = MustLoad("Asia/Tokyo");
  EXPECT_EQ(tokyo.name(), "Asia/Tokyo");
  EXPECT_EQ(tokyo.OffsetSeconds(1535365800000), 9 * 3600);
  CivilTime c = tokyo.Civil(1535401800000);  // 2018-08-27T20:30Z
  EXPECT_EQ(c.year, 2018);
  EXPECT_EQ(c.month, 8);
  EXPECT_EQ(c.day, 28);
  EXPECT_EQ(c.hour, 5);
  EXPECT_EQ(c.minute, 30);
}

TEST(TimeZoneTest, CivilBreakdown) {
  CivilTime c = TimeZone::Utc().Civil(1535365805123);  // 2018-08-27T10:30:05.123Z
  EXPECT_EQ(c.year, 2018);
  EXPECT_EQ(c.month, 8);
  EXPECT_EQ(c.day, 27);
  EXPECT_EQ(c.hour, 10);
  EXPECT_EQ(c.minute, 30);
  EXPECT_EQ(c.second, 5);
  EXPECT_EQ(c.millisecond, 123);
  EXPECT_EQ(c.day_of_week, 1);  // Monday
  EXPECT_EQ(c.day_of_year, 239);
  EXPECT_EQ(c.utc_offset_s, 0);
}

TEST(TimeZoneTest, InstantsBeforeTheEpoch) {
  CivilTime c = TimeZone::Utc().Civil(-1);  // 1969-12-31T23:59:59.999Z, a Wednesday
  EXPECT_EQ(c.year, 1969);
  EXPECT_EQ(c.month, 12);
  EXPECT_EQ(c.day, 31);
  EXPECT_EQ(c.hour, 23);
  EXPECT_EQ(c.second, 59);
  EXPECT_EQ(c.millisecond, 999);
  EXPECT_EQ(c.day_of_week, 3);
  EXPECT_EQ(c.day_of_year, 365);
}

TEST(TimeZoneTest, NewYorkSpringForwardBoundary) {
  TimeZone ny = MustLoad("America/New_York");
  const int64_t change = 1710054000000;  // 2024-03-10T07:00:00Z = 02:00 EST -> 03:00 EDT
  EXPECT_EQ(ny.OffsetSeconds(change - 1), -5 * 3600);
  EXPECT_EQ(ny.OffsetSeconds(change), -4 * 3600);
  EXPECT_EQ(ny.Civil(change - 1).hour, 1);
  EXPECT_EQ(ny.Civil(change - 1).minute, 59);
  EXPECT_EQ(ny.Civil(change).hour, 3);
}

TEST(TimeZoneTest, NewYorkFallBackRepeatsAnHour) {
  TimeZone ny = MustLoad("America/New_York");
  const int64_t change = 1730613600000;  // 2024-11-03T06:00:00Z = 02:00 EDT -> 01:00 EST
  EXPECT_EQ(ny.OffsetSeconds(change - 1), -4 * 3600);
  EXPECT_EQ(ny.OffsetSeconds(change), -5 * 3600);
  // 05:30Z and 06:30Z are both 01:30 local.
  EXPECT_EQ(ny.Civil(change - 30 * 60 * 1000).hour, 1);
  EXPECT_EQ(ny.Civil(change + 30 * 60 * 1000).hour, 1);
}

TEST(TimeZoneTest, FarFutureFollowsTheFooterRule) {
  TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.OffsetSeconds(4118083200000), -4 * 3600);  // 2100-07-01T00:00Z, EDT
  EXPECT_EQ(ny.OffsetSeconds(4103222400000), -5 * 3600);  // 2100-01-10T00:00Z, EST
  TimeZone sydney = MustLoad("Australia/Sydney");         // southern: DST spans the new year
  EXPECT_EQ(sydney.OffsetSeconds(4103222400000), 11 * 3600);
  EXPECT_EQ(sydney.OffsetSeconds(4118083200000), 10 * 3600);
}

TEST(TimeZoneTest, BeforeTheFirstTransitionIsLocalMeanTime) {
  TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.OffsetSeconds(-5364662400000), -17762);  // 1800-01-01: LMT -4:56:02
}

TEST(TimeZoneTest, RefusesMalformedNames) {
  for (const char* name : {"", "../etc/passwd", "/etc/localtime", "Asia//Tokyo", "Asia/Tokyo/", "Asia/./Tokyo",
                           "Asia/To kyo", "zone.tab"}) {
    Result<TimeZone> z = TimeZone::Load(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_EQ(z.status().code(), ErrorCode::kInvalidArgument) << name;
  }
}

TEST(TimeZoneTest, UnknownZoneIsNotFound) {
  for (const char* name : {"Mars/Olympus_Mons", "America"}) {
    Result<TimeZone> z = TimeZone::Load(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_EQ(z.status().code(), ErrorCode::kNotFound) << name;
  }
}

TEST(TimeZoneTest, RefusesFilesThatAreNotTzifV2) {
  EXPECT_EQ(TimeZone::Parse("X", "").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(TimeZone::Parse("X", "not a zone file at all, not at all, no").status().code(), ErrorCode::kCorruption);
  std::string good = Tzif({3600}, {}, "ABC-1");
  std::string v1 = good;
  v1[4] = '\0';
  EXPECT_EQ(TimeZone::Parse("X", v1).status().code(), ErrorCode::kCorruption);
  for (size_t cut : {size_t{10}, size_t{50}, good.size() - 8}) {
    EXPECT_EQ(TimeZone::Parse("X", good.substr(0, cut)).status().code(), ErrorCode::kCorruption) << cut;
  }
  EXPECT_EQ(TimeZone::Parse("X", Tzif({0}, {}, "EST5EDT,M3.2.0")).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(TimeZone::Parse("X", Tzif({0}, {{10, 0}, {5, 0}}, "")).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(TimeZone::Parse("X", Tzif({0}, {{10, 1}}, "")).status().code(), ErrorCode::kCorruption);
}

TEST(TimeZoneTest, FooterOnlyZoneWithFractionalOffset) {
  Result<TimeZone> z = TimeZone::Parse("Test/India", Tzif({19800}, {}, "<+0530>-5:30"));
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_EQ(z->OffsetSeconds(0), 19800);
  EXPECT_EQ(z->OffsetSeconds(4118083200000), 19800);
}

TEST(TimeZoneTest, FooterJulianDatesAndTransitionTable) {
  // Two listed transitions, then "standard +1, daylight +2 from day J60
  // (March 1, never Feb 29) 02:00 to day 300 (zero-based) 03:00".
  Result<TimeZone> z =
      TimeZone::Parse("Test/Julian", Tzif({0, 3600, 7200}, {{0, 1}, {86400, 2}}, "AAA-1BBB,J60/2,300/3"));
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_EQ(z->OffsetSeconds(-1000), 0);    // before the first transition: type 0
  EXPECT_EQ(z->OffsetSeconds(1000), 3600);  // first listed transition
  // 2001-02-28T12:00Z: footer, before J60 -> standard.
  EXPECT_EQ(z->OffsetSeconds(983361600000), 3600);
  // 2001-03-01T01:30Z = 02:30 local standard: after the 02:00 change -> daylight.
  EXPECT_EQ(z->OffsetSeconds(983410200000), 7200);
  // 2001-12-01: after day 300 (October 28) -> standard.
  EXPECT_EQ(z->OffsetSeconds(1007208000000), 3600);
}

TEST(TimeZoneTest, CopiesShareAndAreUsableFromManyThreads) {
  TimeZone ny = MustLoad("America/New_York");
  std::vector<std::thread> threads;
  std::vector<int64_t> sums(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([ny, t, &sums] {
      for (int i = 0; i < 20000; ++i) sums[t] += ny.OffsetSeconds(1700000000000 + int64_t{i} * kHourMs);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(sums[t], sums[0]);
}

// Differential check against Python's zoneinfo (which reads the same
// /usr/share/zoneinfo with its own parser): offsets of many instants from
// 1901 to 2199 in zones of both hemispheres and odd offsets.
TEST(TimeZoneTest, AgreesWithPythonZoneinfo) {
  const std::vector<std::string> names = {"America/New_York", "Europe/London",    "Australia/Sydney",  "Asia/Kolkata",
                                          "Pacific/Chatham",  "America/Santiago", "Africa/Casablanca", "Asia/Tokyo"};
  std::vector<int64_t> instants;
  for (int64_t s = -2145916800; s < 7258118400; s += 86400 * 37 + 3601) instants.push_back(s);  // 1902..2199
  std::ostringstream script;
  script << "import datetime, zoneinfo\n";
  script << "for n in [";
  for (const auto& n : names) script << "'" << n << "',";
  script << "]:\n  z = zoneinfo.ZoneInfo(n)\n  for s in [";
  for (int64_t s : instants) script << s << ",";
  script << "]:\n    o = datetime.datetime.fromtimestamp(s, z).utcoffset()\n"
            "    print(n, s, int(o.total_seconds()))\n";
  std::string path = ::testing::TempDir() + "/tz_oracle_" + std::to_string(::getpid()) + ".py";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::string text = script.str();
  ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), f), text.size());
  std::fclose(f);
  FILE* p = ::popen(("python3 " + path).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::map<std::string, TimeZone> zones;
  char name[64];
  long long s, off;
  int lines = 0;
  while (std::fscanf(p, "%63s %lld %lld", name, &s, &off) == 3) {
    auto it = zones.find(name);
    if (it == zones.end()) it = zones.emplace(name, MustLoad(name)).first;
    ASSERT_EQ(it->second.OffsetSeconds(s * 1000), off) << name << " at " << s;
    ++lines;
  }
  EXPECT_EQ(::pclose(p), 0);
  std::remove(path.c_str());
  EXPECT_EQ(lines, static_cast<int>(names.size() * instants.size()));
}

}  // namespace
}  // namespace spate::firehose
