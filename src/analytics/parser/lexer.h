#pragma once

// The tokenizer of the Kinesis Data Analytics SQL dialect. Unquoted
// identifiers and keywords fold to upper case; "quoted" identifiers keep
// their case ("" inside is one "); 'strings' take '' for one quote;
// -- line and /* block */ comments are skipped. Positions are 1-based.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/engine.h"

namespace spate::analytics::parser {

enum class TokenKind : uint8_t {
  kIdentifier,        // unquoted, folded to upper case (keywords too)
  kQuotedIdentifier,  // "..." with case kept
  kString,            // '...' with '' undone
  kInteger,           // digits only
  kNumber,            // digits with '.' or an exponent
  kSymbol,            // ( ) , ; . * + - / % = < > <= >= <> != ||
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifier (folded), string contents, number or symbol
  int line = 1;
  int column = 1;
  // How the token is shown in an error: 'FROM', "name", end of input.
  std::string Describe() const;
};

// Splits `code` into tokens ending with one kEnd. On an unterminated string,
// quoted identifier or comment, or an unknown character, returns the error.
std::variant<std::vector<Token>, CodeError> Tokenize(std::string_view code);

// "SQL error at line L, column C: <what>".
CodeError MakeError(int line, int column, const std::string& what);

}  // namespace spate::analytics::parser
