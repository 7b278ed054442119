// The load generator's base64 decoder (RFC 4648 section 4, '=' padding), for
// draining GetRecords answers in JSON: every record's Data is decoded, as a
// real consumer decodes it, and must not bound the drain it measures.
//
// Strict: it accepts exactly the canonical encodings (length a multiple of 4,
// only the 64 alphabet characters, one or two '=' only at the end, unused
// bits of the last character zero), so a server sending anything else is
// noticed. Vectorised with AVX2 where the CPU has it, 32 characters into 24
// bytes per step; the same results as the scalar loop
// (`spate_loadgen selftest` compares them).
#pragma once

#include <cstddef>
#include <string_view>

namespace spate::bench {

// Bytes of output room Base64Decode may write beyond the decoded length.
inline constexpr size_t kBase64DecodeSlack = 8;

// Upper bound of the decoded size of `text` (exact unless it is padded).
inline size_t Base64DecodedMax(std::string_view text) { return text.size() / 4 * 3; }

// Decodes `text` into `out`, which must have room for
// Base64DecodedMax(text) + kBase64DecodeSlack bytes. Returns the decoded
// length, or -1 if `text` is not a canonical encoding.
ptrdiff_t Base64Decode(std::string_view text, char* out);
// The same without the vectorised loop (for the self-test).
ptrdiff_t Base64DecodeScalar(std::string_view text, char* out);

}  // namespace spate::bench
