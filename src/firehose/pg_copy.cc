#include "firehose/pg_copy.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/json_split.h"

namespace spate::firehose {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// One word or one 'quoted literal' ('' inside stands for ').
struct Token {
  std::string text;
  bool literal = false;
};

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i]) || s[i] == ',') {
      ++i;
      continue;
    }
    Token t;
    if (s[i] == '\'') {
      t.literal = true;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            t.text += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        t.text += s[i++];
      }
      if (!closed) return InvalidArgument("CopyOptions: unterminated quoted string");
    } else {
      while (i < s.size() && !IsSpace(s[i]) && s[i] != '\'' && s[i] != ',') t.text += s[i++];
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<JdbcTarget> ParseJdbcUrl(std::string_view url) {
  JdbcTarget t;
  std::string_view rest;
  for (std::string_view scheme : {"redshift", "postgresql"}) {
    std::string prefix = "jdbc:" + std::string(scheme) + "://";
    if (url.substr(0, prefix.size()) == prefix) {
      t.scheme = scheme;
      rest = url.substr(prefix.size());
    }
  }
  if (t.scheme.empty()) {
    return InvalidArgument("ClusterJDBCURL must start with jdbc:redshift:// or jdbc:postgresql://");
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return InvalidArgument("ClusterJDBCURL has no database: " + std::string(url));
  std::string_view authority = rest.substr(0, slash);
  std::string_view db = rest.substr(slash + 1);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("ClusterJDBCURL must not hold user information: give Username and Password");
  }
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("ClusterJDBCURL must name host:port: " + std::string(url));
  }
  t.host = authority.substr(0, colon);
  std::string_view port = authority.substr(colon + 1);
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
    return InvalidArgument("ClusterJDBCURL has an invalid port: " + std::string(url));
  }
  t.port = p;
  if (db.empty() || !std::all_of(db.begin(), db.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '-';
      })) {
    return InvalidArgument("ClusterJDBCURL has an invalid database name: " + std::string(url));
  }
  t.database = db;
  return t;
}

namespace {
void AppendConnParam(std::string* out, std::string_view key, std::string_view value) {
  if (!out->empty()) *out += ' ';
  *out += key;
  *out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '\'';
}
}  // namespace

std::string LibpqConnInfo(const JdbcTarget& target, std::string_view user, std::string_view password,
                          std::string_view host_address, int connect_timeout_s) {
  std::string out;
  AppendConnParam(&out, "host", target.host);
  if (!host_address.empty()) AppendConnParam(&out, "hostaddr", host_address);
  AppendConnParam(&out, "port", std::to_string(target.port));
  AppendConnParam(&out, "dbname", target.database);
  AppendConnParam(&out, "user", user);
  AppendConnParam(&out, "password", password);
  AppendConnParam(&out, "connect_timeout", std::to_string(connect_timeout_s));
  AppendConnParam(&out, "application_name", "spate-firehose");
  return out;
}

