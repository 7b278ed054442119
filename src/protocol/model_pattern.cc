#include "protocol/model_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <simdjson.h>  // simdjson::validate_utf8

#include <cstdint>
#include <string>
#include <utility>

#include "base/assert.h"

namespace spate::protocol {
namespace {

// Upper bound on the work of one FullMatch: PCRE2's match limit (calls of its
// internal match function, or JIT backtracks). An input that exceeds it is
// reported as not matching (see the header).
constexpr uint32_t kMatchLimit = 1'000'000;
// Per-thread JIT stack: starts at PCRE2's default and may grow to kJitStackMax
// (a group repeated once per few input characters, as in the base64 pattern
// over a 4 KiB key, needs more than the default 32 KiB).
constexpr size_t kJitStackStart = 32 * 1024;
constexpr size_t kJitStackMax = 1024 * 1024;
// PCRE2's largest repetition bound.
constexpr int kMaxRepeat = 65535;

// Java's '.': anything but the line terminators \n \r U+0085 U+2028 U+2029.
// No PCRE2 newline convention has exactly this set (ANY adds VT and FF).
constexpr std::string_view kJavaDot = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";

// Compile options: code points (UTF), whole-string match (ANCHORED at the
// start, ENDANCHORED at the end: Java's Matcher.matches()), no UCP (Java's
// \d \w \s are ASCII unless UNICODE_CHARACTER_CLASS), and no way for the
// translated text to switch either on.
constexpr uint32_t kCompileOptions =
    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_AUTO_CAPTURE;

// Decodes UTF-8 into code points the way the pattern text and ill-formed
// values have always been read: a lead byte and its continuation bytes make
// one code point (overlong forms included); every other byte becomes U+FFFD.
std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool IsSurrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

void AppendUtf8(char32_t c, std::string* out) {
  if (IsSurrogate(c) || c > 0x10FFFF) c = 0xFFFD;  // not representable in UTF-8
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Well-formed UTF-8 for an ill-formed value: DecodeUtf8, then code
// points UTF-8 cannot carry (surrogates, beyond U+10FFFF) become U+FFFD.
std::string RepairUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char32_t c : DecodeUtf8(s)) AppendUtf8(c, &out);
  return out;
}

bool IsAsciiAlnum(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Unicode general categories: \p{..} names that java.util.regex and PCRE2
// both read as the category and nothing else.
bool IsGeneralCategory(std::u32string_view name) {
  static constexpr std::u32string_view kNames[] = {U"L",  U"Lu", U"Ll", U"Lt", U"Lm", U"Lo", U"M",  U"Mn", U"Mc",
                                                   U"Me", U"N",  U"Nd", U"Nl", U"No", U"P",  U"Pc", U"Pd", U"Ps",
                                                   U"Pe", U"Pi", U"Pf", U"Po", U"S",  U"Sm", U"Sc", U"Sk", U"So",
                                                   U"Z",  U"Zs", U"Zl", U"Zp", U"C",  U"Cc", U"Cf", U"Co", U"Cn"};
  for (std::u32string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Translates pattern text in the java.util.regex subset of the header into
// PCRE2 syntax with the same meaning. Everything outside the subset is an
// error rather than passed on, since PCRE2 gives some of it another meaning
// ("a{", "[[:alpha:]]", "[a&&b]", "(*ACCEPT)", "(?i)", "\x41", "\Q"). Literal
// characters other than ASCII letters and digits are written as \x{..}, so no
// character of the output depends on PCRE2's notion of what is special.
// Grouping and quantifier structure is left to pcre2_compile to check.
class Translator {
 public:
  explicit Translator(std::u32string_view text) : s_(text) {}

  Result<std::string> Run() {
    bool operand = false;  // whether the last item can take a quantifier
    while (!AtEnd()) {
      const char32_t c = s_[pos_++];
      switch (c) {
        case '\\':
          SPATE_TRY(AppendEscape());
          operand = true;
          break;
        case '[':
          SPATE_TRY(AppendClass());
          operand = true;
          break;
        case '(':
          SPATE_TRY(AppendGroupOpen());
          operand = false;
          break;
        case ')':
          out_ += ')';
          operand = true;
          break;
        case '|':
          out_ += '|';
          operand = false;
          break;
        case '.':
          out_ += kJavaDot;
          operand = true;
          break;
        case '^':  // start of input: the pattern is never MULTILINE
          out_ += '^';
          operand = false;
          break;
        case '$':  // end of input only, as the old engine read it (not before a final newline)
          out_ += "\\z";
          operand = false;
          break;
        case '*':
        case '+':
        case '?':
        case '{':
          if (!operand) {
            --pos_;
            return Error("quantifier without operand");
          }
          SPATE_TRY(AppendQuantifier(c));
          operand = false;
          break;
        default:
          AppendLiteral(c);
          operand = true;
          break;
      }
    }
    return std::move(out_);
  }

 private:
  Status Error(std::string what) const {
    return InvalidArgument("pattern: " + what + " at offset " + std::to_string(pos_));
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char32_t Peek() const { return s_[pos_]; }
  bool Consume(char32_t c) {
    if (!AtEnd() && Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void AppendLiteral(char32_t c) {
    if (IsAsciiAlnum(c)) {
      out_ += static_cast<char>(c);
      return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    do {
      hex.insert(hex.begin(), kHex[c & 0xF]);
      c >>= 4;
    } while (c != 0);
    out_ += "\\x{" + hex + "}";
  }

  // After '(': a group (always non-capturing; nothing reads captures) or a
  // lookaround.
  Status AppendGroupOpen() {
    if (!Consume('?')) {
      out_ += "(?:";
      return Status::Ok();
    }
    if (Consume(':')) {
      out_ += "(?:";
    } else if (Consume('=')) {
      out_ += "(?=";
    } else if (Consume('!')) {
      out_ += "(?!";
    } else if (Consume('<')) {
      if (Consume('=')) {
        out_ += "(?<=";
      } else if (Consume('!')) {
        out_ += "(?<!";
      } else {
        return Error("named groups are not supported");
      }
    } else {
      return Error("unsupported group construct");
    }
    return Status::Ok();
  }

  // `q` is one of * + ? { (already consumed), then an optional lazy '?' or
  // possessive '+' suffix.
  Status AppendQuantifier(char32_t q) {
    if (q != '{') {
      out_ += static_cast<char>(q);
    } else {
      SPATE_ASSIGN_OR_RETURN(int min, ParseInt());
      int max = min;
      bool unbounded = false;
      if (Consume(',')) {
        if (!AtEnd() && Peek() == '}') {
          unbounded = true;
        } else {
          SPATE_ASSIGN_OR_RETURN(max, ParseInt());
        }
      }
      if (!Consume('}')) return Error("expected '}'");
      if (!unbounded && max < min) return Error("bad repetition bounds");
      out_ += "{" + std::to_string(min);
      if (unbounded) {
        out_ += ",";
      } else if (max != min) {
        out_ += "," + std::to_string(max);
      }
      out_ += "}";
    }
    if (Consume('?')) {
      out_ += '?';
    } else if (Consume('+')) {
      out_ += '+';
    }
    return Status::Ok();
  }

  Result<int> ParseInt() {
    int v = 0;
    const size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + static_cast<int>(Peek() - '0');
      if (v > kMaxRepeat) return Error("repetition bound too large");
      ++pos_;
    }
    if (pos_ == start) return Error("expected a number");
    return v;
  }

  // After a backslash, inside or outside a class.
  Status AppendEscape() {
    if (AtEnd()) return Error("trailing backslash");
    const char32_t c = s_[pos_++];
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
        out_ += '\\';
        out_ += static_cast<char>(c);
        return Status::Ok();
      case 'p':
      case 'P': {
        if (!Consume('{')) return Error("expected '{' after \\p");
        const size_t start = pos_;
        while (!AtEnd() && Peek() != '}') ++pos_;
        const std::u32string_view name = s_.substr(start, pos_ - start);
        if (!Consume('}')) return Error("expected '}'");
        if (!IsGeneralCategory(name)) return Error("unsupported Unicode property");
        out_ += '\\';
        out_ += static_cast<char>(c);
        out_ += '{';
        for (char32_t n : name) out_ += static_cast<char>(n);
        out_ += '}';
        return Status::Ok();
      }
      default: {
        SPATE_ASSIGN_OR_RETURN(char32_t lit, EscapedLiteral(c));
        AppendLiteral(lit);
        return Status::Ok();
      }
    }
  }

  // The character that `\c` stands for, when it stands for one.
  Result<char32_t> EscapedLiteral(char32_t c) {
    switch (c) {
      case 't': return char32_t{'\t'};
      case 'n': return char32_t{'\n'};
      case 'r': return char32_t{'\r'};
      case 'f': return char32_t{'\f'};
      case 'u': {
        SPATE_ASSIGN_OR_RETURN(char32_t v, ParseHex4());
        // Java reads the UTF-16 pair \uD83D\uDE00 as one code point.
        if (v >= 0xD800 && v <= 0xDBFF && pos_ + 6 <= s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
          const size_t save = pos_;
          pos_ += 2;
          SPATE_ASSIGN_OR_RETURN(char32_t low, ParseHex4());
          if (low >= 0xDC00 && low <= 0xDFFF) return 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
          pos_ = save;
        }
        if (IsSurrogate(v)) return Error("lone surrogate in \\u escape");
        return v;
      }
      default:
        if (IsAsciiAlnum(c)) return Error("unsupported escape");
        return c;  // escaped punctuation stands for itself
    }
  }

  Result<char32_t> ParseHex4() {
    if (pos_ + 4 > s_.size()) return Error("short \\u escape");
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char32_t h = s_[pos_++];
      int d;
      if (h >= '0' && h <= '9') {
        d = static_cast<int>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        d = static_cast<int>(h - 'a') + 10;
      } else if (h >= 'A' && h <= 'F') {
        d = static_cast<int>(h - 'A') + 10;
      } else {
        return Error("bad \\u escape");
      }
      v = v * 16 + static_cast<char32_t>(d);
    }
    return v;
  }

  // After '[': items up to the closing ']'. A ']' first (after any '^') is
  // literal; '-' makes a range unless it is last. Java's nested classes and
  // intersections are not supported.
  Status AppendClass() {
    out_ += '[';
    if (Consume('^')) out_ += '^';
    bool first = true;
    while (true) {
      if (AtEnd()) return Error("unterminated character class");
      const char32_t c = Peek();
      if (c == ']' && !first) {
        ++pos_;
        out_ += ']';
        return Status::Ok();
      }
      first = false;
      ++pos_;
      if (c == '[' || (c == '&' && !AtEnd() && Peek() == '&')) {
        return Error("nested classes are not supported");
      }
      char32_t lo;
      if (c == '\\') {
        if (AtEnd()) return Error("trailing backslash");
        const char32_t e = Peek();
        if (e == 'd' || e == 'D' || e == 'w' || e == 'W' || e == 's' || e == 'S' || e == 'p' || e == 'P') {
          SPATE_TRY(AppendEscape());
          continue;
        }
        ++pos_;
        SPATE_ASSIGN_OR_RETURN(lo, EscapedLiteral(e));
      } else {
        lo = c;
      }
      char32_t hi = lo;
      if (pos_ + 1 < s_.size() && Peek() == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        const char32_t h = s_[pos_++];
        if (h == '\\') {
          if (AtEnd()) return Error("trailing backslash");
          const char32_t e = s_[pos_++];
          SPATE_ASSIGN_OR_RETURN(hi, EscapedLiteral(e));
        } else {
          hi = h;
        }
        if (hi < lo) return Error("bad class range");
      }
      AppendLiteral(lo);
      if (hi != lo) {
        out_ += '-';
        AppendLiteral(hi);
      }
    }
  }

  std::u32string_view s_;
  size_t pos_ = 0;
  std::string out_;
};

// What one thread needs to run any compiled pattern: match data with one
// ovector pair (enough: nothing reads captures, and a too-small ovector still
// reports the match), and a match context carrying the limit and JIT stack.
class MatchState {
 public:
  MatchState()
      : match_data_(pcre2_match_data_create(1, nullptr)),
        context_(pcre2_match_context_create(nullptr)),
        jit_stack_(pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr)) {
    SPATE_ASSERT(match_data_ != nullptr && context_ != nullptr, "pcre2: out of memory");
    pcre2_set_match_limit(context_, kMatchLimit);
    // Without a stack of its own (nullptr), JIT code uses PCRE2's 32 KiB default.
    pcre2_jit_stack_assign(context_, nullptr, jit_stack_);
  }
  ~MatchState() {
    pcre2_jit_stack_free(jit_stack_);
    pcre2_match_context_free(context_);
    pcre2_match_data_free(match_data_);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;

  pcre2_match_data* match_data() const { return match_data_; }
  pcre2_match_context* context() const { return context_; }

 private:
  pcre2_match_data* match_data_;
  pcre2_match_context* context_;
  pcre2_jit_stack* jit_stack_;
};

MatchState& ThreadMatchState() {
  thread_local MatchState state;
  return state;
}

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};

}  // namespace

struct ModelPattern::Program {
  std::string source;
  std::unique_ptr<pcre2_code, CodeDeleter> code;  // immutable after Compile; shared by threads
};

ModelPattern::ModelPattern(std::unique_ptr<Program> program) : program_(std::move(program)) {}
ModelPattern::ModelPattern(ModelPattern&&) noexcept = default;
ModelPattern& ModelPattern::operator=(ModelPattern&&) noexcept = default;
ModelPattern::~ModelPattern() = default;

Result<ModelPattern> ModelPattern::Compile(std::string_view source) {
  const std::u32string text = DecodeUtf8(source);
  SPATE_ASSIGN_OR_RETURN(const std::string translated, Translator(text).Run());
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(), kCompileOptions,
                                   &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return InvalidArgument("pattern: " + std::string(reinterpret_cast<const char*>(message)) + " (PCRE2, at offset " +
                           std::to_string(error_offset) + " of " + translated + ")");
  }
  auto program = std::make_unique<Program>();
  program->source = std::string(source);
  program->code.reset(code);
  // Where JIT is unavailable (PCRE2 built without it, or an unsupported CPU)
  // this fails and pcre2_match interprets the same code.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return ModelPattern(std::move(program));
}

const std::string& ModelPattern::source() const { return program_->source; }

bool ModelPattern::FullMatch(std::string_view utf8) const {
  const MatchState& state = ThreadMatchState();
  // PCRE2_NO_UTF_CHECK needs well-formed UTF-8 (anything else is undefined
  // behaviour in PCRE2). simdjson's validator accepts exactly what PCRE2's own
  // check accepts (both are Unicode's well-formed UTF-8; compared exhaustively
  // over every string of up to 3 bytes and every 4-byte one led by E0-FF) and
  // is faster; an ill-formed value is repaired, which yields valid UTF-8.
  std::string repaired;
  if (!utf8.empty() && !simdjson::validate_utf8(utf8.data(), utf8.size())) {
    repaired = RepairUtf8(utf8);
    utf8 = repaired;
  }
  const char* data = utf8.empty() ? "" : utf8.data();
  const int rc = pcre2_match(program_->code.get(), reinterpret_cast<PCRE2_SPTR>(data), utf8.size(), 0,
                             PCRE2_NO_UTF_CHECK, state.match_data(), state.context());
  // PCRE2_ERROR_NOMATCH, and a limit reached (match limit, JIT stack), are
  // both "does not match".
  return rc >= 0;
}

}  // namespace spate::protocol
