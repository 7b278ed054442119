#include <gtest/gtest.h>

#include "analytics/engine.h"
#include "analytics/exec/value_ops.h"

namespace spate::analytics {
namespace {

TEST(SqlTypeTest, ParsesCaseInsensitivelyAndCanonicalizes) {
  auto t = SqlType::Parse("varchar(64)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, TypeId::kVarchar);
  EXPECT_EQ(t->ToString(), "VARCHAR(64)");
  EXPECT_EQ(SqlType::Parse("decimal(10, 2)")->ToString(), "DECIMAL(10,2)");
  EXPECT_EQ(SqlType::Parse("DOUBLE")->ToString(), "DOUBLE");
  EXPECT_EQ(SqlType::Parse("int")->ToString(), "INTEGER");
  EXPECT_EQ(SqlType::Parse(" Timestamp ")->ToString(), "TIMESTAMP");
}

TEST(SqlTypeTest, RejectsBadDeclarations) {
  EXPECT_FALSE(SqlType::Parse("VARCHAR").ok());
  EXPECT_FALSE(SqlType::Parse("VARCHAR(0)").ok());
  EXPECT_FALSE(SqlType::Parse("DECIMAL(3,4)").ok());
  EXPECT_FALSE(SqlType::Parse("DECIMAL(40,2)").ok());
  EXPECT_FALSE(SqlType::Parse("STRING").ok());
  EXPECT_FALSE(SqlType::Parse("INTEGER(3)").ok());
  EXPECT_FALSE(SqlType::Parse("VARCHAR(12").ok());
}

TEST(CoerceTextTest, JsonBooleansBecomeNumbers) {
  EXPECT_EQ(*CoerceText("true", *SqlType::Parse("INTEGER")), Value{int64_t{1}});
  EXPECT_EQ(*CoerceText("false", *SqlType::Parse("DOUBLE")), Value{0.0});
}

TEST(CoerceTextTest, NumbersAndRanges) {
  EXPECT_EQ(*CoerceText("42", *SqlType::Parse("INTEGER")), Value{int64_t{42}});
  EXPECT_FALSE(CoerceText("300", *SqlType::Parse("TINYINT")).ok());
  EXPECT_FALSE(CoerceText("abc", *SqlType::Parse("BIGINT")).ok());
  EXPECT_EQ(*CoerceText("1.255", *SqlType::Parse("DECIMAL(5,2)")), Value(Decimal{126, 2}));
  EXPECT_FALSE(CoerceText("1234.5", *SqlType::Parse("DECIMAL(5,2)")).ok());
  EXPECT_EQ(*CoerceText("-0.5", *SqlType::Parse("DECIMAL(3,1)")), Value(Decimal{-5, 1}));
}

TEST(CoerceTextTest, TimestampsAndTruncatedStrings) {
  auto ts = CoerceText("2026-12-07 01:02:03.456", *SqlType::Parse("TIMESTAMP"));
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(RenderText(*ts, *SqlType::Parse("TIMESTAMP")), "2026-12-07 01:02:03.456");
  EXPECT_TRUE(CoerceText("2026-12-07T01:02:03Z", *SqlType::Parse("TIMESTAMP")).ok());
  EXPECT_FALSE(CoerceText("2026-02-30 00:00:00", *SqlType::Parse("TIMESTAMP")).ok());
  EXPECT_FALSE(CoerceText("true", *SqlType::Parse("TIMESTAMP")).ok());
  EXPECT_EQ(*CoerceText("ABCDEF", *SqlType::Parse("VARCHAR(4)")), Value{std::string("ABCD")});
}

TEST(RenderTextTest, DecimalKeepsScaleAndBooleansAreJson) {
  EXPECT_EQ(RenderText(Value{Decimal{-5, 2}}, *SqlType::Parse("DECIMAL(4,2)")), "-0.05");
  EXPECT_EQ(RenderText(Value{Decimal{5, 1}}, *SqlType::Parse("DECIMAL(4,2)")), "0.50");
  EXPECT_EQ(RenderText(Value{true}, *SqlType::Parse("BOOLEAN")), "true");
  EXPECT_EQ(RenderText(Value{2.5}, *SqlType::Parse("DOUBLE")), "2.5");
  EXPECT_EQ(RenderText(Value{}, *SqlType::Parse("DOUBLE")), "");
}

TEST(CalendarTest, RoundTripsAcrossEpochAndLeapDays) {
  for (int64_t days : {-719468LL, -1LL, 0LL, 11016LL, 20454LL}) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31 23:59:59.999");
}

}  // namespace
}  // namespace spate::analytics
