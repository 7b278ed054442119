#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "firehose/parquet/parquet_writer.h"

namespace spate::firehose::parquet {

// The InputFormatConfiguration's Deserializer.
struct DeserializerOptions {
  enum class Kind { kOpenX, kHive };
  Kind kind = Kind::kOpenX;
  // OpenXJsonSerDe.CaseInsensitive (default true): JSON keys are matched to
  // columns lowercased. The Hive JSON SerDe always matches lowercased.
  bool case_insensitive = true;
  // OpenXJsonSerDe.ConvertDotsInJsonKeysToUnderscores (default false).
  bool convert_dots_to_underscores = false;
  // OpenXJsonSerDe.ColumnToJsonKeyMappings: column name -> the JSON key that
  // fills it (e.g. {"ts": "timestamp"}, for keys that are Hive keywords).
  std::vector<std::pair<std::string, std::string>> column_to_json_key;
  // HiveJsonSerDe.TimestampFormats: Joda-Time patterns, or "millis" for epoch
  // milliseconds, tried in order; empty: java.sql.Timestamp's
  // yyyy-MM-dd HH:mm:ss[.fffffffff].
  std::vector<std::string> timestamp_formats;
};

// Turns Firehose records of JSON into Parquet rows for a table's columns, as
// Firehose's deserializers do (the rules, per type, are in
// docs/formats/parquet.md). Immutable after Make; Convert is thread-safe.
class RecordConverter {
 public:
  // Errors: kInvalidArgument for a mapping that names no column or a
  // timestamp format that cannot be parsed.
  static Result<std::unique_ptr<RecordConverter>> Make(std::vector<Column> columns, DeserializerOptions options);

  const std::vector<Column>& columns() const { return columns_; }

  // Appends the rows of one record to *rows: one row per JSON object of the
  // record (concatenated objects, `{"a":1}{"a":2}`, are two rows; whitespace
  // between them is allowed). On error nothing is appended and the record as
  // a whole fails: kInvalidArgument with a message for the error record
  // (malformed JSON, a top-level array or scalar, a value that does not fit
  // its column's type).
  Status Convert(std::string_view record, std::vector<std::vector<Cell>>* rows) const;

 private:
  struct Impl;
  RecordConverter(std::vector<Column> columns, DeserializerOptions options);

  std::vector<Column> columns_;
  DeserializerOptions options_;
  std::vector<std::pair<std::string, size_t>> key_to_column_;  // normalized JSON key -> column, sorted
};

// Timestamp text to an INT96 per the OpenX rules (exposed for tests):
// ISO-8601 yyyy-MM-ddTHH:mm:ss[.f{1,9}][Z|+hh:mm|+hhmm], yyyy-[M]M-[d]d
// HH:mm:ss[.f{1,9}], or a number as text. Errors: kInvalidArgument.
Result<Int96> ParseOpenXTimestamp(std::string_view text);
// Epoch milliseconds (or nanoseconds split) to INT96.
Int96 Int96FromEpochNanos(__int128 nanos);

}  // namespace spate::firehose::parquet
