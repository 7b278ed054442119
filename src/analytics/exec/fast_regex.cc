#include "analytics/exec/fast_regex.h"

#include <cstdio>
#include <utility>

#include "analytics/exec/regex.h"

namespace spate::analytics::exec {

namespace {

// PCRE2's largest repetition count.
constexpr uint32_t kMaxRepeat = 65535;

// A compiled piece of the pattern: its PCRE2 text and, when every string it
// matches has the same number of characters, that number.
struct Node {
  std::string re;
  std::optional<size_t> length;
  bool any = false;  // '.': its repetitions are lazy
};

// An atom of the top-level sequence (or of a group's sequence), with the
// column it belongs to (-1 outside groups).
struct Atom {
  Node node;
  int column = -1;
};

// One repetition operator: {min, max} (max nullopt: unbounded).
struct Repeat {
  uint32_t min = 0;
  std::optional<uint32_t> max;
};

class PatternError {
 public:
  explicit PatternError(std::string m) : message(std::move(m)) {}
  std::string message;
};

std::string CodePoint(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return std::string(1, char(c));
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(c));
  return buf;
}

// The POSIX named patterns the reference lists, as PCRE2 classes.
std::optional<std::string> NamedPattern(const std::string& name) {
  static const char* kPunct = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]";
  if (name == "Digit") return "[0-9]";
  if (name == "Upper") return "[A-Z]";
  if (name == "Lower") return "[a-z]";
  if (name == "ASCII") return "[\\x{0}-\\x{7F}]";
  if (name == "Alpha") return "[A-Za-z]";
  if (name == "Alnum") return "[A-Za-z0-9]";
  if (name == "Punct") return std::string(kPunct);
  if (name == "Blank") return "[ \\t]";
  if (name == "Space") return "[ \\t\\n\\f\\r\\x{B}]";
  if (name == "Cntrl") return "[\\x{0}-\\x{1F}\\x{7F}]";
  if (name == "XDigit") return "[0-9a-fA-F]";
  if (name == "Print" || name == "Graph") return "(?:[A-Za-z0-9]|" + std::string(kPunct) + ")";
  return std::nullopt;
}

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

Node Repeated(const Node& x, const Repeat& r) {
  Node out;
  out.re = "(?:" + x.re + "){" + std::to_string(r.min) + "," + (r.max ? std::to_string(*r.max) : std::string()) + "}";
  if (x.any) out.re += "?";
  if (x.length && (*x.length == 0 || (r.max && *r.max == r.min))) out.length = *x.length * r.min;
  return out;
}

class FastRegexParser {
 public:
  explicit FastRegexParser(std::string_view pattern) : p_(DecodeUtf8(pattern)) {}

  FastRegexPlan Parse() {
    std::vector<std::vector<Atom>> expressions;
    std::vector<Atom> run;
    int columns = 0;
    while (!AtEnd()) {
      char32_t c = Peek();
      if (c == '|') Fail("a top-level '|' splits the whole pattern: put the alternatives in parentheses");
      if (c == ')') Fail("unbalanced ')'");
      if (c == '(') {
        ++i_;
        std::vector<Atom> group = GroupContent(columns);
        if (AtEnd() || Peek() != ')') Fail("missing ')'");
        ++i_;
        if (!AtEnd() && IsRepeatStart(Peek())) Fail("a group is a column and cannot be repeated");
        if (!run.empty()) expressions.push_back(std::move(run));
        run.clear();
        expressions.push_back(std::move(group));
        ++columns;
        continue;
      }
      for (Atom& a : TopAtoms()) run.push_back(std::move(a));
    }
    if (!run.empty()) expressions.push_back(std::move(run));
    if (columns == 0) Fail("the pattern has no group: it would return no column");
    // Fixed-length atoms at the start of an expression go to the end of the
    // previous one; an expression left empty is thereby merged into it.
    std::vector<std::vector<Atom>> segments;
    for (auto& e : expressions) {
      size_t fixed = 0;
      if (!segments.empty()) {
        while (fixed < e.size() && e[fixed].node.length) ++fixed;
        for (size_t k = 0; k < fixed; ++k) segments.back().push_back(std::move(e[k]));
      }
      if (fixed < e.size())
        segments.emplace_back(std::make_move_iterator(e.begin() + fixed), std::make_move_iterator(e.end()));
    }
    FastRegexPlan plan;
    plan.columns = columns;
    for (const auto& s : segments) {
      FastRegexSegment seg;
      for (const Atom& a : s) {
        seg.regex += "(" + a.node.re + ")";
        seg.piece_column.push_back(a.column);
      }
      plan.segments.push_back(std::move(seg));
    }
    return plan;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw PatternError("FAST_REGEX_LOG_PARSE pattern, at character " + std::to_string(i_ + 1) + ": " + what);
  }
  bool AtEnd() const { return i_ >= p_.size(); }
  char32_t Peek() const { return p_[i_]; }
  static bool IsRepeatStart(char32_t c) { return c == '?' || c == '*' || c == '+' || c == '{'; }

