#include "protocol/event_stream.h"

#include <array>

#include "base/assert.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::protocol::event_stream {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

void PutBe32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}
void PutBe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}
uint32_t GetBe32(const char* p) {
  auto u = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}
uint16_t GetBe16(const char* p) {
  return static_cast<uint16_t>((static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]));
}

// Value bytes of the fixed-size header types; -1 for variable (u16 length).
int FixedValueBytes(uint8_t type) {
  switch (type) {
    case 0:  // bool true
    case 1:  // bool false
      return 0;
    case 2: return 1;   // byte
    case 3: return 2;   // short
    case 4: return 4;   // int
    case 5: return 8;   // long
    case 6:             // bytes
    case 7: return -1;  // string
    case 8: return 8;   // timestamp (ms)
    case 9: return 16;  // uuid
    default: return -2;
  }
}

}  // namespace

std::optional<std::string_view> Message::HeaderValue(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.first == name) return std::string_view(h.second);
  }
  return std::nullopt;
}

uint32_t Crc32(std::string_view bytes, uint32_t crc) {
  crc = ~crc;
  for (unsigned char c : bytes) crc = kCrcTable[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string Encode(const Message& m) {
  std::string headers;
  for (const Header& h : m.headers) {
    SPATE_ASSERT(!h.first.empty() && h.first.size() <= 255, "event-stream header name length");
    SPATE_ASSERT(h.second.size() <= 0xFFFF, "event-stream header value length");
    headers.push_back(static_cast<char>(h.first.size()));
    headers.append(h.first);
    headers.push_back(static_cast<char>(kHeaderTypeString));
    PutBe16(&headers, static_cast<uint16_t>(h.second.size()));
    headers.append(h.second);
  }
  size_t total = kPreludeBytes + headers.size() + m.payload.size() + kTrailerBytes;
  std::string out;
  out.reserve(total);
  PutBe32(&out, static_cast<uint32_t>(total));
  PutBe32(&out, static_cast<uint32_t>(headers.size()));
  PutBe32(&out, Crc32(std::string_view(out.data(), 8)));
  out.append(headers);
  out.append(m.payload);
  PutBe32(&out, Crc32(out));
  return out;
}

std::string EncodeEvent(std::string_view event_type, std::string payload) {
  Message m;
  m.headers = {
      {":event-type", std::string(event_type)}, {":content-type", "application/json"}, {":message-type", "event"}};
  m.payload = std::move(payload);
  return Encode(m);
}

std::string EncodeException(std::string_view exception_type, std::string_view message) {
  Value body = Value::MakeObject();
  body.Set("message", Value::String(std::string(message)));
  Message m;
  m.headers = {{":exception-type", std::string(exception_type)},
               {":content-type", "application/json"},
               {":message-type", "exception"}};
  WriteJson(body, &m.payload);
  return Encode(m);
}

std::optional<Message> Decode(std::string_view* in, std::string* error) {
  if (in->size() < kPreludeBytes) return std::nullopt;
  const char* p = in->data();
  uint32_t total = GetBe32(p);
  uint32_t headers_len = GetBe32(p + 4);
  if (GetBe32(p + 8) != Crc32(std::string_view(p, 8))) {
    *error = "event stream: prelude checksum mismatch";
    return std::nullopt;
  }
  if (total < kPreludeBytes + kTrailerBytes || total > kMaxMessageBytes || headers_len > kMaxHeadersBytes ||
      headers_len > total - kPreludeBytes - kTrailerBytes) {
    *error = "event stream: bad message lengths";
    return std::nullopt;
  }
  if (in->size() < total) return std::nullopt;
  if (GetBe32(p + total - 4) != Crc32(std::string_view(p, total - 4))) {
    *error = "event stream: message checksum mismatch";
    return std::nullopt;
  }
  Message m;
  std::string_view h(p + kPreludeBytes, headers_len);
  while (!h.empty()) {
    size_t name_len = static_cast<unsigned char>(h[0]);
    if (name_len == 0 || h.size() < 1 + name_len + 1) {
      *error = "event stream: truncated header";
      return std::nullopt;
    }
    std::string name(h.substr(1, name_len));
    uint8_t type = static_cast<uint8_t>(h[1 + name_len]);
    h.remove_prefix(2 + name_len);
    int fixed = FixedValueBytes(type);
    size_t value_len;
    if (fixed == -2) {
      *error = "event stream: unknown header type";
      return std::nullopt;
    }
    if (fixed == -1) {
      if (h.size() < 2) {
        *error = "event stream: truncated header";
        return std::nullopt;
      }
      value_len = GetBe16(h.data());
      h.remove_prefix(2);
    } else {
      value_len = static_cast<size_t>(fixed);
    }
    if (h.size() < value_len) {
      *error = "event stream: truncated header";
      return std::nullopt;
    }
    std::string value(h.substr(0, value_len));
    if (type == 0) value = "true";
    if (type == 1) value = "false";
    m.headers.emplace_back(std::move(name), std::move(value));
    h.remove_prefix(value_len);
  }
  m.payload.assign(p + kPreludeBytes + headers_len, total - kPreludeBytes - headers_len - kTrailerBytes);
  in->remove_prefix(total);
  return m;
}

}  // namespace spate::protocol::event_stream
