#include "analytics/exec/expression.h"

#include <cctype>
#include <cmath>

#include "analytics/exec/datetime_format.h"
#include "analytics/exec/log_parse.h"
#include "analytics/exec/regex.h"
#include "analytics/exec/value_ops.h"
#include "analytics/parser/parser.h"

namespace spate::analytics::exec {

using binder::BoundExpr;
using binder::BoundKind;

namespace {

constexpr const char* kDivisionByZero = "Division by zero";
constexpr const char* kOverflow = "Numeric overflow";
constexpr const char* kCastError = "Cast error";

Decimal AsDecimal(const Value& v) {
  if (auto* m = std::get_if<Decimal>(&v)) return *m;
  return Decimal{std::get<int64_t>(v), 0};
}

// Offsets of each code point's first byte in UTF-8 `s`, plus s.size().
std::vector<size_t> CodePoints(const std::string& s) {
  std::vector<size_t> at;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
  }
  at.push_back(s.size());
  return at;
}

bool LikeMatch(std::string_view s, std::string_view p) {
  // Iterative wildcard match with backtracking to the last '%'.
  size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '_' || p[pi] == s[si])) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

int64_t FloorToUnit(int64_t ms, const std::string& unit, bool ceil) {
  int64_t fixed = parser::UnitMillis(unit);
  if (fixed > 0) {
    int64_t f = FloorDiv(ms, fixed) * fixed;
    return ceil && f != ms ? f + fixed : f;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(ms, 86'400'000), &y, &m, &d);
  int64_t start = unit == "YEAR" ? DaysFromCivil(y, 1, 1) * 86'400'000 : DaysFromCivil(y, m, 1) * 86'400'000;
  if (!ceil || start == ms) return start;
  if (unit == "YEAR") return DaysFromCivil(y + 1, 1, 1) * 86'400'000;
  return m == 12 ? DaysFromCivil(y + 1, 1, 1) * 86'400'000 : DaysFromCivil(y, m + 1, 1) * 86'400'000;
}

int64_t Extract(int64_t ms, const std::string& unit) {
  int64_t days = FloorDiv(ms, 86'400'000);
  int64_t in_day = ms - days * 86'400'000;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (unit == "YEAR") return y;
  if (unit == "MONTH") return m;
  if (unit == "DAY") return d;
  if (unit == "HOUR") return in_day / 3'600'000;
  if (unit == "MINUTE") return in_day / 60'000 % 60;
  if (unit == "SECOND") return in_day / 1000 % 60;
  if (unit == "MILLISECOND") return in_day % 1000;
  if (unit == "QUARTER") return (m - 1) / 3 + 1;
  if (unit == "DOW") return (days % 7 + 11) % 7 + 1;  // 1 = Sunday (1970-01-01 was a Thursday)
  if (unit == "DOY") return days - DaysFromCivil(y, 1, 1) + 1;
  if (unit == "WEEK") return (days - DaysFromCivil(y, 1, 1)) / 7 + 1;
  if (unit == "EPOCH") return FloorDiv(ms, 1000);
  return 0;
}

// Field e.index of a log parser's ROW. The fields of one select item are
// evaluated one after another with the same arguments, so the parse is
// remembered per thread for the last (parser, arguments) and done once per
// row; the arguments are all character values.
Value LogField(const BoundExpr& e, const std::vector<Value>& args, EvalContext& ctx) {
  struct Memo {
    // Held, so that its address cannot name another program's parser.
    std::shared_ptr<const binder::LogParserSpec> spec;
    std::vector<Value> args;
    std::vector<Value> fields;
    std::string error;
  };
  thread_local Memo memo;
  bool same = memo.spec == e.log_parser && memo.args.size() == args.size();
  for (size_t i = 0; same && i < args.size(); ++i) {
    same = std::get<std::string>(memo.args[i]) == std::get<std::string>(args[i]);
  }
  if (!same) {
    memo.spec = e.log_parser;
    memo.args = args;
    Status st = ParseLog(*e.log_parser, args, &memo.fields);
    memo.error = st.ok() ? std::string() : std::string(st.message());
  }
  if (!memo.error.empty()) {
    ctx.Fail("Parse error", e.name + ": " + memo.error);
    return Value{};
  }
  return memo.fields[static_cast<size_t>(e.index)];
}

