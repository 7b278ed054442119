#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace spate::util {

// The 16-byte MD5 digest of `bytes` (the KPL aggregation checksum; the
// partition-key hash in hash_key.h is built on it).
using Md5Digest = std::array<uint8_t, 16>;
Md5Digest Md5(std::string_view bytes);

}  // namespace spate::util
