#include "util/base64.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace spate::util {
namespace {

std::string MustDecode(std::string_view text) {
  std::string out, error;
  EXPECT_TRUE(Base64Decode(text, &out, &error)) << text << ": " << error;
  return out;
}

std::string DecodeError(std::string_view text) {
  std::string out = "stale", error;
  EXPECT_FALSE(Base64Decode(text, &out, &error)) << text;
  EXPECT_TRUE(out.empty()) << "output not cleared on failure for " << text;
  return error;
}

TEST(Base64, Rfc4648TestVectors) {
  const std::pair<std::string, std::string> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(MustDecode(encoded), plain);
  }
}

TEST(Base64, EncodeAppendKeepsExistingContent) {
  std::string out = "prefix:";
  Base64EncodeAppend("foobar", &out);
  EXPECT_EQ(out, "prefix:Zm9vYmFy");
}

// The vectorised encoder (AVX2, where the CPU has it) and the table-driven
// one agree on every length around its 24-byte steps and 28-byte reach, at
// every alignment, over random bytes and over each of the 64 indexes.
TEST(Base64, VectorisedEncoderMatchesTheTableDrivenOne) {
  std::mt19937 rng(7);
  std::string bytes(512 + 32, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 32; ++offset) {
    for (size_t n = 0; n <= 512; ++n) {
      std::string_view in(bytes.data() + offset, n);
      std::string fast = "x", portable = "x";
      Base64EncodeAppend(in, &fast);
      Base64EncodeAppendPortable(in, &portable);
      ASSERT_EQ(fast, portable) << "offset " << offset << " length " << n;
      std::string back, error;
      ASSERT_TRUE(Base64Decode(std::string_view(fast).substr(1), &back, &error)) << error;
      ASSERT_EQ(back, in);
    }
  }
  // Every 6-bit index in every position of a vector step: bytes whose
  // groups run through 0..63 (each 3 bytes carry the indexes i, i+1, i+2, i+3).
  std::string all;
  for (int i = 0; i < 64; ++i) {
    const uint32_t g =
        (uint32_t(i) << 18) | (uint32_t((i + 1) & 63) << 12) | (uint32_t((i + 2) & 63) << 6) | uint32_t((i + 3) & 63);
    all.push_back(static_cast<char>(g >> 16));
    all.push_back(static_cast<char>(g >> 8));
    all.push_back(static_cast<char>(g));
  }
  std::string fast, portable;
  Base64EncodeAppend(all, &fast);
  Base64EncodeAppendPortable(all, &portable);
  EXPECT_EQ(fast, portable);
  EXPECT_NE(portable.find("+/AB"), std::string::npos);
}

TEST(Base64, DecodeReplacesOutput) {
  std::string out = "old", error;
  ASSERT_TRUE(Base64Decode("Zm8=", &out, &error));
  EXPECT_EQ(out, "fo");
}

TEST(Base64, UsesStandardAlphabetWithPlusAndSlash) {
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(MustDecode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= bytes.size(); ++len) {
    const std::string plain = bytes.substr(0, len);
    const std::string encoded = Base64Encode(plain);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4);
    EXPECT_EQ(MustDecode(encoded), plain);
  }
}

TEST(Base64, LargeRecordRoundTrips) {
  std::string plain(1 << 20, '\0');
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<char>(i * 7 + (i >> 8));
  EXPECT_EQ(MustDecode(Base64Encode(plain)), plain);
}

TEST(Base64, EmptyStringDecodesToEmpty) { EXPECT_EQ(MustDecode(""), ""); }

