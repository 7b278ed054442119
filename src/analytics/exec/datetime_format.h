#pragma once

// Date and time patterns as Java's SimpleDateFormat writes them, which KDA's
// datetime conversion functions (CHAR_TO_TIMESTAMP, TIMESTAMP_TO_CHAR, ...)
// take: letters name fields (y M d H h k K m s S a E D u Z X z), runs of one
// letter give the width, text in '...' is literal ('' is a quote), anything
// else is literal. All times are UTC.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::analytics::exec {

// Parses `text` by `pattern` into milliseconds since the epoch, as
// SimpleDateFormat.parse does when not lenient: fields skip leading blanks,
// numeric fields read every digit unless the next field abuts them (then
// exactly their width), literals must match, text after the pattern is
// ignored, fields the pattern lacks default to 1970-01-01 00:00:00.000, and
// an out-of-range field (month 13, minute 61) is an error. `yy` reads two
// digits into the century window [kTwoDigitYearPivot - 80, kTwoDigitYearPivot + 20).
// kInvalidArgument says where parsing failed.
Result<int64_t> ParseDateTime(std::string_view pattern, std::string_view text);

// Formats `millis` by `pattern`, as SimpleDateFormat.format does in UTC.
// kInvalidArgument for a pattern letter that is reserved (unknown).
Result<std::string> FormatDateTime(std::string_view pattern, int64_t millis);

// SimpleDateFormat's window is relative to the wall clock; the engine has
// none, so two-digit years are read relative to this year.
inline constexpr int kTwoDigitYearPivot = 2026;

}  // namespace spate::analytics::exec
