#include "storage/format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/crc32c.h"

namespace spate::storage::format {
namespace {

std::string Encode(const std::vector<RecordInput>& records, Offset base, int64_t ms) {
  std::string b(EncodedBatchSize(records), '\0');
  EncodeBatchBody(records, ms, b.data());
  SealBatch(b.data(), b.size(), base, base);
  return b;
}

TEST(FormatTest, VarintRoundTrip) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0xFFFFFFFFu}) {
    char buf[kMaxVarint32Bytes];
    size_t n = PutVarint32(buf, v);
    EXPECT_EQ(n, Varint32Length(v));
    const char* p = buf;
    uint32_t out = 0;
    ASSERT_TRUE(GetVarint32(&p, buf + n, &out));
    EXPECT_EQ(out, v);
    EXPECT_EQ(p, buf + n);
    p = buf;
    if (n > 1) {
      EXPECT_FALSE(GetVarint32(&p, buf + n - 1, &out));  // truncated
    }
  }
}

TEST(FormatTest, BatchRoundTrip) {
  std::string big(300, 'x');
  std::vector<RecordInput> in = {{"k1", "hello"}, {"", ""}, {"key-3", big}};
  std::string b = Encode(in, Offset(42), 1234);
  ASSERT_EQ(b.size(), EncodedBatchSize(in));
  BatchHeader h;
  ASSERT_EQ(ParseHeader(b.data(), &h), HeaderCheck::kOk);
  EXPECT_EQ(h.length, b.size());
  EXPECT_EQ(h.base_offset, Offset(42));
  EXPECT_EQ(h.record_count, 3u);
  EXPECT_EQ(h.first_arrival_ms, 1234);
  EXPECT_EQ(h.last_arrival_ms, 1234);
  ASSERT_TRUE(VerifyBatch(b.data(), h).ok());
  std::vector<std::pair<std::string, std::string>> out;
  ForEachRecord(b.data(), h, [&](Offset o, std::string_view k, std::string_view d) {
    EXPECT_EQ(o, Offset(42 + out.size()));
    out.emplace_back(k, d);
    return true;
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, "k1");
  EXPECT_EQ(out[0].second, "hello");
  EXPECT_EQ(out[1].first, "");
  EXPECT_EQ(out[2].second, big);
}

TEST(FormatTest, EveryBitFlipIsDetected) {
  std::string b = Encode({{"pk", "some data"}, {"pk2", "more"}}, Offset(7), 99);
  for (size_t i = 0; i < b.size() * 8; ++i) {
    std::string c = b;
    c[i / 8] ^= static_cast<char>(1 << (i % 8));
    BatchHeader h;
    HeaderCheck check = ParseHeader(c.data(), &h);
    bool detected = check != HeaderCheck::kOk || h.length != b.size() || !VerifyBatch(c.data(), h).ok();
    EXPECT_TRUE(detected) << "bit " << i;
  }
}

TEST(FormatTest, ZeroHeaderIsEnd) {
  char zeros[kBatchHeaderSize] = {};
  BatchHeader h;
  EXPECT_EQ(ParseHeader(zeros, &h), HeaderCheck::kZero);
}

TEST(FormatTest, FileNames) {
  EXPECT_EQ(SegmentFileName(Offset(12)), "00000000000000000012.log");
  EXPECT_EQ(IndexFileName(Offset(12)), "00000000000000000012.index");
  EXPECT_EQ(ShardDirName(model::ShardIndex{3}), "000000000003");
  Offset o;
  EXPECT_TRUE(ParseSegmentFileName("18446744073709551615.log", &o));
  EXPECT_EQ(o, Offset(18446744073709551615ull));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000001.log", &o));
  EXPECT_FALSE(ParseSegmentFileName("00000000000000000012.index", &o));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.log", &o));  // overflows u64
  EXPECT_TRUE(ParseIndexFileName("00000000000000000012.index", &o));
}

}  // namespace
}  // namespace spate::storage::format
