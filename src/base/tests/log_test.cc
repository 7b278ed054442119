#include "base/log.h"

#include <gtest/gtest.h>

#include <string>

#include "base/version.h"

namespace spate {
namespace {

// 2026-12-07T01:02:03.456Z
constexpr int64_t kTime = 1796605323456;

TEST(LogTest, UtcTimeHasMilliseconds) {
  EXPECT_EQ(FormatUtcTime(kTime), "2026-12-07T01:02:03.456Z");
  EXPECT_EQ(FormatUtcTime(0), "1970-01-01T00:00:00.000Z");
}

TEST(LogTest, TextLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kWarn, kTime, "disk full"),
            "2026-12-07T01:02:03.456Z WARN disk full\n");
}

TEST(LogTest, JsonLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, kTime, "stream s1 created"),
            "{\"time\":\"2026-12-07T01:02:03.456Z\",\"level\":\"INFO\",\"msg\":\"stream s1 created\"}\n");
}

TEST(LogTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonEscaped("a\"b\\c\nd\x01\x7f\xc3\xa9", &out);
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd\\u0001\\u007f\xc3\xa9");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kError, kTime, "x\ny"),
            "{\"time\":\"2026-12-07T01:02:03.456Z\",\"level\":\"ERROR\",\"msg\":\"x\\ny\"}\n");
}

TEST(VersionTest, VersionLineNamesVersionAndRevision) {
  EXPECT_FALSE(Version().empty());
  EXPECT_EQ(VersionLine().substr(0, Version().size()), Version());
  if (!GitRevision().empty()) {
    EXPECT_EQ(VersionLine(), std::string(Version()) + " (git " + std::string(GitRevision()) + ")");
  } else {
    EXPECT_EQ(VersionLine(), Version());
  }
}

}  // namespace
}  // namespace spate