Result<CopyPlan> ParseCopyOptions(std::string_view copy_options) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(copy_options));
  CopyPlan plan;
  std::map<std::string, bool> seen;
  std::optional<char> delimiter;
  size_t i = 0;
  auto refuse = [](const std::string& what) {
    return InvalidArgument("CopyOptions: " + what +
                           " is not supported by Spate's Redshift destination (PostgreSQL COPY); supported: "
                           "DELIMITER, CSV, QUOTE, JSON 'auto', NULL AS, ESCAPE, IGNOREHEADER 0|1, GZIP, "
                           "DATEFORMAT/TIMEFORMAT 'auto', COMPUPDATE, STATUPDATE");
  };
  // The literal after an option and its optional AS.
  auto literal = [&](const std::string& option) -> Result<std::string> {
    if (i < tokens.size() && !tokens[i].literal && Lower(tokens[i].text) == "as") ++i;
    if (i >= tokens.size() || !tokens[i].literal)
      return InvalidArgument("CopyOptions: " + option + " needs a quoted value");
    return tokens[i++].text;
  };
  auto one_char = [&](const std::string& option) -> Result<char> {
    SPATE_ASSIGN_OR_RETURN(std::string v, literal(option));
    if (v.size() != 1) return InvalidArgument("CopyOptions: " + option + " must be a single character");
    return v[0];
  };
  while (i < tokens.size()) {
    if (tokens[i].literal) return InvalidArgument("CopyOptions: unexpected '" + tokens[i].text + "'");
    std::string word = Lower(tokens[i].text);
    ++i;
    if (seen[word]) return InvalidArgument("CopyOptions: " + word + " given twice");
    seen[word] = true;
    if (word == "delimiter") {
      SPATE_ASSIGN_OR_RETURN(char c, one_char("DELIMITER"));
      if (c == '\n' || c == '\r' || c == '\\') return InvalidArgument("CopyOptions: invalid DELIMITER");
      delimiter = c;
    } else if (word == "csv") {
      if (plan.format == CopyPlan::Format::kJson) return InvalidArgument("CopyOptions: CSV and JSON together");
      plan.format = CopyPlan::Format::kCsv;
    } else if (word == "quote") {
      SPATE_ASSIGN_OR_RETURN(plan.quote, one_char("QUOTE"));
    } else if (word == "json") {
      if (plan.format == CopyPlan::Format::kCsv) return InvalidArgument("CopyOptions: CSV and JSON together");
      SPATE_ASSIGN_OR_RETURN(std::string v, literal("JSON"));
      std::string lv = Lower(v);
      if (lv == "auto") {
        plan.json_ignore_case = false;
      } else if (lv == "auto ignorecase") {
        plan.json_ignore_case = true;
      } else {
        return refuse("JSON '" + v + "' (a JSONPaths file)");
      }
      plan.format = CopyPlan::Format::kJson;
    } else if (word == "null") {
      SPATE_ASSIGN_OR_RETURN(std::string v, literal("NULL"));
      if (v.find_first_of("\r\n") != std::string::npos) return InvalidArgument("CopyOptions: invalid NULL AS");
      plan.null_string = v;
    } else if (word == "escape") {
      plan.escape = true;
    } else if (word == "ignoreheader") {
      if (i < tokens.size() && !tokens[i].literal && Lower(tokens[i].text) == "as") ++i;
      if (i >= tokens.size()) return InvalidArgument("CopyOptions: IGNOREHEADER needs a number");
      const std::string& n = tokens[i++].text;
      if (n == "0") {
        plan.header = false;
      } else if (n == "1") {
        plan.header = true;
      } else {
        return refuse("IGNOREHEADER " + n + " (only 0 or 1)");
      }
    } else if (word == "gzip") {
      plan.gzip = true;
    } else if (word == "dateformat" || word == "timeformat") {
      SPATE_ASSIGN_OR_RETURN(std::string v, literal(Lower(word)));
      if (Lower(v) != "auto") return refuse(word + " '" + v + "' (only 'auto')");
    } else if (word == "compupdate" || word == "statupdate") {
      if (i < tokens.size() && !tokens[i].literal) {
        std::string v = Lower(tokens[i].text);
        if (v == "on" || v == "off" || v == "true" || v == "false" || v == "preset") ++i;
      }
    } else {
      return refuse(tokens[i - 1].text);
    }
  }
  if (plan.format == CopyPlan::Format::kJson) {
    if (delimiter || seen["quote"] || seen["escape"] || plan.header) {
      return InvalidArgument("CopyOptions: DELIMITER, QUOTE, ESCAPE and IGNOREHEADER do not go with JSON");
    }
    plan.delimiter = '\t';
  } else if (plan.format == CopyPlan::Format::kCsv) {
    if (plan.escape) return InvalidArgument("CopyOptions: ESCAPE does not go with CSV");
    plan.delimiter = delimiter.value_or(',');
    if (plan.delimiter == plan.quote) return InvalidArgument("CopyOptions: DELIMITER and QUOTE must differ");
  } else {
    if (seen["quote"]) return InvalidArgument("CopyOptions: QUOTE needs CSV");
    plan.delimiter = delimiter.value_or('|');
  }
  return plan;
}

Result<std::vector<std::string>> ParseColumnList(std::string_view columns) {
  std::vector<std::string> out;
  bool all_space = std::all_of(columns.begin(), columns.end(), IsSpace);
  if (all_space) return out;
  size_t start = 0;
  while (true) {
    size_t comma = columns.find(',', start);
    std::string_view part =
        columns.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!part.empty() && IsSpace(part.front())) part.remove_prefix(1);
    while (!part.empty() && IsSpace(part.back())) part.remove_suffix(1);
    if (part.empty()) return InvalidArgument("DataTableColumns has an empty column name");
    out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

namespace {
// True when `name` is one double-quoted identifier: every quote inside it is
// doubled, so it cannot end the identifier early (and inject SQL).
bool IsQuotedIdentifier(std::string_view name) {
  if (name.size() < 2 || name.front() != '"' || name.back() != '"') return false;
  std::string_view inner = name.substr(1, name.size() - 2);
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] != '"') continue;
    if (i + 1 >= inner.size() || inner[i + 1] != '"') return false;
    ++i;
  }
  return true;
}
}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  if (IsQuotedIdentifier(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteQualifiedName(std::string_view name) {
  // A dot outside double quotes separates schema and table.
  std::string out;
  size_t start = 0;
  bool in_quotes = false;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] == '"') in_quotes = !in_quotes;
    if (i == name.size() || (name[i] == '.' && !in_quotes)) {
      std::string_view part = name.substr(start, i - start);
      while (!part.empty() && IsSpace(part.front())) part.remove_prefix(1);
      while (!part.empty() && IsSpace(part.back())) part.remove_suffix(1);
      if (!out.empty()) out += '.';
      out += QuoteIdentifier(part);
      start = i + 1;
    }
  }
  return out;
}

