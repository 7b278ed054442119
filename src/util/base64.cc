#include "util/base64.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define SPATE_BASE64_AVX2 1
#endif

namespace spate::util {

// Hand-written because it is on the data path (every JSON PutRecord(s) and
// GetRecords record passes through it: ~1 KiB records at 100 MB/s) and no
// well-kept Debian library offers a simple, fast std::string API (OpenSSL's
// EVP_DecodeBlock neither reports padding nor is strict). Both directions are
// table-driven: the encoder turns 6 bytes into 8 characters per step (one
// 8-byte load, four lookups of 12 bits -> 2 characters, one 8-byte store);
// the decoder handles two 4-character quanta per step (one branch, one
// 8-byte store).
//
// On x86-64 CPUs with AVX2 the encoder first runs a vectorised loop, 24
// bytes into 32 characters per step: it was the largest user-space cost of a
// JSON GetRecords drain (16 % of the server's CPU with the table-driven loop;
// bench/read/drain.sh). It splits the bytes into 6-bit indexes with two
// multiplies (each 3-byte group shuffled to b,a,c,b so that both 16-bit
// halves hold two indexes at fixed bit positions), then maps each index to
// its character by adding an offset chosen by its range (A-Z, a-z, 0-9, +,
// /) with one byte shuffle. The table-driven loop finishes the tail and is
// the only path elsewhere; the tests compare both on every length.
//
// The decoder has an AVX2 loop too, 32 characters into 24 bytes per step:
// it was the largest user-space cost of durable PutRecords (8 % of the
// server's CPU with the table-driven loop). Each character is classified
// by two nibble lookups (its high nibble selects a bit, its low nibble a set
// of bits; a character is outside the alphabet exactly when the two share a
// bit, one test for the whole block), mapped to its 6-bit value by adding
// an offset chosen by its high nibble ('/' shares its nibble with '+' and
// is told apart by one compare), then packed with two multiply-adds and
// two shuffles. A block with any invalid character is left to the
// table-driven loop, which finds it. Decoding can run in place: the output
// never overtakes the input (24 bytes stored at most 32 - 24 + 24 bytes
// behind the next load), which spares the JSON path a copy.

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kPad = '=';

// Decoding tables, one per position in a quantum: kDecode[i][c] is the 6-bit
// value of character c already shifted into place in a 24-bit group, or
// kBad (bit 24, never set by a valid character) for anything outside the
// alphabet, '=' included. OR-ing the four lookups yields the group and, in
// bit 24, whether any character was invalid: one branch per quantum.
constexpr uint32_t kBad = 1u << 24;

constexpr std::array<std::array<uint32_t, 256>, 4> MakeDecodeTables() {
  std::array<std::array<uint32_t, 256>, 4> t{};
  for (auto& row : t) row.fill(kBad);
  for (uint32_t v = 0; v < 64; ++v) {
    const auto c = static_cast<unsigned char>(kAlphabet[v]);
    t[0][c] = v << 18;
    t[1][c] = v << 12;
    t[2][c] = v << 6;
    t[3][c] = v;
  }
  return t;
}
constexpr auto kDecode = MakeDecodeTables();

static_assert(std::endian::native == std::endian::little, "the 8-byte stores below assume little endian");

// kEncodePairs[v] for a 12-bit v: its two characters, the first in the low
// byte (so a little-endian 2-byte store writes them in order).
constexpr std::array<uint16_t, 4096> MakeEncodePairs() {
  std::array<uint16_t, 4096> t{};
  for (uint32_t v = 0; v < 4096; ++v) {
    t[v] = static_cast<uint16_t>(static_cast<unsigned char>(kAlphabet[v >> 6]) |
                                 (static_cast<unsigned char>(kAlphabet[v & 63]) << 8));
  }
  return t;
}
constexpr auto kEncodePairs = MakeEncodePairs();

uint64_t LoadBigEndian64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return __builtin_bswap64(w);
}

void StoreLittleEndian64(uint64_t v, char* p) { std::memcpy(p, &v, 8); }

