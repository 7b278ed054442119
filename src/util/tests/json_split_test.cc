// Finding JSON objects and delimited records in a run of bytes.

#include "util/json_split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spate::util {
namespace {

using Views = std::vector<std::string_view>;

TEST(JsonObjectEndTest, FlatObject) { EXPECT_EQ(JsonObjectEnd(R"({"a":1} tail)", 0), 7u); }

TEST(JsonObjectEndTest, NestedObjectsAndArrays) {
  std::string_view s = R"({"a":[1,{"b":[]}],"c":{}}{"next":1})";
  EXPECT_EQ(JsonObjectEnd(s, 0), 25u);
  EXPECT_EQ(JsonObjectEnd(s, 25), s.size());
}

TEST(JsonObjectEndTest, BracesInsideStringsDoNotCount) {
  std::string_view s = R"({"a":"}{]["}x)";
  EXPECT_EQ(JsonObjectEnd(s, 0), s.size() - 1);
}

TEST(JsonObjectEndTest, EscapedQuoteStaysInString) {
  std::string_view s = R"({"a":"x\"}"}!)";
  EXPECT_EQ(JsonObjectEnd(s, 0), s.size() - 1);
}

TEST(JsonObjectEndTest, UnclosedIsNpos) {
  EXPECT_EQ(JsonObjectEnd(R"({"a":1)", 0), std::string_view::npos);
  EXPECT_EQ(JsonObjectEnd(R"({"a":"})", 0), std::string_view::npos);
  EXPECT_EQ(JsonObjectEnd(R"({"a":"\)", 0), std::string_view::npos);
}

TEST(SplitDelimitedTest, DropsEmptyPieces) {
  EXPECT_EQ(SplitDelimited("a####b####", "####"), (Views{"a", "b"}));
  EXPECT_EQ(SplitDelimited("####a########b", "####"), (Views{"a", "b"}));
  EXPECT_EQ(SplitDelimited("a##b", "####"), (Views{"a##b"}));
}

TEST(SplitDelimitedTest, Lines) {
  EXPECT_EQ(SplitDelimited("{\"a\":1}\n\n{\"a\":2}", "\n"), (Views{"{\"a\":1}", "{\"a\":2}"}));
  EXPECT_EQ(SplitDelimited("", "\n"), Views{});
  EXPECT_EQ(SplitDelimited("\n", "\n"), Views{});
}

TEST(SplitDelimitedTest, EmptyDelimiterGivesTheWhole) {
  EXPECT_EQ(SplitDelimited("abc", ""), (Views{"abc"}));
  EXPECT_EQ(SplitDelimited("", ""), Views{});
}

}  // namespace
}  // namespace spate::util
