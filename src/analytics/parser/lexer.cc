#include "analytics/parser/lexer.h"

#include <cctype>
#include <optional>

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

// Reads a '...' literal starting at code[*i] ('' is one quote); nullopt if
// unterminated.
template <typename Advance>
std::optional<std::string> ReadQuoted(std::string_view code, size_t* i, int*, int*, Advance& advance) {
  std::string out;
  advance(1);
  for (;;) {
    if (*i >= code.size()) return std::nullopt;
    if (code[*i] == '\'') {
      if (*i + 1 < code.size() && code[*i + 1] == '\'') {
        out += '\'';
        advance(2);
        continue;
      }
      advance(1);
      return out;
    }
    out += code[*i];
    advance(1);
  }
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::string> DecodeUnicode(const std::string& s, char escape) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != escape) {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == escape) {
      out += escape;
      ++i;
      continue;
    }
    size_t digits = 4, at = i + 1;
    if (at < s.size() && s[at] == '+') {
      digits = 6;
      ++at;
    }
    if (at + digits > s.size()) return std::nullopt;
    uint32_t cp = 0;
    for (size_t k = at; k < at + digits; ++k) {
      if (!std::isxdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
      cp = cp * 16 + static_cast<uint32_t>(
                         std::isdigit(static_cast<unsigned char>(s[k])) ? s[k] - '0' : (std::toupper(s[k]) - 'A' + 10));
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    AppendUtf8(cp, &out);
    i = at + digits - 1;
  }
  return out;
}

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
    if ((c == 'u' || c == 'U') && code.substr(i + 1, 2) == "&'") {
      // u&'...' [UESCAPE 'c']: \XXXX and \+XXXXXX are code points.
      advance(2);
      auto lit = ReadQuoted(code, &i, &line, &col, advance);
      if (!lit) return MakeError(t.line, t.column, "unterminated string literal");
      char escape = '\\';
      size_t j = i;
      while (j < code.size() && std::isspace(static_cast<unsigned char>(code[j]))) ++j;
      std::string word;
      for (size_t k = j; k < code.size() && IsIdentPart(code[k]); ++k) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(code[k])));
      }
      if (word == "UESCAPE") {
        advance(j - i + word.size());
        while (i < code.size() && std::isspace(static_cast<unsigned char>(code[i]))) advance(1);
        int el = line, ec = col;
        auto esc = i < code.size() && code[i] == '\'' ? ReadQuoted(code, &i, &line, &col, advance) : std::nullopt;
        if (!esc || esc->size() != 1) return MakeError(el, ec, "UESCAPE takes one character in quotes");
        escape = (*esc)[0];
      }
      auto decoded = DecodeUnicode(*lit, escape);
      if (!decoded) return MakeError(t.line, t.column, "bad unicode escape in u&'...'");
      t.kind = TokenKind::kString;
      t.text = std::move(*decoded);
    } else if (IsIdentStart(c)) {
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
