#pragma once

// Regular expressions for the SQL functions that take one (REGEX_REPLACE),
// on PCRE2 in UTF mode, whose syntax is close to java.util.regex's (the
// dialect KDA documents). Compiled patterns are cached per thread.

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace spate::analytics::exec