#ifdef SPATE_BASE64_AVX2
// Encodes 24 bytes into 32 characters per step while at least 28 bytes
// remain (each step loads 16 bytes at +0 and at +12). Returns the bytes
// consumed, a multiple of 24; it wrote that / 3 * 4 characters at dst.
__attribute__((target("avx2"))) size_t EncodeAvx2(const unsigned char* src, size_t n, char* dst) {
  // Per 3-byte group a,b,c: the bytes b,a,c,b, i.e. the 16-bit words a:b and b:c.
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  // Indexes 0 and 2 (bits 15..10 of a:b, 11..6 of b:c) shifted down by a
  // high-half multiply; indexes 1 and 3 (bits 9..4 of a:b, 5..0 of b:c)
  // shifted up into the odd bytes by a low-half multiply.
  const __m256i mask02 = _mm256_set1_epi32(0x0fc0fc00);
  const __m256i mul02 = _mm256_set1_epi32(0x04000040);
  const __m256i mask13 = _mm256_set1_epi32(0x003f03f0);
  const __m256i mul13 = _mm256_set1_epi32(0x01000010);
  // Offset from an index to its character by range class: 0 for 26..51
  // ('a' - 26), 1..10 for 52..61 ('0' - 52), 11 for 62 ('+' - 62), 12 for 63
  // ('/' - 63), 13 for 0..25 ('A').
  const __m256i offsets = _mm256_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0,  //
                                           71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  const __m256i k51 = _mm256_set1_epi8(51);
  const __m256i k26 = _mm256_set1_epi8(26);
  const __m256i k13 = _mm256_set1_epi8(13);
  size_t done = 0;
  for (; n - done >= 28; done += 24, dst += 32) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + done));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + done + 12));
    const __m256i in = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), spread);
    const __m256i idx = _mm256_or_si256(_mm256_mulhi_epu16(_mm256_and_si256(in, mask02), mul02),
                                        _mm256_mullo_epi16(_mm256_and_si256(in, mask13), mul13));
    __m256i cls = _mm256_subs_epu8(idx, k51);
    cls = _mm256_or_si256(cls, _mm256_and_si256(_mm256_cmpgt_epi8(k26, idx), k13));
    const __m256i chars = _mm256_add_epi8(idx, _mm256_shuffle_epi8(offsets, cls));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), chars);
  }
  return done;
}

// Decodes 8 quanta (32 characters, none '=') into 24 bytes per step while
// at least 8 quanta remain and `dst_room` allows the 32-byte store. Stops
// before a block holding a character outside the alphabet. Returns the
// quanta decoded. `dst` may equal `src` (in place) or be disjoint from it.
__attribute__((target("avx2"))) size_t DecodeAvx2(const unsigned char* src, size_t quanta, char* dst, size_t dst_room) {
  // Bit sets by low nibble and bits by high nibble: a character is valid iff
  // they do not intersect. High nibble 2: '+' (low B) and '/' (low F);
  // 3: '0'..'9' (low 0..9); 4 and 6: 'A'..'O', 'a'..'o' (low 1..F); 5 and 7:
  // 'P'..'Z', 'p'..'z' (low 0..A); anything else (0, 1, 8..F): never.
  const __m256i lut_lo = _mm256_setr_epi8(
      0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,  //
      0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m256i lut_hi = _mm256_setr_epi8(
      0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,  //
      0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // Offset from character to value by high nibble (index 1: '/', whose
  // nibble 2 is lowered by one by the compare below): '+' + 19 = 62,
  // '/' + 16 = 63, '0' + 4 = 52, 'A' - 65 = 0, 'a' - 71 = 26.
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  // Per 4 values a,b,c,d: a << 6 | b and c << 6 | d (16 bits each), then
  // (a:b) << 12 | (c:d), the 3 output bytes in the low 24 bits, little end
  // first; the shuffles put them in order and close the gaps.
  const __m256i merge_pairs = _mm256_set1_epi32(0x01400140);
  const __m256i merge_quads = _mm256_set1_epi32(0x00011000);
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                         2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i gather = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  size_t done = 0;
  for (; quanta - done >= 8 && dst_room - done * 3 >= 32; done += 8) {
    const __m256i in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + done * 4));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(in, 4), nibble);
    const __m256i lo = _mm256_and_si256(in, nibble);
    if (!_mm256_testz_si256(_mm256_shuffle_epi8(lut_lo, lo), _mm256_shuffle_epi8(lut_hi, hi))) break;
    const __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(in, slash), hi));
    const __m256i values = _mm256_add_epi8(in, roll);
    const __m256i words = _mm256_madd_epi16(_mm256_maddubs_epi16(values, merge_pairs), merge_quads);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, order), gather);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + done * 3), bytes);
  }
  return done;
}

