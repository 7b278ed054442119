#pragma once

// Finding records in a run of bytes: JSON objects one after another (the
// PostgreSQL COPY JSON 'auto' input, Firehose's JSON de-aggregation) and
// delimited records (Firehose's delimiter de-aggregation, Analytics' JSON
// reference objects, one record a line). Text only: nothing is parsed or
// validated beyond the braces. Pure functions, safe from any thread.

#include <cstddef>
#include <string_view>
#include <vector>

namespace spate::util {

// The end (one past the closing brace) of the JSON object or array that
// starts at data[start] ('{' or '['), braces and brackets inside strings
// (with their backslash escapes) not counted; npos when it is not closed
// before the end of `data`. Precondition: start < data.size().
size_t JsonObjectEnd(std::string_view data, size_t start);

// JSON whitespace (space, tab, newline, carriage return).
inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The pieces of `data` between occurrences of `delimiter`; empty pieces (a
// trailing delimiter, two in a row) are dropped. An empty delimiter gives
// `data` whole (when not empty). The views point into `data`.
std::vector<std::string_view> SplitDelimited(std::string_view data, std::string_view delimiter);

}  // namespace spate::util
