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
// \p{..} and \P{..} of a Unicode general category such as L, Lu, N, Z; any
// other escaped non-alphanumeric character is literal), '.', character
// classes with ranges and negation, groups ((...) and (?:...), capturing is
// not needed), alternation, lookahead (?=...) (?!...), lookbehind (?<=...)
// (?<!...) whose alternatives have fixed widths, quantifiers * + ? {n} {n,}
// {n,m} with lazy (?) and possessive (+) suffixes, anchors ^ and $.
// Meanings are Java's: '.' is any code point but \n \r U+0085 U+2028 U+2029;
// \d \w \s are ASCII; ^ and $ are the start and the end of the input
// ($ never matches before a final line terminator).
//
// Implementation: the text is translated into PCRE2 syntax (model_pattern.cc
// says how each construct maps) and compiled once, with PCRE2's JIT where
// available. \p{..} follows PCRE2's Unicode tables (Unicode 14 in PCRE2 10.42).
// Syntax outside the subset, and syntax PCRE2 would read differently from
// Java, fails to compile.
//
// Matching has a budget (PCRE2's match limit and a per-thread JIT stack): a
// pattern/input pair that exceeds it (catastrophic backtracking) is reported
// as not matching. Input that is not valid UTF-8 is matched with each byte of
// an ill-formed sequence read as U+FFFD; an overlong sequence reads as the
// code point it spells, a surrogate or a value past U+10FFFF as U+FFFD.
//
// Thread-safety: a compiled pattern is immutable; FullMatch may be called
// from any number of threads at once (each thread keeps its own PCRE2 match
// data and JIT stack, allocated on its first match).
class ModelPattern {
 public:
  ModelPattern(ModelPattern&&) noexcept;
  ModelPattern& operator=(ModelPattern&&) noexcept;
  ~ModelPattern();

  // Compiles `source`. Fails with kInvalidArgument naming the offset for
  // syntax outside the subset above (or PCRE2's message for an error it
  // finds, such as an unbalanced parenthesis).
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