Value EvalFunction(const BoundExpr& e, EvalContext& ctx) {
  const std::string& n = e.name;
  std::vector<Value> a;
  a.reserve(e.args.size());
  if (n == "COALESCE") {
    for (const auto& arg : e.args) {
      Value v = Eval(*arg, ctx);
      if (!IsNull(v)) return v;
    }
    return Value{};
  }
  for (const auto& arg : e.args) a.push_back(Eval(*arg, ctx));
  if (n == "NULLIF") {
    if (IsNull(a[0])) return Value{};
    if (!IsNull(a[1]) && GroupEqual(a[0], a[1])) return Value{};
    return a[0];
  }
  for (const Value& v : a) {
    if (IsNull(v)) return Value{};
  }
  if (e.log_parser) return LogField(e, a, ctx);
  if (n == "ABS") {
    if (auto* i = std::get_if<int64_t>(&a[0])) {
      if (*i == INT64_MIN) {
        ctx.Fail(kOverflow, "ABS overflows BIGINT");
        return Value{};
      }
      return Value{*i < 0 ? -*i : *i};
    }
    if (auto* d = std::get_if<double>(&a[0])) return Value{std::fabs(*d)};
    Decimal m = std::get<Decimal>(a[0]);
    m.unscaled = m.unscaled < 0 ? -m.unscaled : m.unscaled;
    return Value{m};
  }
  if (n == "FLOOR" || n == "CEIL") {
    bool up = n == "CEIL";
    if (std::holds_alternative<int64_t>(a[0])) return a[0];
    if (auto* d = std::get_if<double>(&a[0])) return Value{up ? std::ceil(*d) : std::floor(*d)};
    Decimal m = std::get<Decimal>(a[0]);
    int64_t p = Pow10(m.scale);
    int64_t q = FloorDiv(m.unscaled, p);
    if (up && q * p != m.unscaled) ++q;
    return Value{Decimal{q, 0}};
  }
  if (n == "UPPER" || n == "LOWER" || n == "INITCAP") {
    std::string s = std::get<std::string>(a[0]);
    bool start = true;
    for (char& c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (n == "UPPER") {
        c = static_cast<char>(std::toupper(u));
      } else if (n == "LOWER") {
        c = static_cast<char>(std::tolower(u));
      } else {
        c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
        start = u < 0x80 && !std::isalnum(u);
      }
    }
    return Value{std::move(s)};
  }
  if (n == "CHAR_LENGTH" || n == "CHARACTER_LENGTH") {
    return Value{static_cast<int64_t>(CodePoints(std::get<std::string>(a[0])).size() - 1)};
  }
  if (n == "SUBSTRING") {
    const std::string& s = std::get<std::string>(a[0]);
    std::vector<size_t> cp = CodePoints(s);
    int64_t len = static_cast<int64_t>(cp.size()) - 1;
    int64_t from = std::get<int64_t>(a[1]);
    int64_t end = len + 1;  // exclusive, 1-based
    if (a.size() == 3) {
      int64_t count = std::get<int64_t>(a[2]);
      if (count < 0) {
        ctx.Fail("Substring error", "SUBSTRING length " + std::to_string(count) + " is negative");
        return Value{};
      }
      end = from + count;
    }
    int64_t lo = std::max<int64_t>(from, 1), hi = std::min<int64_t>(end, len + 1);
    if (hi <= lo) return Value{std::string()};
    return Value{
        s.substr(cp[static_cast<size_t>(lo - 1)], cp[static_cast<size_t>(hi - 1)] - cp[static_cast<size_t>(lo - 1)])};
  }
  if (n == "POSITION") {
    const std::string& needle = std::get<std::string>(a[0]);
    const std::string& hay = std::get<std::string>(a[1]);
    size_t at = hay.find(needle);
    if (at == std::string::npos) return Value{int64_t{0}};
    std::vector<size_t> cp = CodePoints(hay.substr(0, at));
    return Value{static_cast<int64_t>(cp.size())};
  }
  if (n == "TRIM") {
    std::string s = std::get<std::string>(a[0]);
    std::string chars = a.size() > 1 ? std::get<std::string>(a[1]) : " ";
    if (e.unit != "TRAILING") {
      size_t i = s.find_first_not_of(chars);
      s.erase(0, i == std::string::npos ? s.size() : i);
    }
    if (e.unit != "LEADING") {
      size_t i = s.find_last_not_of(chars);
      s.erase(i == std::string::npos ? 0 : i + 1);
    }
    return Value{std::move(s)};
  }
  if (n == "MOD") {
    if (std::holds_alternative<int64_t>(a[0]) && std::holds_alternative<int64_t>(a[1])) {
      int64_t y = std::get<int64_t>(a[1]);
      if (y == 0) {
        ctx.Fail(kDivisionByZero, "MOD by zero");
        return Value{};
      }
      if (y == -1) return Value{int64_t{0}};
      return Value{std::get<int64_t>(a[0]) % y};
    }
    double y = ToDouble(a[1]);
    if (y == 0) {
      ctx.Fail(kDivisionByZero, "MOD by zero");
      return Value{};
    }
    return Value{std::fmod(ToDouble(a[0]), y)};
  }
  if (n == "POWER") return Value{std::pow(ToDouble(a[0]), ToDouble(a[1]))};
  if (n == "SQRT" || n == "LN" || n == "LOG10") {
    double x = ToDouble(a[0]);
    if (x < 0 || (x == 0 && n != "SQRT")) {
      ctx.Fail("Invalid argument", n + " of " + ValueToSqlText(a[0]));
      return Value{};
    }
    return Value{n == "SQRT" ? std::sqrt(x) : n == "LN" ? std::log(x) : std::log10(x)};
  }
  if (n == "EXP") return Value{std::exp(ToDouble(a[0]))};
  if (n == "TSDIFF") return Value{std::get<Timestamp>(a[0]).millis - std::get<Timestamp>(a[1]).millis};
  if (n == "REGEX_REPLACE") {
    Result<std::string> r = RegexReplace(std::get<std::string>(a[0]), std::get<std::string>(a[1]),
                                         std::get<std::string>(a[2]), std::get<int64_t>(a[3]), std::get<int64_t>(a[4]));
    if (!r.ok()) {
      ctx.Fail("Regex error", r.status().message());
      return Value{};
    }
    return Value{std::move(r).value()};
  }
  if (n == "CHAR_TO_TIMESTAMP" || n == "CHAR_TO_DATE" || n == "CHAR_TO_TIME") {
    Result<int64_t> ms = ParseDateTime(std::get<std::string>(a[0]), std::get<std::string>(a[1]));
    if (!ms.ok()) {
      ctx.Fail("Date parse error", ms.status().message());
      return Value{};
    }
    Result<Value> v = CastValue(Value{Timestamp{ms.value()}}, e.result.type);
    if (!v.ok()) {
      ctx.Fail(kCastError, v.status().message());
      return Value{};
    }
    return std::move(v).value();
  }
  if (n == "TIMESTAMP_TO_CHAR" || n == "DATE_TO_CHAR" || n == "TIME_TO_CHAR") {
    Result<std::string> r = FormatDateTime(std::get<std::string>(a[0]), std::get<Timestamp>(a[1]).millis);
    if (!r.ok()) {
      ctx.Fail("Date format error", r.status().message());
      return Value{};
    }
    return Value{std::move(r).value()};
  }
  if (n == "TO_TIMESTAMP") return Value{Timestamp{std::get<int64_t>(a[0])}};
  if (n == "UNIX_TIMESTAMP") return Value{std::get<Timestamp>(a[0]).millis};
  ctx.Fail("Internal error", "function " + n + " has no implementation");
  return Value{};
}

}  // namespace

