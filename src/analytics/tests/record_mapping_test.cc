#include "analytics/record_mapping.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::analytics {
namespace {

using protocol::Value;

RecordMapper Mapper(std::string_view schema_json) {
  auto schema = protocol::ParseJson(schema_json);
  EXPECT_TRUE(schema.ok());
  auto m = RecordMapper::Create(*schema);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(*m);
}

std::string JsonSchema(std::string_view row_path, std::string_view columns) {
  return R"x({"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":")x" +
         std::string(row_path) + R"x("}}},"RecordColumns":)x" + std::string(columns) + "}";
}

TEST(JsonPath, ParsesMembersIndexesAndEvery) {
  auto p = JsonPath::Parse("$.a['b c'][2][0:]");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->steps().size(), 4u);
  EXPECT_EQ(p->steps()[1].name, "b c");
  EXPECT_EQ(p->steps()[2].index, 2u);
  EXPECT_EQ(p->steps()[3].kind, JsonPath::Step::Kind::kEvery);
}

TEST(JsonPath, RefusesWhatItCannotRead) {
  EXPECT_FALSE(JsonPath::Parse("a.b").ok());
  EXPECT_FALSE(JsonPath::Parse("$.").ok());
  EXPECT_FALSE(JsonPath::Parse("$[").ok());
  EXPECT_FALSE(JsonPath::Parse("$[?(@.a)]").ok());
}

TEST(RecordMapper, JsonNestedMembersAndIndexes) {
  RecordMapper m = Mapper(JsonSchema(
      "$",
      R"x([{"Name":"B","SqlType":"INTEGER","Mapping":"$.a.b"},{"Name":"FIRST","SqlType":"VARCHAR(8)","Mapping":"$.l[0]"},)x"
      R"x({"Name":"MISSING","SqlType":"INTEGER","Mapping":"$.x"},{"Name":"N","SqlType":"INTEGER","Mapping":"$.n"}])x"));
  auto rows = m.Map(R"x({"a":{"b":42},"l":["x","y"],"n":null})x");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const RowText& r = rows->at(0);
  EXPECT_EQ(r[0], "42");
  EXPECT_EQ(r[1], "x");
  EXPECT_EQ(r[2], std::nullopt);  // no such member: NULL
  EXPECT_EQ(r[3], std::nullopt);  // JSON null: NULL
}

TEST(RecordMapper, JsonScalarsAsText) {
  RecordMapper m = Mapper(JsonSchema("$", R"x([{"Name":"A","SqlType":"DOUBLE","Mapping":"$.a"},)x"
                                          R"x({"Name":"B","SqlType":"BOOLEAN","Mapping":"$.b"},)x"
                                          R"x({"Name":"O","SqlType":"VARCHAR(64)","Mapping":"$.o"}])x"));
  auto rows = m.Map(R"x({"a":1.5,"b":true,"o":{"k":1}})x");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0)[0], "1.5");
  EXPECT_EQ(rows->at(0)[1], "true");
  EXPECT_EQ(rows->at(0)[2], R"x({"k":1})x");
}

TEST(RecordMapper, RowPathWithEveryGivesOneRowPerElement) {
  RecordMapper m =
      Mapper(JsonSchema("$.orders[0:]", R"x([{"Name":"ID","SqlType":"INTEGER","Mapping":"$.orders[0:].id"}])x"));
  auto rows = m.Map(R"x({"orders":[{"id":1},{"id":2},{"id":3}]})x");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(rows->at(2)[0], "3");
}

TEST(RecordMapper, MalformedJsonIsAnError) {
  RecordMapper m = Mapper(JsonSchema("$", R"x([{"Name":"A","SqlType":"INTEGER","Mapping":"$.a"}])x"));
  EXPECT_EQ(m.Map("{not json").status().code(), ErrorCode::kInvalidArgument);
}

TEST(RecordMapper, CsvByPositionWithTheDelimiters) {
  RecordMapper m = Mapper(
      R"x({"RecordFormat":{"RecordFormatType":"CSV","MappingParameters":{"CSVMappingParameters":)x"
      R"x({"RecordRowDelimiter":";","RecordColumnDelimiter":"|"}}},"RecordColumns":[{"Name":"A","SqlType":"INTEGER"},)x"
      R"x({"Name":"B","SqlType":"VARCHAR(4)"},{"Name":"C","SqlType":"VARCHAR(4)"}]})x");
  auto rows = m.Map("1|x|y;2|z;;");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0)[2], "y");
  EXPECT_EQ(rows->at(1)[0], "2");
  EXPECT_EQ(rows->at(1)[1], "z");
  EXPECT_EQ(rows->at(1)[2], std::nullopt);  // a missing trailing field is NULL
}

TEST(RecordMapper, CsvTakesAPrefixOfTheFields) {
  RecordMapper m = Mapper(R"x({"RecordFormat":{"RecordFormatType":"CSV","MappingParameters":{"CSVMappingParameters":)x"
                          R"x({"RecordRowDelimiter":"\n","RecordColumnDelimiter":","}}},)x"
                          R"x("RecordColumns":[{"Name":"A","SqlType":"INTEGER"}]})x");
  auto rows = m.Map("1,2,3\r\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).size(), 1u);
  EXPECT_EQ(rows->at(0)[0], "1");
}

}  // namespace
}  // namespace spate::analytics
