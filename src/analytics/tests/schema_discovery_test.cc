#include "analytics/schema_discovery.h"

#include <gtest/gtest.h>

namespace spate::analytics {
namespace {

using protocol::Value;

std::string Name(std::string_view raw) {
  int unnamed = 0;
  return DiscoveredColumnName(raw, &unnamed);
}

// The golden names of the KDA developer guide (reference 2.3, K13).
TEST(DiscoveredColumnName, Golden) {
  EXPECT_EQ(Name("USER"), "COL_USER");
  EXPECT_EQ(Name("USER@DOMAIN"), "COL_USERDOMAIN");
  EXPECT_EQ(Name("@@"), "COL_0");
}

TEST(DiscoveredColumnName, ReservedWordsAnyCase) {
  EXPECT_EQ(Name("TIMESTAMP"), "COL_TIMESTAMP");
  EXPECT_EQ(Name("values"), "COL_values");
  EXPECT_EQ(Name("Year"), "COL_Year");
  EXPECT_EQ(Name("ticker"), "ticker");
}

TEST(DiscoveredColumnName, LeadingDigitAndLongNames) {
  EXPECT_EQ(Name("1st"), "COL_1st");
  EXPECT_EQ(Name(std::string(101, 'a')), "COL_" + std::string(101, 'a'));
  EXPECT_EQ(Name(std::string(100, 'a')), std::string(100, 'a'));
}

TEST(DiscoveredColumnName, FullyInvalidNamesCountUp) {
  int unnamed = 0;
  EXPECT_EQ(DiscoveredColumnName("@@", &unnamed), "COL_0");
  EXPECT_EQ(DiscoveredColumnName("!!", &unnamed), "COL_1");
  EXPECT_EQ(DiscoveredColumnName("ok", &unnamed), "ok");
}

const Value& Columns(const Value& out) { return *out.Find("InputSchema")->Find("RecordColumns"); }

TEST(DiscoverSchema, JsonNamesTypesAndMappings) {
  auto out = DiscoverSchema(
      {R"x({"USER":1,"@@":2,"ticker":"AMZN","price":10.5,"ok":true,"at":"2026-12-07 01:02:03.456"})x",
       R"x({"USER":3000000000,"@@":2,"ticker":"TECHNO","price":11,"ok":false,"at":"2026-12-07T01:02:03Z"})x"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto& cols = Columns(*out).as_array();
  ASSERT_EQ(cols.size(), 6u);
  EXPECT_EQ(cols[0].GetString("Name"), "COL_USER");
  EXPECT_EQ(cols[0].GetString("SqlType"), "BIGINT");  // 3e9 does not fit an INTEGER
  EXPECT_EQ(cols[0].GetString("Mapping"), "$.USER");
  EXPECT_EQ(cols[1].GetString("Name"), "COL_0");
  EXPECT_EQ(cols[1].GetString("SqlType"), "INTEGER");
  EXPECT_EQ(cols[1].GetString("Mapping"), "$['@@']");
  EXPECT_EQ(cols[2].GetString("SqlType"), "VARCHAR(8)");  // longest 6 chars, rounded up to a power of two
  EXPECT_EQ(cols[3].GetString("SqlType"), "DOUBLE");
  EXPECT_EQ(cols[4].GetString("SqlType"), "BOOLEAN");
  EXPECT_EQ(cols[5].GetString("SqlType"), "TIMESTAMP");
  const Value& format = *out->Find("InputSchema")->Find("RecordFormat");
  EXPECT_EQ(format.GetString("RecordFormatType"), "JSON");
  EXPECT_EQ(format.Find("MappingParameters")->Find("JSONMappingParameters")->GetString("RecordRowPath"), "$");
  EXPECT_EQ(out->Find("InputSchema")->GetString("RecordEncoding"), "UTF-8");
  const auto& parsed = out->Find("ParsedInputRecords")->as_array();
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].as_array()[2].as_string(), "AMZN");
  EXPECT_EQ(out->Find("RawInputRecords")->as_array().size(), 2u);
  EXPECT_EQ(out->Find("ProcessedInputRecords")->as_array().size(), 2u);
}

TEST(DiscoverSchema, JsonNestedObjectsFlattenToLeaves) {
  auto out = DiscoverSchema({R"x({"a":{"b":1,"c":{"d":"x"}}})x"});
  ASSERT_TRUE(out.ok());
  const auto& cols = Columns(*out).as_array();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].GetString("Name"), "b");
  EXPECT_EQ(cols[0].GetString("Mapping"), "$.a.b");
  EXPECT_EQ(cols[1].GetString("Mapping"), "$.a.c.d");
}

TEST(DiscoverSchema, JsonFieldsThatCleanAlikeStayDistinct) {
  auto out = DiscoverSchema({R"x({"a-b":1,"ab":2})x"});
  ASSERT_TRUE(out.ok());
  const auto& cols = Columns(*out).as_array();
  EXPECT_EQ(cols[0].GetString("Name"), "COL_ab");
  EXPECT_EQ(cols[1].GetString("Name"), "ab");
  auto same = DiscoverSchema({R"x({"x@":1,"x!":2})x"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(Columns(*same).as_array()[1].GetString("Name"), "COL_x_2");
}

TEST(DiscoverSchema, MixedNumbersWidenStringsWinOverall) {
  auto out = DiscoverSchema({R"x({"n":1,"m":1})x", R"x({"n":2.5,"m":"x"})x"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Columns(*out).as_array()[0].GetString("SqlType"), "DOUBLE");
  EXPECT_EQ(Columns(*out).as_array()[1].GetString("SqlType"), "VARCHAR(1)");
}

TEST(DiscoverSchema, CsvFindsTheDelimiterAndTypes) {
  auto out = DiscoverSchema({"AMZN|12.5|3", "MSFT|7|4"});
  ASSERT_TRUE(out.ok());
  const auto& cols = Columns(*out).as_array();
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0].GetString("Name"), "COL1");
  EXPECT_EQ(cols[0].GetString("SqlType"), "VARCHAR(4)");
  EXPECT_EQ(cols[1].GetString("SqlType"), "DOUBLE");
  EXPECT_EQ(cols[2].GetString("SqlType"), "INTEGER");
  const Value& csv =
      *out->Find("InputSchema")->Find("RecordFormat")->Find("MappingParameters")->Find("CSVMappingParameters");
  EXPECT_EQ(csv.GetString("RecordColumnDelimiter"), "|");
  EXPECT_EQ(csv.GetString("RecordRowDelimiter"), "\n");
  EXPECT_EQ(out->Find("ParsedInputRecords")->as_array()[1].as_array()[0].as_string(), "MSFT");
}

TEST(DiscoverSchema, UnpatternedTextIsOneVarcharColumn) {
  auto out = DiscoverSchema({"hello world", "a longer line of text"});
  ASSERT_TRUE(out.ok());
  const auto& cols = Columns(*out).as_array();
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols[0].GetString("SqlType"), "VARCHAR(32)");
}

TEST(DiscoverSchema, NothingToSampleIsUnableToDetectSchema) {
  EXPECT_EQ(DiscoverSchema({}).status().code(), ErrorCode::kUnableToDetectSchema);
  EXPECT_EQ(DiscoverSchema({"", "  \n"}).status().code(), ErrorCode::kUnableToDetectSchema);
  EXPECT_EQ(DiscoverSchema({"{}"}).status().code(), ErrorCode::kUnableToDetectSchema);
}

}  // namespace
}  // namespace spate::analytics
