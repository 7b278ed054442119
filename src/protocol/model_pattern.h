#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::protocol {

// ModelPattern is a compiled regular expression in the subset of
// java.util.regex syntax that AWS service models use for `pattern`
// constraints, matched the way AWS's (Java) validator matches them: against
// the whole string (Matcher.matches()), over Unicode code points.
//
// Supported: literals and escapes (\d \D \w \W \s \S \t \n \r \f \uXXXX,
// \p{L} \p{Z} \p{N} and their \P negations, any other escaped character is
// literal), '.', character classes with ranges and negation, groups
// ((...) and (?:...), capturing is not needed), alternation, lookahead
// (?=...) (?!...), fixed-width lookbehind (?<=...) (?<!...), quantifiers
// * + ? {n} {n,} {n,m} with lazy (?) and possessive (+) suffixes (a
// possessive quantifier is treated as greedy), anchors ^ and $.
//
// Known approximation: \p{L} and \p{N} are exact for ASCII and Latin-1 and
// approximate above (letters: any code point that is not a known space,
// digit, punctuation or symbol); \p{Z} is exact.
//
// Matching is backtracking with a step budget: a pattern/input pair that
// exceeds it (catastrophic backtracking, or nesting too deep for the stack)
// is reported as not matching. Input that is not valid UTF-8 is matched with
// each bad byte read as U+FFFD.
//
// Thread-safety: a compiled pattern is immutable; FullMatch may be called
// from any number of threads at once.
class ModelPattern {
 public:
  ModelPattern(ModelPattern&&) noexcept;
  ModelPattern& operator=(ModelPattern&&) noexcept;
  ~ModelPattern();

  // Compiles `source`. Fails with kInvalidArgument naming the offset for
  // syntax outside the subset above.
  static Result<ModelPattern> Compile(std::string_view source);

  // The pattern text as given to Compile (AWS prints it in error messages).
  const std::string& source() const;

  // True iff the whole of `utf8` matches.
  bool FullMatch(std::string_view utf8) const;

 private:
  struct Program;
  explicit ModelPattern(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

}  // namespace spate::protocol
