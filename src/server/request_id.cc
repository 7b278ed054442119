#include "server/request_id.h"

#include <cstring>
#include <random>

#include "util/base64.h"

namespace spate::server {
namespace {

// Request ids need uniqueness, not secrecy: one xoshiro256** generator per
// thread (Blackman and Vigna), seeded from the system's entropy. Eleven
// words a request; mt19937_64 cost three times as much.
uint64_t NextRandom() {
  struct State {
    uint64_t s[4];
    State() {
      std::random_device rd;
      for (uint64_t& w : s) w = (static_cast<uint64_t>(rd()) << 32) ^ rd();
      if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;  // the one state it must not start from
    }
  };
  thread_local State st;
  uint64_t* s = st.s;
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

}  // namespace

std::string RandomRequestId() {
  uint64_t a = NextRandom(), b = NextRandom();
  // UUID version 4 layout: 8-4-4-4-12 hex digits.
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the dashes
    uint64_t word = i < 8 ? a : b;
    unsigned byte = static_cast<unsigned>(word >> (56 - 8 * (i % 8))) & 0xFF;
    id[pos++] = kHex[byte >> 4];
    id[pos++] = kHex[byte & 15];
  }
  return id;
}

std::string RandomId2() {
  char bytes[72];
  for (size_t i = 0; i < sizeof bytes; i += 8) {
    uint64_t r = NextRandom();
    std::memcpy(bytes + i, &r, 8);
  }
  return util::Base64Encode(std::string_view(bytes, sizeof bytes));
}

}  // namespace spate::server
