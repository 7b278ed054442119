// GZIP and raw deflate round trips, and what Gunzip refuses.

#include "util/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace spate::util {
namespace {

std::string GzipOf(std::string_view data) {
  std::string out;
  EXPECT_TRUE(Deflate(data, DeflateFormat::kGzip, &out).ok());
  return out;
}

TEST(GzipTest, RoundTrip) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data += "record " + std::to_string(i) + "\n";
  std::string out;
  ASSERT_EQ(Gunzip(GzipOf(data), 1 << 20, &out), GunzipError::kNone);
  EXPECT_EQ(out, data);
}

TEST(GzipTest, EmptyInputIsAValidMember) {
  std::string gz = GzipOf("");
  std::string out = "stale";
  ASSERT_EQ(Gunzip(gz, 1, &out), GunzipError::kNone);
  EXPECT_EQ(out, "");
}

TEST(GzipTest, HeaderHasNoNameAndZeroMtime) {
  std::string gz = GzipOf("x");
  ASSERT_GE(gz.size(), 10u);
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
  EXPECT_EQ(gz[3], 0);                               // FLG: no name, no comment
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // MTIME
}

TEST(GzipTest, Deterministic) { EXPECT_EQ(GzipOf("same bytes"), GzipOf("same bytes")); }

TEST(GzipTest, DeflateAppends) {
  std::string out = "prefix";
  ASSERT_TRUE(Deflate("abc", DeflateFormat::kGzip, &out).ok());
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), GzipOf("abc"));
}

TEST(GzipTest, RawDeflateInflatesWithNoWrapper) {
  std::string raw;
  ASSERT_TRUE(Deflate("hello hello hello", DeflateFormat::kRaw, &raw).ok());
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, -15), Z_OK);
  char buf[64];
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(buf);
  z.avail_out = sizeof(buf);
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(std::string(buf, sizeof(buf) - z.avail_out), "hello hello hello");
  inflateEnd(&z);
}

TEST(GzipTest, ConcatenatedMembers) {
  std::string out;
  ASSERT_EQ(Gunzip(GzipOf("hel") + GzipOf("lo"), 100, &out), GunzipError::kNone);
  EXPECT_EQ(out, "hello");
}

TEST(GzipTest, NotGzip) {
  std::string out;
  EXPECT_EQ(Gunzip("hello", 100, &out), GunzipError::kNotGzip);
  EXPECT_EQ(Gunzip("", 100, &out), GunzipError::kNotGzip);
}

TEST(GzipTest, TruncatedIsCorrupt) {
  std::string gz = GzipOf("some text that compresses");
  std::string out;
  EXPECT_EQ(Gunzip(gz.substr(0, gz.size() - 5), 100, &out), GunzipError::kCorrupt);
}

TEST(GzipTest, FlippedByteIsCorrupt) {
  std::string gz = GzipOf("some text that compresses");
  gz[gz.size() - 6] ^= 0x55;  // the CRC-32
  std::string out;
  EXPECT_EQ(Gunzip(gz, 100, &out), GunzipError::kCorrupt);
}

TEST(GzipTest, OutputCapped) {
  std::string out;
  EXPECT_EQ(Gunzip(GzipOf(std::string(200000, 'a')), 100000, &out), GunzipError::kTooLarge);
  EXPECT_EQ(Gunzip(GzipOf(std::string(100000, 'a')), 100000, &out), GunzipError::kNone);
}

}  // namespace
}  // namespace spate::util
