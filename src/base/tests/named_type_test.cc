#include "base/named_type.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace spate {
namespace {

struct CountTag {};
struct OtherTag {};
struct SmallTag {};
using Count = NamedType<uint64_t, CountTag>;
using Other = NamedType<uint64_t, OtherTag>;
using Small = NamedType<uint8_t, SmallTag>;

// Arithmetic is opt-in, declared beside the tag (here: Count + uint64_t).
constexpr Count operator+(Count c, uint64_t n) { return Count(c.value() + n); }

TEST(NamedType, DefaultIsZero) {
  EXPECT_EQ(Count().value(), 0u);
  Count c;
  EXPECT_EQ(c, Count(0));
}

TEST(NamedType, ValueRoundTrips) {
  EXPECT_EQ(Count(42).value(), 42u);
  EXPECT_EQ(Count(UINT64_MAX).value(), UINT64_MAX);
  static_assert(Count(7).value() == 7);  // constexpr
}

TEST(NamedType, NoImplicitConversions) {
  static_assert(std::is_constructible_v<Count, uint64_t>);
  static_assert(!std::is_convertible_v<uint64_t, Count>);  // explicit constructor
  static_assert(!std::is_convertible_v<Count, uint64_t>);  // no conversion back
  static_assert(!std::is_constructible_v<Count, Other>);   // two kinds never mix
  static_assert(!std::is_convertible_v<Other, Count>);
  static_assert(!std::is_same_v<Count, Other>);
}

TEST(NamedType, ComparesLikeTheValue) {
  EXPECT_EQ(Count(3), Count(3));
  EXPECT_NE(Count(3), Count(4));
  EXPECT_LT(Count(3), Count(4));
  EXPECT_LE(Count(4), Count(4));
  EXPECT_GT(Count(UINT64_MAX), Count(0));
  EXPECT_GE(Count(5), Count(4));
  EXPECT_EQ(Count(2) <=> Count(9), std::strong_ordering::less);
  std::map<Count, int> ordered{{Count(9), 1}, {Count(2), 2}};
  EXPECT_EQ(ordered.begin()->first, Count(2));
}

TEST(NamedType, HashesLikeTheValue) {
  EXPECT_EQ(std::hash<Count>{}(Count(77)), std::hash<uint64_t>{}(77));
  std::unordered_set<Count> set{Count(1), Count(2), Count(1)};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains(Count(2)));
}

TEST(NamedType, StreamsTheValue) {
  std::ostringstream os;
  os << Count(12345) << ' ' << Small(7);
  EXPECT_EQ(os.str(), "12345 7");  // a uint8_t as a number, not a character
}

TEST(NamedType, DeclaredArithmeticIsFoundByLookup) {
  EXPECT_EQ(Count(5) + 3, Count(8));
  static_assert((Count(1) + 1).value() == 2);
}

TEST(NamedType, CostsNothing) {
  static_assert(sizeof(Count) == sizeof(uint64_t));
  static_assert(alignof(Count) == alignof(uint64_t));
  static_assert(std::is_trivially_copyable_v<Count>);
  static_assert(std::is_standard_layout_v<Count>);
  static_assert(std::atomic<Count>::is_always_lock_free);
  std::atomic<Count> a{Count(1)};
  a.store(Count(2));
  EXPECT_EQ(a.load(), Count(2));
}

}  // namespace
}  // namespace spate