bool CpuHasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
const bool kHaveAvx2 = CpuHasAvx2();
#endif

// The table-driven encoder (see the top of this file): n bytes at src into
// (n + 2) / 3 * 4 characters at dst.
void EncodeTables(const unsigned char* src, size_t n, char* dst) {
  const unsigned char* const end = src + n;
  // Six bytes per step, read with one 8-byte load (so while 8 remain),
  // written as eight characters with one 8-byte store.
  while (end - src >= 8) {
    const uint64_t w = LoadBigEndian64(src);  // bytes 0..5 in bits 63..16
    const uint64_t chars =
        uint64_t{kEncodePairs[(w >> 52) & 0xfff]} | (uint64_t{kEncodePairs[(w >> 40) & 0xfff]} << 16) |
        (uint64_t{kEncodePairs[(w >> 28) & 0xfff]} << 32) | (uint64_t{kEncodePairs[(w >> 16) & 0xfff]} << 48);
    StoreLittleEndian64(chars, dst);
    src += 6;
    dst += 8;
  }
  for (; end - src >= 3; src += 3, dst += 4) {
    const uint32_t g = (uint32_t{src[0]} << 16) | (uint32_t{src[1]} << 8) | src[2];
    const uint16_t hi = kEncodePairs[g >> 12], lo = kEncodePairs[g & 0xfff];
    std::memcpy(dst, &hi, 2);
    std::memcpy(dst + 2, &lo, 2);
  }
  switch (end - src) {
    case 1: {
      const uint32_t g = uint32_t{src[0]} << 16;
      dst[0] = kAlphabet[g >> 18];
      dst[1] = kAlphabet[(g >> 12) & 63];
      dst[2] = kPad;
      dst[3] = kPad;
      break;
    }
    case 2: {
      const uint32_t g = (uint32_t{src[0]} << 16) | (uint32_t{src[1]} << 8);
      dst[0] = kAlphabet[g >> 18];
      dst[1] = kAlphabet[(g >> 12) & 63];
      dst[2] = kAlphabet[(g >> 6) & 63];
      dst[3] = kPad;
      break;
    }
    default: break;
  }
}

constexpr std::string_view kNotCanonical = "Invalid last non-pad Base64 character dectected";

bool IsAlphabet(unsigned char c) { return kDecode[3][c] != kBad; }

// Explains why `text` (length a multiple of 4) is not a canonical encoding,
// in AWS's order: first an invalid character (a character outside the
// alphabet and '=', or a '=' followed by something other than '='), otherwise
// "not canonical". Only runs on failure.
void Diagnose(std::string_view text, std::string* error) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool invalid = c == kPad ? (i + 1 < text.size() && text[i + 1] != kPad) : !IsAlphabet(c);
    if (invalid) {
      error->assign("Invalid Base64 character: '");
      error->push_back(static_cast<char>(c));
      error->push_back('\'');
      return;
    }
  }
  error->assign(kNotCanonical);
}

}  // namespace

void Base64EncodeAppend(std::string_view bytes, std::string* out) {
  const size_t n = bytes.size();
  const size_t old_size = out->size();
  out->resize(old_size + (n + 2) / 3 * 4);
  char* dst = out->data() + old_size;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t done = 0;
#ifdef SPATE_BASE64_AVX2
  if (kHaveAvx2) done = EncodeAvx2(src, n, dst);
#endif
  EncodeTables(src + done, n - done, dst + done / 3 * 4);
}

