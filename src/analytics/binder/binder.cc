#include "analytics/binder/binder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analytics/exec/regex.h"
#include "analytics/exec/value_ops.h"
#include "analytics/parser/lexer.h"
#include "analytics/parser/parser.h"
#include "base/assert.h"

namespace spate::analytics::binder {

using parser::Expr;
using parser::ExprKind;

std::vector<ColumnDef> InputColumns(const InputStreamDecl& decl) {
  std::vector<ColumnDef> cols = decl.columns;
  if (decl.with_kinesis_columns) {
    cols.push_back(ColumnDef{"APPROXIMATE_ARRIVAL_TIME", SqlType{TypeId::kTimestamp, 0, 0, 0}});
    cols.push_back(ColumnDef{"SHARD_ID", SqlType{TypeId::kVarchar, 64, 0, 0}});
  }
  return cols;
}

namespace {

// Unwinds a failed bind to Bind(); never leaves this file.
struct BindFailure {
  CodeError error;
};

[[noreturn]] void Fail(int line, int column, const std::string& what) {
  throw BindFailure{parser::MakeError(line, column, what)};
}
[[noreturn]] void Fail(const Expr& e, const std::string& what) { Fail(e.line, e.column, what); }

SqlType T(TypeId id, int length = 0) { return SqlType{id, length, 0, 0}; }

std::string Quote(const std::string& name) { return "\"" + name + "\""; }

std::string Describe(const ExprType& t) {
  if (t.is_null) return "NULL";
  if (t.is_interval) return "INTERVAL";
  return t.type.ToString();
}

int IntRank(TypeId id) {
  switch (id) {
    case TypeId::kTinyint: return 1;
    case TypeId::kSmallint: return 2;
    case TypeId::kInteger: return 3;
    default: return 4;
  }
}

// The type both numeric operands widen to.
SqlType NumericUnion(const SqlType& a, const SqlType& b) {
  if (a.id == TypeId::kDouble || a.id == TypeId::kReal || b.id == TypeId::kDouble || b.id == TypeId::kReal) {
    return T(TypeId::kDouble);
  }
  if (a.id == TypeId::kDecimal || b.id == TypeId::kDecimal) {
    int scale = std::max(a.id == TypeId::kDecimal ? a.scale : 0, b.id == TypeId::kDecimal ? b.scale : 0);
    return SqlType{TypeId::kDecimal, 0, 18, scale};
  }
  return IntRank(a.id) >= IntRank(b.id) ? T(a.id) : T(b.id);
}

enum class Family : uint8_t { kNull, kNumeric, kString, kTime, kBoolean, kBinary, kInterval };
Family FamilyOf(const ExprType& t) {
  if (t.is_null) return Family::kNull;
  if (t.is_interval) return Family::kInterval;
  if (IsNumericType(t.type.id)) return Family::kNumeric;
  if (IsStringType(t.type.id)) return Family::kString;
  if (IsTimeType(t.type.id)) return Family::kTime;
  if (t.type.id == TypeId::kBoolean) return Family::kBoolean;
  return Family::kBinary;
}

// The common type of CASE branches, COALESCE arguments, IN lists.
bool Unify(const ExprType& a, const ExprType& b, ExprType* out) {
  Family fa = FamilyOf(a), fb = FamilyOf(b);
  if (fa == Family::kNull) {
    *out = b;
    return true;
  }
  if (fb == Family::kNull) {
    *out = a;
    return true;
  }
  if (fa != fb) return false;
  *out = a;
  if (fa == Family::kNumeric) out->type = NumericUnion(a.type, b.type);
  if (fa == Family::kString) out->type = T(TypeId::kVarchar, std::max(a.type.length, b.type.length));
  if (fa == Family::kTime && a.type.id != b.type.id) out->type = T(TypeId::kTimestamp);
  return true;
}

bool Assignable(const ExprType& from, const SqlType& to) {
  Family f = FamilyOf(from);
  if (f == Family::kNull) return true;
  ExprType t;
  t.type = to;
  return f == FamilyOf(t);
}

struct ScopeColumn {
  std::string alias;   // the source's alias, if any
  std::string source;  // the stream or table name
  std::string name;
  SqlType type;
  bool rowtime = false;
  bool qualified_only = false;  // a joined stream's ROWTIME: only as alias.ROWTIME
  std::string row{};            // a field of this ROW (a log parser's result): only as [alias.]row.name
};

struct Scope {
  std::vector<ScopeColumn> columns;
  int rowtime_index = -1;
};

// The length of a VARCHAR a function builds (REGEX_REPLACE's documented
// RETURNS VARCHAR(65535)).
constexpr int kMaxFunctionVarchar = 65535;

bool IsLogParserName(const std::string& n) {
  return n == "REGEX_LOG_PARSE" || n == "VARIABLE_COLUMN_LOG_PARSE" || n == "FIXED_COLUMN_LOG_PARSE" ||
         n == "W3C_LOG_PARSE" || n == "FAST_REGEX_LOG_PARSE" || n == "FAST_REGEX_LOG_PARSER" || n == "SYS_LOG_PARSE";
}

// Microsoft's IIS log file format (W3C_LOG_PARSE 'IIS'): fixed, its fields
// each followed by a comma (and a blank but after the last). Numeric fields
// are BIGINT; '-' in one is NULL.
struct IisField {
  const char* what;
  bool numeric;
};
constexpr IisField kIisFields[] = {
    {"client IP address", false},
    {"user name", false},
    {"date", false},
    {"time", false},
    {"service and instance", false},
    {"server name", false},
    {"server IP address", false},
    {"time taken (ms)", true},
    {"client bytes sent", true},
    {"server bytes sent", true},
    {"service status code", true},
    {"Windows status code", true},
    {"request type", false},
    {"target of operation", false},
    {"parameters", false},
};

// SYS_LOG_PARSE: RFC 3164's "Mmm dd hh:mm:ss" (the day space-padded) and the
// rest of the line after one blank; the timestamp has no year.
constexpr const char* kSysLogPattern = "^([A-Za-z]{3} {1,2}[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2})(?: ([\\s\\S]*))?$";
constexpr const char* kSysLogTimeFormat = "MMM d HH:mm:ss";

// W3C_LOG_PARSE's predefined formats, as AWS's SQL reference lists them.
const char* W3cPredefinedFormat(const std::string& name) {
  if (name == "COMMON") return "%h %l %u %t \"%r\" %>s %b";
  if (name == "COMMON WITH VHOST") return "%v %h %l %u %t \"%r\" %>s %b";
  if (name == "NCSA EXTENDED") return "%h %l %u %t \"%r\" %>s %b \"%[Referer]i\" \"%[User-agent]i\"";
  if (name == "REFERER") return "%[Referer]i ---> %U";
  if (name == "AGENT") return "%[User-agent]i";
  return nullptr;
}

// Escapes `c` for a PCRE2 pattern.
void AppendLiteral(char c, std::string* out) {
  if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out->push_back('\\');
  out->push_back(c);
}

// The documented type of a log parser's fields when no column list is given.
constexpr int kLogFieldVarchar = 1024;
// VARIABLE_COLUMN_LOG_PARSE's <number of columns>: a bound on what one call builds.
constexpr int64_t kMaxLogFields = 1000;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsAggregateName(const std::string& n) {
  return n == "COUNT" || n == "SUM" || n == "MIN" || n == "MAX" || n == "AVG" || n == "FIRST_VALUE" ||
         n == "LAST_VALUE" || n == "EXP_AVG" || n == "LAG" || n == "NTH_VALUE";
}

class Binder {
 public:
  Binder(const std::vector<InputStreamDecl>& inputs, const std::vector<ReferenceTable>& refs) : refs_(refs) {
    for (const auto& in : inputs) {
      streams_.push_back(StreamInfo{in.name, InputColumns(in), true});
    }
  }

  BoundScript BindAll(const parser::Script& script) {
    for (const auto& cs : script.streams) {
      if (FindStream(cs.name) || FindTable(cs.name) >= 0) {
        Fail(cs.line, cs.column, "stream " + Quote(cs.name) + " already exists");
      }
      std::set<std::string> names;
      for (const auto& c : cs.columns) {
        if (c.name == "ROWTIME") {
          Fail(cs.line, cs.column, "ROWTIME is a column of every stream and cannot be declared in " + Quote(cs.name));
        }
        if (!names.insert(c.name).second) {
          Fail(cs.line, cs.column, "column " + Quote(c.name) + " is declared twice in stream " + Quote(cs.name));
        }
      }
      streams_.push_back(StreamInfo{cs.name, cs.columns, false});
    }
    BoundScript out;
    std::set<std::string> pump_names;
    for (const auto& cp : script.pumps) {
      if (!pump_names.insert(cp.name).second) Fail(cp.line, cp.column, "pump " + Quote(cp.name) + " already exists");
      out.pumps.push_back(BindPump(cp));
    }
    out.streams = streams_;
    return out;
  }

