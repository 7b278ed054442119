#pragma once

// AWS event-stream framing (application/vnd.amazon.eventstream), the body of
// a SubscribeToShard response. Byte layout in docs/formats/event_stream.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::protocol::event_stream {

// Wire constants (docs/formats/event_stream.md).
inline constexpr size_t kPreludeBytes = 12;  // total_len u32 | headers_len u32 | prelude_crc u32
inline constexpr size_t kTrailerBytes = 4;   // message_crc u32
inline constexpr size_t kMaxMessageBytes = 16u << 20;
inline constexpr size_t kMaxHeadersBytes = 128u << 10;
inline constexpr uint8_t kHeaderTypeString = 7;

// A header as Spate writes them: every value is a string (type 7). Decoding
// accepts every header type and renders non-string values as their raw
// bytes (enough for tests and tools).
using Header = std::pair<std::string, std::string>;

struct Message {
  std::vector<Header> headers;
  std::string payload;

  // The first header of that name, or nullopt.
  std::optional<std::string_view> HeaderValue(std::string_view name) const;
};

// Plain CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as the
// event-stream format uses; not the CRC-32C of the shard log.
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

// Encodes one message. Header names must be 1-255 bytes and values at most
// 65535 bytes (asserted: callers pass constants and AWS type names).
std::string Encode(const Message& message);

// The three message kinds SubscribeToShard sends.
//   :message-type event, :event-type <type>, :content-type application/json
std::string EncodeEvent(std::string_view event_type, std::string payload);
//   :message-type exception, :exception-type <type>, payload {"message": ...}
std::string EncodeException(std::string_view exception_type, std::string_view message);

// Decodes the message at the front of `*in` and removes it. nullopt (input
// untouched) if `*in` holds less than a whole message; `*error` is set
// instead when the bytes are malformed (bad lengths or checksums).
std::optional<Message> Decode(std::string_view* in, std::string* error);

}  // namespace spate::protocol::event_stream
