#include "firehose/date_time_format.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace spate::firehose {
namespace {

constexpr int64_t kAug27 = 1535365800123;  // 2018-08-27T10:30:00.123Z, a Monday

std::string Format(std::string_view pattern, int64_t epoch_ms, const TimeZone& zone = TimeZone::Utc()) {
  Result<DateTimePattern> p = DateTimePattern::Compile(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().ToString();
  if (!p.ok()) return "";
  std::string out;
  p->Format(zone.Civil(epoch_ms), zone, &out);
  return out;
}

std::string CompileError(std::string_view pattern) {
  Result<DateTimePattern> p = DateTimePattern::Compile(pattern);
  EXPECT_FALSE(p.ok()) << pattern;
  return p.ok() ? "" : p.status().message();
}

TEST(DateTimePatternTest, FirehoseDefaultPrefixPattern) {
  EXPECT_EQ(Format("yyyy/MM/dd/HH/", kAug27), "2018/08/27/10/");
}

TEST(DateTimePatternTest, QuotedLiteralsAreCopied) {
  EXPECT_EQ(Format("'year='yyyy'/month='MM'/day='dd'/hour='HH", kAug27), "year=2018/month=08/day=27/hour=10");
  EXPECT_EQ(Format("''", kAug27), "'");
  EXPECT_EQ(Format("'o''clock' H", kAug27), "o'clock 10");
  EXPECT_EQ(Format("-_.!*() =,;+", kAug27), "-_.!*() =,;+");
}

TEST(DateTimePatternTest, FieldWidths) {
  EXPECT_EQ(Format("y yy yyyyy M MMM MMMM d D", kAug27), "2018 18 02018 8 Aug August 27 239");
  EXPECT_EQ(Format("E EEEE a h K k S SSS SSSSSS", kAug27), "Mon Monday AM 10 10 10 1 123 123000");
}

TEST(DateTimePatternTest, UsWeekBasedYearAtYearEnd) {
  // Sunday 2018-12-30 starts the week holding 2019-01-01: week 1 of 2019.
  EXPECT_EQ(Format("YYYY-ww yyyy", 1546171200000), "2019-01 2018");
  EXPECT_EQ(Format("YYYY-ww", 1546084800000), "2018-52");
}

TEST(DateTimePatternTest, OffsetsAndZoneId) {
  Result<TimeZone> tokyo = TimeZone::Load("Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok()) << tokyo.status().ToString();
  EXPECT_EQ(Format("Z XXX X ZZZZ O VV", kAug27, *tokyo), "+0900 +09:00 +09 GMT+09:00 GMT+9 Asia/Tokyo");
  EXPECT_EQ(Format("X x Z", kAug27), "Z +00 +0000");
}

TEST(DateTimePatternTest, RefusesWhatJavaRefusesWithJavasMessage) {
  EXPECT_EQ(CompileError("ddd"), "Too many pattern letters: d");
  EXPECT_EQ(CompileError("b"), "Unknown pattern letter: b");
  EXPECT_EQ(CompileError("'abc"), "Pattern ends with an incomplete string literal: 'abc");
  EXPECT_EQ(CompileError("]"), "Pattern invalid as it contains ] without previous [");
  EXPECT_EQ(CompileError("#"), "Pattern includes reserved character: '#'");
}

TEST(DateTimePatternTest, RefusesZoneNames) {
  EXPECT_NE(CompileError("z").find("not supported"), std::string::npos);
  EXPECT_NE(CompileError("zzzz").find("not supported"), std::string::npos);
}

TEST(DateTimePatternTest, LiteralOnly) {
  EXPECT_TRUE(DateTimePattern::Compile("'abc'/-")->LiteralOnly());
  EXPECT_FALSE(DateTimePattern::Compile("'abc'yyyy")->LiteralOnly());
}

// Every line of testdata/java_date_time_format.tsv, which Java 17's
// DateTimeFormatter wrote (JavaDateTimeFormatOracle.java): the same output,
// or the same refusal with the same message.
TEST(DateTimePatternTest, MatchesJavaDateTimeFormatter) {
  std::ifstream in(std::string(SPATE_FIREHOSE_TESTDATA) + "/java_date_time_format.tsv");
  ASSERT_TRUE(in.good());
  std::map<std::string, TimeZone> zones;
  std::string line;
  int checked = 0, refused = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() == 3) f.emplace_back();  // an empty output
    ASSERT_EQ(f.size(), 4u) << line;
    if (f[0] == "-") {
      ASSERT_EQ(f[3].rfind("ERROR ", 0), 0u) << line;
      EXPECT_EQ(CompileError(f[2]), f[3].substr(6)) << line;
      ++refused;
      continue;
    }
    auto it = zones.find(f[0]);
    if (it == zones.end()) {
      Result<TimeZone> z = TimeZone::Load(f[0]);
      ASSERT_TRUE(z.ok()) << f[0];
      it = zones.emplace(f[0], *z).first;
    }
    EXPECT_EQ(Format(f[2], std::stoll(f[1]), it->second), f[3]) << line;
    ++checked;
  }
  EXPECT_GT(checked, 7000);
  EXPECT_GT(refused, 20);
}

}  // namespace
}  // namespace spate::firehose
