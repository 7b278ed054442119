#pragma once

// SHA-256 and HMAC-SHA256 over OpenSSL's EVP: the one implementation behind
// SigV4 (signing, util/sigv4_signer.h, and verifying, server/sigv4.h), the
// peer-forwarding signature and the S3 payload hashes. Pure functions, safe
// from any thread.

#include <string>
#include <string_view>

namespace spate::util {

// SHA-256 of `data`: 32 raw bytes.
std::string Sha256(std::string_view data);
// SHA-256 of `data`, as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Lowercase hex of any bytes.
std::string HexLower(std::string_view bytes);
// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace spate::util