  // A top-level group's content: its sequence of atoms, or one atom when it
  // is a union.
  std::vector<Atom> GroupContent(int column) {
    std::vector<Atom> atoms;
    const size_t start = i_;
    while (!AtEnd() && Peek() != ')') {
      if (Peek() == '|') {
        i_ = start;
        atoms.clear();
        atoms.push_back(Atom{Union(), column});
        return atoms;
      }
      for (Atom& a : TopAtoms()) {
        a.column = column;
        atoms.push_back(std::move(a));
      }
    }
    if (atoms.empty()) atoms.push_back(Atom{Node{"", 0}, column});  // ( ): the empty string
    return atoms;
  }

  // One element of a sequence with its repetitions; x+ and x{n,m} of a
  // fixed-length x become x{n} and the rest, so that the fixed part can move.
  std::vector<Atom> TopAtoms() {
    Node x = Complement();
    std::vector<Repeat> ops;
    while (!AtEnd() && IsRepeatStart(Peek())) ops.push_back(ParseRepeat());
    if (ops.size() == 1 && x.length && *x.length > 0 && ops[0].min > 0 && (!ops[0].max || *ops[0].max > ops[0].min)) {
      Repeat fixed{ops[0].min, ops[0].min};
      Repeat rest{0, ops[0].max ? std::optional<uint32_t>(*ops[0].max - ops[0].min) : std::nullopt};
      return {Atom{Repeated(x, fixed), -1}, Atom{Repeated(x, rest), -1}};
    }
    for (const Repeat& r : ops) x = Repeated(x, r);
    return {Atom{std::move(x), -1}};
  }

  Repeat ParseRepeat() {
    char32_t c = p_[i_++];
    if (c == '?') return Repeat{0, 1};
    if (c == '*') return Repeat{0, std::nullopt};
    if (c == '+') return Repeat{1, std::nullopt};
    Repeat r;
    r.min = Number();
    if (!AtEnd() && Peek() == '}') {
      ++i_;
      r.max = r.min;
      return r;
    }
    if (AtEnd() || Peek() != ',') Fail("expected ',' or '}' in a repetition");
    ++i_;
    if (!AtEnd() && Peek() == '}') {
      ++i_;
      return r;
    }
    r.max = Number();
    if (AtEnd() || Peek() != '}') Fail("expected '}' to close a repetition");
    ++i_;
    if (*r.max < r.min) Fail("a repetition {n,m} needs n <= m");
    return r;
  }