Value Arithmetic(char op, const Value& a, const Value& b, EvalContext& ctx) {
  if (IsNull(a) || IsNull(b)) return Value{};
  if (auto* t = std::get_if<Timestamp>(&a)) {
    int64_t iv = std::get<int64_t>(b);
    return Value{Timestamp{op == '+' ? t->millis + iv : t->millis - iv}};
  }
  if (auto* t = std::get_if<Timestamp>(&b)) return Value{Timestamp{t->millis + std::get<int64_t>(a)}};
  if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
    int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b), r = 0;
    bool overflow = false;
    switch (op) {
      case '+': overflow = __builtin_add_overflow(x, y, &r); break;
      case '-': overflow = __builtin_sub_overflow(x, y, &r); break;
      case '*': overflow = __builtin_mul_overflow(x, y, &r); break;
      case '/':
      case '%':
        if (y == 0) {
          ctx.Fail(kDivisionByZero, "division by zero");
          return Value{};
        }
        if (x == INT64_MIN && y == -1) {
          overflow = op == '/';
          r = 0;
        } else {
          r = op == '/' ? x / y : x % y;
        }
        break;
    }
    if (overflow) {
      ctx.Fail(kOverflow, "integer overflow in " + std::to_string(x) + " " + op + " " + std::to_string(y));
      return Value{};
    }
    return Value{r};
  }
  bool dbl = std::holds_alternative<double>(a) || std::holds_alternative<double>(b);
  if (!dbl && op != '/' && op != '%') {
    Decimal x = AsDecimal(a), y = AsDecimal(b);
    if (op == '*') {
      __int128 r = static_cast<__int128>(x.unscaled) * y.unscaled;
      int scale = x.scale + y.scale;
      while (scale > 18 || r > INT64_MAX || r < INT64_MIN) {
        if (scale == 0) {
          ctx.Fail(kOverflow, "decimal overflow");
          return Value{};
        }
        r /= 10;
        --scale;
      }
      return Value{Decimal{static_cast<int64_t>(r), scale}};
    }
    int scale = std::max(x.scale, y.scale);
    Decimal xs, ys;
    int64_t r = 0;
    if (!Rescale(x, scale, &xs) || !Rescale(y, scale, &ys) ||
        (op == '+' ? __builtin_add_overflow(xs.unscaled, ys.unscaled, &r)
                   : __builtin_sub_overflow(xs.unscaled, ys.unscaled, &r))) {
      ctx.Fail(kOverflow, "decimal overflow");
      return Value{};
    }
    return Value{Decimal{r, scale}};
  }
  double x = ToDouble(a), y = ToDouble(b);
  switch (op) {
    case '+': return Value{x + y};
    case '-': return Value{x - y};
    case '*': return Value{x * y};
    default:
      if (y == 0) {
        ctx.Fail(kDivisionByZero, "division by zero");
        return Value{};
      }
      return Value{op == '/' ? x / y : std::fmod(x, y)};
  }
}

