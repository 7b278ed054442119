#include "protocol/model_pattern.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spate::protocol {
namespace {

// Upper bounds on the work one FullMatch may do; beyond them the input is
// reported as not matching (see the header).
constexpr uint64_t kMaxSteps = 2'000'000;
constexpr int kMaxDepth = 3'000;
constexpr int kInfinite = -1;

// Decodes UTF-8 into code points; every byte of a malformed sequence becomes
// U+FFFD.
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

bool InRanges(char32_t c, std::initializer_list<std::pair<char32_t, char32_t>> ranges) {
  for (const auto& [lo, hi] : ranges) {
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

bool IsUnicodeSpace(char32_t c) {  // \p{Z}: Zs, Zl, Zp (exact).
  return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsUnicodeNumber(char32_t c) {  // \p{N}: exact below U+0100, common blocks above.
  return InRanges(c, {{'0', '9'},       {0xB2, 0xB3},     {0xB9, 0xB9},     {0xBC, 0xBE},
                      {0x660, 0x669},   {0x6F0, 0x6F9},   {0x7C0, 0x7C9},   {0x966, 0x96F},
                      {0x9E6, 0x9EF},   {0xA66, 0xA6F},   {0xAE6, 0xAEF},   {0xB66, 0xB6F},
                      {0xBE6, 0xBF2},   {0xC66, 0xC6F},   {0xCE6, 0xCEF},   {0xD66, 0xD78},
                      {0xE50, 0xE59},   {0xED0, 0xED9},   {0xF20, 0xF33},   {0x1040, 0x1049},
                      {0x17E0, 0x17E9}, {0x1810, 0x1819}, {0x2070, 0x2070}, {0x2074, 0x2079},
                      {0x2080, 0x2089}, {0x2150, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF},
                      {0x2776, 0x2793}, {0x3007, 0x3007}, {0x3021, 0x3029}, {0x3038, 0x303A},
                      {0x3192, 0x3195}, {0x3220, 0x3229}, {0x3248, 0x324F}, {0x3251, 0x325F},
                      {0x3280, 0x3289}, {0x32B1, 0x32BF}, {0xFF10, 0xFF19}});
}

bool IsUnicodeLetter(char32_t c) {  // \p{L}: exact below U+0100, approximate above.
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0x100) return c == 0xAA || c == 0xB5 || c == 0xBA || (c >= 0xC0 && c != 0xD7 && c != 0xF7);
  if (IsUnicodeSpace(c) || IsUnicodeNumber(c)) return false;
  // Combining marks, punctuation, symbols, controls, surrogates, private use,
  // specials: not letters.
  return !InRanges(c, {{0x300, 0x36F},   {0x2000, 0x2BFF}, {0x2E00, 0x2E7F}, {0x3000, 0x3004},
                       {0x3008, 0x3020}, {0xD800, 0xF8FF}, {0xFE00, 0xFE0F}, {0xFE10, 0xFE6F},
                       {0xFF00, 0xFF0F}, {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65},
                       {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF}, {0xE0000, 0x10FFFF}});
}

bool IsLineTerminator(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

// Predefined classes, as bits of CharSet::classes.
enum ClassBit : uint32_t {
  kDigit = 1u << 0,
  kNotDigit = 1u << 1,
  kWord = 1u << 2,
  kNotWord = 1u << 3,
  kSpace = 1u << 4,
  kNotSpace = 1u << 5,
  kLetter = 1u << 6,
  kNotLetter = 1u << 7,
  kSeparator = 1u << 8,
  kNotSeparator = 1u << 9,
  kNumber = 1u << 10,
  kNotNumber = 1u << 11,
  kAnyButLineTerminator = 1u << 12,
};

struct CharSet {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  uint32_t classes = 0;
  bool negated = false;

  bool Contains(char32_t c) const {
    bool in = false;
    for (const auto& [lo, hi] : ranges) {
      if (c >= lo && c <= hi) {
        in = true;
        break;
      }
    }
    if (!in && classes != 0) in = MatchesClasses(c);
    return in != negated;
  }

 private:
  bool MatchesClasses(char32_t c) const {
    const bool digit = c >= '0' && c <= '9';
    const bool word = digit || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    return ((classes & kDigit) && digit) || ((classes & kNotDigit) && !digit) ||
           ((classes & kWord) && word) || ((classes & kNotWord) && !word) ||
           ((classes & kSpace) && space) || ((classes & kNotSpace) && !space) ||
           ((classes & kLetter) && IsUnicodeLetter(c)) ||
           ((classes & kNotLetter) && !IsUnicodeLetter(c)) ||
           ((classes & kSeparator) && IsUnicodeSpace(c)) ||
           ((classes & kNotSeparator) && !IsUnicodeSpace(c)) ||
           ((classes & kNumber) && IsUnicodeNumber(c)) ||
           ((classes & kNotNumber) && !IsUnicodeNumber(c)) ||
           ((classes & kAnyButLineTerminator) && !IsLineTerminator(c));
  }
};

using Seq = std::vector<int>;  // node ids matched one after another

struct Node {
  enum class Kind : uint8_t { kSet, kAlt, kRepeat, kLook, kBegin, kEnd };
  Kind kind = Kind::kSet;
  CharSet set;             // kSet
  std::vector<Seq> alts;   // kAlt: alternatives, tried in order
  int child = -1;          // kRepeat, kLook: the operand (a node id)
  int min = 0;             // kRepeat
  int max = kInfinite;     // kRepeat
  bool greedy = true;      // kRepeat
  bool behind = false;     // kLook
  bool negate = false;     // kLook
  int width = -1;          // fixed width in code points, or -1 when variable
  bool simple = false;     // fixed width and matches at most one way (no alternatives)
};

}  // namespace

struct ModelPattern::Program {
  std::string source;
  std::vector<Node> nodes;
  int root = -1;
};

namespace {

// Recursive-descent parser from pattern text to a node pool.
class Parser {
 public:
  Parser(std::u32string_view text, std::vector<Node>* nodes) : s_(text), nodes_(nodes) {}

  Result<int> ParseAll() {
    SPATE_ASSIGN_OR_RETURN(int root, ParseAlt());
    if (pos_ != s_.size()) return Error("unbalanced ')'");
    return root;
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

  int Add(Node n) {
    nodes_->push_back(std::move(n));
    return static_cast<int>(nodes_->size()) - 1;
  }

  Result<int> ParseAlt() {
    Node alt;
    alt.kind = Node::Kind::kAlt;
    while (true) {
      SPATE_ASSIGN_OR_RETURN(Seq seq, ParseSeq());
      alt.alts.push_back(std::move(seq));
      if (!Consume('|')) break;
    }
    Finish(&alt);
    return Add(std::move(alt));
  }

  Result<Seq> ParseSeq() {
    Seq seq;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      SPATE_ASSIGN_OR_RETURN(int atom, ParseAtom());
      SPATE_ASSIGN_OR_RETURN(int item, ParseQuantifier(atom));
      seq.push_back(item);
    }
    return seq;
  }

  Result<int> ParseQuantifier(int atom) {
    if (AtEnd()) return atom;
    int min = 0;
    int max = kInfinite;
    const char32_t c = Peek();
    if (c == '*') {
      ++pos_;
    } else if (c == '+') {
      ++pos_;
      min = 1;
    } else if (c == '?') {
      ++pos_;
      max = 1;
    } else if (c == '{') {
      ++pos_;
      SPATE_ASSIGN_OR_RETURN(min, ParseInt());
      max = min;
      if (Consume(',')) {
        if (!AtEnd() && Peek() == '}') {
          max = kInfinite;
        } else {
          SPATE_ASSIGN_OR_RETURN(max, ParseInt());
        }
      }
      if (!Consume('}')) return Error("expected '}'");
      if (max != kInfinite && max < min) return Error("bad repetition bounds");
    } else {
      return atom;
    }
    Node rep;
    rep.kind = Node::Kind::kRepeat;
    rep.child = atom;
    rep.min = min;
    rep.max = max;
    if (Consume('?')) {
      rep.greedy = false;
    } else {
      Consume('+');  // possessive: treated as greedy
    }
    Finish(&rep);
    return Add(std::move(rep));
  }

  Result<int> ParseInt() {
    int v = 0;
    size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + static_cast<int>(Peek() - '0');
      if (v > 100000) return Error("repetition bound too large");
      ++pos_;
    }
    if (pos_ == start) return Error("expected a number");
    return v;
  }

  Result<int> ParseAtom() {
    const char32_t c = Peek();
    ++pos_;
    Node n;
    switch (c) {
      case '(': {
        bool look = false;
        if (Consume('?')) {
          if (Consume(':')) {
          } else if (Consume('=')) {
            look = true;
          } else if (Consume('!')) {
            look = true;
            n.negate = true;
          } else if (Consume('<')) {
            look = true;
            n.behind = true;
            if (Consume('!')) {
              n.negate = true;
            } else if (!Consume('=')) {
              return Error("named groups are not supported");
            }
          } else {
            return Error("unsupported group construct");
          }
        }
        SPATE_ASSIGN_OR_RETURN(int inner, ParseAlt());
        if (!Consume(')')) return Error("expected ')'");
        if (!look) return inner;
        n.kind = Node::Kind::kLook;
        n.child = inner;
        if (n.behind && (*nodes_)[inner].width < 0) return Error("lookbehind must have a fixed width");
        n.width = 0;
        n.simple = false;
        return Add(std::move(n));
      }
      case '[': {
        n.kind = Node::Kind::kSet;
        SPATE_TRY(ParseClass(&n.set));
        break;
      }
      case '.':
        n.kind = Node::Kind::kSet;
        n.set.classes = kAnyButLineTerminator;
        break;
      case '^':
        n.kind = Node::Kind::kBegin;
        n.width = 0;
        return Add(std::move(n));
      case '$':
        n.kind = Node::Kind::kEnd;
        n.width = 0;
        return Add(std::move(n));
      case '\\': {
        n.kind = Node::Kind::kSet;
        SPATE_TRY(ParseEscape(&n.set));
        break;
      }
      case '*':
      case '+':
      case '?':
      case '{':
        --pos_;
        return Error("quantifier without operand");
      default:
        n.kind = Node::Kind::kSet;
        n.set.ranges.emplace_back(c, c);
        break;
    }
    n.width = 1;
    n.simple = true;
    return Add(std::move(n));
  }

  // After a backslash, inside or outside a class: adds what it denotes.
  Status ParseEscape(CharSet* set) {
    if (AtEnd()) return Error("trailing backslash");
    const char32_t c = Peek();
    ++pos_;
    switch (c) {
      case 'd': set->classes |= kDigit; return Status::Ok();
      case 'D': set->classes |= kNotDigit; return Status::Ok();
      case 'w': set->classes |= kWord; return Status::Ok();
      case 'W': set->classes |= kNotWord; return Status::Ok();
      case 's': set->classes |= kSpace; return Status::Ok();
      case 'S': set->classes |= kNotSpace; return Status::Ok();
      case 'p':
      case 'P': {
        if (!Consume('{')) return Error("expected '{' after \\p");
        std::u32string name;
        while (!AtEnd() && Peek() != '}') name.push_back(s_[pos_++]);
        if (!Consume('}')) return Error("expected '}'");
        const bool pos = c == 'p';
        if (name == U"L") {
          set->classes |= pos ? kLetter : kNotLetter;
        } else if (name == U"Z") {
          set->classes |= pos ? kSeparator : kNotSeparator;
        } else if (name == U"N") {
          set->classes |= pos ? kNumber : kNotNumber;
        } else {
          return Error("unsupported Unicode property");
        }
        return Status::Ok();
      }
      default: {
        SPATE_ASSIGN_OR_RETURN(char32_t lit, EscapedLiteral(c));
        set->ranges.emplace_back(lit, lit);
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
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          return Error("unsupported escape");
        }
        return c;  // escaped punctuation stands for itself
    }
  }

  // After '[': items up to the closing ']'.
  Status ParseClass(CharSet* set) {
    if (Consume('^')) set->negated = true;
    bool first = true;
    while (true) {
      if (AtEnd()) return Error("unterminated character class");
      char32_t c = Peek();
      if (c == ']' && !first) {
        ++pos_;
        return Status::Ok();
      }
      first = false;
      ++pos_;
      char32_t lo;
      if (c == '[' || (c == '&' && !AtEnd() && Peek() == '&')) {
        return Error("nested classes are not supported");
      }
      if (c == '\\') {
        if (AtEnd()) return Error("trailing backslash");
        const char32_t e = Peek();
        if (e == 'd' || e == 'D' || e == 'w' || e == 'W' || e == 's' || e == 'S' || e == 'p' ||
            e == 'P') {
          SPATE_TRY(ParseEscape(set));
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
        const char32_t h = Peek();
        ++pos_;
        if (h == '\\') {
          if (AtEnd()) return Error("trailing backslash");
          const char32_t e = Peek();
          ++pos_;
          SPATE_ASSIGN_OR_RETURN(hi, EscapedLiteral(e));
        } else {
          hi = h;
        }
        if (hi < lo) return Error("bad class range");
      }
      set->ranges.emplace_back(lo, hi);
    }
  }

  // Computes width/simple of a kAlt or kRepeat node from its operands.
  void Finish(Node* n) const {
    const auto& nodes = *nodes_;
    if (n->kind == Node::Kind::kRepeat) {
      const Node& c = nodes[n->child];
      if (c.width >= 0 && n->min == n->max) {
        n->width = c.width * n->min;
        n->simple = c.simple;
      }
      return;
    }
    // kAlt: fixed width when every alternative has the same fixed width.
    int width = -1;
    for (const Seq& seq : n->alts) {
      int w = 0;
      for (int id : seq) {
        if (nodes[id].width < 0) {
          w = -1;
          break;
        }
        w += nodes[id].width;
      }
      if (w < 0 || (width >= 0 && w != width)) {
        n->width = -1;
        return;
      }
      width = w;
    }
    n->width = width;
    n->simple = n->alts.size() == 1;
    for (int id : n->alts[0]) {
      if (!nodes[id].simple) n->simple = false;
    }
  }

  std::u32string_view s_;
  size_t pos_ = 0;
  std::vector<Node>* nodes_;
};

// What to match after the current node: a linked stack living on the C++
// stack of the matcher.
struct Cont {
  enum class Kind : uint8_t { kSeq, kRepeat, kAcceptAny, kAcceptAt };
  Kind kind;
  const Seq* seq = nullptr;  // kSeq
  size_t index = 0;          // kSeq: next item of seq
  int node = -1;             // kRepeat: the repeat node
  int count = 0;             // kRepeat: iterations done, including the one just matched
  size_t start = 0;          // kRepeat: where the just-matched iteration started
  size_t at = 0;             // kAcceptAt
  const Cont* next = nullptr;
};

class Matcher {
 public:
  Matcher(const std::vector<Node>& nodes, const std::u32string& s) : nodes_(nodes), s_(s) {}

  bool MatchAll(int root) {
    Cont end{Cont::Kind::kAcceptAt};
    end.at = s_.size();
    return MatchNode(root, 0, &end) && !exhausted_;
  }

 private:
  bool Budget() {
    if (++steps_ > kMaxSteps || depth_ > kMaxDepth) exhausted_ = true;
    return !exhausted_;
  }

  bool Run(const Cont* k, size_t pos) {
    switch (k->kind) {
      case Cont::Kind::kSeq:
        return MatchSeq(*k->seq, k->index, pos, k->next);
      case Cont::Kind::kRepeat: {
        const Node& rep = nodes_[k->node];
        if (pos == k->start && k->count > rep.min) return false;  // empty iteration loops
        return RepeatFrom(k->node, k->count, pos, k->next);
      }
      case Cont::Kind::kAcceptAny:
        return true;
      case Cont::Kind::kAcceptAt:
        return pos == k->at;
    }
    return false;
  }

  bool MatchSeq(const Seq& seq, size_t i, size_t pos, const Cont* k) {
    // Single characters are matched in a loop rather than by recursion.
    while (i < seq.size() && nodes_[seq[i]].kind == Node::Kind::kSet) {
      if (pos >= s_.size() || !nodes_[seq[i]].set.Contains(s_[pos])) return false;
      ++pos;
      ++i;
    }
    if (i == seq.size()) return Run(k, pos);
    Cont next{Cont::Kind::kSeq};
    next.seq = &seq;
    next.index = i + 1;
    next.next = k;
    return MatchNode(seq[i], pos, &next);
  }

  // Matches a simple (fixed-width, single-way) node at pos without
  // continuations; returns whether it matched.
  bool MatchSimple(int id, size_t pos) const {
    const Node& n = nodes_[id];
    switch (n.kind) {
      case Node::Kind::kSet:
        return pos < s_.size() && n.set.Contains(s_[pos]);
      case Node::Kind::kRepeat: {
        const int w = nodes_[n.child].width;
        for (int i = 0; i < n.min; ++i) {
          if (!MatchSimple(n.child, pos + static_cast<size_t>(i * w))) return false;
        }
        return true;
      }
      case Node::Kind::kAlt: {
        for (int item : n.alts[0]) {
          if (!MatchSimple(item, pos)) return false;
          pos += static_cast<size_t>(nodes_[item].width);
        }
        return true;
      }
      default:
        return false;
    }
  }

  bool MatchNode(int id, size_t pos, const Cont* k) {
    if (!Budget()) return false;
    const Node& n = nodes_[id];
    ++depth_;
    bool r = false;
    switch (n.kind) {
      case Node::Kind::kSet:
        r = pos < s_.size() && n.set.Contains(s_[pos]) && Run(k, pos + 1);
        break;
      case Node::Kind::kBegin:
        r = pos == 0 && Run(k, pos);
        break;
      case Node::Kind::kEnd:
        r = pos == s_.size() && Run(k, pos);
        break;
      case Node::Kind::kAlt:
        for (const Seq& seq : n.alts) {
          if (MatchSeq(seq, 0, pos, k)) {
            r = true;
            break;
          }
          if (exhausted_) break;
        }
        break;
      case Node::Kind::kLook: {
        bool found;
        if (n.behind) {
          const auto w = static_cast<size_t>(nodes_[n.child].width);
          Cont accept{Cont::Kind::kAcceptAt};
          accept.at = pos;
          found = pos >= w && MatchNode(n.child, pos - w, &accept);
        } else {
          Cont accept{Cont::Kind::kAcceptAny};
          found = MatchNode(n.child, pos, &accept);
        }
        r = found != n.negate && !exhausted_ && Run(k, pos);
        break;
      }
      case Node::Kind::kRepeat: {
        const Node& c = nodes_[n.child];
        if (c.simple && c.width > 0) {
          r = RepeatSimple(n, pos, k);
        } else {
          r = RepeatFrom(id, 0, pos, k);
        }
        break;
      }
    }
    --depth_;
    return r;
  }

  // A repeat whose operand matches one fixed-width way: count how many
  // iterations fit, then try the continuation at each count.
  bool RepeatSimple(const Node& n, size_t pos, const Cont* k) {
    const auto w = static_cast<size_t>(nodes_[n.child].width);
    int fit = 0;
    while ((n.max == kInfinite || fit < n.max) && MatchSimple(n.child, pos + fit * w)) {
      ++fit;
      if (!Budget()) return false;
    }
    if (fit < n.min) return false;
    if (n.greedy) {
      for (int c = fit; c >= n.min; --c) {
        if (Run(k, pos + c * w)) return true;
        if (!Budget()) return false;
      }
    } else {
      for (int c = n.min; c <= fit; ++c) {
        if (Run(k, pos + c * w)) return true;
        if (!Budget()) return false;
      }
    }
    return false;
  }

  // General repeat: `count` iterations done so far, now at pos.
  bool RepeatFrom(int id, int count, size_t pos, const Cont* k) {
    const Node& n = nodes_[id];
    Cont again{Cont::Kind::kRepeat};
    again.node = id;
    again.count = count + 1;
    again.start = pos;
    again.next = k;
    if (count < n.min) return MatchNode(n.child, pos, &again);
    const bool more = n.max == kInfinite || count < n.max;
    if (n.greedy) {
      if (more && MatchNode(n.child, pos, &again)) return true;
      return !exhausted_ && Run(k, pos);
    }
    if (Run(k, pos)) return true;
    return more && !exhausted_ && MatchNode(n.child, pos, &again);
  }

  const std::vector<Node>& nodes_;
  const std::u32string& s_;
  uint64_t steps_ = 0;
  int depth_ = 0;
  bool exhausted_ = false;
};

}  // namespace

ModelPattern::ModelPattern(std::unique_ptr<Program> program) : program_(std::move(program)) {}
ModelPattern::ModelPattern(ModelPattern&&) noexcept = default;
ModelPattern& ModelPattern::operator=(ModelPattern&&) noexcept = default;
ModelPattern::~ModelPattern() = default;

Result<ModelPattern> ModelPattern::Compile(std::string_view source) {
  auto program = std::make_unique<Program>();
  program->source = std::string(source);
  const std::u32string text = DecodeUtf8(source);
  Parser parser(text, &program->nodes);
  SPATE_ASSIGN_OR_RETURN(program->root, parser.ParseAll());
  return ModelPattern(std::move(program));
}

const std::string& ModelPattern::source() const { return program_->source; }

bool ModelPattern::FullMatch(std::string_view utf8) const {
  const std::u32string s = DecodeUtf8(utf8);
  Matcher m(program_->nodes, s);
  return m.MatchAll(program_->root);
}

}  // namespace spate::protocol