  uint32_t Number() {
    uint64_t n = 0;
    size_t digits = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      n = n * 10 + (Peek() - '0');
      if (n > kMaxRepeat) Fail("a repetition count is above " + std::to_string(kMaxRepeat));
      ++i_;
      ++digits;
    }
    if (digits == 0) Fail("expected a number in a repetition");
    return static_cast<uint32_t>(n);
  }

  Node Union() {
    std::vector<Node> alternatives{Concat()};
    while (!AtEnd() && Peek() == '|') {
      ++i_;
      alternatives.push_back(Concat());
    }
    if (alternatives.size() == 1) return alternatives[0];
    Node out;
    out.re = "(?:";
    out.length = alternatives[0].length;
    for (size_t k = 0; k < alternatives.size(); ++k) {
      if (k > 0) out.re += "|";
      out.re += alternatives[k].re;
      if (alternatives[k].length != out.length) out.length.reset();
    }
    out.re += ")";
    return out;
  }

  Node Concat() {
    Node out{"", 0};
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      Node x = Complement();
      while (!AtEnd() && IsRepeatStart(Peek())) x = Repeated(x, ParseRepeat());
      out.re += x.re;
      if (out.length && x.length) {
        *out.length += *x.length;
      } else {
        out.length.reset();
      }
    }
    return out;
  }

  Node Complement() {
    if (Peek() == '&') Fail("intersection '&' is not supported");
    if (Peek() == '~') Fail("complement '~' is not supported (write \\~ for the character)");
    if (Peek() == '[') return CharClass();
    return Simple();
  }

  Node CharClass() {
    ++i_;
    std::string re = "[";
    if (!AtEnd() && Peek() == '^') {
      re += "^";
      ++i_;
    }
    size_t members = 0;
    while (!AtEnd() && Peek() != ']') {
      char32_t lo = ClassChar();
      re += CodePoint(lo);
      if (i_ + 1 < p_.size() && Peek() == '-' && p_[i_ + 1] != ']') {
        ++i_;
        char32_t hi = ClassChar();
        if (hi < lo) Fail("a character range runs backwards");
        re += "-" + CodePoint(hi);
      }
      ++members;
    }
    if (AtEnd()) Fail("missing ']'");
    ++i_;
    if (members == 0) Fail("an empty character class");
    return Node{re + "]", 1};
  }

  char32_t ClassChar() {
    if (Peek() == '\\') {
      ++i_;
      if (AtEnd()) Fail("'\\' ends the pattern");
    }
    return p_[i_++];
  }

  Node Simple() {
    char32_t c = p_[i_++];
    switch (c) {
      case '.': return Node{"[\\s\\S]", 1, true};
      case '#': return Node{"[^\\s\\S]", 0};
      case '@': return Node{"[\\s\\S]*?", std::nullopt};
      case '"': {
        Node out{"", 0};
        while (!AtEnd() && Peek() != '"') {
          out.re += CodePoint(p_[i_++]);
          ++*out.length;
        }
        if (AtEnd()) Fail("missing '\"' to close a string");
        ++i_;
        return out;
      }
      case '(': {
        if (!AtEnd() && Peek() == ')') {
          ++i_;
          return Node{"", 0};
        }
        Node inner = Union();
        if (AtEnd() || Peek() != ')') Fail("missing ')'");
        ++i_;
        inner.re = "(?:" + inner.re + ")";
        return inner;
      }
      case '<': {
        std::string name;
        while (!AtEnd() && Peek() != '>') name += static_cast<char>(p_[i_++] & 0x7F);
        if (AtEnd()) Fail("missing '>' to close a named pattern");
        ++i_;
        if (!name.empty() && name.find_first_not_of("0123456789-") == std::string::npos) {
          Fail("numeric intervals <n-m> are not supported");
        }
        std::optional<std::string> re = NamedPattern(name);
        if (!re) Fail("unknown named pattern <" + name + ">");
        return Node{*re, 1};
      }
      case '\\':
        if (AtEnd()) Fail("'\\' ends the pattern");
        return Node{CodePoint(p_[i_++]), 1};
      case ')':
      case '|':
      case '?':
      case '*':
      case '+':
      case '{':
      case '}':
      case ']':
      case '>':
        --i_;
        Fail(std::string("unexpected '") + static_cast<char>(c) + "' (write \\" + static_cast<char>(c) +
             " for the character)");
      default: return Node{CodePoint(c), 1};
    }
  }

  std::u32string p_;
  size_t i_ = 0;
};

}  // namespace

Result<FastRegexPlan> CompileFastRegex(std::string_view pattern) {
  FastRegexPlan plan;
  try {
    plan = FastRegexParser(pattern).Parse();
  } catch (const PatternError& e) {
    return InvalidArgument(e.message);
  }
  for (const FastRegexSegment& s : plan.segments) {
    Result<int> groups = RegexGroupCount(s.regex);
    if (!groups.ok()) return InvalidArgument("FAST_REGEX_LOG_PARSE pattern: " + groups.status().message());
  }
  return plan;
}

Result<bool> FastRegexMatch(const FastRegexPlan& plan, std::string_view subject,
                            std::vector<std::optional<std::string>>* columns) {
  std::vector<size_t> begin(static_cast<size_t>(plan.columns), std::string_view::npos);
  std::vector<size_t> end(static_cast<size_t>(plan.columns), std::string_view::npos);
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  for (size_t s = 0; s < plan.segments.size(); ++s) {
    const FastRegexSegment& seg = plan.segments[s];
    const bool last = s + 1 == plan.segments.size();
    size_t seg_end = 0;
    SPATE_ASSIGN_OR_RETURN(bool matched, RegexMatchAt(subject, pos, last, seg.regex, &seg_end, &spans));
    if (!matched) return false;
    for (size_t k = 0; k < seg.piece_column.size() && k < spans.size(); ++k) {
      int c = seg.piece_column[k];
      if (c < 0) continue;
      auto col = static_cast<size_t>(c);
      if (begin[col] == std::string_view::npos) begin[col] = spans[k].first;
      end[col] = spans[k].second;
    }
    pos = seg_end;
  }
  columns->clear();
  for (size_t c = 0; c < begin.size(); ++c) {
    columns->emplace_back(std::string(subject.substr(begin[c], end[c] - begin[c])));
  }
  return true;
}

}  // namespace spate::analytics::exec
