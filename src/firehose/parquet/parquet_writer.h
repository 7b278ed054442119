#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "firehose/parquet/parquet_format.h"

namespace spate::firehose::parquet {

// What a column holds, as far as the file says: its physical type and its
// annotation (logical/converted type). Every column is OPTIONAL (a null is a
// definition level of 0), flat (no nesting), as Hive's ParquetSerDe writes a
// table of primitive columns.
enum class ColumnKind {
  kString,     // BYTE_ARRAY, STRING / UTF8
  kBoolean,    // BOOLEAN
  kInt8,       // INT32, INTEGER(8, signed) / INT_8    (Hive tinyint)
  kInt16,      // INT32, INTEGER(16, signed) / INT_16  (Hive smallint)
  kInt32,      // INT32, no annotation                 (Hive int)
  kInt64,      // INT64, no annotation                 (Hive bigint)
  kFloat,      // FLOAT
  kDouble,     // DOUBLE
  kDecimal,    // FIXED_LEN_BYTE_ARRAY(n), DECIMAL(precision, scale): big-endian two's complement unscaled value
  kDate,       // INT32, DATE: days since 1970-01-01
  kTimestamp,  // INT96 (Hive's timestamp): nanoseconds of the day, Julian day
};

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::kString;
  int32_t precision = 0;  // kDecimal only: 1..38
  int32_t scale = 0;      // kDecimal only: 0..precision
};

// The bytes of a FIXED_LEN_BYTE_ARRAY decimal of `precision` digits: the
// fewest that hold any signed unscaled value of that many digits (Hive's and
// parquet-mr's rule). Precondition: 1 <= precision <= 38.
int32_t DecimalByteWidth(int32_t precision);

// An INT96 timestamp.
struct Int96 {
  int64_t nanos_of_day = 0;
  int32_t julian_day = 0;
};

// One cell of a row. The alternative must match the column's kind:
// monostate (null) for any; bool for kBoolean; int32_t for kInt8, kInt16,
// kInt32, kDate; int64_t for kInt64; float; double; std::string for kString
// (UTF-8) and kDecimal (exactly DecimalByteWidth bytes); Int96 for kTimestamp.
using Cell = std::variant<std::monostate, bool, int32_t, int64_t, float, double, std::string, Int96>;

struct WriterOptions {
  Codec codec = Codec::kSnappy;
  // A data page is closed once its values reach this many bytes (PLAIN,
  // before compression). Firehose's default and minimum: 1 MiB, 64 KiB.
  uint64_t page_size_bytes = 1 << 20;
  // A row group is closed once its column chunks reach this many bytes
  // (compressed, as they will be written). Firehose's default: 256 MiB.
  uint64_t block_size_bytes = 256ull << 20;
  std::string created_by = "spate";
};

// Writes one Parquet file into memory: rows in, the file's bytes out.
// Format details: docs/formats/parquet.md. Not thread-safe.
class ParquetWriter {
 public:
  // Errors: kInvalidArgument for no columns, an empty or duplicate name, or
  // a decimal precision/scale out of range.
  static Result<std::unique_ptr<ParquetWriter>> Make(std::vector<Column> columns, WriterOptions options);
  ~ParquetWriter();

  // Appends a row: one cell per column, in the columns' order.
  // Precondition (asserted): row.size() equals the number of columns and each
  // cell's alternative matches its column (see Cell). Errors: kInternal if a
  // page's compressor fails (the writer is then unusable).
  Status AppendRow(const std::vector<Cell>& row);

  int64_t rows() const { return rows_; }

  // Closes the last row group, writes the footer and returns the whole file.
  // Errors: kInternal if a compressor fails. The writer cannot be used after.
  Result<std::string> Finish();

 private:
  struct ColumnState;
  ParquetWriter(std::vector<Column> columns, WriterOptions options);
  Status FlushPage(ColumnState& c);
  Status FlushRowGroup();

  std::vector<Column> columns_;
  WriterOptions options_;
  std::vector<std::unique_ptr<ColumnState>> states_;
  std::string out_;
  std::string row_groups_;  // the encoded RowGroup structs written so far
  int32_t row_group_count_ = 0;
  int64_t rows_ = 0;
  int64_t row_group_rows_ = 0;
  bool finished_ = false;
};

// The RLE/bit-packed hybrid encoding (Parquet's Encodings.md) of `values`,
// each of `bit_width` bits (1..8), without the 4-byte length prefix. Runs of a
// value over whole groups of 8 become RLE runs, the rest bit-packed runs.
void EncodeRleBitPackedHybrid(const std::vector<uint8_t>& values, int bit_width, std::string* out);

}  // namespace spate::firehose::parquet
