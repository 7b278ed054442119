#pragma once

// The syntax tree the parser builds: statements of an application's code,
// as written (names unresolved, types unchecked). The binder resolves it.
// Every node keeps the 1-based line and column where it starts, for errors.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/engine.h"

namespace spate::analytics::parser {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A window as OVER (...), WINDOW w AS (...) or WINDOWED BY STAGGER (...)
// writes it: PARTITION BY keys, then RANGE INTERVAL or ROWS n PRECEDING.
struct WindowSpec {
  int line = 0;
  int column = 0;
  std::string base_name;  // OVER w: the named window (resolved by the binder)
  std::vector<ExprPtr> partition_by;
  bool has_frame = false;
  bool rows = false;     // ROWS n PRECEDING
  int64_t rows_n = 0;    // n
  int64_t range_ms = 0;  // RANGE INTERVAL ... PRECEDING (or the stagger length)
};

enum class ExprKind : uint8_t {
  kLiteral,     // value + literal_type (NULL has null_literal)
  kInterval,    // INTERVAL 'n' unit: interval_ms
  kColumn,      // names: [qualifier,] column
  kUnary,       // op: "-", "+", "NOT"
  kBinary,      // op: + - * / % || = <> < <= > >= AND OR
  kIsNull,      // args[0] IS [NOT] NULL (negated)
  kBetween,     // args[0] [NOT] BETWEEN args[1] AND args[2]
  kIn,          // args[0] [NOT] IN (args[1..])
  kLike,        // args[0] [NOT] LIKE args[1]
  kFunction,    // name(args) [OVER window]; star_arg for COUNT(*)
  kCast,        // CAST(args[0] AS cast_type)
  kCase,        // CASE [args[0]=operand if has_operand] WHEN/THEN pairs, [ELSE]
  kTimeUnitFn,  // FLOOR/CEIL(args[0] TO unit), EXTRACT(unit FROM args[0]): name + unit
  kStep,        // STEP(args[0] BY args[1] (an interval))
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  int line = 0;
  int column = 0;
  std::string name;  // operator or function name (upper case)
  std::vector<std::string> names;
  std::vector<ExprPtr> args;
  Value literal;
  SqlType literal_type;
  bool null_literal = false;
  bool negated = false;
  bool star_arg = false;
  bool has_operand = false;  // CASE x WHEN ...
  bool has_else = false;
  int64_t interval_ms = 0;
  std::string unit;  // SECOND, MINUTE, ... for time-unit functions
  SqlType cast_type;
  std::unique_ptr<WindowSpec> over;  // aggregate OVER (...) / OVER w
  bool ignore_nulls = false;         // f(...) IGNORE NULLS (RESPECT NULLS is the default)
  bool from_last = false;            // NTH_VALUE(...) FROM LAST
};

struct SelectItem {
  ExprPtr expr;  // null for * / t.*
  std::string alias;
  std::string star_qualifier;  // t in t.*
};

struct Select;

struct TableRef {
  int line = 0;
  int column = 0;
  std::string name;                  // stream or table; empty for a subquery
  std::unique_ptr<Select> subquery;  // FROM (SELECT STREAM ...), or the CURSOR of a table function
  // FROM TABLE(name(CURSOR(SELECT STREAM ...), args...)): a table function.
  std::string table_function;
  std::vector<ExprPtr> function_args;
  std::string alias;
  std::vector<std::string> column_aliases;  // FROM (SELECT ...) AS t(a, b): the subquery's columns renamed
  std::unique_ptr<WindowSpec> over;         // JOIN s OVER (RANGE ...): stream-to-stream join
};

struct Join {
  int line = 0;
  int column = 0;
  TableRef right;
  bool left_outer = false;
  ExprPtr on;
};

struct Select {
  int line = 0;
  int column = 0;
  bool stream = false;  // SELECT STREAM
  std::vector<SelectItem> items;
  TableRef from;
  std::vector<Join> joins;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  std::unique_ptr<WindowSpec> stagger;  // WINDOWED BY STAGGER (...)
  ExprPtr having;
  std::vector<std::pair<std::string, std::unique_ptr<WindowSpec>>> windows;  // WINDOW w AS (...)
};

struct CreateStream {
  int line = 0;
  int column = 0;
  std::string name;
  std::vector<ColumnDef> columns;
};

struct CreatePump {
  int line = 0;
  int column = 0;
  std::string name;
  std::string target;
  int target_line = 0;
  int target_column = 0;
  std::vector<std::string> target_columns;  // empty: all, in order
  std::unique_ptr<Select> select;
};

struct Script {
  std::vector<CreateStream> streams;
  std::vector<CreatePump> pumps;  // in the order written
};

}  // namespace spate::analytics::parser
