#pragma once

// Recursive-descent parser for the Kinesis Data Analytics SQL dialect:
// CREATE [OR REPLACE] STREAM name (columns) and CREATE [OR REPLACE] PUMP
// name AS INSERT INTO stream [(columns)] SELECT STREAM ... statements,
// separated by ';'. No library: the dialect (STEP, FLOOR(.. TO unit),
// WINDOWED BY STAGGER, OVER windows) is nobody else's.

#include <string_view>
#include <variant>

#include "analytics/parser/ast.h"

namespace spate::analytics::parser {

// Parses a whole application's code. Errors name the line, column and what
// was expected: "SQL error at line 3, column 17: expected ')' but found 'FROM'".
std::variant<Script, CodeError> Parse(std::string_view code);

// Milliseconds in one `unit` (SECOND, MINUTE, HOUR, DAY, MILLISECOND), or 0
// for a unit without a fixed length.
int64_t UnitMillis(std::string_view unit);

}  // namespace spate::analytics::parser
