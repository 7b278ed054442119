#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spate::util {
namespace {

TEST(Crc32cTest, StandardVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello world, this is a crc32c extend test spanning some bytes";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = Extend(0, s.data(), cut);
    EXPECT_EQ(Extend(a, s.data() + cut, s.size() - cut), Crc32c(s)) << cut;
  }
}

TEST(Crc32cTest, HardwareMatchesPortable) {
  std::mt19937 rng(7);
  // Around the interleaved loops' run sizes (3 x 256 and 3 x 8192 bytes).
  for (size_t len : {0,    1,    7,    8,     9,     63,    64,    65,    767,   768,    769,    1000,
                     1543, 1544, 4096, 24575, 24576, 24577, 25344, 49151, 49152, 100001, 1 << 20}) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    for (size_t off = 0; off < 8 && off <= len; ++off) {
      EXPECT_EQ(Extend(0, s.data() + off, len - off), ExtendPortable(0, s.data() + off, len - off))
          << len << "/" << off;
    }
  }
}

// The interleaved chains combine correctly whatever the CRC they continue:
// a long input extended in two parts, cut at every kind of boundary.
TEST(Crc32cTest, InterleavedExtendEqualsWhole) {
  std::mt19937 rng(11);
  std::string s(3 * 8192 * 2 + 3 * 256 * 3 + 13, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  const uint32_t whole = ExtendPortable(0, s.data(), s.size());
  EXPECT_EQ(Crc32c(s), whole);
  for (size_t cut : {size_t{1}, size_t{255}, size_t{768}, size_t{8191}, size_t{24576}, size_t{24577}, s.size() - 1}) {
    const uint32_t a = Extend(0, s.data(), cut);
    EXPECT_EQ(a, ExtendPortable(0, s.data(), cut)) << cut;
    EXPECT_EQ(Extend(a, s.data() + cut, s.size() - cut), whole) << cut;
  }
}

}  // namespace
}  // namespace spate::util
