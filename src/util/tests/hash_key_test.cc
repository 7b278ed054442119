#include "util/hash_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace spate::util {
namespace {

// Digit by digit: slow and obviously right.
std::string NaiveDecimal(uint128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

TEST(FormatDecimal128Test, EdgeValues) {
  EXPECT_EQ(ToDecimal(0), "0");
  EXPECT_EQ(ToDecimal(9), "9");
  EXPECT_EQ(ToDecimal(10), "10");
  EXPECT_EQ(ToDecimal(UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(ToDecimal(static_cast<uint128>(UINT64_MAX) + 1), "18446744073709551616");
  EXPECT_EQ(ToDecimal(kMaxHashKey), "340282366920938463463374607431768211455");
  const uint128 ten19 = 10000000000000000000ull;
  for (uint128 v : {ten19 - 1, ten19, ten19 + 1, ten19 * ten19 - 1, ten19 * ten19, ten19 * ten19 + 1, ten19 * 100 + 7,
                    static_cast<uint128>(0x4B) << 120}) {
    EXPECT_EQ(ToDecimal(v), NaiveDecimal(v));
  }
}

TEST(FormatDecimal128Test, RandomValuesOfEveryWidth) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint128 v = (static_cast<uint128>(rng()) << 64) | rng();
    v >>= rng() % 128;
    char buf[kMaxDecimal128Digits];
    const std::string want = NaiveDecimal(v);
    ASSERT_EQ(std::string(buf, FormatDecimal128(v, buf)), want);
    ASSERT_EQ(*ParseDecimal128(want), v);
  }
}

}  // namespace
}  // namespace spate::util