TEST(Base64, RejectsLengthNotMultipleOfFour) {
  EXPECT_EQ(DecodeError("23456"), "Base64 encoded length is expected a multiple of 4 bytes but found: 5");
  EXPECT_EQ(DecodeError("Zg="), "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
  EXPECT_EQ(DecodeError("Z"), "Base64 encoded length is expected a multiple of 4 bytes but found: 1");
}

TEST(Base64, LengthIsCheckedBeforeCharacters) {
  EXPECT_EQ(DecodeError("***"), "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
}

TEST(Base64, RejectsCharacterOutsideAlphabet) {
  EXPECT_EQ(DecodeError("ab*d"), "Invalid Base64 character: '*'");
  EXPECT_EQ(DecodeError("Zm9vYmFy Zm9v"), "Base64 encoded length is expected a multiple of 4 bytes but found: 13");
  EXPECT_EQ(DecodeError("Zm9v Zm9"), "Invalid Base64 character: ' '");
  EXPECT_EQ(DecodeError("Zm9-"), "Invalid Base64 character: '-'");  // URL-safe alphabet is not accepted
  EXPECT_EQ(DecodeError("Zm9_"), "Invalid Base64 character: '_'");
  EXPECT_EQ(DecodeError("Zm9v\nZm9"), "Invalid Base64 character: '\n'");
}

TEST(Base64, RejectsNonAsciiAndNulBytes) {
  EXPECT_EQ(DecodeError(std::string("Zm\0v", 4)), std::string("Invalid Base64 character: '\0'", 29));
  EXPECT_EQ(DecodeError("Zm\xc3\xa9"), "Invalid Base64 character: '\xc3'");
}

TEST(Base64, ReportsFirstInvalidCharacter) { EXPECT_EQ(DecodeError("Zm9vY*F!"), "Invalid Base64 character: '*'"); }

TEST(Base64, RejectsPadFollowedByNonPad) {
  // AWS: '=+/=' can not be converted to a Blob: Invalid Base64 character: '='
  EXPECT_EQ(DecodeError("=+/="), "Invalid Base64 character: '='");
  EXPECT_EQ(DecodeError("Zg=A"), "Invalid Base64 character: '='");
  EXPECT_EQ(DecodeError("Zg==Zm9v"), "Invalid Base64 character: '='");
}

TEST(Base64, RejectsNonZeroUnusedBits) {
  // AWS: '+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected
  EXPECT_EQ(DecodeError("+/+="), "Invalid last non-pad Base64 character dectected");
  EXPECT_EQ(DecodeError("Zh=="), "Invalid last non-pad Base64 character dectected");
  EXPECT_EQ(DecodeError("Zm9="), "Invalid last non-pad Base64 character dectected");
}

TEST(Base64, RejectsThreeOrFourPads) {
  EXPECT_EQ(DecodeError("A==="), "Invalid last non-pad Base64 character dectected");
  EXPECT_EQ(DecodeError("===="), "Invalid last non-pad Base64 character dectected");
  EXPECT_EQ(DecodeError("Zm9v===="), "Invalid last non-pad Base64 character dectected");
}

TEST(Base64, RejectsPaddingBeforeLastQuantum) {
  // Only '=' follow the first '=', so no character is invalid, but the text is
  // not the encoding of anything.
  EXPECT_EQ(DecodeError("Zg======"), "Invalid last non-pad Base64 character dectected");
}

TEST(Base64, InvalidCharacterWinsOverNonCanonicalEnding) {
  EXPECT_EQ(DecodeError("Zm*vZh=="), "Invalid Base64 character: '*'");
  EXPECT_EQ(DecodeError("Zm9vZ*=="), "Invalid Base64 character: '*'");
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A bit-by-bit reference encoder, independent of the table-driven one.
std::string ReferenceEncode(std::string_view bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

TEST(Base64, EveryLengthAndAlignmentMatchesReference) {
  // Lengths around the 6-byte / 8-character wide steps and their tails, at
  // every offset of the source within a buffer.
  std::mt19937 rng(42);
  std::string pool(200, '\0');
  for (char& c : pool) c = static_cast<char>(rng());
  for (size_t len = 0; len <= 70; ++len) {
    for (size_t offset = 0; offset < 8; ++offset) {
      const std::string_view bytes(pool.data() + offset, len);
      const std::string text = Base64Encode(bytes);
      ASSERT_EQ(text, ReferenceEncode(bytes)) << len << "@" << offset;
      ASSERT_EQ(MustDecode(text), bytes) << len << "@" << offset;
    }
  }
}

TEST(Base64, InvalidCharacterIsFoundInEveryPositionOfLongInput) {
  const std::string valid = Base64Encode(std::string(60, 'q'));  // 80 characters
  for (size_t i = 0; i < valid.size(); ++i) {
    std::string text = valid;
    text[i] = '!';
    ASSERT_EQ(DecodeError(text), "Invalid Base64 character: '!'") << i;
  }
}

// Decodes `text` both ways (into a new string and in place) and checks
// they agree, in success and in failure; returns the bytes, or the error
// prefixed with "error: ".
std::string DecodeBothWays(const std::string& text) {
  std::string out, error;
  const bool ok = Base64Decode(text, &out, &error);
  std::string in_place = text, in_place_error;
  const bool ok_in_place = Base64DecodeInPlace(&in_place, &in_place_error);
  EXPECT_EQ(ok, ok_in_place) << text;
  if (!ok) {
    EXPECT_EQ(in_place, text) << "a failed in-place decode leaves the text as it was";
    EXPECT_EQ(in_place_error, error);
    return "error: " + error;
  }
  EXPECT_EQ(in_place, out) << text;
  return out;
}

// Long enough for the vectorised decoder (32 characters per step) at every
// length and alignment around its steps and tails.
TEST(Base64, DecodeInPlaceMatchesDecodeAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::string pool(400, '\0');
  for (char& c : pool) c = static_cast<char>(rng());
  for (size_t len = 0; len <= 300; ++len) {
    for (size_t offset = 0; offset < 4; ++offset) {
      const std::string bytes = pool.substr(offset, len);
      const std::string text = ReferenceEncode(bytes);
      ASSERT_EQ(DecodeBothWays(text), bytes) << len << "@" << offset;
    }
  }
}

// Every byte value in every position of a long text: the vectorised
// classification must accept exactly the alphabet, as the tables do.
TEST(Base64, EveryByteValueInEveryPositionIsJudgedAsTheTablesJudgeIt) {
  const std::string valid = ReferenceEncode(std::string(150, '\x5a'));  // 200 characters, no padding
  for (size_t i : {size_t{0}, size_t{5}, size_t{31}, size_t{32}, size_t{63}, size_t{100}, size_t{150}, size_t{199}}) {
    for (int c = 0; c < 256; ++c) {
      std::string text = valid;
      text[i] = static_cast<char>(c);
      const bool in_alphabet = std::string_view(kAlphabet).find(static_cast<char>(c)) != std::string_view::npos;
      const std::string got = DecodeBothWays(text);
      if (in_alphabet) {
        EXPECT_EQ(got.rfind("error: ", 0), std::string::npos) << i << " " << c;
      } else if (c != '=') {  // a '=' may end a canonical text; DecodeBothWays checks both agree
        EXPECT_EQ(got, std::string("error: Invalid Base64 character: '") + static_cast<char>(c) + "'") << i << " " << c;
      }
    }
  }
}

TEST(Base64, RandomTextsDecodeAlikeBothWays) {
  std::mt19937 rng(11);
  const std::string chars = std::string(kAlphabet) + "=!-_ \n";
  for (int round = 0; round < 3000; ++round) {
    std::string text(4 * (rng() % 40), 'A');
    for (char& c : text) c = chars[rng() % (rng() % 8 == 0 ? chars.size() : 64)];
    DecodeBothWays(text);
  }
}

// Base64DecodeTerminated(text + '"' + rest) against Base64Decode(text):
// the same verdict, the same bytes, the length of the text.
void ExpectTerminatedAgrees(const std::string& text, const std::string& rest, size_t expected_bytes) {
  std::string want, error;
  const bool ok = Base64Decode(text, &want, &error);
  std::string got = "stale";
  const std::string input = text + '"' + rest;
  const size_t n = Base64DecodeTerminated(input, '"', expected_bytes, &got);
  if (!ok) {
    EXPECT_EQ(n, std::string_view::npos) << text;
    return;
  }
  EXPECT_EQ(n, text.size()) << text;
  EXPECT_EQ(got, want) << text;
}

TEST(Base64, TerminatedDecodeMatchesDecodeAtEveryLengthAndRoom) {
  std::mt19937 rng(17);
  std::string pool(400, '\0');
  for (char& c : pool) c = static_cast<char>(rng());
  for (size_t len = 0; len <= 300; ++len) {
    const std::string text = ReferenceEncode(pool.substr(len % 4, len));
    // Room too small (growth midway), exact, and larger than needed; what
    // follows the terminator is never read as text.
    for (size_t expected : {size_t{0}, len / 2, len, len + 100}) {
      ExpectTerminatedAgrees(text, "QUJD\",\"x\":1}", expected);
      ExpectTerminatedAgrees(text, "", expected);
    }
  }
}

TEST(Base64, TerminatedDecodeRefusesWhatDecodeRefuses) {
  for (const char* text :
       {"QUJ", "QR==", "QUJDR", "QUI=QUJD", "Q===", "====", "QU JD", "QUJD\\", "QUJ=\n", "QUJDRA=", "QUJDRA==="}) {
    ExpectTerminatedAgrees(text, "rest", 0);
  }
  std::string out;
  // No terminator at all, or only after an invalid character.
  EXPECT_EQ(Base64DecodeTerminated("QUJDQUJD", '"', 0, &out), std::string_view::npos);
  EXPECT_EQ(Base64DecodeTerminated("QUJD", '"', 0, &out), std::string_view::npos);
  EXPECT_EQ(Base64DecodeTerminated("QUJ\"", '"', 0, &out), std::string_view::npos);
  EXPECT_EQ(Base64DecodeTerminated("QR==", '"', 0, &out), std::string_view::npos);
  // A terminator from the alphabet, or '=', cannot end a text.
  EXPECT_EQ(Base64DecodeTerminated("QUJDA", 'A', 0, &out), std::string_view::npos);
  EXPECT_EQ(Base64DecodeTerminated("QUJD=", '=', 0, &out), std::string_view::npos);
}

TEST(Base64, TerminatedDecodeOfRandomTextsAgrees) {
  std::mt19937 rng(23);
  const std::string chars = std::string(kAlphabet) + "=!-_ \n\\";
  for (int round = 0; round < 3000; ++round) {
    std::string text(rng() % 160, 'A');
    for (char& c : text) c = chars[rng() % (rng() % 8 == 0 ? chars.size() : 64)];
    ExpectTerminatedAgrees(text, "}", rng() % 200);
  }
}

}  // namespace
}  // namespace spate::util
