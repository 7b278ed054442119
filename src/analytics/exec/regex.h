#pragma once

// Regular expressions for the SQL functions that take one (REGEX_REPLACE),
// on PCRE2 in UTF mode, whose syntax is close to java.util.regex's (the
// dialect KDA documents). Compiled patterns are cached per thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::analytics::exec {

// java.lang.String.replaceAll from the `start`th code point (1-based) of
// `original`, replacing every match (`occurrence` 0) or only the
// `occurrence`th: `$n` and `${n}` in `replacement` insert group n, `\x` a
// literal x. A `start` past the end returns `original`. kInvalidArgument for
// a pattern that does not compile, a bad replacement, start < 1 or
// occurrence < 0.
Result<std::string> RegexReplace(std::string_view original, std::string_view pattern, std::string_view replacement,
                                 int64_t start, int64_t occurrence);

// The number of capturing groups of `pattern`; kInvalidArgument if it does
// not compile.
Result<int> RegexGroupCount(std::string_view pattern);

// The first match of `pattern` in `subject` (java.util.regex.Matcher.find):
// true and each group's text (nullopt for a group that took no part), or
// false when nothing matches. kInvalidArgument if the pattern does not compile.
Result<bool> RegexFindGroups(std::string_view subject, std::string_view pattern,
                             std::vector<std::optional<std::string>>* groups);

}  // namespace spate::analytics::exec
