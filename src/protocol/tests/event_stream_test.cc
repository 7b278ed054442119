#include "protocol/event_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::protocol::event_stream {
namespace {

using namespace std::string_literals;

// Vectors from botocore's tests/unit/test_eventstream.py (EMPTY_MESSAGE,
// PAYLOAD_NO_HEADERS, PAYLOAD_ONE_STR_HEADER), which AWS's parsers accept.
const std::string kEmptyMessage = "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff"s;
const std::string kPayloadNoHeaders = "\x00\x00\x00\x1d\x00\x00\x00\x00\xfd\x52\x8c\x5a{'foo':'bar'}\xc3\x65\x39\x36"s;
const std::string kPayloadOneStrHeader =
    "\x00\x00\x00=\x00\x00\x00\x20\x07\xfd\x83\x96\x0c"
    "content-type\x07\x00\x10"
    "application/json{'foo':'bar'}\x8d\x9c\x08\xb1"s;

TEST(EventStreamTest, Crc32CheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("6789", Crc32("12345")), 0xCBF43926u);  // incremental
}

TEST(EventStreamTest, EncodesEmptyMessage) { EXPECT_EQ(Encode(Message{}), kEmptyMessage); }

TEST(EventStreamTest, EncodesPayloadWithoutHeaders) {
  EXPECT_EQ(Encode(Message{{}, "{'foo':'bar'}"}), kPayloadNoHeaders);
}

TEST(EventStreamTest, EncodesStringHeader) {
  EXPECT_EQ(Encode(Message{{{"content-type", "application/json"}}, "{'foo':'bar'}"}), kPayloadOneStrHeader);
}

TEST(EventStreamTest, RoundTripsEvent) {
  std::string bytes = EncodeEvent("SubscribeToShardEvent", R"({"Records":[]})");
  std::string_view in = bytes;
  std::string error;
  auto m = Decode(&in, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(m->HeaderValue(":message-type"), "event");
  EXPECT_EQ(m->HeaderValue(":event-type"), "SubscribeToShardEvent");
  EXPECT_EQ(m->HeaderValue(":content-type"), "application/json");
  EXPECT_EQ(m->payload, R"({"Records":[]})");
}

TEST(EventStreamTest, ExceptionCarriesTypeAndJsonMessage) {
  std::string bytes = EncodeException("ResourceInUseException", "taken \"over\"");
  std::string_view in = bytes;
  std::string error;
  auto m = Decode(&in, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->HeaderValue(":message-type"), "exception");
  EXPECT_EQ(m->HeaderValue(":exception-type"), "ResourceInUseException");
  EXPECT_EQ(m->payload, R"({"message":"taken \"over\""})");
}

TEST(EventStreamTest, PartialMessageWaitsForMoreBytes) {
  for (size_t cut = 0; cut < kPayloadOneStrHeader.size(); ++cut) {
    std::string_view in(kPayloadOneStrHeader.data(), cut);
    std::string error;
    EXPECT_FALSE(Decode(&in, &error)) << cut;
    EXPECT_TRUE(error.empty()) << cut;
    EXPECT_EQ(in.size(), cut);
  }
}

TEST(EventStreamTest, ConsecutiveMessagesDecodeInOrder) {
  std::string bytes = kEmptyMessage + kPayloadNoHeaders + kPayloadOneStrHeader;
  std::string_view in = bytes;
  std::string error;
  EXPECT_EQ(Decode(&in, &error)->payload, "");
  EXPECT_EQ(Decode(&in, &error)->payload, "{'foo':'bar'}");
  auto third = Decode(&in, &error);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->HeaderValue("content-type"), "application/json");
  EXPECT_TRUE(in.empty());
}

TEST(EventStreamTest, PreludeChecksumMismatchIsAnError) {
  std::string bad = kPayloadNoHeaders;
  bad[8] ^= 1;
  std::string_view in = bad;
  std::string error;
  EXPECT_FALSE(Decode(&in, &error));
  EXPECT_NE(error.find("prelude"), std::string::npos);
}

TEST(EventStreamTest, MessageChecksumMismatchIsAnError) {
  std::string bad = kPayloadNoHeaders;
  bad[14] ^= 1;  // a payload byte
  std::string_view in = bad;
  std::string error;
  EXPECT_FALSE(Decode(&in, &error));
  EXPECT_NE(error.find("message checksum"), std::string::npos);
}

TEST(EventStreamTest, HeadersLongerThanMessageIsAnError) {
  Message m{{}, "abc"};
  std::string bytes = Encode(m);
  // Claim 100 header bytes in a 19-byte message, with a valid prelude CRC.
  bytes[7] = 100;
  uint32_t crc = Crc32(std::string_view(bytes.data(), 8));
  for (int i = 0; i < 4; ++i) bytes[8 + i] = static_cast<char>(crc >> (24 - 8 * i));
  std::string_view in = bytes;
  std::string error;
  EXPECT_FALSE(Decode(&in, &error));
  EXPECT_NE(error.find("lengths"), std::string::npos);
}

}  // namespace
}  // namespace spate::protocol::event_stream
