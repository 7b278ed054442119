#include "analytics/parser/parser.h"

#include <charconv>
#include <cstdlib>

#include "analytics/parser/lexer.h"

namespace spate::analytics::parser {

int64_t UnitMillis(std::string_view unit) {
  if (unit == "MILLISECOND") return 1;
  if (unit == "SECOND") return 1000;
  if (unit == "MINUTE") return 60'000;
  if (unit == "HOUR") return 3'600'000;
  if (unit == "DAY") return 86'400'000;
  return 0;
}

namespace {

// A parse failure unwinds through this one exception type, caught in Parse;
// it never leaves the parser (no exceptions cross module boundaries).
struct ParseFailure {
  CodeError error;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Script ParseScript() {
    Script script;
    while (!AtEnd()) {
      if (AcceptSymbol(";")) continue;
      const Token& start = Peek();
      ExpectKeyword("CREATE");
      if (AcceptKeyword("OR")) ExpectKeyword("REPLACE");
      if (AcceptKeyword("STREAM")) {
        script.streams.push_back(ParseCreateStream(start));
      } else if (AcceptKeyword("PUMP")) {
        script.pumps.push_back(ParseCreatePump(start));
      } else {
        Fail("STREAM or PUMP");
      }
      if (!AtEnd()) ExpectSymbol(";");
    }
    return script;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  [[noreturn]] void Fail(const std::string& expected) const {
    const Token& t = Peek();
    throw ParseFailure{MakeError(t.line, t.column, "expected " + expected + " but found " + t.Describe())};
  }
  [[noreturn]] static void FailAt(const Token& t, const std::string& what) {
    throw ParseFailure{MakeError(t.line, t.column, what)};
  }
  bool IsKeyword(std::string_view kw, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kIdentifier && t.text == kw;
  }
  bool IsSymbol(std::string_view s, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kSymbol && t.text == s;
  }
  bool AcceptKeyword(std::string_view kw) {
    if (!IsKeyword(kw)) return false;
    Next();
    return true;
  }
  bool AcceptSymbol(std::string_view s) {
    if (!IsSymbol(s)) return false;
    Next();
    return true;
  }
  void ExpectKeyword(std::string_view kw) {
    if (!AcceptKeyword(kw)) Fail(std::string(kw));
  }
  void ExpectSymbol(std::string_view s) {
    if (!AcceptSymbol(s)) Fail("'" + std::string(s) + "'");
  }

  static bool IsReserved(const std::string& w) {
    static const char* kReserved[] = {
        "SELECT", "FROM",  "WHERE", "GROUP", "HAVING",  "WINDOW", "WINDOWED",  "JOIN",   "LEFT", "RIGHT",
        "INNER",  "OUTER", "ON",    "AS",    "AND",     "OR",     "NOT",       "INSERT", "INTO", "CREATE",
        "UNION",  "ORDER", "BY",    "CASE",  "WHEN",    "THEN",   "ELSE",      "END",    "IS",   "IN",
        "LIKE",   "NULL",  "TRUE",  "FALSE", "BETWEEN", "OVER",   "PARTITION", "CROSS",  "FULL", "STREAM"};
    for (const char* r : kReserved) {
      if (w == r) return true;
    }
    return false;
  }

  // An identifier: quoted keeps case, unquoted is already upper case.
  std::string ParseName(const std::string& what) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kQuotedIdentifier || (t.kind == TokenKind::kIdentifier && !IsReserved(t.text))) {
      Next();
      return t.text;
    }
    Fail(what);
  }
  bool PeekName() const {
    const Token& t = Peek();
    return t.kind == TokenKind::kQuotedIdentifier || (t.kind == TokenKind::kIdentifier && !IsReserved(t.text));
  }

