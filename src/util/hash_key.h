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
// Parses decimal digits only (no sign, no spaces). nullopt on empty input,
// a non-digit, or a value above 2^128 - 1.
std::optional<uint128> ParseDecimal128(std::string_view text);

}  // namespace spate::util
