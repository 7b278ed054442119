#include "protocol/stream_writer.h"

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
