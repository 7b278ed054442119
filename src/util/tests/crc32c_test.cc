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
  for (size_t len : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096, 100001}) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    for (size_t off = 0; off < 8 && off <= len; ++off) {
      EXPECT_EQ(Extend(0, s.data() + off, len - off), ExtendPortable(0, s.data() + off, len - off))
          << len << "/" << off;
    }
  }
}

}  // namespace
}  // namespace spate::util
