#pragma once

// FAST_REGEX_LOG_PARSER's patterns (KDA SQL reference: the "Fast Regex"
// syntax of dk.brics.automaton: [classes], [^classes], ranges a-z, . any
// character, @ any string, # the empty language, "literal strings", ( ) the
// empty string, \c a literal c, <Digit> and the other POSIX named patterns,
// repetition ? * + {n} {n,} {n,m}, union | inside parentheses), decomposed as
// the reference describes and run on PCRE2:
//
// - the pattern is cut into expressions: each top-level parenthesized group
//   (a column) is one, and each run of text between groups is one;
// - an x+ whose x has a fixed length counts as x x*, an x{n,m} as x{n}
//   x{0,m-n};
// - the fixed-length atoms at the start of every expression but the first are
//   moved to the end of the previous expression (an expression left empty
//   is thereby merged into it);
// - the expressions are matched in turn from the start of the input, each
//   anchored where the previous one ended and never revisited (no
//   backtracking between expressions); the last one runs through the end of
//   the input. Any expression that cannot match means no match.
// - "lazy": a repetition of any character (. and @) takes as few characters
//   as it can (it runs to the next delimiter), any other repetition as many
//   (a run of '_*' is taken whole). This reproduces the reference's examples
//   A, B and C; its first example prints a row its own pattern cannot give.
//
// Refused (kInvalidArgument at compile time): intersection &, complement ~,
// numeric intervals <n-m>, a top-level | (put the alternatives in a group),
// a repeated group, unknown named patterns, unbalanced brackets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::analytics::exec {

// One expression of the decomposition: a PCRE2 pattern in which capture i+1
// is piece i, and piece i's column (0-based) or -1 for text outside groups.
struct FastRegexSegment {
  std::string regex;
  std::vector<int> piece_column;
};

struct FastRegexPlan {
  std::vector<FastRegexSegment> segments;
  int columns = 0;  // the number of top-level groups
};

// Parses and decomposes `pattern`. kInvalidArgument names what is wrong.
Result<FastRegexPlan> CompileFastRegex(std::string_view pattern);

// Runs `plan` over `subject`: true and each column's text when the whole
// subject is accounted for, false otherwise. kInvalidArgument if PCRE2 gives
// up (its match limits).
Result<bool> FastRegexMatch(const FastRegexPlan& plan, std::string_view subject,
                            std::vector<std::optional<std::string>>* columns);

}  // namespace spate::analytics::exec
