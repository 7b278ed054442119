#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spate::util {

// A 128-bit unsigned integer: Kinesis hash keys span [0, 2^128 - 1].
using uint128 = unsigned __int128;

inline constexpr uint128 kMaxHashKey = ~static_cast<uint128>(0);

// The hash key of a partition key: the MD5 digest of its UTF-8 bytes, read
// as a big-endian 128-bit integer (what Kinesis does).
uint128 PartitionKeyHash(std::string_view partition_key);

// Decimal text of a 128-bit value.
std::string ToDecimal(uint128 v);
// The longest decimal text of a 128-bit value (2^128 - 1 has 39 digits).
inline constexpr size_t kMaxDecimal128Digits = 39;
// Writes the decimal text of `v` (no leading zeros; "0" for zero) to
// buf[0..n) without allocating and returns n. `buf` must have room for
// kMaxDecimal128Digits characters. Two 128-bit divisions, then 64-bit
// arithmetic two digits at a time.
size_t FormatDecimal128(uint128 v, char* buf);
// Parses decimal digits only (no sign, no spaces). nullopt on empty input,
// a non-digit, or a value above 2^128 - 1.
std::optional<uint128> ParseDecimal128(std::string_view text);

}  // namespace spate::util
