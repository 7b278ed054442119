#pragma once

// Building blocks shared by the Value codecs (json_codec.cc, cbor_codec.cc)
// and StreamWriter, so both produce identical bytes. Not for other callers.

#include <cstdint>
#include <string>
#include <string_view>

namespace spate::protocol::internal {

// JSON: a quoted, escaped string; an integer; a timestamp (WriteJson's
// epoch-seconds form).
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonInt(int64_t i, std::string* out);
void AppendJsonTimestamp(int64_t ms, std::string* out);

// CBOR: a head (major type and argument, shortest form); an integer; a
// timestamp (tag 1 + integer epoch milliseconds).
inline constexpr uint8_t kCborMajorBytes = 2;
inline constexpr uint8_t kCborMajorText = 3;
inline constexpr uint8_t kCborMajorArray = 4;
inline constexpr uint8_t kCborMajorMap = 5;
void AppendCborHead(uint8_t major, uint64_t arg, std::string* out);
void AppendCborInt(int64_t i, std::string* out);
void AppendCborTimestamp(int64_t ms, std::string* out);

}  // namespace spate::protocol::internal
