#pragma once

// Regular expressions for the SQL functions that take one (REGEX_REPLACE),
// on PCRE2 in UTF mode, whose syntax is close to java.util.regex's (the
// dialect KDA documents). Compiled patterns are cached per thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// The first match of `pattern` anchored at byte `start` of `subject` (and,
// when `to_end`, running through its end), in PCRE2's priority order (greedy
// or lazy as the pattern's quantifiers say): true, the match's end and each
// group's [begin, end) byte span ({npos, npos} for a group that took no
// part), or false. kInvalidArgument if the pattern does not compile or the
// matcher gives up (its match limit).
Result<bool> RegexMatchAt(std::string_view subject, size_t start, bool to_end, std::string_view pattern, size_t* end,
                          std::vector<std::pair<size_t, size_t>>* spans);

}  // namespace spate::analytics::exec
