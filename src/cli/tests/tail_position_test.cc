#include "cli/tail_position.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

using Type = IteratorPosition::Type;

TEST(TailPosition, Named) {
  std::string error;
  EXPECT_EQ(ParseTailPosition("trim-horizon", &error)->type, Type::kTrimHorizon);
  EXPECT_EQ(ParseTailPosition("latest", &error)->type, Type::kLatest);
}

TEST(TailPosition, AtSequence) {
  std::string error;
  auto p = ParseTailPosition("at-sequence:49590338271490256608559692538361571095921575989136588898", &error);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, Type::kAtSequenceNumber);
  EXPECT_EQ(p->sequence_number, "49590338271490256608559692538361571095921575989136588898");
  EXPECT_FALSE(ParseTailPosition("at-sequence:", &error).has_value());
  EXPECT_FALSE(ParseTailPosition("at-sequence:12a", &error).has_value());
}

TEST(TailPosition, AtTimestampEpochSeconds) {
  std::string error;
  auto p = ParseTailPosition("at-timestamp:1506440188.749", &error);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, Type::kAtTimestamp);
  EXPECT_EQ(p->timestamp_ms, 1506440188749);
  EXPECT_EQ(ParseTimestampMs("1506440188"), 1506440188000);
}

TEST(TailPosition, AtTimestampIso8601) {
  EXPECT_EQ(ParseTimestampMs("2017-09-26T15:36:28.749Z"), 1506440188749);
  EXPECT_EQ(ParseTimestampMs("2017-09-26T15:36:28Z"), 1506440188000);
  EXPECT_EQ(ParseTimestampMs("2017-09-26T15:36:28"), 1506440188000);  // UTC without an offset
  EXPECT_EQ(ParseTimestampMs("2017-09-26T17:36:28+02:00"), 1506440188000);
  EXPECT_EQ(ParseTimestampMs("2017-09-26T10:36:28.5-05:00"), 1506440188500);
}

TEST(TailPosition, Malformed) {
  std::string error;
  for (const char* bad : {"", "horizon", "at-timestamp:", "at-timestamp:yesterday", "at-timestamp:2017-13-01T00:00:00Z",
                          "at-timestamp:2017-09-26T15:36", "at-timestamp:1.2.3"}) {
    EXPECT_FALSE(ParseTailPosition(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace spate::cli