  SqlType ParseType() {
    const Token& start = Peek();
    if (start.kind != TokenKind::kIdentifier) Fail("a type name");
    std::string text = Next().text;
    if (text == "DOUBLE") AcceptKeyword("PRECISION");
    if (text == "CHARACTER" && AcceptKeyword("VARYING")) text = "VARCHAR";
    if (AcceptSymbol("(")) {
      text += "(";
      if (Peek().kind != TokenKind::kInteger) Fail("a length");
      text += Next().text;
      if (AcceptSymbol(",")) {
        if (Peek().kind != TokenKind::kInteger) Fail("a scale");
        text += "," + Next().text;
      }
      ExpectSymbol(")");
      text += ")";
    }
    Result<SqlType> type = SqlType::Parse(text);
    if (!type.ok()) FailAt(start, type.status().message());
    return *type;
  }

  CreateStream ParseCreateStream(const Token& start) {
    CreateStream cs;
    cs.line = start.line;
    cs.column = start.column;
    cs.name = ParseName("a stream name");
    ExpectSymbol("(");
    do {
      ColumnDef col;
      col.name = ParseName("a column name");
      col.type = ParseType();
      if (AcceptKeyword("NOT")) {
        ExpectKeyword("NULL");
      } else {
        AcceptKeyword("NULL");
      }
      cs.columns.push_back(std::move(col));
    } while (AcceptSymbol(","));
    ExpectSymbol(")");
    if (AcceptKeyword("DESCRIPTION")) {
      if (Peek().kind != TokenKind::kString) Fail("a description string");
      Next();
    }
    return cs;
  }

  CreatePump ParseCreatePump(const Token& start) {
    CreatePump cp;
    cp.line = start.line;
    cp.column = start.column;
    cp.name = ParseName("a pump name");
    AcceptKeyword("STARTED");
    ExpectKeyword("AS");
    ExpectKeyword("INSERT");
    ExpectKeyword("INTO");
    cp.target_line = Peek().line;
    cp.target_column = Peek().column;
    cp.target = ParseName("a stream name");
    if (AcceptSymbol("(")) {
      do {
        cp.target_columns.push_back(ParseName("a column name"));
      } while (AcceptSymbol(","));
      ExpectSymbol(")");
    }
    cp.select = ParseSelect();
    return cp;
  }

  std::unique_ptr<Select> ParseSelect() {
    auto sel = std::make_unique<Select>();
    sel->line = Peek().line;
    sel->column = Peek().column;
    ExpectKeyword("SELECT");
    sel->stream = AcceptKeyword("STREAM");
    AcceptKeyword("ALL");
    if (IsKeyword("DISTINCT")) FailAt(Peek(), "SELECT DISTINCT on a stream is not supported");
    do {
      SelectItem item;
      if (AcceptSymbol("*")) {
        sel->items.push_back(std::move(item));
        continue;
      }
      if (PeekName() && IsSymbol(".", 1) && IsSymbol("*", 2)) {
        item.star_qualifier = ParseName("a name");
        Next();
        Next();
        sel->items.push_back(std::move(item));
        continue;
      }
      item.expr = ParseExpr();
      if (AcceptKeyword("AS")) {
        item.alias = ParseName("a column alias");
      } else if (PeekName() && !IsKeyword("FROM")) {
        item.alias = ParseName("a column alias");
      }
      sel->items.push_back(std::move(item));
    } while (AcceptSymbol(","));
    ExpectKeyword("FROM");
    sel->from = ParseTableRef();
    for (;;) {
      Join join;
      join.line = Peek().line;
      join.column = Peek().column;
      if (AcceptKeyword("LEFT")) {
        AcceptKeyword("OUTER");
        ExpectKeyword("JOIN");
        join.left_outer = true;
      } else if (AcceptKeyword("INNER")) {
        ExpectKeyword("JOIN");
      } else if (AcceptKeyword("JOIN")) {
      } else if (IsKeyword("RIGHT") || IsKeyword("FULL") || IsKeyword("CROSS")) {
        FailAt(Peek(), Peek().text + " JOIN is not supported on a stream; expected JOIN or LEFT JOIN");
      } else {
        break;
      }
      join.right = ParseTableRef();
      ExpectKeyword("ON");
      join.on = ParseExpr();
      sel->joins.push_back(std::move(join));
    }
    if (AcceptKeyword("WHERE")) sel->where = ParseExpr();
    if (AcceptKeyword("GROUP")) {
      ExpectKeyword("BY");
      do {
        sel->group_by.push_back(ParseExpr());
      } while (AcceptSymbol(","));
    }
    if (AcceptKeyword("WINDOWED")) {
      ExpectKeyword("BY");
      ExpectKeyword("STAGGER");
      ExpectSymbol("(");
      sel->stagger = ParseWindowBody(/*stagger=*/true);
      ExpectSymbol(")");
    }
    if (AcceptKeyword("HAVING")) sel->having = ParseExpr();
    if (AcceptKeyword("WINDOW")) {
      do {
        std::string name = ParseName("a window name");
        ExpectKeyword("AS");
        ExpectSymbol("(");
        auto spec = ParseWindowBody(false);
        ExpectSymbol(")");
        sel->windows.emplace_back(std::move(name), std::move(spec));
      } while (AcceptSymbol(","));
    }
    return sel;
  }

