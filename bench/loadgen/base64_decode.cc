#include "base64_decode.h"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define SPATE_LOADGEN_AVX2 1
#endif

namespace spate::bench {
namespace {

constexpr uint8_t kBad = 0x80;
constexpr char kPad = '=';

// Character -> its 6-bit value, kBad for anything outside the alphabet.
constexpr std::array<uint8_t, 256> kValue = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return t;
}();

// Decodes the unpadded quanta in [src, end) (a multiple of 4 characters);
// false on a character outside the alphabet.
bool DecodeQuanta(const unsigned char* src, const unsigned char* end, char* dst) {
  for (; src != end; src += 4, dst += 3) {
    const uint8_t a = kValue[src[0]], b = kValue[src[1]], c = kValue[src[2]], d = kValue[src[3]];
    if ((a | b | c | d) & kBad) return false;
    const uint32_t g = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    dst[0] = static_cast<char>(g >> 16);
    dst[1] = static_cast<char>(g >> 8);
    dst[2] = static_cast<char>(g);
  }
  return true;
}

// The last quantum ("xxxx", "xxx=" or "xx==", unused bits zero) at src into
// dst; its decoded length, or -1.
int DecodeLast(const unsigned char* src, char* dst) {
  int pad = 0;
  if (src[3] == kPad) pad = src[2] == kPad ? 2 : 1;
  const uint8_t a = kValue[src[0]], b = kValue[src[1]];
  const uint8_t c = pad < 2 ? kValue[src[2]] : 0, d = pad < 1 ? kValue[src[3]] : 0;
  if ((a | b | c | d) & kBad) return -1;
  const uint32_t g = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
  const uint32_t unused = pad == 2 ? 0xffffu : pad == 1 ? 0xffu : 0u;
  if (g & unused) return -1;
  dst[0] = static_cast<char>(g >> 16);
  dst[1] = static_cast<char>(g >> 8);
  dst[2] = static_cast<char>(g);
  return 3 - pad;
}

ptrdiff_t Finish(const unsigned char* src, const unsigned char* end, char* dst, char* out) {
  // [src, end) holds whole quanta, the last of which may be padded.
  if (!DecodeQuanta(src, end - 4, dst)) return -1;
  dst += (end - 4 - src) / 4 * 3;
  const int last = DecodeLast(end - 4, dst);
  if (last < 0) return -1;
  return dst + last - out;
}

#ifdef SPATE_LOADGEN_AVX2
// 32 characters into 24 bytes per step while more than one quantum is left
// after the block; returns the characters consumed (a multiple of 32). Stops
// early at a block with a character outside the alphabet (the scalar loop
// then finds and reports it).
//
// Classification: a character is in the alphabet iff the bit of its high
// nibble (kHighBit) is clear in the mask of high nibbles that are invalid
// with its low nibble (kInvalidHighsForLow). Translation adds an offset
// chosen by the high nibble ('A'-'Z' -65, 'a'-'z' -71, '0'-'9' +4, '+' +19),
// with '/' (0x2f, sharing '+''s high nibble) moved to slot 1 (+16).
// Packing: multiply-add 6-bit values pairwise into 12 bits, then into 24
// bits per 32-bit lane, shuffle the three bytes of each lane out big-endian
// and close the gap between the two 128-bit halves.
__attribute__((target("avx2"))) size_t DecodeAvx2(const unsigned char* src, size_t n, char* dst) {
  // Bit h is set in kInvalidHighsForLow[l] when character (h << 4) | l, h < 8,
  // is outside the alphabet; high nibbles 8-15 map to all bits.
  const __m256i invalid_highs_for_low = _mm256_setr_epi8(
      // l:  0     1     2     3     4     5     6     7     8     9     a     b     c     d     e     f
      0x57, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x0f, 0xab, 0xaf, 0xaf, 0xaf, 0xab,  //
      0x57, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x0f, 0xab, 0xaf, 0xaf, 0xaf, 0xab);
  const __m256i high_bit = _mm256_setr_epi8(0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, static_cast<char>(0x80),  //
                                            -1, -1, -1, -1, -1, -1, -1, -1,                                     //
                                            0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, static_cast<char>(0x80),  //
                                            -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i offset_by_high = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                                  0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  const __m256i pair_weights = _mm256_set1_epi32(0x01400140);  // bytes 0x40, 0x01, 0x40, 0x01
  const __m256i quad_weights = _mm256_set1_epi32(0x00011000);  // words 0x1000, 0x0001
  const __m256i lane_bytes = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                              2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i close_gap = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  size_t done = 0;
  // Leave at least one quantum (possibly padded) for the scalar tail.
  while (n - done >= 32 + 4) {
    const __m256i in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + done));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi32(in, 4), nibble);
    const __m256i low = _mm256_and_si256(in, nibble);
    const __m256i invalid =
        _mm256_and_si256(_mm256_shuffle_epi8(invalid_highs_for_low, low), _mm256_shuffle_epi8(high_bit, high));
    if (!_mm256_testz_si256(invalid, invalid)) break;
    // '/' takes slot high - 1 = 1 (cmpeq gives -1 for it).
    const __m256i slot = _mm256_add_epi8(high, _mm256_cmpeq_epi8(in, slash));
    const __m256i values = _mm256_add_epi8(in, _mm256_shuffle_epi8(offset_by_high, slot));
    const __m256i merged = _mm256_madd_epi16(_mm256_maddubs_epi16(values, pair_weights), quad_weights);
    const __m256i packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(merged, lane_bytes), close_gap);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + done / 4 * 3), packed);
    done += 32;
  }
  return done;
}

bool CpuHasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
const bool kHaveAvx2 = CpuHasAvx2();
#endif

}  // namespace

ptrdiff_t Base64DecodeScalar(std::string_view text, char* out) {
  if (text.size() % 4 != 0) return -1;
  if (text.empty()) return 0;
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  return Finish(src, src + text.size(), out, out);
}

ptrdiff_t Base64Decode(std::string_view text, char* out) {
  if (text.size() % 4 != 0) return -1;
  if (text.empty()) return 0;
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  size_t done = 0;
#ifdef SPATE_LOADGEN_AVX2
  if (kHaveAvx2) done = DecodeAvx2(src, text.size(), out);
#endif
  return Finish(src + done, src + text.size(), out + done / 4 * 3, out);
}

}  // namespace spate::bench