void Base64EncodeAppendPortable(std::string_view bytes, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + (bytes.size() + 2) / 3 * 4);
  EncodeTables(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out->data() + old_size);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64EncodeAppend(bytes, &out);
  return out;
}

namespace {

// Decodes a text's last quantum, "xxxx", "xxx=" or "xx==" (the unused low
// bits of its last character zero), into the 3, 2 or 1 bytes at d. Returns
// how many, or -1 if the quantum is not canonical.
ptrdiff_t DecodeLastQuantum(const unsigned char* s, char* d) {
  size_t pad = 0;
  if (s[3] == kPad) pad = s[2] == kPad ? 2 : 1;
  uint32_t g = kDecode[0][s[0]] | kDecode[1][s[1]];
  if (pad < 2) g |= kDecode[2][s[2]];
  if (pad < 1) g |= kDecode[3][s[3]];
  const uint32_t unused_bits = pad == 2 ? 0xffffu : pad == 1 ? 0xffu : 0u;
  if ((g & kBad) || (g & unused_bits) != 0) return -1;
  d[0] = static_cast<char>(g >> 16);
  if (pad < 2) d[1] = static_cast<char>(g >> 8);
  if (pad < 1) d[2] = static_cast<char>(g);
  return static_cast<ptrdiff_t>(3 - pad);
}

// Decodes the n characters at src (n a positive multiple of 4, the last
// quantum possibly padded) into n / 4 * 3 - padding bytes at dst, which may
// equal src (in place) or be disjoint from it with room for n / 4 * 3
// bytes. Returns the bytes written, or -1 if the text is not canonical base64.
// On failure, only bytes before *intact_chars of src were overwritten (0
// when not in place): the first *intact_chars / 4 * 3 bytes at dst are what
// those characters decode to.
ptrdiff_t DecodeQuanta(const unsigned char* src, size_t n, char* dst, size_t* intact_chars) {
  const size_t body_quanta = n / 4 - 1;  // all but the last carry no padding
  const size_t dst_room = n / 4 * 3;
  size_t q = 0;  // quanta decoded
#ifdef SPATE_BASE64_AVX2
  if (kHaveAvx2) q = DecodeAvx2(src, body_quanta, dst, dst_room);
#endif
  *intact_chars = q * 4;
  // Two quanta per step, six bytes written with one 8-byte store while at
  // least 8 bytes of output room remain (the 2 extra are overwritten later).
  for (; body_quanta - q >= 2 && dst_room - q * 3 >= 8; q += 2) {
    const unsigned char* s = src + q * 4;
    const uint32_t g0 = kDecode[0][s[0]] | kDecode[1][s[1]] | kDecode[2][s[2]] | kDecode[3][s[3]];
    const uint32_t g1 = kDecode[0][s[4]] | kDecode[1][s[5]] | kDecode[2][s[6]] | kDecode[3][s[7]];
    if ((g0 | g1) & kBad) return -1;
    // Output bytes g0 >> 16, g0 >> 8, g0, g1 >> 16, g1 >> 8, g1: big-endian
    // in the top 48 bits of a 64-bit word.
    const uint64_t w = (uint64_t{g0} << 40) | (uint64_t{g1} << 16);
    StoreLittleEndian64(__builtin_bswap64(w), dst + q * 3);
    *intact_chars = (q + 2) * 4;
  }
  for (; q < body_quanta; ++q) {
    const unsigned char* s = src + q * 4;
    const uint32_t g = kDecode[0][s[0]] | kDecode[1][s[1]] | kDecode[2][s[2]] | kDecode[3][s[3]];
    if (g & kBad) return -1;
    char* d = dst + q * 3;
    d[0] = static_cast<char>(g >> 16);
    d[1] = static_cast<char>(g >> 8);
    d[2] = static_cast<char>(g);
    *intact_chars = (q + 1) * 4;
  }

  const ptrdiff_t last = DecodeLastQuantum(src + q * 4, dst + q * 3);
  return last < 0 ? -1 : static_cast<ptrdiff_t>(q * 3) + last;
}

bool CheckLength(size_t n, std::string* error) {
  if (n % 4 == 0) return true;
  error->assign("Base64 encoded length is expected a multiple of 4 bytes but found: ");
  error->append(std::to_string(n));
  return false;
}

}  // namespace

