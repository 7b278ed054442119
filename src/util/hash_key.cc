#include "util/hash_key.h"

#include <openssl/md5.h>

#include <algorithm>

namespace spate::util {

uint128 PartitionKeyHash(std::string_view partition_key) {
  unsigned char digest[MD5_DIGEST_LENGTH];
  // MD5() is deprecated in OpenSSL 3 in favour of EVP, but EVP costs two
  // allocations per call on this hot path; the one-shot function is exact.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  MD5(reinterpret_cast<const unsigned char*>(partition_key.data()), partition_key.size(), digest);
#pragma GCC diagnostic pop
  uint128 v = 0;
  for (unsigned char b : digest) v = (v << 8) | b;
  return v;
}

std::string ToDecimal(uint128 v) {
  if (v == 0) return "0";
  char buf[40];
  int i = 0;
  while (v != 0) {
    buf[i++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  std::string out(buf, buf + i);
  std::reverse(out.begin(), out.end());
  return out;
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
