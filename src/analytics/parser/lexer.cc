#include "analytics/parser/lexer.h"

#include <cctype>

namespace spate::analytics::parser {

std::string Token::Describe() const {
  switch (kind) {
    case TokenKind::kEnd: return "end of input";
    case TokenKind::kQuotedIdentifier: return "\"" + text + "\"";
    case TokenKind::kString: return "string '" + text + "'";
    default: return "'" + text + "'";
  }
}

CodeError MakeError(int line, int column, const std::string& what) {
  CodeError e;
  e.line = line;
  e.column = column;
  e.message = "SQL error at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
  return e;
}

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }
bool IsIdentPart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '#'; }

}  // namespace

std::variant<std::vector<Token>, CodeError> Tokenize(std::string_view code) {
  std::vector<Token> out;
  size_t i = 0;
  int line = 1;
  int col = 1;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < code.size(); ++k, ++i) {
      if (code[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < code.size()) {
    char c = code[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance(1);
      continue;
    }
    if (c == '-' && i + 1 < code.size() && code[i + 1] == '-') {
      while (i < code.size() && code[i] != '\n') advance(1);
      continue;
    }
    if (c == '/' && i + 1 < code.size() && code[i + 1] == '*') {
      int l = line, cl = col;
      advance(2);
      while (i < code.size() && !(code[i] == '*' && i + 1 < code.size() && code[i + 1] == '/')) advance(1);
      if (i >= code.size()) return MakeError(l, cl, "unterminated comment");
      advance(2);
      continue;
    }
    Token t;
    t.line = line;
    t.column = col;
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < code.size() && IsIdentPart(code[j])) ++j;
      t.kind = TokenKind::kIdentifier;
      for (size_t k = i; k < j; ++k) t.text += static_cast<char>(std::toupper(static_cast<unsigned char>(code[k])));
      advance(j - i);
    } else if (c == '"' || c == '\'') {
      char q = c;
      t.kind = q == '"' ? TokenKind::kQuotedIdentifier : TokenKind::kString;
      advance(1);
      for (;;) {
        if (i >= code.size()) {
          return MakeError(t.line, t.column,
                           q == '"' ? "unterminated quoted identifier" : "unterminated string literal");
        }
        if (code[i] == q) {
          if (i + 1 < code.size() && code[i + 1] == q) {
            t.text += q;
            advance(2);
            continue;
          }
          advance(1);
          break;
        }
        t.text += code[i];
        advance(1);
      }
      if (q == '"' && t.text.empty()) return MakeError(t.line, t.column, "empty quoted identifier");
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < code.size() && std::isdigit(static_cast<unsigned char>(code[i + 1])))) {
      size_t j = i;
      bool real = false;
      while (j < code.size() && std::isdigit(static_cast<unsigned char>(code[j]))) ++j;
      if (j < code.size() && code[j] == '.') {
        real = true;
        ++j;
        while (j < code.size() && std::isdigit(static_cast<unsigned char>(code[j]))) ++j;
      }
      if (j < code.size() && (code[j] == 'e' || code[j] == 'E')) {
        size_t k = j + 1;
        if (k < code.size() && (code[k] == '+' || code[k] == '-')) ++k;
        if (k < code.size() && std::isdigit(static_cast<unsigned char>(code[k]))) {
          real = true;
          j = k;
          while (j < code.size() && std::isdigit(static_cast<unsigned char>(code[j]))) ++j;
        }
      }
      t.kind = real ? TokenKind::kNumber : TokenKind::kInteger;
      t.text = std::string(code.substr(i, j - i));
      advance(j - i);
    } else {
      static const char* kTwo[] = {"<=", ">=", "<>", "!=", "||"};
      t.kind = TokenKind::kSymbol;
      bool two = false;
      for (const char* s : kTwo) {
        if (code.substr(i, 2) == s) {
          t.text = s;
          two = true;
          break;
        }
      }
      if (!two) {
        if (std::string_view("(),;.*+-/%=<>").find(c) == std::string_view::npos) {
          return MakeError(line, col, std::string("unexpected character '") + c + "'");
        }
        t.text = std::string(1, c);
      }
      advance(t.text.size());
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.line = line;
  end.column = col;
  out.push_back(end);
  return out;
}

}  // namespace spate::analytics::parser
