#pragma once

// The boundary between the Analytics service (control plane, inputs,
// outputs, checkpoints: src/analytics/ service side) and its streaming SQL
// engine (src/analytics/ parser -> binder -> planner -> exec).
//
// The service compiles an application's code into a Program against the
// in-application input streams and reference tables its configuration
// declares, pushes the rows it reads from the sources, advances time, and
// drains the rows the Program emits into the in-application streams that
// outputs read. The engine knows nothing of Kinesis, JSON or CSV; the
// service knows nothing of SQL.
//
// Threading: a Program is not thread-safe; one thread (the application's
// runner) calls it. Compile is thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace spate::analytics {

// The SQL types an application's schemas may declare (the model's SqlType
// strings: "VARCHAR(4)", "DOUBLE", "DECIMAL(10,2)", "TIMESTAMP", ...).
enum class TypeId : uint8_t {
  kBoolean,
  kTinyint,
  kSmallint,
  kInteger,
  kBigint,
  kReal,
  kDouble,
  kDecimal,
  kChar,
  kVarchar,
  kBinary,
  kVarbinary,
  kDate,
  kTime,
  kTimestamp,
};

struct SqlType {
  TypeId id = TypeId::kVarchar;
  int length = 0;     // CHAR/VARCHAR/BINARY/VARBINARY length
  int precision = 0;  // DECIMAL
  int scale = 0;      // DECIMAL

  // Parses the declaration as written in an InputSchema or CREATE STREAM
  // ("varchar(64)", "DOUBLE", "DECIMAL(1,1)", "TIMESTAMP"); case-insensitive.
  // kInvalidArgument names what is wrong.
  static Result<SqlType> Parse(std::string_view text);
  // The canonical spelling ("VARCHAR(64)", "DECIMAL(10,2)").
  std::string ToString() const;
};

// One value. Which alternative a column holds follows its type:
//   BOOLEAN -> bool; TINYINT..BIGINT -> int64_t; REAL, DOUBLE -> double;
//   DECIMAL -> Decimal; CHAR, VARCHAR -> std::string (UTF-8);
//   BINARY, VARBINARY -> Bytes; DATE, TIME, TIMESTAMP -> Timestamp
//   (milliseconds: since the epoch for DATE and TIMESTAMP, since midnight for
//   TIME; all UTC). std::monostate is NULL.
struct Decimal {
  int64_t unscaled = 0;  // value = unscaled / 10^scale
  int scale = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};
struct Bytes {
  std::string bytes;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};
struct Timestamp {
  int64_t millis = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};
using Value = std::variant<std::monostate, bool, int64_t, double, Decimal, std::string, Bytes, Timestamp>;

// Converts `text` (a CSV field or a JSON scalar's text) to `type` with the
// documented KDA coercions (for JSON: `true` -> 1 for numeric columns, and
// so on). kInvalidArgument when the value cannot be coerced (the row goes to
// the error stream).
Result<Value> CoerceText(std::string_view text, const SqlType& type);
// Renders a value as the output formats write it (JSON scalars, CSV fields):
// TIMESTAMP as "2026-12-07 01:02:03.456", DECIMAL with its scale.
std::string RenderText(const Value& value, const SqlType& type);

struct ColumnDef {
  std::string name;  // as the schema spells it; quoted identifiers keep case
  SqlType type;
};

// A row of an in-application stream or table. `rowtime_ms` is ROWTIME.
struct Row {
  int64_t rowtime_ms = 0;
  std::vector<Value> values;  // one per column, in declaration order
};

// An in-application input stream the configuration creates
// ("SOURCE_SQL_STREAM_001"): its columns are the input schema's columns;
// Kinesis-sourced rows also carry APPROXIMATE_ARRIVAL_TIME (TIMESTAMP) and
// SHARD_ID (VARCHAR) as the last two columns when `with_kinesis_columns`.
struct InputStreamDecl {
  std::string name;
  std::vector<ColumnDef> columns;
  bool with_kinesis_columns = true;
};

// A reference table loaded at start (and on UpdateApplication).
struct ReferenceTable {
  std::string name;
  std::vector<ColumnDef> columns;
  std::vector<Row> rows;  // rowtime_ms unused
};

// A compile error: CodeValidationException's message names the line and
// column (1-based) and what was expected, e.g.
// "SQL error at line 3, column 17: expected ')' but found 'FROM'".
struct CodeError {
  int line = 0;
  int column = 0;
  std::string message;  // the whole message, line and column included
};

// The columns of "error_stream" rows, in order: ERROR_TIME TIMESTAMP (the
// program's time when the error happened: the ROWTIME being processed),
// ERROR_LEVEL VARCHAR(10) ("ERROR"), ERROR_NAME VARCHAR(32) ("Division by
// zero", "Cast error", "Schema mismatch", ...), MESSAGE VARCHAR(4096),
// DATA_ROWTIME TIMESTAMP, DATA_ROW VARCHAR(49152) (the offending row's values
// as SQL text, comma-separated, hex-encoded), PUMP_NAME VARCHAR(128) (NULL for
// rows rejected on input).
std::vector<ColumnDef> ErrorStreamColumns();

// A row the program wrote to an in-application stream, or an error row.
struct EmittedRow {
  std::string stream;  // the in-application stream name ("DESTINATION_SQL_STREAM", "error_stream")
  Row row;
};

class Program {
 public:
  // Compiles `code` (CREATE OR REPLACE STREAM / PUMP statements) against the
  // declared inputs and reference tables.
  static std::variant<std::unique_ptr<Program>, CodeError> Compile(std::string_view code,
                                                                   const std::vector<InputStreamDecl>& inputs,
                                                                   const std::vector<ReferenceTable>& references);
  virtual ~Program() = default;

  // The in-application streams the code creates (outputs may read any of
  // them, plus "error_stream"), with their columns.
  virtual std::vector<std::pair<std::string, std::vector<ColumnDef>>> Streams() const = 0;

  // Pushes one row into an input stream. Rows of one input stream arrive
  // with non-decreasing rowtime_ms (the service stamps ROWTIME). Rows the
  // pumps produce in response are appended to `out` (ROWTIME preserved or set
  // to the window's end, as the dialect says).
  virtual void Push(std::string_view input_stream, Row row, std::vector<EmittedRow>* out) = 0;
  // Tells the program that no row with a ROWTIME below `now_ms` will come
  // again: tumbling and stagger windows that end at or before it close and
  // emit into `out`.
  virtual void AdvanceTime(int64_t now_ms, std::vector<EmittedRow>* out) = 0;
  // Replaces a reference table's rows (UpdateApplication reloads them).
  virtual Status ReplaceReferenceTable(const ReferenceTable& table) = 0;
};

}  // namespace spate::analytics