bool EvalPredicate(const BoundExpr& e, EvalContext& ctx) {
  Value v = Eval(e, ctx);
  auto* b = std::get_if<bool>(&v);
  return b && *b;
}

Value Eval(const BoundExpr& e, EvalContext& ctx) {
  switch (e.kind) {
    case BoundKind::kConstant: return e.constant;
    case BoundKind::kColumn: return ctx.row[e.index];
    case BoundKind::kAggregate: return ctx.aggregates[e.index];
    case BoundKind::kUnary: {
      Value v = Eval(*e.args[0], ctx);
      if (IsNull(v)) return v;
      if (e.name == "NOT") return Value{!std::get<bool>(v)};
      if (e.name == "+") return v;
      return Arithmetic('-', Value{int64_t{0}}, v, ctx);
    }
    case BoundKind::kBinary: {
      const std::string& op = e.name;
      if (op == "AND" || op == "OR") {
        Value l = Eval(*e.args[0], ctx);
        bool is_and = op == "AND";
        if (auto* b = std::get_if<bool>(&l); b && *b != is_and) return Value{!is_and};
        Value r = Eval(*e.args[1], ctx);
        if (auto* b = std::get_if<bool>(&r); b && *b != is_and) return Value{!is_and};
        if (IsNull(l) || IsNull(r)) return Value{};
        return Value{is_and};
      }
      Value l = Eval(*e.args[0], ctx);
      Value r = Eval(*e.args[1], ctx);
      if (op.size() == 1 && std::string_view("+-*/%").find(op[0]) != std::string_view::npos) {
        return Arithmetic(op[0], l, r, ctx);
      }
      if (IsNull(l) || IsNull(r)) return Value{};
      if (op == "||") return Value{std::get<std::string>(l) + std::get<std::string>(r)};
      bool comparable = false;
      int c = CompareValues(l, r, &comparable);
      if (op == "=") return Value{c == 0};
      if (op == "<>") return Value{c != 0};
      if (op == "<") return Value{c < 0};
      if (op == "<=") return Value{c <= 0};
      if (op == ">") return Value{c > 0};
      return Value{c >= 0};
    }
    case BoundKind::kIsNull: return Value{IsNull(Eval(*e.args[0], ctx)) != e.negated};
    case BoundKind::kBetween: {
      Value v = Eval(*e.args[0], ctx), lo = Eval(*e.args[1], ctx), hi = Eval(*e.args[2], ctx);
      if (IsNull(v) || IsNull(lo) || IsNull(hi)) return Value{};
      bool comparable = false;
      bool in = CompareValues(v, lo, &comparable) >= 0 && CompareValues(v, hi, &comparable) <= 0;
      return Value{in != e.negated};
    }
    case BoundKind::kIn: {
      Value v = Eval(*e.args[0], ctx);
      if (IsNull(v)) return v;
      bool saw_null = false;
      for (size_t i = 1; i < e.args.size(); ++i) {
        Value x = Eval(*e.args[i], ctx);
        if (IsNull(x)) {
          saw_null = true;
        } else if (GroupEqual(v, x)) {
          return Value{!e.negated};
        }
      }
      if (saw_null) return Value{};
      return Value{e.negated};
    }
    case BoundKind::kLike: {
      Value v = Eval(*e.args[0], ctx), p = Eval(*e.args[1], ctx);
      if (IsNull(v) || IsNull(p)) return Value{};
      return Value{LikeMatch(std::get<std::string>(v), std::get<std::string>(p)) != e.negated};
    }
    case BoundKind::kCast: {
      Value v = Eval(*e.args[0], ctx);
      Result<Value> r = CastValue(v, e.result.type);
      if (!r.ok()) {
        ctx.Fail(kCastError, r.status().message());
        return Value{};
      }
      return std::move(r).value();
    }
    case BoundKind::kCase: {
      size_t i = 0;
      Value operand;
      if (e.has_operand) operand = Eval(*e.args[i++], ctx);
      size_t pairs_end = e.args.size() - (e.has_else ? 1 : 0);
      for (; i < pairs_end; i += 2) {
        Value w = Eval(*e.args[i], ctx);
        bool hit = e.has_operand ? (!IsNull(operand) && !IsNull(w) && GroupEqual(operand, w))
                                 : (std::holds_alternative<bool>(w) && std::get<bool>(w));
        if (hit) return Eval(*e.args[i + 1], ctx);
      }
      return e.has_else ? Eval(*e.args.back(), ctx) : Value{};
    }
    case BoundKind::kFunction: return EvalFunction(e, ctx);
    case BoundKind::kTimeUnit: {
      Value v = Eval(*e.args[0], ctx);
      if (IsNull(v)) return v;
      int64_t ms = std::get<Timestamp>(v).millis;
      if (e.name == "EXTRACT") return Value{Extract(ms, e.unit)};
      return Value{Timestamp{FloorToUnit(ms, e.unit, e.name == "CEIL")}};
    }
    case BoundKind::kStep: {
      Value v = Eval(*e.args[0], ctx);
      if (IsNull(v)) return v;
      return Value{Timestamp{FloorDiv(std::get<Timestamp>(v).millis, e.step_ms) * e.step_ms}};
    }
  }
  return Value{};
}

}  // namespace spate::analytics::exec