  TableRef ParseTableRef() {
    TableRef ref;
    ref.line = Peek().line;
    ref.column = Peek().column;
    if (AcceptSymbol("(")) {
      ref.subquery = ParseSelect();
      ExpectSymbol(")");
    } else if (IsKeyword("TABLE") && IsSymbol("(", 1)) {
      Next();
      Next();
      const Token& fn = Peek();
      if (fn.kind != TokenKind::kIdentifier) Fail("a table function name");
      ref.table_function = Next().text;
      ExpectSymbol("(");
      ExpectKeyword("CURSOR");
      ExpectSymbol("(");
      ref.subquery = ParseSelect();
      ExpectSymbol(")");
      while (AcceptSymbol(",")) ref.function_args.push_back(ParseExpr());
      ExpectSymbol(")");
      ExpectSymbol(")");
    } else {
      ref.name = ParseName("a stream or table name");
      if (AcceptSymbol(".")) ref.name = ParseName("a stream or table name");  // schema-qualified
    }
    if (AcceptKeyword("OVER")) ref.over = ParseOver();
    if (AcceptKeyword("AS")) {
      ref.alias = ParseName("an alias");
    } else if (PeekName()) {
      ref.alias = ParseName("an alias");
    }
    if (ref.subquery && ref.table_function.empty() && !ref.alias.empty() && AcceptSymbol("(")) {
      do {
        ref.column_aliases.push_back(ParseName("a column alias"));
      } while (AcceptSymbol(","));
      ExpectSymbol(")");
    }
    if (!ref.over && AcceptKeyword("OVER")) ref.over = ParseOver();
    return ref;
  }

  std::unique_ptr<WindowSpec> ParseOver() {
    if (AcceptSymbol("(")) {
      auto spec = ParseWindowBody(false);
      ExpectSymbol(")");
      return spec;
    }
    auto spec = std::make_unique<WindowSpec>();
    spec->line = Peek().line;
    spec->column = Peek().column;
    spec->base_name = ParseName("a window name or '('");
    return spec;
  }

  int64_t ParseIntervalLiteral() {
    ExpectKeyword("INTERVAL");
    const Token& t = Peek();
    if (t.kind != TokenKind::kString) Fail("an interval string such as '1'");
    Next();
    int64_t n = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
    if (ec != std::errc() || p != t.text.data() + t.text.size() || n < 0) {
      FailAt(t, "interval '" + t.text + "' is not a whole number");
    }
    const Token& u = Peek();
    if (u.kind != TokenKind::kIdentifier) Fail("a time unit (SECOND, MINUTE, HOUR, DAY)");
    std::string unit = u.text;
    if (unit.size() > 1 && unit.back() == 'S') unit.pop_back();
    int64_t ms = UnitMillis(unit);
    if (ms == 0) Fail("a time unit (SECOND, MINUTE, HOUR, DAY)");
    int64_t total = 0;
    if (__builtin_mul_overflow(n, ms, &total)) FailAt(t, "interval '" + t.text + "' is too long");
    Next();
    return total;
  }

