#pragma once

// The binder's output: expressions with names resolved to column positions
// and types checked, and queries classified by how they window the stream.
// The planner turns a BoundPump into operators; exec evaluates BoundExprs.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/engine.h"
#include "analytics/exec/fast_regex.h"

namespace spate::analytics::binder {

// What a bound expression yields.
struct ExprType {
  SqlType type;
  bool is_null = false;      // the NULL literal: fits any type
  bool is_interval = false;  // INTERVAL literal (milliseconds in an int64_t)
};

enum class BoundKind : uint8_t {
  kConstant,   // constant
  kColumn,     // index into the row the operator evaluates (scope layout)
  kAggregate,  // index into the operator's aggregate results
  kUnary,      // op: - NOT
  kBinary,     // op: + - * / % || = <> < <= > >= AND OR
  kIsNull,
  kBetween,
  kIn,
  kLike,
  kCast,  // to result type
  kCase,
  kFunction,  // name, args
  kTimeUnit,  // name FLOOR/CEIL/EXTRACT, unit
  kStep,      // step_ms
};

// The ROW a log-parsing function returns (REGEX_LOG_PARSE, FAST_REGEX_LOG_PARSE,
// VARIABLE_COLUMN_LOG_PARSE, FIXED_COLUMN_LOG_PARSE, W3C_LOG_PARSE, SYS_LOG_PARSE): its fields, known at
// compile time. A select item calling one becomes one output column per
// field, reached from an outer query as alias.row.FIELD.
struct LogField {
  std::string name;    // COLUMN1.. or as the column list names it
  SqlType type;        // VARCHAR(1024) unless the column list says otherwise
  int64_t start = 0;   // FIXED_COLUMN_LOG_PARSE: 0-based START
  int64_t width = -1;  // and FOR (-1: to the end of the line)
  std::string format;  // DATE/TIME/TIMESTAMP: a SimpleDateFormat pattern, or empty
};
struct LogParserSpec {
  // REGEX_LOG_PARSE, VARIABLE_COLUMN_LOG_PARSE, FIXED_COLUMN_LOG_PARSE, W3C_LOG_PARSE,
  // FAST_REGEX_LOG_PARSE (also for the FAST_REGEX_LOG_PARSER spelling) or SYS_LOG_PARSE
  std::string function;
  std::vector<LogField> fields;
  // W3C_LOG_PARSE and SYS_LOG_PARSE: the format turned into an anchored
  // regular expression, one group per field (a '-' in a numeric W3C field is NULL).
  std::string pattern;
  // FAST_REGEX_LOG_PARSE: the pattern's decomposition.
  exec::FastRegexPlan fast_regex;
};

struct BoundExpr {
  BoundKind kind = BoundKind::kConstant;
  ExprType result;
  std::string name;
  std::vector<std::unique_ptr<BoundExpr>> args;
  Value constant;
  int index = 0;  // column or aggregate
  bool negated = false;
  bool has_operand = false;
  bool has_else = false;
  int64_t step_ms = 0;
  std::string unit;
  std::string pattern_regex;  // LIKE with a constant pattern, compiled by exec
  // kFunction of a log parser: field `index` of the ROW the function returns
  // for `args` (shared, immutable, by every field of one call).
  std::shared_ptr<const LogParserSpec> log_parser;
};
using BoundExprPtr = std::unique_ptr<BoundExpr>;

// The last four are analytic: sliding windows only (they need OVER).
enum class AggregateFn : uint8_t {
  kCount,
  kSum,
  kMin,
  kMax,
  kAvg,
  kFirstValue,
  kLastValue,
  kExpAvg,    // EXP_AVG(x, half-life interval): n = half-life in ms
  kLag,       // LAG(x [, n [, default]]): n records before the current one
  kNthValue,  // NTH_VALUE(x, n) [FROM FIRST | FROM LAST]
};

struct BoundAggregate {
  AggregateFn fn = AggregateFn::kCount;
  BoundExprPtr arg;  // null for COUNT(*)
  ExprType result;
  int window = -1;            // sliding: index into BoundSelect::windows
  int64_t n = 0;              // EXP_AVG's half-life (ms), LAG's offset, NTH_VALUE's position
  BoundExprPtr fallback;      // LAG's default, evaluated on the current row; may be null
  bool ignore_nulls = false;  // IGNORE NULLS (FIRST_VALUE, LAST_VALUE, LAG, NTH_VALUE)
  bool from_last = false;     // NTH_VALUE ... FROM LAST
};

struct BoundWindow {
  std::vector<BoundExprPtr> partition_by;
  bool rows = false;
  int64_t rows_n = 0;
  int64_t range_ms = 0;
};

enum class QueryKind : uint8_t {
  kProject,   // filter + project, one output per input
  kTumbling,  // GROUP BY with a STEP/FLOOR(ROWTIME) key
  kSliding,   // aggregates OVER windows, one output per input
  kStagger,   // WINDOWED BY STAGGER
};

// A join of the stream with a reference table, or with another stream over
// a window on the right side (`JOIN s OVER (RANGE INTERVAL ..)`): the right
// side's columns follow the stream's in the scope layout, starting at
// `column_offset` (a right stream's ROWTIME last).
struct BoundTableJoin {
  int table = -1;            // index into the program's reference tables, or
  std::string right_stream;  // the stream joined over a window
  bool window_rows = false;  // ROWS n PRECEDING (else RANGE)
  int64_t window_rows_n = 0;
  int64_t window_range_ms = 0;
  bool left_outer = false;
  BoundExprPtr on;
  int column_offset = 0;
  int column_count = 0;
  // When ON is `stream_expr = table column` (ANDed with anything else), the
  // join probes a hash index on that column instead of scanning.
  int equi_table_column = -1;
  BoundExprPtr equi_stream_expr;
};

struct BoundSelect;

// TOP_K_ITEMS_TUMBLING(CURSOR(...), 'column', k, window seconds): the k most
// frequent values of one column of the cursor per tumbling window.
// COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(...), 'column', window seconds)
// shares it (count_distinct): one row per window, the number of distinct
// non-NULL values of the column.
struct BoundTopK {
  int column = 0;  // in the cursor's output
  int64_t k = 0;
  int64_t window_ms = 0;
  bool count_distinct = false;
};

// RANDOM_CUT_FOREST(CURSOR(...) [, numberOfTrees [, subSampleSize [,
// timeDecay [, shingleSize]]]]) and RANDOM_CUT_FOREST_WITH_EXPLANATION(..same..
// [, withDirectionality]): the cursor's rows, each with ANOMALY_SCORE (and
// ANOMALY_EXPLANATION) appended; the documented defaults 100, 256, 100000, 1,
// false.
struct BoundAnomaly {
  std::vector<int> columns;        // the cursor's numeric columns the forest uses
  std::vector<std::string> names;  // their names: the explanation's keys
  int trees = 100;
  int sample_size = 256;
  int64_t time_decay = 100000;
  int shingle_size = 1;
  bool explanation = false;  // WITH_EXPLANATION
  bool directional = false;  // withDirectionality
};

// HOTSPOTS(CURSOR(...), windowSize, scanRadius, minimumNumberOfPointsInAHotspot):
// the cursor's rows, each with HOTSPOTS_RESULT appended.
struct BoundHotspots {
  std::vector<int> columns;  // the cursor's numeric columns
  int window_size = 0;
  double scan_radius = 0;
  int min_points = 0;
};

struct BoundSource {
  std::string stream;                     // an in-application stream, or
  std::unique_ptr<BoundSelect> subquery;  // FROM (SELECT STREAM ...) or a table function's CURSOR
  std::optional<BoundTopK> top_k;         // the table function applied to `subquery`, or
  std::optional<BoundAnomaly> anomaly;
  std::optional<BoundHotspots> hotspots;
  int column_count = 0;  // the source row's columns, ROWTIME last
};

struct BoundSelect {
  BoundSource source;
  std::vector<BoundTableJoin> joins;
  int scope_width = 0;    // columns the operator evaluates over
  int rowtime_index = 0;  // the source's ROWTIME column in the scope
  BoundExprPtr where;
  QueryKind kind = QueryKind::kProject;
  std::vector<BoundExprPtr> keys;  // GROUP BY or STAGGER PARTITION BY
  int rowtime_key = -1;            // tumbling: the key that is STEP/FLOOR of ROWTIME
  int64_t window_ms = 0;           // tumbling width, or stagger length
  std::string window_unit;         // tumbling by FLOOR to MONTH/YEAR: calendar windows
  std::vector<BoundAggregate> aggregates;
  std::vector<BoundWindow> windows;
  BoundExprPtr having;
  std::vector<BoundExprPtr> outputs;
  std::vector<ColumnDef> output_columns;  // names and types of `outputs`
  // Per output column: the ROW it is a field of (a log parser's select item,
  // named by its alias or by the FROM (...) AS t(r) list), or empty.
  std::vector<std::string> output_rows;
};

struct BoundPump {
  std::string name;
  std::string target;
  std::vector<int> target_positions;  // output i goes to target column target_positions[i]
  std::vector<SqlType> target_types;  // the target stream's column types
  std::unique_ptr<BoundSelect> select;
};

}  // namespace spate::analytics::binder
