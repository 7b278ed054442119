#include <gtest/gtest.h>

#include "streams/api/common.h"
#include "streams/token_codec.h"

namespace spate::streams {
namespace {

IteratorState Sample() {
  IteratorState s;
  s.issued_ms = 1700000000123;
  s.stream_created_ms = 1699999999000;
  s.shard = model::ShardIndex{7};
  s.offset = model::LogOffset(123456789);
  s.account = "000000000000";
  s.region = "eu-west-1";
  s.stream_name = "orders.v2";
  return s;
}

TEST(TokenCodec, IteratorRoundTrips) {
  TokenCodec codec(TokenCodec::RandomKey());
  std::string token = EncodeIterator(codec, Sample());
  auto back = DecodeIterator(codec, token);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->issued_ms, 1700000000123);
  EXPECT_EQ(back->stream_created_ms, 1699999999000);
  EXPECT_EQ(back->shard.value, 7u);
  EXPECT_EQ(back->offset, model::LogOffset(123456789));
  EXPECT_EQ(back->region, "eu-west-1");
  EXPECT_EQ(back->stream_name, "orders.v2");
}

TEST(TokenCodec, IteratorFitsAwsLengthLimit) {
  TokenCodec codec(TokenCodec::RandomKey());
  IteratorState s = Sample();
  s.stream_name = std::string(128, 'x');
  s.region = "ap-southeast-3";
  EXPECT_LE(EncodeIterator(codec, s).size(), 512u);
}

TEST(TokenCodec, QuotedIteratorIsAccepted) {
  TokenCodec codec(TokenCodec::RandomKey());
  std::string token = EncodeIterator(codec, Sample());
  EXPECT_TRUE(DecodeIterator(codec, "\"" + token + "\"").has_value());
}

TEST(TokenCodec, TamperedIteratorIsRejected) {
  TokenCodec codec(TokenCodec::RandomKey());
  std::string token = EncodeIterator(codec, Sample());
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(DecodeIterator(codec, bad).has_value()) << i;
  }
}

TEST(TokenCodec, OtherKeyIsRejected) {
  TokenCodec a(TokenCodec::RandomKey());
  TokenCodec b(TokenCodec::RandomKey());
  EXPECT_FALSE(DecodeIterator(b, EncodeIterator(a, Sample())).has_value());
}

TEST(TokenCodec, IteratorPlaintextIsAsSpecified) {
  // docs/formats/iterator.md: version 1, issued_ms, stream_created_ms,
  // shard_index, offset, then three length-prefixed strings, nothing after.
  TokenCodec codec(TokenCodec::RandomKey());
  std::string p;
  p.push_back('\x01');
  p.append("\x7b\x01\x00\x00\x00\x00\x00\x00", 8);  // issued_ms 379
  p.append("\x2a\x00\x00\x00\x00\x00\x00\x00", 8);  // stream_created_ms 42
  p.append("\x07\x00\x00\x00", 4);                  // shard_index 7
  p.append("\x00\x01\x00\x00\x00\x00\x00\x00", 8);  // offset 256
  p.append(
      "\x01"
      "a"
      "\x02"
      "rg"
      "\x03"
      "s.1");
  auto it = DecodeIterator(codec, codec.Seal(p));
  ASSERT_TRUE(it.has_value());
  EXPECT_EQ(it->issued_ms, 379);
  EXPECT_EQ(it->stream_created_ms, 42);
  EXPECT_EQ(it->shard.value, 7u);
  EXPECT_EQ(it->offset, model::LogOffset(256));
  EXPECT_EQ(it->account, "a");
  EXPECT_EQ(it->region, "rg");
  EXPECT_EQ(it->stream_name, "s.1");
  // Sealed: 12-byte nonce + ciphertext as long as the plaintext + 16-byte tag.
  std::string token = EncodeIterator(codec, *it);
  EXPECT_EQ(token.size(), (12 + p.size() + 16 + 2) / 3 * 4);
  EXPECT_FALSE(DecodeIterator(codec, codec.Seal(p + '\0')).has_value());
  p[0] = 2;
  EXPECT_FALSE(DecodeIterator(codec, codec.Seal(p)).has_value());
}

TEST(TokenCodec, GarbageIsRejected) {
  TokenCodec codec(TokenCodec::RandomKey());
  for (const char* g : {"", "x", "AAAA", "not base64!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_FALSE(DecodeIterator(codec, g).has_value()) << g;
  }
}

}  // namespace
}  // namespace spate::streams

namespace spate::streams::api {
namespace {

TEST(TokenFields, DecimalFieldsParseWithoutExceptions) {
  EXPECT_EQ(*TokenUint("12"), 12u);
  EXPECT_EQ(*TokenInt("-5"), -5);
  EXPECT_EQ(*TokenInt("1700000000000"), 1700000000000);
  for (std::string_view bad : {"", "-1", "12x", " 1", "99999999999999999999", "1.5"}) {
    auto r = TokenUint(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "Invalid NextToken.");
  }
  EXPECT_FALSE(TokenInt("9223372036854775808").ok());
}

}  // namespace
}  // namespace spate::streams::api
