#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::analytics {

// The text of each column of one row, in the schema's column order; nullopt
// is SQL NULL (a JSON null, a path that matches nothing, a missing CSV
// field). The runtime coerces each to its column's SqlType (CoerceText).
using RowText = std::vector<std::optional<std::string>>;

// A JSONPath as KDA's mappings write it: `$`, then `.name`, `['name']`,
// `[n]` and `[0:]` (every element; only in a RecordRowPath). Immutable.
class JsonPath {
 public:
  struct Step {
    enum class Kind : uint8_t { kMember, kIndex, kEvery } kind = Kind::kMember;
    std::string name;
    size_t index = 0;
  };
  // kInvalidArgument names what is wrong.
  static Result<JsonPath> Parse(std::string_view text);
  const std::vector<Step>& steps() const { return steps_; }
  // The values the path selects in `root` (several only through `[0:]`).
  std::vector<const protocol::Value*> Select(const protocol::Value& root) const;

 private:
  std::vector<Step> steps_;
};

// Maps records (the bytes of a Kinesis record, or of an object) to rows of
// text by an InputSchema (JSON: RecordRowPath and each column's Mapping;
// CSV: the row and column delimiters, columns by position). Immutable once
// built; thread-safe.
class RecordMapper {
 public:
  // `schema` is an InputSchema/ReferenceSchema shape (SourceSchema).
  static Result<RecordMapper> Create(const protocol::Value& schema);

  // The rows of one record: one for a plain JSON record or a one-line CSV
  // record; several for a RecordRowPath with `[0:]` or several CSV lines.
  // kInvalidArgument when the record is not what the format says (not JSON);
  // the caller routes it to the error stream.
  Result<std::vector<RowText>> Map(std::string_view record) const;

  size_t column_count() const { return columns_; }

 private:
  bool json_ = true;
  size_t columns_ = 0;
  JsonPath row_path_;
  std::vector<JsonPath> column_paths_;  // JSON, relative to a row
  std::string row_delimiter_ = "\n";
  std::string column_delimiter_ = ",";
};

// A JSON scalar's text as CoerceText takes it: strings as they are, numbers
// as written, booleans true/false; objects and arrays as compact JSON.
std::optional<std::string> JsonText(const protocol::Value& v);

}  // namespace spate::analytics
