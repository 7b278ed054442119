#include "firehose/parquet/thrift_compact.h"

#include "base/assert.h"

namespace spate::firehose::parquet {

void CompactWriter::AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void CompactWriter::FieldHeader(int16_t id, CompactType type) {
  int16_t& last = last_ids_.back();
  const int delta = static_cast<int>(id) - static_cast<int>(last);
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    AppendVarint(ZigZag(id), out_);
  }
  last = id;
}

void CompactWriter::BoolField(int16_t id, bool v) {
  FieldHeader(id, v ? CompactType::kBoolTrue : CompactType::kBoolFalse);
}

void CompactWriter::ByteField(int16_t id, int8_t v) {
  FieldHeader(id, CompactType::kByte);
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::I16Field(int16_t id, int16_t v) {
  FieldHeader(id, CompactType::kI16);
  AppendVarint(ZigZag(v), out_);
}

void CompactWriter::I32Field(int16_t id, int32_t v) {
  FieldHeader(id, CompactType::kI32);
  AppendVarint(ZigZag(v), out_);
}

void CompactWriter::I64Field(int16_t id, int64_t v) {
  FieldHeader(id, CompactType::kI64);
  AppendVarint(ZigZag(v), out_);
}

void CompactWriter::BinaryField(int16_t id, std::string_view v) {
  FieldHeader(id, CompactType::kBinary);
  BinaryElement(v);
}

void CompactWriter::BeginStructField(int16_t id) {
  FieldHeader(id, CompactType::kStruct);
  last_ids_.push_back(0);
}

void CompactWriter::BeginListField(int16_t id, CompactType element_type, uint32_t size) {
  FieldHeader(id, CompactType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint32_t>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xF0 | static_cast<int>(element_type)));
    AppendVarint(size, out_);
  }
}

void CompactWriter::I32Element(int32_t v) { AppendVarint(ZigZag(v), out_); }

void CompactWriter::BinaryElement(std::string_view v) {
  AppendVarint(v.size(), out_);
  out_->append(v);
}

void CompactWriter::BeginStructElement() { last_ids_.push_back(0); }

void CompactWriter::EndStruct() {
  SPATE_ASSERT(last_ids_.size() > 1, "EndStruct without an open nested struct");
  out_->push_back(0);
  last_ids_.pop_back();
}

void CompactWriter::End() {
  SPATE_ASSERT(last_ids_.size() == 1, "End with a nested struct still open");
  out_->push_back(0);
}

}  // namespace spate::firehose::parquet
