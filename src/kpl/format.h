#pragma once

// Constants of the KPL aggregation format (docs/formats/kpl-aggregation.md).

#include <array>
#include <cstddef>
#include <cstdint>

namespace spate::kpl {

// The four bytes every aggregate starts with; also the format's version mark.
inline constexpr std::array<uint8_t, 4> kMagic = {0xF3, 0x89, 0x9A, 0xC2};
inline constexpr size_t kMagicSize = kMagic.size();
// The MD5 digest of the message that ends every aggregate.
inline constexpr size_t kChecksumSize = 16;
// magic + checksum: an aggregate's size beyond its message.
inline constexpr size_t kOverhead = kMagicSize + kChecksumSize;

// Every field of aggregation.proto has a number below 16, so each field's
// tag (number << 3 | wire type) is one byte: the size arithmetic counts 1.
inline constexpr size_t kTagSize = 1;

}  // namespace spate::kpl