 private:
  const StreamInfo* FindStream(const std::string& name) const {
    for (const auto& s : streams_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  int FindTable(const std::string& name) const {
    for (size_t i = 0; i < refs_.size(); ++i) {
      if (refs_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  BoundPump BindPump(const parser::CreatePump& cp) {
    BoundPump pump;
    pump.name = cp.name;
    const StreamInfo* target = FindStream(cp.target);
    if (!target) {
      Fail(cp.target_line, cp.target_column,
           FindTable(cp.target) >= 0 ? "cannot insert into reference table " + Quote(cp.target)
                                     : "unknown stream " + Quote(cp.target));
    }
    pump.target = target->name;
    for (const auto& c : target->columns) pump.target_types.push_back(c.type);
    if (!cp.select->stream) Fail(cp.select->line, cp.select->column, "expected SELECT STREAM in a pump");
    pump.select = BindSelect(*cp.select);
    const auto& outs = pump.select->output_columns;
    if (cp.target_columns.empty()) {
      for (size_t i = 0; i < target->columns.size(); ++i) pump.target_positions.push_back(static_cast<int>(i));
    } else {
      for (const auto& n : cp.target_columns) {
        int pos = -1;
        for (size_t i = 0; i < target->columns.size(); ++i) {
          if (target->columns[i].name == n) pos = static_cast<int>(i);
        }
        if (pos < 0)
          Fail(cp.target_line, cp.target_column, "stream " + Quote(target->name) + " has no column " + Quote(n));
        if (std::find(pump.target_positions.begin(), pump.target_positions.end(), pos) != pump.target_positions.end()) {
          Fail(cp.target_line, cp.target_column, "column " + Quote(n) + " is listed twice");
        }
        pump.target_positions.push_back(pos);
      }
    }
    if (pump.target_positions.size() != outs.size()) {
      Fail(cp.select->line, cp.select->column,
           "INSERT INTO " + Quote(target->name) + " names " + std::to_string(pump.target_positions.size()) +
               " columns but the SELECT yields " + std::to_string(outs.size()));
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      const ColumnDef& dest = target->columns[static_cast<size_t>(pump.target_positions[i])];
      const ExprType& from = pump.select->outputs[i]->result;
      if (!Assignable(from, dest.type)) {
        Fail(cp.select->line, cp.select->column,
             "cannot insert " + Describe(from) + " into column " + Quote(dest.name) + " of type " +
                 dest.type.ToString());
      }
    }
    return pump;
  }

  struct SelectState {
    Scope scope;
    BoundSelect* sel = nullptr;
    const parser::Select* ast = nullptr;
    std::map<std::string, int> named_windows;  // name -> index in sel->windows
  };

  std::unique_ptr<BoundSelect> BindSelect(const parser::Select& ast) {
    auto sel = std::make_unique<BoundSelect>();
    SelectState st;
    st.sel = sel.get();
    st.ast = &ast;
    // FROM: a stream or a subquery.
    const parser::TableRef& from = ast.from;
    if (from.over) Fail(from.line, from.column, "OVER belongs on the right side of a stream-to-stream JOIN");
    if (!from.table_function.empty()) {
      BindTableFunction(from, sel.get(), &st);
    } else if (from.subquery) {
      sel->source.subquery = BindSelect(*from.subquery);
      AddSubqueryColumns(from, *sel->source.subquery, &st);
    } else {
      const StreamInfo* s = FindStream(from.name);
      if (!s) {
        Fail(from.line, from.column,
             FindTable(from.name) >= 0 ? "reference table " + Quote(from.name) +
                                             " can only be joined to a stream; expected a stream after FROM"
                                       : "unknown stream " + Quote(from.name));
      }
      sel->source.stream = s->name;
      for (const auto& c : s->columns)
        st.scope.columns.push_back(ScopeColumn{from.alias, s->name, c.name, c.type, false});
    }
    st.scope.rowtime_index = static_cast<int>(st.scope.columns.size());
    st.scope.columns.push_back(
        ScopeColumn{from.alias, from.subquery ? std::string() : from.name, "ROWTIME", T(TypeId::kTimestamp), true});
    sel->source.column_count = static_cast<int>(st.scope.columns.size());
    sel->rowtime_index = st.scope.rowtime_index;
    // JOINs with reference tables, and with streams over a window.
    for (const auto& j : ast.joins) {
      if (j.right.subquery) Fail(j.right.line, j.right.column, "expected a reference table or a stream after JOIN");
      BoundTableJoin bj;
      bj.left_outer = j.left_outer;
      bj.column_offset = static_cast<int>(st.scope.columns.size());
      if (const StreamInfo* rs = FindStream(j.right.name)) {
        if (!j.right.over) {
          Fail(j.right.line, j.right.column,
               "a stream-to-stream JOIN needs a window on its right side: JOIN " + Quote(rs->name) +
                   " OVER (RANGE INTERVAL '1' MINUTE PRECEDING)");
        }
        const parser::WindowSpec* spec = j.right.over.get();
        if (!spec->base_name.empty()) {
          spec = nullptr;
          for (const auto& [name, w] : ast.windows) {
            if (name == j.right.over->base_name) spec = w.get();
          }
          if (!spec) Fail(j.right.over->line, j.right.over->column, "unknown window " + Quote(j.right.over->base_name));
        }
        if (!spec->has_frame || !spec->partition_by.empty()) {
          Fail(spec->line, spec->column, "a JOIN window takes RANGE INTERVAL .. PRECEDING or ROWS n PRECEDING only");
        }
        bj.right_stream = rs->name;
        bj.window_rows = spec->rows;
        bj.window_rows_n = spec->rows_n;
        bj.window_range_ms = spec->range_ms;
        for (const auto& c : rs->columns) {
          st.scope.columns.push_back(ScopeColumn{j.right.alias, rs->name, c.name, c.type, false});
        }
        ScopeColumn rowtime{j.right.alias, rs->name, "ROWTIME", T(TypeId::kTimestamp), true};
        rowtime.qualified_only = true;
        st.scope.columns.push_back(rowtime);
      } else {
        int t = FindTable(j.right.name);
        if (t < 0) Fail(j.right.line, j.right.column, "unknown stream or table " + Quote(j.right.name));
        if (j.right.over) Fail(j.right.line, j.right.column, "a reference table takes no OVER window");
        bj.table = t;
        for (const auto& c : refs_[static_cast<size_t>(t)].columns) {
          st.scope.columns.push_back(ScopeColumn{j.right.alias, j.right.name, c.name, c.type, false});
        }
      }
      bj.column_count = static_cast<int>(st.scope.columns.size()) - bj.column_offset;
      bj.on = BindBool(*j.on, st, false, "ON");
      if (bj.table >= 0) FindEquiKey(&bj);
      sel->joins.push_back(std::move(bj));
    }
    sel->scope_width = static_cast<int>(st.scope.columns.size());
    if (ast.where) sel->where = BindBool(*ast.where, st, false, "WHERE");
    // Named windows.
    for (const auto& [name, spec] : ast.windows) {
      if (st.named_windows.count(name)) Fail(spec->line, spec->column, "window " + Quote(name) + " is defined twice");
      st.named_windows[name] = BindWindow(*spec, st);
    }
    // GROUP BY / STAGGER keys.
    if (!ast.group_by.empty() && ast.stagger) {
      Fail(ast.stagger->line, ast.stagger->column, "WINDOWED BY STAGGER replaces GROUP BY; use one of them");
    }
    for (const auto& g : ast.group_by) sel->keys.push_back(BindExpr(*g, st, false));
    if (ast.stagger) {
      if (ast.stagger->partition_by.empty()) {
        Fail(ast.stagger->line, ast.stagger->column, "expected PARTITION BY in WINDOWED BY STAGGER");
      }
      for (const auto& p : ast.stagger->partition_by) sel->keys.push_back(BindExpr(*p, st, false));
      sel->window_ms = ast.stagger->range_ms;
    }
    // SELECT list.
    int expr_n = 0;
    for (const auto& item : ast.items) {
      if (item.expr && item.expr->kind == ExprKind::kFunction && IsLogParserName(item.expr->name)) {
        ++expr_n;
        BindLogParser(*item.expr, item.alias.empty() ? "EXPR$" + std::to_string(expr_n - 1) : item.alias, st,
                      sel.get());
        continue;
      }
      if (!item.expr) {
        bool any = false;
        for (size_t i = 0; i < st.scope.columns.size(); ++i) {
          const ScopeColumn& c = st.scope.columns[i];
          if (c.rowtime) continue;
          if (!item.star_qualifier.empty() && item.star_qualifier != c.alias &&
              !(c.alias.empty() && item.star_qualifier == c.source)) {
            continue;
          }
          auto e = std::make_unique<BoundExpr>();
          e->kind = BoundKind::kColumn;
          e->index = static_cast<int>(i);
          e->result.type = c.type;
          sel->outputs.push_back(std::move(e));
          sel->output_columns.push_back(ColumnDef{c.name, c.type});
          sel->output_rows.push_back(c.row);
          any = true;
        }
        if (!any) Fail(ast.line, ast.column, "no columns match " + item.star_qualifier + ".*");
        continue;
      }
      ++expr_n;
      BoundExprPtr e = BindExpr(*item.expr, st, true);
      std::string name = item.alias;
      if (name.empty() && item.expr->kind == ExprKind::kColumn) name = item.expr->names.back();
      if (name.empty()) name = "EXPR$" + std::to_string(expr_n - 1);
      SqlType type = e->result.is_null ? T(TypeId::kVarchar, 1) : e->result.type;
      if (e->result.is_interval) Fail(*item.expr, "an INTERVAL cannot be a column of a stream");
      sel->output_columns.push_back(ColumnDef{name, type});
      sel->output_rows.emplace_back();
      sel->outputs.push_back(std::move(e));
    }
    if (ast.having) sel->having = BindBool(*ast.having, st, true, "HAVING");
    Classify(ast, st);
    return sel;
  }

  // FROM (SELECT ...) [AS t [(a, b, ...)]]: the subquery's columns in scope;
  // the list renames its select items in order (a log parser's ROW counts as
  // one item: the name is the row's).
  void AddSubqueryColumns(const parser::TableRef& from, const BoundSelect& sub, SelectState* st) {
    std::vector<ScopeColumn> cols;
    for (size_t i = 0; i < sub.output_columns.size(); ++i) {
      const ColumnDef& c = sub.output_columns[i];
      ScopeColumn sc{from.alias, "", c.name, c.type, false};
      sc.row = sub.output_rows[i];
      cols.push_back(std::move(sc));
    }
    if (!from.column_aliases.empty()) {
      size_t item = 0;
      for (size_t i = 0; i < cols.size(); ++i) {
        bool same_row = i > 0 && !cols[i].row.empty() && sub.output_rows[i] == sub.output_rows[i - 1];
        if (i > 0 && !same_row) ++item;
        if (item >= from.column_aliases.size()) break;
        (cols[i].row.empty() ? cols[i].name : cols[i].row) = from.column_aliases[item];
      }
      size_t items = cols.empty() ? 0 : item + 1;
      if (items != from.column_aliases.size()) {
        Fail(from.line, from.column,
             Quote(from.alias) + " names " + std::to_string(from.column_aliases.size()) +
                 " columns but its query has " + std::to_string(items));
      }
    }
    for (auto& c : cols) st->scope.columns.push_back(std::move(c));
  }

  static const std::string& StringLiteral(const Expr& e, const std::string& what) {
    if (e.kind != ExprKind::kLiteral || !std::holds_alternative<std::string>(e.literal)) {
      Fail(e, what + " must be a character literal");
    }
    return std::get<std::string>(e.literal);
  }

  // A log parser's column list: '<name> [TYPE] <data type> [NOT NULL]
  // [START n [FOR m]] ['format'], ...' (START only for FIXED_COLUMN_LOG_PARSE).
  static std::vector<LogField> ColumnList(const Expr& at, const std::string& text, bool fixed) {
    std::vector<std::string> items;
    {
      int depth = 0;
      char quote = 0;
      std::string cur;
      for (char c : text) {
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '(') {
          ++depth;
        } else if (c == ')') {
          --depth;
        } else if (c == ',' && depth == 0) {
          items.push_back(cur);
          cur.clear();
          continue;
        }
        cur.push_back(c);
      }
      items.push_back(cur);
    }
    std::vector<LogField> fields;
    for (const std::string& raw : items) {
      std::string item = Trim(raw);
      if (item.empty()) Fail(at, "empty column description in " + Quote(text));
      LogField f;
      size_t pos = 0;
      if (item[0] == '"') {
        size_t close = item.find('"', 1);
        if (close == std::string::npos) Fail(at, "unterminated quoted column name in " + Quote(text));
        f.name = item.substr(1, close - 1);
        pos = close + 1;
      } else {
        while (pos < item.size() && (std::isalnum(static_cast<unsigned char>(item[pos])) || item[pos] == '_')) ++pos;
        f.name = Upper(item.substr(0, pos));
      }
      if (f.name.empty()) Fail(at, "expected a column name in " + Quote(item));
      std::string rest = item.substr(pos);
      size_t q = rest.find('\'');
      if (q != std::string::npos) {
        size_t close = rest.rfind('\'');
        if (close == q) Fail(at, "unterminated format in " + Quote(item));
        f.format = rest.substr(q + 1, close - q - 1);
        rest = rest.substr(0, q) + rest.substr(close + 1);
      }
      // Words, upper-cased; parentheses stay with their type.
      std::string up = " " + Upper(rest) + " ";
      auto keyword = [&](const char* k) {
        size_t at_k = up.find(std::string(" ") + k + " ");
        return at_k;
      };
      size_t type_from = 0;
      if (size_t t = keyword("TYPE"); t != std::string::npos && Trim(up.substr(0, t)).empty()) type_from = t + 5;
      size_t type_to = up.size();
      for (const char* k : {"NOT", "START", "FOR"}) {
        size_t at_k = keyword(k);
        if (at_k != std::string::npos && at_k >= type_from) type_to = std::min(type_to, at_k);
      }
      std::string type_text = Trim(up.substr(type_from, type_to - type_from));
      if (type_text.empty()) {
        f.type = T(TypeId::kVarchar, kLogFieldVarchar);
      } else {
        Result<SqlType> type = SqlType::Parse(type_text);
        if (!type.ok()) Fail(at, "column " + Quote(f.name) + ": " + type.status().message());
        f.type = type.value();
      }
      auto number_after = [&](const char* k, int64_t* out) {
        size_t at_k = keyword(k);
        if (at_k == std::string::npos) return false;
        std::string word = Trim(up.substr(at_k + std::string(k).size() + 1));
        word = word.substr(0, word.find(' '));
        if (word.empty() || word.find_first_not_of("0123456789") != std::string::npos || word.size() > 9) {
          Fail(at, std::string(k) + " of column " + Quote(f.name) + " must be a non-negative integer");
        }
        *out = std::stoll(word);
        return true;
      };
      if (fixed) {
        if (!number_after("START", &f.start)) Fail(at, "column " + Quote(f.name) + " needs START n");
        if (number_after("FOR", &f.width) && f.width == 0) Fail(at, "FOR of column " + Quote(f.name) + " must be > 0");
      } else if (keyword("START") != std::string::npos || keyword("FOR") != std::string::npos) {
        Fail(at, "START and FOR belong to FIXED_COLUMN_LOG_PARSE's column descriptions");
      }
      if (!f.format.empty() && !IsTimeType(f.type.id)) {
        Fail(at, "a format is for DATE, TIME or TIMESTAMP columns, not " + Quote(f.name));
      }
      for (const LogField& g : fields) {
        if (g.name == f.name) Fail(at, "column " + Quote(f.name) + " is described twice");
      }
      fields.push_back(std::move(f));
    }
    return fields;
  }

  static std::vector<LogField> NumberedFields(int64_t n) {
    std::vector<LogField> fields;
    for (int64_t i = 1; i <= n; ++i) {
      LogField f;
      f.name = "COLUMN" + std::to_string(i);
      f.type = T(TypeId::kVarchar, kLogFieldVarchar);
      fields.push_back(std::move(f));
    }
    return fields;
  }

  // W3C_LOG_PARSE's format (a predefined name or Apache mod_log_config
  // specifiers): one field COLUMNi per specifier, BIGINT for the numeric ones
  // (%b, %D, %T, %s, %p, %P, %k, %I, %O), VARCHAR(1024) otherwise; the line
  // must match the whole format. A specifier between double quotes takes
  // the quoted text (backslash escapes kept), %t its [bracketed] time, any
  // other one text up to the next blank.
  static void W3cFormat(const Expr& at, const std::string& text, LogParserSpec* spec) {
    std::string name = Upper(Trim(text));
    if (name == "IIS") {
      std::string pattern = "^";
      for (const IisField& field : kIisFields) {
        LogField f;
        f.name = "COLUMN" + std::to_string(spec->fields.size() + 1);
        f.type = field.numeric ? T(TypeId::kBigint) : T(TypeId::kVarchar, kLogFieldVarchar);
        spec->fields.push_back(std::move(f));
        if (spec->fields.size() > 1) pattern += ",[ \\t]*";
        pattern += "([^,]*?)[ \\t]*";
      }
      spec->pattern = pattern + ",?[ \\t]*$";
      return;
    }
    const char* predefined = W3cPredefinedFormat(name);
    const std::string format = predefined ? predefined : text;
    std::string pattern = "^";
    for (size_t i = 0; i < format.size(); ++i) {
      char c = format[i];
      if (c != '%') {
        AppendLiteral(c, &pattern);
        continue;
      }
      size_t start = i;
      if (++i >= format.size()) Fail(at, "W3C_LOG_PARSE's format ends with '%'");
      if (format[i] == '%') {
        pattern += "%";
        continue;
      }
      // Modifiers: status codes (!200,304), < and >.
      while (i < format.size() && std::string_view("!0123456789,<>").find(format[i]) != std::string_view::npos) ++i;
      if (i < format.size() && (format[i] == '[' || format[i] == '{')) {
        size_t close = format.find(format[i] == '[' ? ']' : '}', i);
        if (close == std::string::npos) Fail(at, "unterminated header name in W3C_LOG_PARSE's format");
        i = close + 1;
      }
      if (i >= format.size() || !std::isalpha(static_cast<unsigned char>(format[i]))) {
        Fail(at, "bad W3C format specifier " + Quote(format.substr(start, i - start + 1)));
      }
      char letter = format[i];
      bool quoted = start > 0 && format[start - 1] == '"' && i + 1 < format.size() && format[i + 1] == '"';
      if (quoted) {
        pattern += "((?:[^\"\\\\]|\\\\.)*)";
      } else if (letter == 't') {
        pattern += "(\\[[^\\]]*\\])";
      } else {
        pattern += "(\\S*)";
      }
      LogField f;
      f.name = "COLUMN" + std::to_string(spec->fields.size() + 1);
      f.type = std::string_view("bDTspPkIO").find(letter) != std::string_view::npos
                   ? T(TypeId::kBigint)
                   : T(TypeId::kVarchar, kLogFieldVarchar);
      spec->fields.push_back(std::move(f));
    }
    pattern += "$";
    if (spec->fields.empty()) Fail(at, "W3C_LOG_PARSE's format has no specifier");
    Result<int> groups = exec::RegexGroupCount(pattern);
    SPATE_ASSERT(groups.ok() && groups.value() == static_cast<int>(spec->fields.size()),
                 "a W3C format built a bad regular expression");
    spec->pattern = std::move(pattern);
  }

  // A select item calling a log parser: one output column per field of the
  // ROW it returns, each evaluating field i of the (memoized) parse.
  void BindLogParser(const Expr& e, const std::string& row_name, SelectState& st, BoundSelect* sel) {
    const std::string& n = e.name;
    auto spec = std::make_shared<LogParserSpec>();
    spec->function = n;
    const auto& args = e.args;
    auto arity = [&](size_t lo, size_t hi, const char* usage) {
      if (args.size() < lo || args.size() > hi) Fail(e, n + " takes " + usage);
    };
    if (n == "REGEX_LOG_PARSE") {
      arity(2, 3, "(string, 'regex pattern' [, 'column list'])");
      const std::string& pattern = StringLiteral(*args[1], "REGEX_LOG_PARSE's pattern");
      Result<int> groups = exec::RegexGroupCount(pattern);
      if (!groups.ok()) Fail(*args[1], groups.status().message());
      if (groups.value() == 0) Fail(*args[1], "REGEX_LOG_PARSE's pattern has no group: it would return no column");
      if (args.size() == 3) {
        spec->fields = ColumnList(*args[2], StringLiteral(*args[2], "REGEX_LOG_PARSE's column list"), false);
        if (static_cast<int>(spec->fields.size()) != groups.value()) {
          Fail(*args[2], "the column list has " + std::to_string(spec->fields.size()) + " columns, the pattern " +
                             std::to_string(groups.value()) + " groups");
        }
      } else {
        spec->fields = NumberedFields(groups.value());
      }
    } else if (n == "VARIABLE_COLUMN_LOG_PARSE") {
      arity(3, 5, "(string, columns, delimiter [, escape, quote])");
      const Expr& cols = *args[1];
      if (cols.kind == ExprKind::kLiteral && std::holds_alternative<int64_t>(cols.literal)) {
        int64_t count = std::get<int64_t>(cols.literal);
        if (count < 1 || count > kMaxLogFields) Fail(cols, "the number of columns must be 1 to 1000");
        spec->fields = NumberedFields(count);
      } else {
        spec->fields = ColumnList(cols, StringLiteral(cols, "VARIABLE_COLUMN_LOG_PARSE's columns"), false);
      }
    } else if (n == "FAST_REGEX_LOG_PARSE" || n == "FAST_REGEX_LOG_PARSER") {
      arity(2, 2, "(string, 'fast regex pattern')");
      spec->function = "FAST_REGEX_LOG_PARSE";
      Result<exec::FastRegexPlan> plan =
          exec::CompileFastRegex(StringLiteral(*args[1], "FAST_REGEX_LOG_PARSE's pattern"));
      if (!plan.ok()) Fail(*args[1], plan.status().message());
      spec->fast_regex = std::move(plan).value();
      spec->fields = NumberedFields(spec->fast_regex.columns);
    } else if (n == "SYS_LOG_PARSE") {
      arity(1, 1, "(string)");
      spec->pattern = kSysLogPattern;
      LogField time;
      time.name = "COLUMN1";
      time.type = T(TypeId::kTimestamp);
      time.format = kSysLogTimeFormat;
      spec->fields.push_back(std::move(time));
      spec->fields.push_back(NumberedFields(2)[1]);
    } else if (n == "W3C_LOG_PARSE") {
      arity(2, 2, "(string, 'format')");
      W3cFormat(*args[1], StringLiteral(*args[1], "W3C_LOG_PARSE's format"), spec.get());
    } else {
      arity(2, 2, "(string, 'column descriptions')");
      spec->fields = ColumnList(*args[1], StringLiteral(*args[1], "FIXED_COLUMN_LOG_PARSE's columns"), true);
    }
    // Bind the arguments once to check them; each field gets its own copy.
    auto bind_args = [&] {
      std::vector<BoundExprPtr> bound;
      for (size_t i = 0; i < args.size(); ++i) {
        bool list = (n == "VARIABLE_COLUMN_LOG_PARSE" && i == 1);
        if (list) {
          auto c = Make(BoundKind::kConstant, T(TypeId::kVarchar, 1));
          c->constant = Value{std::string()};
          bound.push_back(std::move(c));  // the column list is compile-time only
          continue;
        }
        BoundExprPtr b = BindExpr(*args[i], st, false);
        if (!b->result.is_null) RequireString(*args[i], b->result, n);
        bound.push_back(std::move(b));
      }
      return bound;
    };
    bind_args();
    for (size_t i = 0; i < spec->fields.size(); ++i) {
      auto b = Make(BoundKind::kFunction, spec->fields[i].type);
      b->name = n;
      b->index = static_cast<int>(i);
      b->args = bind_args();
      b->log_parser = spec;
      sel->outputs.push_back(std::move(b));
      sel->output_columns.push_back(ColumnDef{spec->fields[i].name, spec->fields[i].type});
      sel->output_rows.push_back(row_name);
    }
  }

  // The documented bounds of TOP_K_ITEMS_TUMBLING's arguments.
  static constexpr int64_t kMaxTopK = 100000;
  static constexpr int64_t kMaxTopKWindowSeconds = 3600;

  // The documented bounds of the machine-learning table functions' arguments.
  static constexpr int64_t kMaxForestTrees = 1000;
  static constexpr int64_t kMinSubSampleSize = 10;
  static constexpr int64_t kMaxSubSampleSize = 1000;
  static constexpr int64_t kMaxTimeDecay = 2147483647;
  static constexpr int64_t kMaxShingleSize = 30;
  static constexpr size_t kMaxForestColumns = 30;  // "up to 30 numeric columns"
  static constexpr int64_t kMinHotspotsWindow = 100;
  static constexpr int64_t kMaxHotspotsWindow = 1000;
  // ANOMALY_EXPLANATION's and HOTSPOTS_RESULT's type (AWS's examples declare
  // the target columns VARCHAR(512) to VARCHAR(20480); longer text is cut
  // to the target column on insertion, as for any VARCHAR).
  static constexpr int kMlResultVarchar = 65535;

  static int64_t IntLiteral(const Expr& e, int64_t lo, int64_t hi, const std::string& what) {
    if (e.kind != ExprKind::kLiteral || !std::holds_alternative<int64_t>(e.literal)) {
      Fail(e, what + " must be an integer literal");
    }
    int64_t v = std::get<int64_t>(e.literal);
    if (v < lo || v > hi) Fail(e, what + " must be " + std::to_string(lo) + " to " + std::to_string(hi));
    return v;
  }

  // The cursor's columns the ML functions read: DOUBLE, REAL, FLOAT and the
  // integers (AWS: "DECIMAL is not a supported type. Use DOUBLE instead";
  // such columns, like text, pass through unused).
  static std::vector<int> MlColumns(const BoundSelect& cursor) {
    std::vector<int> out;
    for (size_t i = 0; i < cursor.output_columns.size(); ++i) {
      TypeId id = cursor.output_columns[i].type.id;
      if (id != TypeId::kDecimal && IsNumericType(id)) out.push_back(static_cast<int>(i));
    }
    return out;
  }

  void BindAnomaly(const parser::TableRef& from, BoundSelect* sel, SelectState* st) {
    const std::string& fn = from.table_function;
    BoundAnomaly a;
    a.explanation = fn == "RANDOM_CUT_FOREST_WITH_EXPLANATION";
    const auto& args = from.function_args;
    if (args.size() > (a.explanation ? 5u : 4u)) {
      Fail(from.line, from.column,
           fn + " takes CURSOR(...), numberOfTrees, subSampleSize, timeDecay, shingleSize" +
               (a.explanation ? ", withDirectionality" : ""));
    }
    sel->source.subquery = BindSelect(*from.subquery);
    const BoundSelect& cursor = *sel->source.subquery;
    a.columns = MlColumns(cursor);
    if (a.columns.empty()) {
      Fail(from.subquery->line, from.subquery->column,
           fn + "'s cursor has no numeric column (DOUBLE, REAL, FLOAT, TINYINT, SMALLINT, INTEGER or BIGINT)");
    }
    if (a.columns.size() > kMaxForestColumns) {
      Fail(from.subquery->line, from.subquery->column,
           fn + "'s cursor has " + std::to_string(a.columns.size()) + " numeric columns; at most " +
               std::to_string(kMaxForestColumns) + " are allowed");
    }
    for (int c : a.columns) a.names.push_back(cursor.output_columns[static_cast<size_t>(c)].name);
    if (args.size() > 0) a.trees = static_cast<int>(IntLiteral(*args[0], 1, kMaxForestTrees, "numberOfTrees"));
    if (args.size() > 1) {
      a.sample_size = static_cast<int>(IntLiteral(*args[1], kMinSubSampleSize, kMaxSubSampleSize, "subSampleSize"));
    }
    if (args.size() > 2) a.time_decay = IntLiteral(*args[2], 1, kMaxTimeDecay, "timeDecay");
    if (args.size() > 3) a.shingle_size = static_cast<int>(IntLiteral(*args[3], 1, kMaxShingleSize, "shingleSize"));
    if (args.size() > 4) {
      const Expr& e = *args[4];
      if (e.kind != ExprKind::kLiteral || !std::holds_alternative<bool>(e.literal)) {
        Fail(e, "withDirectionality must be TRUE or FALSE");
      }
      a.directional = std::get<bool>(e.literal);
    }
    if (a.sample_size >= a.time_decay) {
      Fail(from.line, from.column,
           "subSampleSize (" + std::to_string(a.sample_size) + ") must be less than timeDecay (" +
               std::to_string(a.time_decay) + ")");
    }
    for (const auto& c : cursor.output_columns) {
      st->scope.columns.push_back(ScopeColumn{from.alias, "", c.name, c.type, false});
    }
    st->scope.columns.push_back(ScopeColumn{from.alias, "", "ANOMALY_SCORE", T(TypeId::kDouble), false});
    if (a.explanation) {
      st->scope.columns.push_back(
          ScopeColumn{from.alias, "", "ANOMALY_EXPLANATION", T(TypeId::kVarchar, kMlResultVarchar), false});
    }
    sel->source.anomaly = std::move(a);
  }

  static double NumberLiteral(const Expr& e, const std::string& what) {
    if (e.kind == ExprKind::kLiteral) {
      if (const auto* i = std::get_if<int64_t>(&e.literal)) return static_cast<double>(*i);
      if (const auto* d = std::get_if<double>(&e.literal)) return *d;
      if (const auto* m = std::get_if<Decimal>(&e.literal)) {
        return static_cast<double>(m->unscaled) / std::pow(10.0, m->scale);
      }
    }
    Fail(e, what + " must be a numeric literal");
  }

  void BindHotspots(const parser::TableRef& from, BoundSelect* sel, SelectState* st) {
    const auto& args = from.function_args;
    if (args.size() != 3) {
      Fail(from.line, from.column,
           "HOTSPOTS takes CURSOR(...), windowSize, scanRadius, minimumNumberOfPointsInAHotspot");
    }
    sel->source.subquery = BindSelect(*from.subquery);
    const BoundSelect& cursor = *sel->source.subquery;
    BoundHotspots h;
    h.columns = MlColumns(cursor);
    if (h.columns.empty()) {
      Fail(from.subquery->line, from.subquery->column,
           "HOTSPOTS's cursor has no numeric column (DOUBLE, REAL, FLOAT, TINYINT, SMALLINT, INTEGER or BIGINT)");
    }
    h.window_size = static_cast<int>(IntLiteral(*args[0], kMinHotspotsWindow, kMaxHotspotsWindow, "windowSize"));
    h.scan_radius = NumberLiteral(*args[1], "scanRadius");
    if (!(h.scan_radius > 0) || !std::isfinite(h.scan_radius)) Fail(*args[1], "scanRadius must be greater than 0");
    h.min_points = static_cast<int>(IntLiteral(*args[2], 2, h.window_size, "minimumNumberOfPointsInAHotspot"));
    for (const auto& c : cursor.output_columns) {
      st->scope.columns.push_back(ScopeColumn{from.alias, "", c.name, c.type, false});
    }
    st->scope.columns.push_back(
        ScopeColumn{from.alias, "", "HOTSPOTS_RESULT", T(TypeId::kVarchar, kMlResultVarchar), false});
    sel->source.hotspots = std::move(h);
  }

  void BindTableFunction(const parser::TableRef& from, BoundSelect* sel, SelectState* st) {
    const std::string& fn = from.table_function;
    if (fn == "RANDOM_CUT_FOREST" || fn == "RANDOM_CUT_FOREST_WITH_EXPLANATION") return BindAnomaly(from, sel, st);
    if (fn == "HOTSPOTS") return BindHotspots(from, sel, st);
    const bool distinct = fn == "COUNT_DISTINCT_ITEMS_TUMBLING";
    if (fn != "TOP_K_ITEMS_TUMBLING" && !distinct) {
      Fail(from.line, from.column,
           "unknown table function " + fn +
               "; expected TOP_K_ITEMS_TUMBLING, COUNT_DISTINCT_ITEMS_TUMBLING, RANDOM_CUT_FOREST, "
               "RANDOM_CUT_FOREST_WITH_EXPLANATION or HOTSPOTS");
    }
    if (from.function_args.size() != (distinct ? 2u : 3u)) {
      Fail(from.line, from.column,
           distinct ? "COUNT_DISTINCT_ITEMS_TUMBLING takes CURSOR(...), 'columnName', windowSize"
                    : "TOP_K_ITEMS_TUMBLING takes CURSOR(...), 'columnName', K, windowSize");
    }
    sel->source.subquery = BindSelect(*from.subquery);
    const auto& cols = sel->source.subquery->output_columns;
    const Expr& name = *from.function_args[0];
    if (name.kind != ExprKind::kLiteral || !std::holds_alternative<std::string>(name.literal)) {
      Fail(name, fn + "'s column name must be a quoted string such as 'TICKER_SYMBOL'");
    }
    const std::string& col = std::get<std::string>(name.literal);
    int index = -1;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].name == col) index = static_cast<int>(i);
    }
    if (index < 0) Fail(name, "the cursor has no column " + Quote(col));
    auto int_arg = [&](const Expr& e, int64_t lo, int64_t hi, const char* what) {
      if (e.kind != ExprKind::kLiteral || !std::holds_alternative<int64_t>(e.literal)) {
        Fail(e, std::string(what) + " must be an integer literal");
      }
      int64_t v = std::get<int64_t>(e.literal);
      if (v < lo || v > hi) Fail(e, std::string(what) + " must be " + std::to_string(lo) + " to " + std::to_string(hi));
      return v;
    };
    BoundTopK top;
    top.column = index;
    top.count_distinct = distinct;
    top.k = distinct ? 0 : int_arg(*from.function_args[1], 1, kMaxTopK, "K");
    top.window_ms =
        int_arg(*from.function_args[distinct ? 1 : 2], 1, kMaxTopKWindowSeconds, "windowSize (seconds)") * 1000;
    sel->source.top_k = top;
    if (distinct) {
      st->scope.columns.push_back(ScopeColumn{from.alias, "", "NUMBER_OF_DISTINCT_ITEMS", T(TypeId::kBigint), false});
      return;
    }
    st->scope.columns.push_back(ScopeColumn{from.alias, "", col, cols[static_cast<size_t>(index)].type, false});
    st->scope.columns.push_back(ScopeColumn{from.alias, "", "MOST_FREQUENT_VALUES", T(TypeId::kBigint), false});
  }

  int BindWindow(const parser::WindowSpec& spec, SelectState& st) {
    if (!spec.base_name.empty()) {
      auto it = st.named_windows.find(spec.base_name);
      if (it == st.named_windows.end()) Fail(spec.line, spec.column, "unknown window " + Quote(spec.base_name));
      return it->second;
    }
    if (!spec.has_frame) {
      Fail(spec.line, spec.column, "expected RANGE INTERVAL '...' unit PRECEDING or ROWS n PRECEDING in the window");
    }
    BoundWindow w;
    for (const auto& p : spec.partition_by) w.partition_by.push_back(BindExpr(*p, st, false));
    w.rows = spec.rows;
    w.rows_n = spec.rows_n;
    w.range_ms = spec.range_ms;
    st.sel->windows.push_back(std::move(w));
    return static_cast<int>(st.sel->windows.size()) - 1;
  }

  void Classify(const parser::Select& ast, SelectState& st) {
    BoundSelect& sel = *st.sel;
    bool windowed = false, plain = false;
    for (const auto& a : sel.aggregates) (a.window >= 0 ? windowed : plain) = true;
    if (!ast.group_by.empty()) {
      if (windowed) Fail(ast.line, ast.column, "OVER windows cannot be combined with GROUP BY");
      sel.kind = QueryKind::kTumbling;
      for (size_t i = 0; i < sel.keys.size(); ++i) {
        const BoundExpr& k = *sel.keys[i];
        bool on_rowtime =
            !k.args.empty() && k.args[0]->kind == BoundKind::kColumn && k.args[0]->index == sel.rowtime_index;
        if (on_rowtime && k.kind == BoundKind::kStep) {
          sel.rowtime_key = static_cast<int>(i);
          sel.window_ms = k.step_ms;
        } else if (on_rowtime && k.kind == BoundKind::kTimeUnit && k.name == "FLOOR" &&
                   parser::UnitMillis(k.unit) > 0) {
          sel.rowtime_key = static_cast<int>(i);
          sel.window_ms = parser::UnitMillis(k.unit);
        }
        if (sel.rowtime_key >= 0) break;
      }
      if (sel.rowtime_key < 0) {
        const Expr& g = *ast.group_by.front();
        Fail(g, "GROUP BY on a stream needs a monotonic key: STEP(ROWTIME BY INTERVAL ...) or FLOOR(ROWTIME TO unit)");
      }
      CheckGrouped(ast, sel);
    } else if (ast.stagger) {
      if (windowed) Fail(ast.line, ast.column, "OVER windows cannot be combined with WINDOWED BY STAGGER");
      sel.kind = QueryKind::kStagger;
      CheckGrouped(ast, sel);
    } else if (windowed) {
      if (plain) Fail(ast.line, ast.column, "every aggregate of a sliding-window query needs an OVER window");
      sel.kind = QueryKind::kSliding;
      if (sel.having) Fail(ast.having->line, ast.having->column, "HAVING needs GROUP BY or WINDOWED BY STAGGER");
    } else if (plain) {
      Fail(ast.line, ast.column,
           "an aggregate on a stream needs GROUP BY on a monotonic expression of ROWTIME (STEP or FLOOR), "
           "WINDOWED BY STAGGER, or an OVER window");
    } else {
      sel.kind = QueryKind::kProject;
      if (sel.having) Fail(ast.having->line, ast.having->column, "HAVING needs GROUP BY or WINDOWED BY STAGGER");
    }
  }

  static void CollectColumns(const BoundExpr& e, std::set<int>* cols) {
    if (e.kind == BoundKind::kAggregate) return;
    if (e.kind == BoundKind::kColumn) cols->insert(e.index);
    for (const auto& a : e.args) CollectColumns(*a, cols);
  }

  // Columns used outside aggregates must appear in a key (SQL's "not being
  // grouped" rule, checked per column).
  void CheckGrouped(const parser::Select& ast, const BoundSelect& sel) {
    std::set<int> keyed;
    for (const auto& k : sel.keys) CollectColumns(*k, &keyed);
    auto check = [&](const BoundExpr& e, const Expr& at) {
      std::set<int> used;
      CollectColumns(e, &used);
      for (int c : used) {
        if (!keyed.count(c))
          Fail(at, "expression is not being grouped: it uses a column outside GROUP BY or PARTITION BY");
      }
    };
    size_t out = 0;
    for (const auto& item : ast.items) {
      if (!item.expr) Fail(ast.line, ast.column, "SELECT * cannot be used with GROUP BY or STAGGER");
      check(*sel.outputs[out++], *item.expr);
    }
    if (sel.having) check(*sel.having, *ast.having);
  }

  void FindEquiKey(BoundTableJoin* j) {
    std::vector<const BoundExpr*> conj;
    std::vector<const BoundExpr*> todo{j->on.get()};
    while (!todo.empty()) {
      const BoundExpr* e = todo.back();
      todo.pop_back();
      if (e->kind == BoundKind::kBinary && e->name == "AND") {
        todo.push_back(e->args[0].get());
        todo.push_back(e->args[1].get());
      } else {
        conj.push_back(e);
      }
    }
    for (const BoundExpr* e : conj) {
      if (e->kind != BoundKind::kBinary || e->name != "=") continue;
      for (int side = 0; side < 2; ++side) {
        const BoundExpr& t = *e->args[static_cast<size_t>(side)];
        const BoundExpr& s = *e->args[static_cast<size_t>(1 - side)];
        if (t.kind != BoundKind::kColumn || t.index < j->column_offset ||
            t.index >= j->column_offset + j->column_count) {
          continue;
        }
        std::set<int> cols;
        CollectColumns(s, &cols);
        bool stream_only = !cols.empty() && *cols.rbegin() < j->column_offset;
        if (!stream_only || FamilyOf(t.result) != FamilyOf(s.result)) continue;
        j->equi_table_column = t.index - j->column_offset;
        j->equi_stream_expr = Clone(s);
        return;
      }
    }
  }

  static BoundExprPtr Clone(const BoundExpr& e) {
    auto c = std::make_unique<BoundExpr>();
    c->kind = e.kind;
    c->result = e.result;
    c->name = e.name;
    c->constant = e.constant;
    c->index = e.index;
    c->negated = e.negated;
    c->has_operand = e.has_operand;
    c->has_else = e.has_else;
    c->step_ms = e.step_ms;
    c->unit = e.unit;
    c->pattern_regex = e.pattern_regex;
    for (const auto& a : e.args) c->args.push_back(Clone(*a));
    return c;
  }

  BoundExprPtr BindBool(const Expr& e, SelectState& st, bool allow_agg, const char* clause) {
    BoundExprPtr b = BindExpr(e, st, allow_agg);
    if (!b->result.is_null && b->result.type.id != TypeId::kBoolean) {
      Fail(e, std::string(clause) + " needs a BOOLEAN condition, not " + Describe(b->result));
    }
    return b;
  }

  BoundExprPtr Make(BoundKind kind, SqlType type) {
    auto b = std::make_unique<BoundExpr>();
    b->kind = kind;
    b->result.type = type;
    return b;
  }

  BoundExprPtr BindColumn(const Expr& e, SelectState& st) {
    const std::string& col = e.names.back();
    if (e.names.size() > 3) Fail(e, "too many qualifiers in column reference");
    // alias.column, row.field, alias.row.field (a log parser's ROW).
    const std::string* qual = e.names.size() >= 2 ? &e.names[0] : nullptr;
    const std::string* row = e.names.size() == 3 ? &e.names[1] : nullptr;
    auto qualifier_matches = [&](const ScopeColumn& c) {
      return c.alias.empty() ? *qual == c.source : *qual == c.alias;
    };
    if (e.names.size() == 2) {
      bool is_source = false;
      for (const ScopeColumn& c : st.scope.columns) is_source = is_source || qualifier_matches(c);
      if (!is_source) {
        row = qual;
        qual = nullptr;
      }
    }
    int found = -1;
    bool qualifier_known = false;
    for (size_t i = 0; i < st.scope.columns.size(); ++i) {
      const ScopeColumn& c = st.scope.columns[i];
      if (qual) {
        if (!qualifier_matches(c)) continue;
        qualifier_known = true;
      }
      if (row ? c.row != *row : !c.row.empty()) continue;
      if (c.name != col || (c.qualified_only && !qual)) continue;
      if (found >= 0) Fail(e, "column " + Quote(col) + " is ambiguous");
      found = static_cast<int>(i);
    }
    if (found < 0) {
      if (qual && !qualifier_known) Fail(e, "unknown stream, table or alias " + Quote(*qual));
      if (row) Fail(e, "unknown field " + Quote(*row) + "." + Quote(col));
      Fail(e, "unknown column " + Quote(col));
    }
    auto b = Make(BoundKind::kColumn, st.scope.columns[static_cast<size_t>(found)].type);
    b->index = found;
    return b;
  }

  void RequireNumeric(const Expr& at, const ExprType& t, const std::string& what) {
    Family f = FamilyOf(t);
    if (f != Family::kNumeric && f != Family::kNull) Fail(at, what + " needs a numeric argument, not " + Describe(t));
  }
  void RequireString(const Expr& at, const ExprType& t, const std::string& what) {
    Family f = FamilyOf(t);
    if (f != Family::kString && f != Family::kNull) Fail(at, what + " needs a character argument, not " + Describe(t));
  }
  void RequireTime(const Expr& at, const ExprType& t, const std::string& what) {
    Family f = FamilyOf(t);
    if (f != Family::kTime && f != Family::kNull) Fail(at, what + " needs a TIMESTAMP argument, not " + Describe(t));
  }

  BoundExprPtr BindExpr(const Expr& e, SelectState& st, bool allow_agg) {
    switch (e.kind) {
      case ExprKind::kLiteral: {
        auto b = Make(BoundKind::kConstant, e.literal_type);
        b->constant = e.literal;
        b->result.is_null = e.null_literal;
        return b;
      }
      case ExprKind::kInterval: {
        auto b = Make(BoundKind::kConstant, T(TypeId::kBigint));
        b->constant = Value{e.interval_ms};
        b->result.is_interval = true;
        return b;
      }
      case ExprKind::kColumn: return BindColumn(e, st);
      case ExprKind::kUnary: {
        BoundExprPtr a = BindExpr(*e.args[0], st, allow_agg);
        auto b = Make(BoundKind::kUnary, a->result.type);
        b->name = e.name;
        b->result = a->result;
        if (e.name == "NOT") {
          if (FamilyOf(a->result) != Family::kBoolean && FamilyOf(a->result) != Family::kNull) {
            Fail(e, "NOT needs a BOOLEAN, not " + Describe(a->result));
          }
          b->result = ExprType{T(TypeId::kBoolean)};
        } else {
          RequireNumeric(e, a->result, "unary " + e.name);
        }
        b->args.push_back(std::move(a));
        return b;
      }
      case ExprKind::kBinary: return BindBinary(e, st, allow_agg);
      case ExprKind::kIsNull: {
        auto b = Make(BoundKind::kIsNull, T(TypeId::kBoolean));
        b->negated = e.negated;
        b->args.push_back(BindExpr(*e.args[0], st, allow_agg));
        return b;
      }
      case ExprKind::kBetween:
      case ExprKind::kIn: {
        auto b = Make(e.kind == ExprKind::kIn ? BoundKind::kIn : BoundKind::kBetween, T(TypeId::kBoolean));
        b->negated = e.negated;
        for (const auto& a : e.args) {
          b->args.push_back(BindExpr(*a, st, allow_agg));
          ExprType u;
          if (!Unify(b->args.front()->result, b->args.back()->result, &u)) {
            Fail(*a,
                 "cannot compare " + Describe(b->args.front()->result) + " with " + Describe(b->args.back()->result));
          }
        }
        return b;
      }
      case ExprKind::kLike: {
        auto b = Make(BoundKind::kLike, T(TypeId::kBoolean));
        b->negated = e.negated;
        for (const auto& a : e.args) {
          b->args.push_back(BindExpr(*a, st, allow_agg));
          RequireString(*a, b->args.back()->result, "LIKE");
        }
        return b;
      }
      case ExprKind::kCast: {
        BoundExprPtr a = BindExpr(*e.args[0], st, allow_agg);
        if (a->result.is_interval) Fail(e, "cannot CAST an INTERVAL");
        Family f = FamilyOf(a->result);
        ExprType to;
        to.type = e.cast_type;
        Family tf = FamilyOf(to);
        bool ok = f == Family::kNull || f == tf || f == Family::kString || tf == Family::kString ||
                  (f == Family::kNumeric && tf == Family::kBoolean) ||
                  (f == Family::kBoolean && tf == Family::kNumeric) || (f == Family::kNumeric && tf == Family::kTime) ||
                  (f == Family::kString && tf == Family::kBinary);
        if (!ok) Fail(e, "cannot CAST " + Describe(a->result) + " to " + e.cast_type.ToString());
        auto b = Make(BoundKind::kCast, e.cast_type);
        b->args.push_back(std::move(a));
        return b;
      }
      case ExprKind::kCase: {
        auto b = Make(BoundKind::kCase, T(TypeId::kVarchar));
        b->has_operand = e.has_operand;
        b->has_else = e.has_else;
        ExprType result;
        result.is_null = true;
        size_t i = 0;
        if (e.has_operand) b->args.push_back(BindExpr(*e.args[i++], st, allow_agg));
        size_t pairs_end = e.args.size() - (e.has_else ? 1 : 0);
        for (; i < pairs_end; i += 2) {
          BoundExprPtr when = BindExpr(*e.args[i], st, allow_agg);
          if (e.has_operand) {
            ExprType u;
            if (!Unify(b->args[0]->result, when->result, &u)) {
              Fail(*e.args[i], "cannot compare " + Describe(b->args[0]->result) + " with " + Describe(when->result));
            }
          } else if (FamilyOf(when->result) != Family::kBoolean && FamilyOf(when->result) != Family::kNull) {
            Fail(*e.args[i], "WHEN needs a BOOLEAN condition, not " + Describe(when->result));
          }
          BoundExprPtr then = BindExpr(*e.args[i + 1], st, allow_agg);
          if (!Unify(result, then->result, &result)) Fail(*e.args[i + 1], "CASE branches have different types");
          b->args.push_back(std::move(when));
          b->args.push_back(std::move(then));
        }
        if (e.has_else) {
          BoundExprPtr other = BindExpr(*e.args.back(), st, allow_agg);
          if (!Unify(result, other->result, &result)) Fail(*e.args.back(), "CASE branches have different types");
          b->args.push_back(std::move(other));
        }
        b->result = result;
        return b;
      }
      case ExprKind::kTimeUnitFn: {
        BoundExprPtr a = BindExpr(*e.args[0], st, allow_agg);
        RequireTime(e, a->result, e.name);
        auto b = Make(BoundKind::kTimeUnit, e.name == "EXTRACT" ? T(TypeId::kBigint) : a->result.type);
        if (e.name != "EXTRACT" && a->result.is_null) b->result.type = T(TypeId::kTimestamp);
        b->name = e.name;
        b->unit = e.unit;
        b->args.push_back(std::move(a));
        return b;
      }
      case ExprKind::kStep: {
        BoundExprPtr a = BindExpr(*e.args[0], st, allow_agg);
        RequireTime(e, a->result, "STEP");
        BoundExprPtr by = BindExpr(*e.args[1], st, allow_agg);
        if (!by->result.is_interval || by->kind != BoundKind::kConstant) {
          Fail(*e.args[1], "STEP needs BY INTERVAL 'n' unit");
        }
        int64_t ms = std::get<int64_t>(by->constant);
        if (ms <= 0) Fail(*e.args[1], "STEP's interval must be positive");
        auto b = Make(BoundKind::kStep, a->result.is_null ? T(TypeId::kTimestamp) : a->result.type);
        b->step_ms = ms;
        b->args.push_back(std::move(a));
        return b;
      }
      case ExprKind::kFunction: return BindFunction(e, st, allow_agg);
    }
    Fail(e, "unsupported expression");
  }

  BoundExprPtr BindBinary(const Expr& e, SelectState& st, bool allow_agg) {
    BoundExprPtr l = BindExpr(*e.args[0], st, allow_agg);
    BoundExprPtr r = BindExpr(*e.args[1], st, allow_agg);
    const std::string& op = e.name;
    auto b = Make(BoundKind::kBinary, T(TypeId::kBoolean));
    b->name = op;
    Family fl = FamilyOf(l->result), fr = FamilyOf(r->result);
    if (op == "AND" || op == "OR") {
      for (const auto* x : {&l, &r}) {
        Family f = FamilyOf((*x)->result);
        if (f != Family::kBoolean && f != Family::kNull)
          Fail(e, op + " needs BOOLEAN operands, not " + Describe((*x)->result));
      }
    } else if (op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
      ExprType u;
      if (fl == Family::kInterval || fr == Family::kInterval || !Unify(l->result, r->result, &u)) {
        Fail(e, "cannot compare " + Describe(l->result) + " with " + Describe(r->result));
      }
    } else if (op == "||") {
      if ((fl != Family::kString && fl != Family::kNull) || (fr != Family::kString && fr != Family::kNull)) {
        Fail(e, "|| needs character operands, not " + Describe(l->result) + " and " + Describe(r->result));
      }
      b->result.type = T(TypeId::kVarchar, l->result.type.length + r->result.type.length);
    } else {
      // + - * / %
      if (fl == Family::kTime && fr == Family::kInterval && (op == "+" || op == "-")) {
        b->result.type = l->result.type;
      } else if (fl == Family::kInterval && fr == Family::kTime && op == "+") {
        b->result.type = r->result.type;
      } else if ((fl == Family::kNumeric || fl == Family::kNull) && (fr == Family::kNumeric || fr == Family::kNull)) {
        if (fl == Family::kNull && fr == Family::kNull) {
          b->result.is_null = true;
        } else {
          SqlType u = fl == Family::kNull   ? r->result.type
                      : fr == Family::kNull ? l->result.type
                                            : NumericUnion(l->result.type, r->result.type);
          if (u.id == TypeId::kDecimal && (op == "*" || op == "/")) {
            if (op == "*") {
              int scale = (l->result.type.id == TypeId::kDecimal ? l->result.type.scale : 0) +
                          (r->result.type.id == TypeId::kDecimal ? r->result.type.scale : 0);
              u = SqlType{TypeId::kDecimal, 0, 18, std::min(scale, 18)};
            } else {
              u = T(TypeId::kDouble);
            }
          }
          if (IsIntegerType(u.id) && u.id != TypeId::kBigint) u = T(TypeId::kInteger);
          b->result.type = u;
        }
      } else {
        Fail(e, "operator " + op + " cannot apply to " + Describe(l->result) + " and " + Describe(r->result));
      }
    }
    b->args.push_back(std::move(l));
    b->args.push_back(std::move(r));
    return b;
  }

  BoundExprPtr BindFunction(const Expr& e, SelectState& st, bool allow_agg) {
    const std::string& n = e.name;
    if (IsAggregateName(n)) return BindAggregate(e, st, allow_agg);
    if (IsLogParserName(n)) {
      Fail(e, n + " returns a ROW: make it a select item of a FROM (SELECT STREAM " + n +
                  "(...) AS r ...) AS t and read t.r.COLUMN1, ...");
    }
    if (e.over) Fail(e, n + " is not an aggregate; OVER needs one");
    std::vector<BoundExprPtr> args;
    for (const auto& a : e.args) args.push_back(BindExpr(*a, st, allow_agg));
    auto arity = [&](size_t lo, size_t hi) {
      if (args.size() < lo || args.size() > hi) {
        Fail(e, n + " takes " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
                    " argument" + (hi == 1 ? "" : "s") + ", not " + std::to_string(args.size()));
      }
    };
    auto b = Make(BoundKind::kFunction, T(TypeId::kVarchar));
    b->name = n;
    b->unit = e.unit;
    if (n == "ABS" || n == "FLOOR" || n == "CEIL") {
      arity(1, 1);
      RequireNumeric(e, args[0]->result, n);
      b->result = args[0]->result;
      if ((n == "FLOOR" || n == "CEIL") && b->result.type.id == TypeId::kDecimal) b->result.type.scale = 0;
    } else if (n == "UPPER" || n == "LOWER" || n == "INITCAP") {
      arity(1, 1);
      RequireString(e, args[0]->result, n);
      b->result.type = T(TypeId::kVarchar, args[0]->result.type.length);
    } else if (n == "CHAR_LENGTH" || n == "CHARACTER_LENGTH") {
      arity(1, 1);
      RequireString(e, args[0]->result, n);
      b->result.type = T(TypeId::kInteger);
    } else if (n == "SUBSTRING") {
      arity(2, 3);
      RequireString(e, args[0]->result, n);
      for (size_t i = 1; i < args.size(); ++i) {
        RequireNumeric(e, args[i]->result, n);
        if (FamilyOf(args[i]->result) == Family::kNumeric && !IsIntegerType(args[i]->result.type.id)) {
          Fail(*e.args[i], "SUBSTRING positions must be integers");
        }
      }
      b->result.type = T(TypeId::kVarchar, args[0]->result.type.length);
    } else if (n == "POSITION") {
      arity(2, 2);
      RequireString(e, args[0]->result, n);
      RequireString(e, args[1]->result, n);
      b->result.type = T(TypeId::kInteger);
    } else if (n == "TRIM") {
      arity(1, 2);
      for (const auto& a : args) RequireString(e, a->result, n);
      b->result.type = T(TypeId::kVarchar, args[0]->result.type.length);
    } else if (n == "COALESCE") {
      if (args.empty()) arity(1, 1000);
      ExprType u;
      u.is_null = true;
      for (size_t i = 0; i < args.size(); ++i) {
        if (!Unify(u, args[i]->result, &u)) Fail(*e.args[i], "COALESCE arguments have different types");
      }
      b->result = u;
    } else if (n == "NULLIF") {
      arity(2, 2);
      ExprType u;
      if (!Unify(args[0]->result, args[1]->result, &u)) {
        Fail(e, "cannot compare " + Describe(args[0]->result) + " with " + Describe(args[1]->result));
      }
      b->result = args[0]->result;
    } else if (n == "MOD") {
      arity(2, 2);
      for (const auto& a : args) RequireNumeric(e, a->result, n);
      b->result.type = NumericUnion(args[0]->result.type, args[1]->result.type);
    } else if (n == "POWER" || n == "SQRT" || n == "LN" || n == "EXP" || n == "LOG10") {
      arity(n == "POWER" ? 2 : 1, n == "POWER" ? 2 : 1);
      for (const auto& a : args) RequireNumeric(e, a->result, n);
      b->result.type = T(TypeId::kDouble);
    } else if (n == "TSDIFF") {
      arity(2, 2);
      for (const auto& a : args) RequireTime(e, a->result, n);
      b->result.type = T(TypeId::kBigint);
    } else if (n == "REGEX_REPLACE") {
      arity(5, 5);
      for (size_t i = 0; i < 3; ++i) RequireString(e, args[i]->result, n);
      for (size_t i = 3; i < 5; ++i) {
        RequireNumeric(e, args[i]->result, n);
        if (FamilyOf(args[i]->result) == Family::kNumeric && !IsIntegerType(args[i]->result.type.id)) {
          Fail(*e.args[i], "REGEX_REPLACE's startPosition and occurrence must be integers");
        }
      }
      b->result.type = T(TypeId::kVarchar, kMaxFunctionVarchar);
    } else if (n == "CHAR_TO_TIMESTAMP" || n == "CHAR_TO_DATE" || n == "CHAR_TO_TIME") {
      arity(2, 2);
      for (const auto& a : args) RequireString(e, a->result, n);
      b->result.type = T(n == "CHAR_TO_TIMESTAMP" ? TypeId::kTimestamp
                         : n == "CHAR_TO_DATE"    ? TypeId::kDate
                                                  : TypeId::kTime);
    } else if (n == "TIMESTAMP_TO_CHAR" || n == "DATE_TO_CHAR" || n == "TIME_TO_CHAR") {
      arity(2, 2);
      RequireString(e, args[0]->result, n);
      RequireTime(e, args[1]->result, n);
      b->result.type = T(TypeId::kVarchar, kMaxFunctionVarchar);
    } else if (n == "TO_TIMESTAMP") {
      arity(1, 1);
      RequireNumeric(e, args[0]->result, n);
      if (FamilyOf(args[0]->result) == Family::kNumeric && !IsIntegerType(args[0]->result.type.id)) {
        Fail(*e.args[0], "TO_TIMESTAMP takes milliseconds since the epoch as an integer");
      }
      b->result.type = T(TypeId::kTimestamp);
    } else if (n == "UNIX_TIMESTAMP") {
      arity(1, 1);
      RequireTime(e, args[0]->result, n);
      b->result.type = T(TypeId::kBigint);
    } else if (n == "CURRENT_ROW_TIMESTAMP" || n == "CURRENT_TIMESTAMP" || n == "LOCALTIMESTAMP") {
      arity(0, 0);
      // The engine has no wall clock: a row's processing time is its ROWTIME.
      auto c = Make(BoundKind::kColumn, T(TypeId::kTimestamp));
      c->index = st.scope.rowtime_index;
      return c;
    } else {
      Fail(e, "unknown function " + n);
    }
    b->args = std::move(args);
    return b;
  }

  BoundExprPtr BindAggregate(const Expr& e, SelectState& st, bool allow_agg) {
    const std::string& n = e.name;
    if (!allow_agg) Fail(e, "aggregate " + n + " is not allowed here");
    BoundAggregate agg;
    if (n == "COUNT") agg.fn = AggregateFn::kCount;
    if (n == "SUM") agg.fn = AggregateFn::kSum;
    if (n == "MIN") agg.fn = AggregateFn::kMin;
    if (n == "MAX") agg.fn = AggregateFn::kMax;
    if (n == "AVG") agg.fn = AggregateFn::kAvg;
    if (n == "FIRST_VALUE") agg.fn = AggregateFn::kFirstValue;
    if (n == "LAST_VALUE") agg.fn = AggregateFn::kLastValue;
    if (n == "EXP_AVG") agg.fn = AggregateFn::kExpAvg;
    if (n == "LAG") agg.fn = AggregateFn::kLag;
    if (n == "NTH_VALUE") agg.fn = AggregateFn::kNthValue;
    const bool analytic =
        agg.fn == AggregateFn::kExpAvg || agg.fn == AggregateFn::kLag || agg.fn == AggregateFn::kNthValue;
    if (analytic && !e.over) Fail(e, n + " needs OVER (a sliding window)");
    agg.ignore_nulls = e.ignore_nulls;
    agg.from_last = e.from_last;
    if (e.ignore_nulls && (agg.fn != AggregateFn::kFirstValue && agg.fn != AggregateFn::kLastValue &&
                           agg.fn != AggregateFn::kLag && agg.fn != AggregateFn::kNthValue)) {
      Fail(e, "IGNORE NULLS does not apply to " + n);
    }
    // A constant positive integer argument (LAG's offset, NTH_VALUE's position).
    auto constant_count = [&](const Expr& at, const char* what) {
      BoundExprPtr c = BindExpr(at, st, false);
      const int64_t* v = c->kind == BoundKind::kConstant ? std::get_if<int64_t>(&c->constant) : nullptr;
      if (v == nullptr || *v < (agg.fn == AggregateFn::kLag ? 0 : 1)) {
        Fail(at, n + "'s " + what + " must be a constant integer" +
                     (agg.fn == AggregateFn::kLag ? " of at least 0" : " of at least 1"));
      }
      return *v;
    };
    if (e.star_arg) {
      if (agg.fn != AggregateFn::kCount) Fail(e, n + "(*) is not allowed; only COUNT(*)");
    } else if (agg.fn == AggregateFn::kExpAvg) {
      if (e.args.size() != 2)
        Fail(e, "EXP_AVG takes 2 arguments (expression, half-life interval), not " + std::to_string(e.args.size()));
      agg.arg = BindExpr(*e.args[0], st, false);
      BoundExprPtr h = BindExpr(*e.args[1], st, false);
      if (!h->result.is_interval || h->kind != BoundKind::kConstant || std::get<int64_t>(h->constant) <= 0) {
        Fail(*e.args[1], "EXP_AVG's half-life must be a positive INTERVAL literal such as INTERVAL '10' SECOND");
      }
      agg.n = std::get<int64_t>(h->constant);
    } else if (agg.fn == AggregateFn::kLag) {
      if (e.args.empty() || e.args.size() > 3) {
        Fail(e, "LAG takes 1 to 3 arguments (expression [, N [, default]]), not " + std::to_string(e.args.size()));
      }
      agg.arg = BindExpr(*e.args[0], st, false);
      agg.n = e.args.size() > 1 ? constant_count(*e.args[1], "offset N") : 1;
      if (e.args.size() > 2) {
        agg.fallback = BindExpr(*e.args[2], st, false);
        ExprType u;
        if (!Unify(agg.arg->result, agg.fallback->result, &u)) {
          Fail(*e.args[2], "LAG's default must have the expression's type, not " + Describe(agg.fallback->result));
        }
      }
    } else if (agg.fn == AggregateFn::kNthValue) {
      if (e.args.size() != 2)
        Fail(e, "NTH_VALUE takes 2 arguments (expression, N), not " + std::to_string(e.args.size()));
      agg.arg = BindExpr(*e.args[0], st, false);
      agg.n = constant_count(*e.args[1], "N");
    } else {
      if (e.args.size() != 1) Fail(e, n + " takes 1 argument, not " + std::to_string(e.args.size()));
      agg.arg = BindExpr(*e.args[0], st, false);
    }
    switch (agg.fn) {
      case AggregateFn::kCount: agg.result.type = T(TypeId::kBigint); break;
      case AggregateFn::kSum:
      case AggregateFn::kAvg:
        RequireNumeric(e, agg.arg->result, n);
        agg.result = agg.arg->result;
        if (agg.fn == AggregateFn::kSum && IsIntegerType(agg.result.type.id)) agg.result.type = T(TypeId::kBigint);
        if (agg.result.type.id == TypeId::kReal) agg.result.type = T(TypeId::kDouble);
        if (agg.result.is_null) agg.result = ExprType{T(TypeId::kDouble)};
        break;
      case AggregateFn::kExpAvg:
        RequireNumeric(e, agg.arg->result, n);
        agg.result = ExprType{T(TypeId::kDouble)};
        break;
      default:
        if (agg.arg->result.is_interval) Fail(e, n + " cannot take an INTERVAL");
        agg.result = agg.arg->result;
        break;
    }
    if (e.over) agg.window = BindWindow(*e.over, st);
    auto b = Make(BoundKind::kAggregate, agg.result.type);
    b->result = agg.result;
    b->index = static_cast<int>(st.sel->aggregates.size());
    st.sel->aggregates.push_back(std::move(agg));
    return b;
  }

  std::vector<StreamInfo> streams_;
  const std::vector<ReferenceTable>& refs_;
};

}  // namespace

std::variant<BoundScript, CodeError> Bind(const parser::Script& script, const std::vector<InputStreamDecl>& inputs,
                                          const std::vector<ReferenceTable>& references) {
  Binder b(inputs, references);
  try {
    return b.BindAll(script);
  } catch (const BindFailure& f) {
    return f.error;
  }
}

}  // namespace spate::analytics::binder