bool Base64Decode(std::string_view text, std::string* out, std::string* error) {
  out->clear();
  if (!CheckLength(text.size(), error)) return false;
  if (text.empty()) return true;
  out->resize(text.size() / 4 * 3);
  size_t intact = 0;
  const ptrdiff_t n =
      DecodeQuanta(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out->data(), &intact);
  if (n < 0) {
    out->clear();
    Diagnose(text, error);
    return false;
  }
  out->resize(static_cast<size_t>(n));
  return true;
}

bool Base64DecodeInPlace(std::string* text, std::string* error) {
  if (!CheckLength(text->size(), error)) return false;
  if (text->empty()) return true;
  size_t intact = 0;
  char* data = text->data();
  const ptrdiff_t n = DecodeQuanta(reinterpret_cast<const unsigned char*>(data), text->size(), data, &intact);
  if (n < 0) {
    // Put the decoded prefix back: it came from whole valid quanta without
    // padding, which encode back to exactly the characters they replaced.
    const std::string prefix(data, intact / 4 * 3);
    std::string chars;
    Base64EncodeAppend(prefix, &chars);
    std::memcpy(data, chars.data(), chars.size());
    Diagnose(*text, error);
    return false;
  }
  text->resize(static_cast<size_t>(n));
  return true;
}

size_t Base64DecodeTerminated(std::string_view input, char terminator, size_t expected_bytes, std::string* out) {
  const auto* src = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  const auto term = static_cast<unsigned char>(terminator);
  if (term == kPad || IsAlphabet(term)) return std::string_view::npos;
  out->resize(std::max<size_t>(expected_bytes, 16));
  // Whole quanta without padding, decoded into (*out)[0, q * 3). The
  // vectorised loop stops before a block holding a character outside the
  // alphabet ('=', the terminator, anything invalid), or short of input or
  // room; the table-driven loop then goes on quantum by quantum until such
  // a character, the end of the input, or the end of the room, which grows.
  size_t q = 0;
  bool grow = true;
  while (grow) {
    grow = false;
    if (out->size() - q * 3 < 3) out->resize(out->size() * 2);
    char* dst = out->data();
    const size_t room = out->size();
#ifdef SPATE_BASE64_AVX2
    if (kHaveAvx2) q += DecodeAvx2(src + q * 4, (n - q * 4) / 4, dst + q * 3, room - q * 3);
#endif
    for (; n - q * 4 >= 4; ++q) {
      const unsigned char* s = src + q * 4;
      const uint32_t g = kDecode[0][s[0]] | kDecode[1][s[1]] | kDecode[2][s[2]] | kDecode[3][s[3]];
      if (g & kBad) break;
      if (room - q * 3 < 3) {
        grow = true;
        break;
      }
      char* d = dst + q * 3;
      d[0] = static_cast<char>(g >> 16);
      d[1] = static_cast<char>(g >> 8);
      d[2] = static_cast<char>(g);
    }
  }
  const size_t p = q * 4;
  if (p < n && src[p] == term) {  // ends on a whole quantum
    out->resize(q * 3);
    return p;
  }
  // A padded last quantum ("xxx=" or "xx=="; an unpadded one that stopped
  // the loop holds a character outside the alphabet), then the terminator.
  if (n - p < 5 || src[p + 3] != kPad || src[p + 4] != term) return std::string_view::npos;
  out->resize(q * 3 + 3);
  const ptrdiff_t last = DecodeLastQuantum(src + p, out->data() + q * 3);
  if (last < 0) return std::string_view::npos;
  out->resize(q * 3 + static_cast<size_t>(last));
  return p + 4;
}

}  // namespace spate::util
