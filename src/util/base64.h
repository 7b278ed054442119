#pragma once

#include <string>
#include <string_view>

namespace spate::util {

// Base64 with the standard alphabet (RFC 4648 section 4) and '=' padding, as
// the JSON 1.1 protocol carries blobs (record Data).
//
// The decoder is as strict as AWS (Java coral): it accepts exactly the strings
// that some byte string encodes to, i.e. the canonical encoding. Its error
// messages are AWS's, without the "'<text>' can not be converted to a Blob: "
// prefix that the service-model validator adds:
//   - length not a multiple of 4:
//       "Base64 encoded length is expected a multiple of 4 bytes but found: <n>"
//   - a character outside the alphabet, or a '=' followed by anything other
//     than '=' (the first such character is named):
//       "Invalid Base64 character: '<c>'"
//   - anything else that is not canonical (non-zero unused bits in the last
//     character, three or four '=', padding before the last quantum):
//       "Invalid last non-pad Base64 character dectected"   (sic, AWS's typo)
// Whitespace and line breaks are not accepted.

// Returns the encoding of `bytes`.
std::string Base64Encode(std::string_view bytes);

// Appends the encoding of `bytes` to *out (one resize, no reallocation inside).
// Vectorised where the CPU allows (AVX2).
void Base64EncodeAppend(std::string_view bytes, std::string* out);
// The same without the vectorised loop, for tests to compare against.
void Base64EncodeAppendPortable(std::string_view bytes, std::string* out);

// Decodes `text` into *out, replacing its contents. Returns true on success.
// On failure returns false, clears *out and sets *error to the message above.
// The empty string decodes to the empty byte string.
bool Base64Decode(std::string_view text, std::string* out, std::string* error);

// The same, decoding *text into itself (no allocation, no copy: the JSON
// path decodes every record's Data this way). On success *text holds the
// bytes; on failure it is unchanged and *error is set as above.
bool Base64DecodeInPlace(std::string* text, std::string* error);

// Decodes the base64 text at the start of `input` that ends at the first
// `terminator` (a character outside the alphabet and '=': a JSON string's
// closing quote), in one pass, without a scan for the terminator first.
// On success returns the text's length (input[length] is the terminator)
// and *out holds exactly what Base64Decode(input.substr(0, length)) would
// decode. Returns std::string_view::npos, *out unspecified, when the text up
// to a terminator is not something Base64Decode accepts, or `input` holds no
// terminator. `expected_bytes`: the output size to allocate first (the
// previous record's, say); *out grows as needed.
size_t Base64DecodeTerminated(std::string_view input, char terminator, size_t expected_bytes, std::string* out);

}  // namespace spate::util
