#pragma once

#include <string>
#include <string_view>

namespace spate::util {

// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// SHA-256 of `data`, as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace spate::util
