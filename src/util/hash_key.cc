#include "util/hash_key.h"

#include "util/md5.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace spate::util {

namespace {

// Eight bytes as a big-endian number (compiled to one load and a byte swap).
uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint128 PartitionKeyHash(std::string_view partition_key) {
  // The digest read as a big-endian number in two 64-bit halves, not
  // sixteen 128-bit shifts (once per record put).
  const Md5Digest d = Md5(partition_key);
  return (uint128{LoadBigEndian64(d.data())} << 64) | LoadBigEndian64(d.data() + 8);
}

namespace {

constexpr uint64_t kTen19 = 10000000000000000000ull;  // the largest power of 10 in a uint64

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes v (< 10^19) as exactly 19 digits, zero-padded, to dst[0..19).
void Write19Digits(uint64_t v, char* dst) {
  for (int i = 17; i >= 1; i -= 2) {
    const uint64_t pair = v % 100;
    v /= 100;
    dst[i] = kDigitPairs[2 * pair];
    dst[i + 1] = kDigitPairs[2 * pair + 1];
  }
  dst[0] = static_cast<char>('0' + v);
}

// Writes v without leading zeros; returns the digit count ("0" for zero).
size_t WriteDigits(uint64_t v, char* dst) {
  char tmp[20];
  char* p = tmp + sizeof(tmp);
  while (v >= 100) {
    const uint64_t pair = v % 100;
    v /= 100;
    *--p = kDigitPairs[2 * pair + 1];
    *--p = kDigitPairs[2 * pair];
  }
  if (v >= 10) {
    *--p = kDigitPairs[2 * v + 1];
    *--p = kDigitPairs[2 * v];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  const size_t n = static_cast<size_t>(tmp + sizeof(tmp) - p);
  std::memcpy(dst, p, n);
  return n;
}

}  // namespace

size_t FormatDecimal128(uint128 v, char* buf) {
  if (v <= UINT64_MAX) return WriteDigits(static_cast<uint64_t>(v), buf);
  const auto low = static_cast<uint64_t>(v % kTen19);
  const uint128 rest = v / kTen19;  // < 2^128 / 10^19 < 3.5 * 10^19
  size_t n;
  if (rest < kTen19) {
    n = WriteDigits(static_cast<uint64_t>(rest), buf);
  } else {
    n = WriteDigits(static_cast<uint64_t>(rest / kTen19), buf);  // at most 3
    Write19Digits(static_cast<uint64_t>(rest % kTen19), buf + n);
    n += 19;
  }
  Write19Digits(low, buf + n);
  return n + 19;
}

std::string ToDecimal(uint128 v) {
  char buf[kMaxDecimal128Digits];
  return std::string(buf, FormatDecimal128(v, buf));
}

std::optional<uint128> ParseDecimal128(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  uint128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint128 digit = static_cast<uint128>(c - '0');
    if (v > (kMaxHashKey - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace spate::util
