#include "cli/partition_key.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

std::optional<PartitionKeyTemplate> Parse(std::string_view text) {
  std::string error;
  return PartitionKeyTemplate::Parse(text, &error);
}

TEST(PartitionKeyTemplate, FixedText) {
  auto t = Parse("orders");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->Expand(1), "orders");
  EXPECT_EQ(t->Expand(2), "orders");
}

TEST(PartitionKeyTemplate, LineNumberAndText) {
  auto t = Parse("user-{n}-x{n}");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->Expand(7), "user-7-x7");
  EXPECT_EQ(t->Expand(1000), "user-1000-x1000");
}

TEST(PartitionKeyTemplate, RandomIsFreshHexEachTime) {
  auto t = Parse("{random}");
  ASSERT_TRUE(t.has_value());
  std::string a = t->Expand(1);
  std::string b = t->Expand(1);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(PartitionKeyTemplate, EmptyAndUnknownPlaceholdersAreRefused) {
  std::string error;
  EXPECT_FALSE(PartitionKeyTemplate::Parse("", &error).has_value());
  EXPECT_FALSE(PartitionKeyTemplate::Parse("{line}", &error).has_value());
  EXPECT_NE(error.find("{line}"), std::string::npos);
  EXPECT_FALSE(PartitionKeyTemplate::Parse("a{", &error).has_value());
}

}  // namespace
}  // namespace spate::cli
