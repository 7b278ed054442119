#include "dedup/stamp.h"

#include <gtest/gtest.h>

namespace spate::dedup {
namespace {

TEST(StampTest, RoundTrip) {
  ProducerStamp s{"producer-1", 7, 123456789012345ull};
  std::string data = EncodeStampRecord(s, 42);
  EXPECT_EQ(data.size(), kStampFixedBytes + s.producer_id.size());
  auto r = DecodeStampRecord(data);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->stamp.producer_id, "producer-1");
  EXPECT_EQ(r->stamp.epoch, 7u);
  EXPECT_EQ(r->stamp.sequence, 123456789012345ull);
  EXPECT_EQ(r->count, 42u);
}

TEST(StampTest, LayoutIsLittleEndianWithMagicFirst) {
  std::string data = EncodeStampRecord({"p", 1, 2}, 3);
  EXPECT_EQ(data.substr(0, 4), "SPPP");
  EXPECT_EQ(data[4], 1);   // version
  EXPECT_EQ(data[5], 1);   // id length
  EXPECT_EQ(data[6], 1);   // epoch, low byte
  EXPECT_EQ(data[14], 2);  // sequence, low byte
  EXPECT_EQ(data[22], 3);  // count, low byte
  EXPECT_EQ(data.substr(26), "p");
}

TEST(StampTest, UserDataIsNotAStamp) {
  EXPECT_FALSE(DecodeStampRecord("").has_value());
  EXPECT_FALSE(DecodeStampRecord("hello world, not a stamp at all").has_value());
}

TEST(StampTest, TruncatedOrPaddedIsRejected) {
  std::string data = EncodeStampRecord({"abc", 1, 2}, 3);
  EXPECT_FALSE(DecodeStampRecord(data.substr(0, data.size() - 1)).has_value());
  EXPECT_FALSE(DecodeStampRecord(data + "x").has_value());
}

TEST(StampTest, ZeroCountOrBadIdIsRejected) {
  EXPECT_FALSE(DecodeStampRecord(EncodeStampRecord({"abc", 1, 2}, 0)).has_value());
  EXPECT_FALSE(DecodeStampRecord(EncodeStampRecord({"a b", 1, 2}, 1)).has_value());
}

TEST(StampTest, ProducerIds) {
  EXPECT_TRUE(ValidProducerId("a"));
  EXPECT_TRUE(ValidProducerId("App_1.worker-2"));
  EXPECT_TRUE(ValidProducerId(std::string(kMaxProducerIdLength, 'x')));
  EXPECT_FALSE(ValidProducerId(""));
  EXPECT_FALSE(ValidProducerId(std::string(kMaxProducerIdLength + 1, 'x')));
  EXPECT_FALSE(ValidProducerId("a/b"));
}

}  // namespace
}  // namespace spate::dedup
