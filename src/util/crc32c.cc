#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && defined(__SSE4_2__)
#include <nmmintrin.h>
#define SPATE_CRC32C_HW 1
#endif

namespace spate::util {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// Slicing-by-8 tables, built at compile time.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}
constexpr auto kTables = MakeTables();

uint32_t RawPortable(uint32_t c, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // little-endian host (x86-64, aarch64)
    v ^= c;
    c = kTables[7][v & 0xFF] ^ kTables[6][(v >> 8) & 0xFF] ^ kTables[5][(v >> 16) & 0xFF] ^
        kTables[4][(v >> 24) & 0xFF] ^ kTables[3][(v >> 32) & 0xFF] ^ kTables[2][(v >> 40) & 0xFF] ^
        kTables[1][(v >> 48) & 0xFF] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return c;
}

#ifdef SPATE_CRC32C_HW
uint32_t RawHardwareSerial(uint32_t c, const unsigned char* p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c64);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

// The crc32 instruction has a latency of three cycles and a throughput of
// one per cycle, so one dependent chain runs at a third of its speed: long
// inputs are cut into three consecutive blocks of `kBlock` bytes whose CRCs
// are computed in three interleaved chains, then combined. Combining uses
// the CRC register's linearity: the register after a block B, started from
// c, is Shift(c) ^ (the register after B started from 0), where Shift is
// the effect of kBlock zero bytes on the register: a linear map of 32 bits,
// applied with four table lookups (one per byte of c).
template <size_t kBlock>
class Interleaved {
 public:
  Interleaved() {
    // The map on each of the 32 basis vectors, by running the register over
    // zeros, then every byte value at every byte position as XORs of those.
    static constexpr unsigned char kZeros[kBlock] = {};
    uint32_t basis[32];
    for (int i = 0; i < 32; ++i) basis[i] = RawHardwareSerial(uint32_t{1} << i, kZeros, kBlock);
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) v ^= basis[8 * k + bit];
        }
        shift_[k][b] = v;
      }
    }
  }

  // Consumes as many runs of 3 * kBlock bytes as `*n` holds.
  uint64_t Run(uint64_t c0, const unsigned char** p, size_t* n) const {
    while (*n >= 3 * kBlock) {
      const unsigned char* a = *p;
      uint64_t c1 = 0, c2 = 0;
      for (size_t i = 0; i < kBlock; i += 8) {
        uint64_t va, vb, vc;
        std::memcpy(&va, a + i, 8);
        std::memcpy(&vb, a + kBlock + i, 8);
        std::memcpy(&vc, a + 2 * kBlock + i, 8);
        c0 = _mm_crc32_u64(c0, va);
        c1 = _mm_crc32_u64(c1, vb);
        c2 = _mm_crc32_u64(c2, vc);
      }
      c0 = Shift(Shift(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1)) ^ static_cast<uint32_t>(c2);
      *p += 3 * kBlock;
      *n -= 3 * kBlock;
    }
    return c0;
  }

 private:
  uint32_t Shift(uint32_t c) const {
    return shift_[0][c & 0xff] ^ shift_[1][(c >> 8) & 0xff] ^ shift_[2][(c >> 16) & 0xff] ^ shift_[3][c >> 24];
  }
  static_assert(kBlock % 8 == 0);
  uint32_t shift_[4][256];
};

uint32_t RawHardware(uint32_t c, const unsigned char* p, size_t n) {
  // Blocks of 8 KiB for batches (hundreds of KiB each on a busy shard), and
  // of 256 bytes for what is left and for single small records. Built on
  // first use (only on CPUs with the instruction).
  static const Interleaved<8192> kLong;
  static const Interleaved<256> kShort;
  uint64_t c64 = c;
  c64 = kLong.Run(c64, &p, &n);
  c64 = kShort.Run(c64, &p, &n);
  return RawHardwareSerial(static_cast<uint32_t>(c64), p, n);
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
const bool kHaveHardware = CpuHasSse42();
#endif

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  return ~RawPortable(~crc, reinterpret_cast<const unsigned char*>(data), n);
}

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
#ifdef SPATE_CRC32C_HW
  if (kHaveHardware) return ~RawHardware(~crc, reinterpret_cast<const unsigned char*>(data), n);
#endif
  return ExtendPortable(crc, data, n);
}

}  // namespace spate::util
