#include "util/base64.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace spate::util {

// Hand-written because it is on the data path (every JSON PutRecord(s) and
// GetRecords record passes through it: ~1 KiB records at 100 MB/s) and no
// well-kept Debian library offers a simple, fast std::string API (OpenSSL's
// EVP_DecodeBlock neither reports padding nor is strict). Both directions are
// table-driven and handle one 3-byte / 4-character quantum per step.

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
  const unsigned char* const full_end = src + n / 3 * 3;
  for (; src != full_end; src += 3, dst += 4) {
    const uint32_t g = (uint32_t{src[0]} << 16) | (uint32_t{src[1]} << 8) | src[2];
    dst[0] = kAlphabet[g >> 18];
    dst[1] = kAlphabet[(g >> 12) & 63];
    dst[2] = kAlphabet[(g >> 6) & 63];
    dst[3] = kAlphabet[g & 63];
  }
  switch (n % 3) {
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
    default:
      break;
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64EncodeAppend(bytes, &out);
  return out;
}

bool Base64Decode(std::string_view text, std::string* out, std::string* error) {
  const size_t n = text.size();
  out->clear();
  if (n % 4 != 0) {
    error->assign("Base64 encoded length is expected a multiple of 4 bytes but found: ");
    error->append(std::to_string(n));
    return false;
  }
  if (n == 0) return true;

  // All quanta but the last carry no padding: decode them in the fast loop.
  out->resize(n / 4 * 3);
  char* dst = out->data();
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const body_end = src + n - 4;
  for (; src != body_end; src += 4, dst += 3) {
    const uint32_t g = kDecode[0][src[0]] | kDecode[1][src[1]] | kDecode[2][src[2]] | kDecode[3][src[3]];
    if (g & kBad) {
      out->clear();
      Diagnose(text, error);
      return false;
    }
    dst[0] = static_cast<char>(g >> 16);
    dst[1] = static_cast<char>(g >> 8);
    dst[2] = static_cast<char>(g);
  }

  // The last quantum: "xxxx", "xxx=" or "xx==", with the unused low bits of
  // the last character zero.
  size_t pad = 0;
  if (src[3] == kPad) pad = src[2] == kPad ? 2 : 1;
  uint32_t g = kDecode[0][src[0]] | kDecode[1][src[1]];
  if (pad < 2) g |= kDecode[2][src[2]];
  if (pad < 1) g |= kDecode[3][src[3]];
  const uint32_t unused_bits = pad == 2 ? 0xffffu : pad == 1 ? 0xffu : 0u;
  if ((g & kBad) || (g & unused_bits) != 0) {
    out->clear();
    Diagnose(text, error);
    return false;
  }
  dst[0] = static_cast<char>(g >> 16);
  dst[1] = static_cast<char>(g >> 8);
  dst[2] = static_cast<char>(g);
  out->resize(out->size() - pad);
  return true;
}

}  // namespace spate::util