std::string QuoteLiteral(std::string_view s) {
  std::string out = "E'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

namespace {
std::string DoubleBackslashes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (char c : s) {
    if (c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string CopySql(std::string_view table, const std::vector<std::string>& columns, const CopyPlan& plan) {
  std::string sql = "COPY " + QuoteQualifiedName(table);
  if (!columns.empty()) {
    sql += " (";
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += QuoteIdentifier(columns[i]);
    }
    sql += ')';
  }
  sql += " FROM STDIN WITH (FORMAT ";
  if (plan.format == CopyPlan::Format::kCsv) {
    sql += "csv, DELIMITER " + QuoteLiteral(std::string(1, plan.delimiter)) + ", QUOTE " +
           QuoteLiteral(std::string(1, plan.quote));
    if (plan.null_string) sql += ", NULL " + QuoteLiteral(*plan.null_string);
  } else if (plan.format == CopyPlan::Format::kJson) {
    // ToCopyInput writes text rows: tab-separated, \N for NULL, escaped.
    sql += "text";
  } else {
    sql += "text, DELIMITER " + QuoteLiteral(std::string(1, plan.delimiter));
    // PostgreSQL matches the null string before removing backslashes: without
    // ESCAPE the data's backslashes were doubled, so the null string is too.
    std::string null_string = plan.null_string.value_or("\\N");
    sql += ", NULL " + QuoteLiteral(plan.escape ? null_string : DoubleBackslashes(null_string));
  }
  if (plan.header) sql += ", HEADER true";
  sql += ')';
  return sql;
}

namespace {

// Appends `s` as one field of PostgreSQL's text format.
void AppendTextField(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: *out += c;
    }
  }
}

const protocol::Value* FindMember(const protocol::Value& obj, std::string_view name, bool ignore_case) {
  if (const protocol::Value* v = obj.Find(name)) return v;
  if (!ignore_case) return nullptr;
  std::string lname = Lower(name);
  for (const auto& [key, value] : obj.as_object()) {
    if (Lower(key) == lname) return &value;
  }
  return nullptr;
}

}  // namespace

Result<std::string> ToCopyInput(std::string_view data, const CopyPlan& plan, const std::vector<std::string>& columns) {
  if (plan.format == CopyPlan::Format::kCsv || (plan.format == CopyPlan::Format::kText && plan.escape)) {
    return std::string(data);
  }
  if (plan.format == CopyPlan::Format::kText) return DoubleBackslashes(data);
  // JSON 'auto': objects one after another, whatever the whitespace between.
  std::string out;
  size_t i = 0;
  while (true) {
    while (i < data.size() && IsSpace(data[i])) ++i;
    if (i >= data.size()) break;
    if (data[i] != '{') return InvalidArgument("JSON 'auto': expected an object at byte " + std::to_string(i));
    const size_t end = util::JsonObjectEnd(data, i);
    if (end == std::string_view::npos) {
      return InvalidArgument("JSON 'auto': unterminated object at byte " + std::to_string(i));
    }
    auto parsed = protocol::ParseJson(data.substr(i, end - i));
    if (!parsed.ok()) {
      return InvalidArgument("JSON 'auto': invalid object at byte " + std::to_string(i) + ": " +
                             parsed.status().message());
    }
    const protocol::Value& obj = *parsed;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += '\t';
      const protocol::Value* v = FindMember(obj, columns[c], plan.json_ignore_case);
      if (v == nullptr || v->is_null()) {
        out += "\\N";
      } else if (v->is_string()) {
        AppendTextField(&out, v->as_string());
      } else {
        std::string text;
        protocol::WriteJson(*v, &text);
        AppendTextField(&out, text);
      }
    }
    out += '\n';
    i = end;
  }
  return out;
}

}  // namespace spate::firehose
