#pragma once

// The log-parsing functions of the dialect that return a ROW: REGEX_LOG_PARSE
// (java.util.regex groups, the first match, NULL fields when nothing
// matches), VARIABLE_COLUMN_LOG_PARSE (fields split at a delimiter, with an
// optional escape character and quote characters) and FIXED_COLUMN_LOG_PARSE
// (fields at fixed code-point positions), FAST_REGEX_LOG_PARSE (lazy segments,
// exec/fast_regex.h), SYS_LOG_PARSE (a syslog timestamp and the rest) and
// W3C_LOG_PARSE (Apache specifiers or IIS's layout, as an anchored regular
// expression). The binder knows each call's fields
// (binder::LogParserSpec); this computes their values for one row.

#include <vector>

#include "analytics/binder/bound.h"
#include "base/status.h"

namespace spate::analytics::exec {

// The fields of `spec`'s ROW for the call's evaluated, non-NULL arguments
// (`args` as written; VARIABLE_COLUMN_LOG_PARSE's column list is a
// placeholder). A field the input does not reach is NULL, as is an empty
// field of a non-character type. kInvalidArgument when a field's text does
// not convert to its type, or for a bad delimiter, escape or quote argument.
Status ParseLog(const binder::LogParserSpec& spec, const std::vector<Value>& args, std::vector<Value>* fields);

}  // namespace spate::analytics::exec
