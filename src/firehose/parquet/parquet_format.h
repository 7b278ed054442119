#pragma once

// Constants of the Apache Parquet file format (apache/parquet-format,
// src/main/thrift/parquet.thrift), the subset Spate writes. The values are
// the Thrift enum values and field ids of that file; docs/formats/parquet.md
// says which structures and fields are written.

#include <cstdint>
#include <string_view>

namespace spate::firehose::parquet {

// "PAR1", at the start of the file and after the footer length.
inline constexpr std::string_view kMagic = "PAR1";

enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kDecimal = 5,
  kDate = 6,
  kInt8 = 15,
  kInt16 = 16,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : int32_t { kPlain = 0, kRle = 3 };

// CompressionCodec: how each page's body is compressed.
enum class Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2 };

enum class PageType : int32_t { kDataPage = 0 };

// LogicalType is a Thrift union; these are its field ids.
namespace logical_type_field {
inline constexpr int16_t kString = 1;
inline constexpr int16_t kDecimal = 5;
inline constexpr int16_t kDate = 6;
inline constexpr int16_t kInteger = 10;
}  // namespace logical_type_field

// FileMetaData.version: 1 (format 1.0 features plus the optional fields that
// readers of any version skip).
inline constexpr int32_t kFormatVersion = 1;

// INT96 timestamps (as Hive writes them): 8 bytes little-endian nanoseconds
// of the day, then 4 bytes little-endian Julian day number.
inline constexpr int64_t kJulianDayOfUnixEpoch = 2440588;

}  // namespace spate::firehose::parquet
