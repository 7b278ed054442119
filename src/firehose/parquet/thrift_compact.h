#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spate::firehose::parquet {

// The element and field types of Apache Thrift's compact protocol
// (thrift/doc/specs/thrift-compact-protocol.md), as they appear in the low
// nibble of a field header or a list header.
enum class CompactType : uint8_t {
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Writes Thrift compact-protocol structs into a string, as Parquet's footer
// (FileMetaData) and page headers are written. Only what Parquet's
// parquet.thrift needs: structs (and unions, which are structs with exactly
// one field set), i8/i32/i64, bool, binary, and lists of i32, binary and
// structs. The caller writes fields in increasing id order within a struct
// (the encoding's deltas assume it; an out-of-order id is still encoded
// correctly, with the long form).
//
// Usage: the writer starts inside a top-level struct; End() closes it.
//   CompactWriter w(&out);
//   w.I32Field(1, 7);
//   w.BeginStructField(2); w.BinaryField(1, "x"); w.EndStruct();
//   w.BeginListField(3, CompactType::kStruct, 2); w.BeginStructElement(); ... w.EndStruct(); ...
//   w.End();
// Not thread-safe; appends to *out, which it does not own.
class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) { last_ids_.push_back(0); }

  void BoolField(int16_t id, bool v);
  void ByteField(int16_t id, int8_t v);
  void I16Field(int16_t id, int16_t v);
  void I32Field(int16_t id, int32_t v);
  void I64Field(int16_t id, int64_t v);
  void BinaryField(int16_t id, std::string_view v);

  // A struct-valued field: its fields follow, then EndStruct().
  void BeginStructField(int16_t id);
  // A list-valued field of `size` elements of `element_type`; the elements
  // follow (I32Element, BinaryElement, or BeginStructElement..EndStruct).
  void BeginListField(int16_t id, CompactType element_type, uint32_t size);
  void I32Element(int32_t v);
  void BinaryElement(std::string_view v);
  void BeginStructElement();
  // Writes the STOP byte of the innermost open struct.
  void EndStruct();
  // Closes the top-level struct. Precondition: every nested struct is closed.
  void End();

  // Encoding primitives, exposed for tests and for the RLE/bit-packed hybrid.
  static void AppendVarint(uint64_t v, std::string* out);
  static uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

 private:
  void FieldHeader(int16_t id, CompactType type);

  std::string* out_;
  std::vector<int16_t> last_ids_;  // the last field id written, per open struct
};

}  // namespace spate::firehose::parquet
