#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spate::util {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4, leveldb and Kafka. Standard init/final XOR of 0xFFFFFFFF, so
// Crc32c("123456789") == 0xE3069283. Uses the SSE4.2 crc32 instruction when
// the CPU has it (checked once at start-up; inputs of 768 bytes and more in
// three interleaved chains), a table otherwise. Thread-safe.

// Returns the CRC32C of data[0, n) appended to a byte string whose CRC32C is
// `crc`. Extend(0, data, n) == Crc32c of data.
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(std::string_view data) { return Extend(0, data.data(), data.size()); }

// Exposed for tests: the portable table implementation.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);

}  // namespace spate::util