  std::unique_ptr<WindowSpec> ParseWindowBody(bool stagger) {
    auto spec = std::make_unique<WindowSpec>();
    spec->line = Peek().line;
    spec->column = Peek().column;
    if (AcceptKeyword("PARTITION")) {
      ExpectKeyword("BY");
      do {
        spec->partition_by.push_back(ParseExpr());
      } while (AcceptSymbol(","));
    }
    if (AcceptKeyword("RANGE")) {
      spec->has_frame = true;
      spec->range_ms = ParseIntervalLiteral();
      if (spec->range_ms <= 0) FailAt(Peek(), "a window's length must be positive");
      if (!stagger) ExpectKeyword("PRECEDING");
    } else if (!stagger && AcceptKeyword("ROWS")) {
      spec->has_frame = true;
      spec->rows = true;
      if (Peek().kind != TokenKind::kInteger) Fail("a row count");
      spec->rows_n = std::strtoll(Next().text.c_str(), nullptr, 10);
      ExpectKeyword("PRECEDING");
    } else if (stagger) {
      Fail("RANGE INTERVAL");
    }
    return spec;
  }

  // Expressions, lowest precedence first.
  ExprPtr NewExpr(ExprKind kind, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  ExprPtr Binary(const Token& at, std::string op, ExprPtr l, ExprPtr r) {
    auto e = NewExpr(ExprKind::kBinary, at);
    e->name = std::move(op);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  ExprPtr ParseExpr() { return ParseOr(); }
  ExprPtr ParseOr() {
    ExprPtr l = ParseAnd();
    while (IsKeyword("OR")) {
      const Token& at = Next();
      l = Binary(at, "OR", std::move(l), ParseAnd());
    }
    return l;
  }
  ExprPtr ParseAnd() {
    ExprPtr l = ParseNot();
    while (IsKeyword("AND")) {
      const Token& at = Next();
      l = Binary(at, "AND", std::move(l), ParseNot());
    }
    return l;
  }
  ExprPtr ParseNot() {
    if (IsKeyword("NOT")) {
      const Token& at = Next();
      auto e = NewExpr(ExprKind::kUnary, at);
      e->name = "NOT";
      e->args.push_back(ParseNot());
      return e;
    }
    return ParseComparison();
  }
  ExprPtr ParseComparison() {
    ExprPtr l = ParseConcat();
    for (;;) {
      const Token& at = Peek();
      if (at.kind == TokenKind::kSymbol && (at.text == "=" || at.text == "<>" || at.text == "!=" || at.text == "<" ||
                                            at.text == "<=" || at.text == ">" || at.text == ">=")) {
        Next();
        l = Binary(at, at.text == "!=" ? "<>" : at.text, std::move(l), ParseConcat());
        continue;
      }
      if (IsKeyword("IS")) {
        Next();
        auto e = NewExpr(ExprKind::kIsNull, at);
        e->negated = AcceptKeyword("NOT");
        ExpectKeyword("NULL");
        e->args.push_back(std::move(l));
        l = std::move(e);
        continue;
      }
      bool negated = false;
      if (IsKeyword("NOT") && (IsKeyword("BETWEEN", 1) || IsKeyword("IN", 1) || IsKeyword("LIKE", 1))) {
        Next();
        negated = true;
      }
      if (AcceptKeyword("BETWEEN")) {
        auto e = NewExpr(ExprKind::kBetween, at);
        e->negated = negated;
        e->args.push_back(std::move(l));
        e->args.push_back(ParseConcat());
        ExpectKeyword("AND");
        e->args.push_back(ParseConcat());
        l = std::move(e);
        continue;
      }
      if (AcceptKeyword("IN")) {
        auto e = NewExpr(ExprKind::kIn, at);
        e->negated = negated;
        e->args.push_back(std::move(l));
        ExpectSymbol("(");
        do {
          e->args.push_back(ParseExpr());
        } while (AcceptSymbol(","));
        ExpectSymbol(")");
        l = std::move(e);
        continue;
      }
      if (AcceptKeyword("LIKE")) {
        auto e = NewExpr(ExprKind::kLike, at);
        e->negated = negated;
        e->args.push_back(std::move(l));
        e->args.push_back(ParseConcat());
        l = std::move(e);
        continue;
      }
      if (negated) Fail("BETWEEN, IN or LIKE");
      return l;
    }
  }
  ExprPtr ParseConcat() {
    ExprPtr l = ParseAdditive();
    while (IsSymbol("||")) {
      const Token& at = Next();
      l = Binary(at, "||", std::move(l), ParseAdditive());
    }
    return l;
  }
  ExprPtr ParseAdditive() {
    ExprPtr l = ParseMultiplicative();
    while (IsSymbol("+") || IsSymbol("-")) {
      const Token& at = Next();
      l = Binary(at, at.text, std::move(l), ParseMultiplicative());
    }
    return l;
  }
  ExprPtr ParseMultiplicative() {
    ExprPtr l = ParseUnary();
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%")) {
      const Token& at = Next();
      l = Binary(at, at.text, std::move(l), ParseUnary());
    }
    return l;
  }
  ExprPtr ParseUnary() {
    if (IsSymbol("-") || IsSymbol("+")) {
      const Token& at = Next();
      auto e = NewExpr(ExprKind::kUnary, at);
      e->name = at.text;
      e->args.push_back(ParseUnary());
      return e;
    }
    return ParsePrimary();
  }

  ExprPtr Literal(const Token& at, Value v, SqlType type) {
    auto e = NewExpr(ExprKind::kLiteral, at);
    e->literal = std::move(v);
    e->literal_type = type;
    return e;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kInteger: {
        Next();
        int64_t v = 0;
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (ec != std::errc()) FailAt(t, "integer literal " + t.text + " is out of range");
        (void)p;
        SqlType type;
        type.id = v > INT32_MAX ? TypeId::kBigint : TypeId::kInteger;
        return Literal(t, v, type);
      }
      case TokenKind::kNumber: {
        Next();
        SqlType type;
        if (t.text.find_first_of("eE") != std::string::npos) {
          type.id = TypeId::kDouble;
          return Literal(t, std::strtod(t.text.c_str(), nullptr), type);
        }
        Result<Value> v = CoerceText(t.text, SqlType{TypeId::kDecimal, 0, 18, 0});
        // The literal's scale is its count of fraction digits.
        size_t dot = t.text.find('.');
        int scale = static_cast<int>(t.text.size() - dot - 1);
        type = SqlType{TypeId::kDecimal, 0, 18, scale};
        v = CoerceText(t.text, type);
        if (!v.ok()) FailAt(t, "numeric literal " + t.text + " is out of range");
        return Literal(t, *v, type);
      }
      case TokenKind::kString: {
        Next();
        SqlType type{TypeId::kChar, static_cast<int>(t.text.size()), 0, 0};
        return Literal(t, t.text, type);
      }
      case TokenKind::kSymbol:
        if (t.text == "(") {
          Next();
          ExprPtr e = ParseExpr();
          ExpectSymbol(")");
          return e;
        }
        Fail("an expression");
      case TokenKind::kEnd: Fail("an expression");
      case TokenKind::kQuotedIdentifier: return ParseColumnOrCall();
      case TokenKind::kIdentifier: break;
    }
    const std::string& w = t.text;
    if (w == "NULL") {
      Next();
      auto e = Literal(t, std::monostate{}, SqlType{});
      e->null_literal = true;
      return e;
    }
    if (w == "TRUE" || w == "FALSE") {
      Next();
      return Literal(t, w == "TRUE", SqlType{TypeId::kBoolean, 0, 0, 0});
    }
    if ((w == "TIMESTAMP" || w == "DATE" || w == "TIME") && Peek(1).kind == TokenKind::kString) {
      Next();
      const Token& s = Next();
      SqlType type;
      type.id = w == "TIMESTAMP" ? TypeId::kTimestamp : w == "DATE" ? TypeId::kDate : TypeId::kTime;
      Result<Value> v = CoerceText(s.text, type);
      if (!v.ok()) FailAt(s, "bad " + w + " literal '" + s.text + "'");
      return Literal(t, *v, type);
    }
    if (w == "INTERVAL") {
      auto e = NewExpr(ExprKind::kInterval, t);
      e->interval_ms = ParseIntervalLiteral();
      return e;
    }
    if (w == "CAST" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kCast, t);
      e->args.push_back(ParseExpr());
      ExpectKeyword("AS");
      e->cast_type = ParseType();
      ExpectSymbol(")");
      return e;
    }
    if (w == "CASE") {
      Next();
      auto e = NewExpr(ExprKind::kCase, t);
      if (!IsKeyword("WHEN")) {
        e->has_operand = true;
        e->args.push_back(ParseExpr());
      }
      if (!IsKeyword("WHEN")) Fail("WHEN");
      while (AcceptKeyword("WHEN")) {
        e->args.push_back(ParseExpr());
        ExpectKeyword("THEN");
        e->args.push_back(ParseExpr());
      }
      if (AcceptKeyword("ELSE")) {
        e->has_else = true;
        e->args.push_back(ParseExpr());
      }
      ExpectKeyword("END");
      return e;
    }
    if ((w == "FLOOR" || w == "CEIL" || w == "CEILING") && IsSymbol("(", 1)) {
      Next();
      Next();
      ExprPtr arg = ParseExpr();
      if (AcceptKeyword("TO")) {
        auto e = NewExpr(ExprKind::kTimeUnitFn, t);
        e->name = w == "FLOOR" ? "FLOOR" : "CEIL";
        e->unit = ParseTimeUnit();
        e->args.push_back(std::move(arg));
        ExpectSymbol(")");
        return e;
      }
      ExpectSymbol(")");
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = w == "FLOOR" ? "FLOOR" : "CEIL";
      e->args.push_back(std::move(arg));
      return e;
    }
    if (w == "EXTRACT" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kTimeUnitFn, t);
      e->name = "EXTRACT";
      const Token& u = Peek();
      static const char* kUnits[] = {"YEAR",        "MONTH", "DAY", "HOUR", "MINUTE",  "SECOND",
                                     "MILLISECOND", "DOW",   "DOY", "WEEK", "QUARTER", "EPOCH"};
      bool ok = false;
      for (const char* k : kUnits) ok = ok || (u.kind == TokenKind::kIdentifier && u.text == k);
      if (!ok) Fail("a date/time field (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
      e->unit = Next().text;
      ExpectKeyword("FROM");
      e->args.push_back(ParseExpr());
      ExpectSymbol(")");
      return e;
    }
    if (w == "STEP" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kStep, t);
      e->args.push_back(ParseExpr());
      ExpectKeyword("BY");
      e->args.push_back(ParseExpr());
      ExpectSymbol(")");
      return e;
    }
    if (w == "SUBSTRING" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = "SUBSTRING";
      e->args.push_back(ParseExpr());
      if (AcceptKeyword("FROM") || AcceptSymbol(",")) {
        e->args.push_back(ParseExpr());
        if (AcceptKeyword("FOR") || AcceptSymbol(",")) e->args.push_back(ParseExpr());
      } else {
        Fail("FROM");
      }
      ExpectSymbol(")");
      return e;
    }
    if (w == "POSITION" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = "POSITION";
      e->args.push_back(ParseConcat());
      ExpectKeyword("IN");
      e->args.push_back(ParseExpr());
      ExpectSymbol(")");
      return e;
    }
    if (w == "TRIM" && IsSymbol("(", 1)) {
      Next();
      Next();
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = "TRIM";
      std::string mode = "BOTH";
      if (IsKeyword("BOTH") || IsKeyword("LEADING") || IsKeyword("TRAILING")) mode = Next().text;
      ExprPtr chars;
      ExprPtr source;
      if (AcceptKeyword("FROM")) {
        source = ParseExpr();
      } else {
        ExprPtr first = ParseExpr();
        if (AcceptKeyword("FROM")) {
          chars = std::move(first);
          source = ParseExpr();
        } else {
          source = std::move(first);
        }
      }
      ExpectSymbol(")");
      e->unit = mode;
      e->args.push_back(std::move(source));
      if (chars) e->args.push_back(std::move(chars));
      return e;
    }
    if (w == "ROWTIME" && !IsSymbol("(", 1)) return ParseColumnOrCall();
    if (IsReserved(w)) Fail("an expression");
    return ParseColumnOrCall();
  }

  std::string ParseTimeUnit() {
    const Token& u = Peek();
    if (u.kind == TokenKind::kIdentifier &&
        (u.text == "SECOND" || u.text == "MINUTE" || u.text == "HOUR" || u.text == "DAY" || u.text == "MILLISECOND" ||
         u.text == "MONTH" || u.text == "YEAR")) {
      return Next().text;
    }
    Fail("a time unit (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR)");
  }

  ExprPtr ParseColumnOrCall() {
    const Token& t = Peek();
    std::string first = t.kind == TokenKind::kQuotedIdentifier ? t.text : t.text;
    Next();
    if (t.kind == TokenKind::kIdentifier && IsSymbol("(")) {
      Next();
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = first;
      if (AcceptSymbol("*")) {
        e->star_arg = true;
      } else if (!IsSymbol(")")) {
        AcceptKeyword("ALL");
        if (IsKeyword("DISTINCT")) FailAt(Peek(), "DISTINCT aggregates are not supported");
        do {
          e->args.push_back(ParseExpr());
        } while (AcceptSymbol(","));
      }
      ExpectSymbol(")");
      // NTH_VALUE's FROM FIRST | FROM LAST, then IGNORE | RESPECT NULLS.
      if (e->name == "NTH_VALUE" && IsKeyword("FROM") && (IsKeyword("FIRST", 1) || IsKeyword("LAST", 1))) {
        Next();
        e->from_last = Next().text == "LAST";
      }
      if ((IsKeyword("IGNORE") || IsKeyword("RESPECT")) && IsKeyword("NULLS", 1)) {
        e->ignore_nulls = Next().text == "IGNORE";
        Next();
      }
      if (AcceptKeyword("OVER")) e->over = ParseOver();
      return e;
    }
    if (t.kind == TokenKind::kIdentifier && (first == "CURRENT_ROW_TIMESTAMP" || first == "CURRENT_TIMESTAMP" ||
                                             first == "LOCALTIMESTAMP" || first == "CURRENT_DATE")) {
      auto e = NewExpr(ExprKind::kFunction, t);
      e->name = first;
      return e;
    }
    auto e = NewExpr(ExprKind::kColumn, t);
    e->names.push_back(first);
    while (AcceptSymbol(".")) {
      const Token& n = Peek();
      if (n.kind == TokenKind::kQuotedIdentifier || n.kind == TokenKind::kIdentifier) {
        e->names.push_back(Next().text);
      } else {
        Fail("a column name");
      }
    }
    return e;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

}  // namespace

std::variant<Script, CodeError> Parse(std::string_view code) {
  auto tokens = Tokenize(code);
  if (auto* err = std::get_if<CodeError>(&tokens)) return *err;
  Parser p(std::move(std::get<std::vector<Token>>(tokens)));
  try {
    return p.ParseScript();
  } catch (const ParseFailure& f) {
    return f.error;
  }
}

}  // namespace spate::analytics::parser
