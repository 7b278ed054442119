#include "protocol/stream_writer.h"

#include <cstring>

#include "protocol/cbor_codec.h"
#include "protocol/codec_internal.h"
#include "protocol/json_codec.h"
#include "util/base64.h"

namespace spate::protocol {

using internal::AppendCborHead;

void StreamWriter::BeginObject(size_t members) {
  if (format_ == WireFormat::kCbor) return AppendCborHead(internal::kCborMajorMap, members, out_);
  Separate();
  out_->push_back('{');
  need_comma_ = false;
}

void StreamWriter::EndObject() {
  if (format_ == WireFormat::kCbor) return;
  out_->push_back('}');
  need_comma_ = true;
}

void StreamWriter::BeginArray(size_t items) {
  if (format_ == WireFormat::kCbor) return AppendCborHead(internal::kCborMajorArray, items, out_);
  Separate();
  out_->push_back('[');
  need_comma_ = false;
}

void StreamWriter::EndArray() {
  if (format_ == WireFormat::kCbor) return;
  out_->push_back(']');
  need_comma_ = true;
}

void StreamWriter::Key(std::string_view name) {
  if (format_ == WireFormat::kCbor) {
    AppendCborHead(internal::kCborMajorText, name.size(), out_);
    out_->append(name);
    return;
  }
  Separate();
  internal::AppendJsonString(name, out_);
  out_->push_back(':');
  need_comma_ = false;
}

void StreamWriter::String(std::string_view s) {
  if (format_ == WireFormat::kCbor) {
    AppendCborHead(internal::kCborMajorText, s.size(), out_);
    out_->append(s);
    return;
  }
  Separate();
  internal::AppendJsonString(s, out_);
  need_comma_ = true;
}

void StreamWriter::PlainString(std::string_view s) {
  if (format_ == WireFormat::kCbor) return String(s);
  Separate();
  out_->push_back('"');
  out_->append(s);
  out_->push_back('"');
  need_comma_ = true;
}

void StreamWriter::PlainStringObject(std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
  if (format_ == WireFormat::kCbor) {
    BeginObject(members.size());
    for (const auto& [name, value] : members) {
      Key(name);
      String(value);
    }
    return;
  }
  // {"name":"value",...}: 2 + per member 6 (four quotes, ':', ',') - 1.
  size_t n = 2 + (need_comma_ ? 1 : 0);
  for (const auto& [name, value] : members) n += name.size() + value.size() + 6;
  if (members.size() > 0) n -= 1;
  const size_t at = out_->size();
  out_->resize(at + n);
  char* p = out_->data() + at;
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  if (need_comma_) *p++ = ',';
  *p++ = '{';
  bool first = true;
  for (const auto& [name, value] : members) {
    if (!first) *p++ = ',';
    first = false;
    *p++ = '"';
    put(name);
    put("\":\"");
    put(value);
    *p++ = '"';
  }
  *p++ = '}';
  need_comma_ = true;
}

void StreamWriter::Blob(std::string_view bytes) {
  if (format_ == WireFormat::kCbor) {
    AppendCborHead(internal::kCborMajorBytes, bytes.size(), out_);
    out_->append(bytes);
    return;
  }
  Separate();
  out_->push_back('"');
  util::Base64EncodeAppend(bytes, out_);
  out_->push_back('"');
  need_comma_ = true;
}

void StreamWriter::TimestampMs(int64_t ms) {
  if (format_ == WireFormat::kCbor) return internal::AppendCborTimestamp(ms, out_);
  Separate();
  internal::AppendJsonTimestamp(ms, out_);
  need_comma_ = true;
}

void StreamWriter::Int(int64_t i) {
  if (format_ == WireFormat::kCbor) return internal::AppendCborInt(i, out_);
  Separate();
  internal::AppendJsonInt(i, out_);
  need_comma_ = true;
}

void StreamWriter::Embed(const Value& v) {
  if (format_ == WireFormat::kCbor) return WriteCbor(v, out_);
  Separate();
  WriteJson(v, out_);
  need_comma_ = true;
}

}  // namespace spate::protocol
