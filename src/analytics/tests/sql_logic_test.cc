// Runs the sqllogictest-style files under tests/sql/ (format: tests/sql/README.md):
// each file is one test; a failure names the file and line.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "analytics/engine.h"
#include "analytics/exec/value_ops.h"

namespace spate::analytics {
namespace {

std::string Trim(std::string s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// Splits on `sep` outside single quotes; quoted fields lose their quotes
// ('' is one quote). NULL (unquoted) becomes nullopt.
std::vector<std::optional<std::string>> SplitFields(const std::string& line, char sep) {
  std::vector<std::optional<std::string>> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i <= line.size(); ++i) {
    char c = i < line.size() ? line[i] : sep;
    if (quoted) {
      if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
        cur += '\'';
        ++i;
      } else if (c == '\'') {
        quoted = false;
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '\'') {
      if (!was_quoted) cur = Trim(cur);
      quoted = was_quoted = true;
      continue;
    }
    if (c == sep || i == line.size()) {
      std::string field = was_quoted ? cur : Trim(cur);
      if (!was_quoted && field == "NULL") {
        out.push_back(std::nullopt);
      } else {
        out.push_back(field);
      }
      cur.clear();
      was_quoted = false;
      continue;
    }
    cur += c;
  }
  return out;
}

class FileRunner {
 public:
  explicit FileRunner(std::string path) : path_(std::move(path)) {}

  void Run() {
    std::ifstream in(path_);
    ASSERT_TRUE(in) << "cannot open " << path_;
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
    while (pos_ < lines_.size()) {
      std::string l = Trim(lines_[pos_]);
      size_t at = pos_++;
      if (l.empty() || l[0] == '#') continue;
      line_no_ = at + 1;
      Directive(l);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

 private:
  std::string Where() const { return path_ + ":" + std::to_string(line_no_); }

  // The lines up to the next blank line.
  std::vector<std::string> Block() {
    std::vector<std::string> out;
    while (pos_ < lines_.size() && !Trim(lines_[pos_]).empty()) out.push_back(lines_[pos_++]);
    return out;
  }

  int64_t ParseTime(const std::string& text) {
    int64_t ms = 0;
    if (ParseTimestamp(text, &ms)) return ms;
    int64_t tod = 0;
    EXPECT_TRUE(analytics::ParseTime(text, &tod)) << Where() << ": bad time '" << text << "'";
    return base_ms_ + tod;
  }

  std::string ShowTime(int64_t ms) const {
    if (FloorDiv(ms, 86'400'000) * 86'400'000 != base_ms_) return FormatTimestamp(ms);
    std::string s = FormatTimestamp(ms).substr(11);
    if (s.substr(8) == ".000") s.resize(8);
    return s;
  }

  std::string Show(const Value& v, const SqlType& type) const {
    if (IsNull(v)) return "NULL";
    if (auto* t = std::get_if<Timestamp>(&v); t && type.id == TypeId::kTimestamp) return ShowTime(t->millis);
    std::string text = RenderText(v, type);
    // Strings that are empty or have edge spaces are shown quoted.
    if (std::holds_alternative<std::string>(v) &&
        (text.empty() || text.front() == ' ' || text.back() == ' ' || text == "NULL")) {
      return "'" + text + "'";
    }
    return text;
  }

  // "name TYPE, "Quoted" TYPE(1,2)" inside the outer parentheses.
  std::vector<ColumnDef> ParseColumns(const std::string& text) {
    std::vector<ColumnDef> cols;
    size_t open = text.find('('), close = text.rfind(')');
    EXPECT_TRUE(open != std::string::npos && close != std::string::npos) << Where() << ": expected (columns)";
    std::string body = text.substr(open + 1, close - open - 1);
    int depth = 0;
    std::string cur;
    auto flush = [&] {
      std::string c = Trim(cur);
      cur.clear();
      if (c.empty()) return;
      std::string name;
      size_t rest;
      if (c[0] == '"') {
        size_t end = c.find('"', 1);
        name = c.substr(1, end - 1);
        rest = end + 1;
      } else {
        rest = c.find(' ');
        name = c.substr(0, rest);
      }
      Result<SqlType> t = SqlType::Parse(Trim(c.substr(rest)));
      EXPECT_TRUE(t.ok()) << Where() << ": " << t.status().message();
      if (t.ok()) cols.push_back(ColumnDef{name, *t});
    };
    for (char ch : body) {
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
      if (ch == ',' && depth == 0) {
        flush();
      } else {
        cur += ch;
      }
    }
    flush();
    return cols;
  }

  std::vector<Value> ParseValues(const std::string& csv, const std::vector<ColumnDef>& cols) {
    std::vector<Value> values;
    auto fields = SplitFields(csv, ',');
    EXPECT_EQ(fields.size(), cols.size()) << Where() << ": " << csv;
    for (size_t i = 0; i < fields.size() && i < cols.size(); ++i) {
      if (!fields[i]) {
        values.emplace_back();
        continue;
      }
      std::string text = *fields[i];
      if (cols[i].type.id == TypeId::kTimestamp) text = FormatTimestamp(ParseTime(text));
      Result<Value> v = CoerceText(text, cols[i].type);
      EXPECT_TRUE(v.ok()) << Where() << ": " << v.status().message();
      values.push_back(v.ok() ? *v : Value{});
    }
    return values;
  }

  const std::vector<ColumnDef>* ColumnsOf(const std::string& stream) {
    for (const auto& in : inputs_) {
      if (in.name == stream) {
        static thread_local std::vector<ColumnDef> cols;
        cols = in.columns;
        if (in.with_kinesis_columns) {
          cols.push_back(ColumnDef{"APPROXIMATE_ARRIVAL_TIME", SqlType{TypeId::kTimestamp, 0, 0, 0}});
          cols.push_back(ColumnDef{"SHARD_ID", SqlType{TypeId::kVarchar, 64, 0, 0}});
        }
        return &cols;
      }
    }
    if (stream == "error_stream") {
      static const std::vector<ColumnDef> kErr = ErrorStreamColumns();
      return &kErr;
    }
    if (program_) {
      static thread_local std::vector<ColumnDef> cols;
      for (auto& [name, c] : program_->Streams()) {
        if (name == stream) {
          cols = c;
          return &cols;
        }
      }
    }
    return nullptr;
  }

  void Collect(std::vector<EmittedRow>& rows) {
    for (auto& r : rows) emitted_[r.stream].push_back(std::move(r.row));
    rows.clear();
  }

  void Directive(const std::string& l) {
    std::istringstream words(l);
    std::string verb;
    words >> verb;
    if (verb == "date") {
      std::string d;
      words >> d;
      ASSERT_TRUE(ParseTimestamp(d, &base_ms_)) << Where() << ": bad date";
    } else if (verb == "input") {
      InputStreamDecl decl;
      words >> decl.name;
      std::string rest;
      std::getline(words, rest);
      rest = Trim(rest);
      decl.with_kinesis_columns = rest.rfind("kinesis", 0) == 0;
      decl.columns = ParseColumns(rest);
      inputs_.push_back(std::move(decl));
    } else if (verb == "table" || verb == "replace") {
      ReferenceTable t;
      std::string rest;
      if (verb == "replace") {
        words >> t.name;
        for (const auto& r : tables_) {
          if (r.name == t.name) t.columns = r.columns;
        }
      } else {
        words >> t.name;
        std::getline(words, rest);
        t.columns = ParseColumns(rest);
      }
      for (const auto& row : Block()) t.rows.push_back(Row{0, ParseValues(row, t.columns)});
      if (verb == "table") {
        tables_.push_back(std::move(t));
      } else {
        ASSERT_TRUE(program_) << Where() << ": replace before statement ok";
        Status st = program_->ReplaceReferenceTable(t);
        EXPECT_TRUE(st.ok()) << Where() << ": " << st.message();
      }
    } else if (verb == "statement") {
      std::string kind;
      words >> kind;
      std::string fragment;
      std::getline(words, fragment);
      fragment = Trim(fragment);
      size_t start_line = line_no_;
      std::string code;
      for (const auto& s : Block()) code += s + "\n";
      auto result = Program::Compile(code, inputs_, tables_);
      line_no_ = start_line;
      if (kind == "ok") {
        if (auto* err = std::get_if<CodeError>(&result)) {
          ADD_FAILURE() << Where() << ": expected the code to compile, got: " << err->message;
          return;
        }
        program_ = std::move(std::get<std::unique_ptr<Program>>(result));
        emitted_.clear();
      } else {
        ASSERT_EQ(kind, "error") << Where();
        auto* err = std::get_if<CodeError>(&result);
        if (!err) {
          ADD_FAILURE() << Where() << ": expected a compile error containing '" << fragment << "'";
          return;
        }
        EXPECT_NE(err->message.find(fragment), std::string::npos)
            << Where() << ": error '" << err->message << "' lacks '" << fragment << "'";
      }
    } else if (verb == "push") {
      ASSERT_TRUE(program_) << Where() << ": push before statement ok";
      std::string stream, time;
      words >> stream >> time;
      std::string rest;
      std::getline(words, rest);
      const std::vector<ColumnDef>* cols = ColumnsOf(stream);
      ASSERT_TRUE(cols) << Where() << ": unknown input " << stream;
      Row row{ParseTime(time), ParseValues(Trim(rest), *cols)};
      std::vector<EmittedRow> out;
      program_->Push(stream, std::move(row), &out);
      Collect(out);
    } else if (verb == "advance") {
      ASSERT_TRUE(program_) << Where() << ": advance before statement ok";
      std::string time;
      words >> time;
      std::vector<EmittedRow> out;
      program_->AdvanceTime(ParseTime(time), &out);
      Collect(out);
    } else if (verb == "query") {
      std::string stream;
      std::getline(words, stream);
      stream = Trim(stream);
      size_t start_line = line_no_;
      std::vector<std::string> expected;
      for (const auto& s : Block()) expected.push_back(Trim(s));
      line_no_ = start_line;
      const std::vector<ColumnDef>* cols = ColumnsOf(stream);
      ASSERT_TRUE(cols) << Where() << ": unknown stream " << stream;
      std::vector<std::string> actual;
      for (const Row& r : emitted_[stream]) {
        std::string s = ShowTime(r.rowtime_ms);
        for (size_t i = 0; i < r.values.size(); ++i) s += " | " + Show(r.values[i], (*cols)[i].type);
        actual.push_back(s);
      }
      emitted_[stream].clear();
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += "  " + x + "\n";
        return s.empty() ? std::string("  (no rows)\n") : s;
      };
      EXPECT_EQ(join(expected), join(actual)) << Where() << ": rows of " << stream;
    } else {
      FAIL() << Where() << ": unknown directive '" << verb << "'";
    }
  }

  std::string path_;
  std::vector<std::string> lines_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  int64_t base_ms_ = DaysFromCivil(2026, 1, 1) * 86'400'000;
  std::vector<InputStreamDecl> inputs_;
  std::vector<ReferenceTable> tables_;
  std::unique_ptr<Program> program_;
  std::map<std::string, std::vector<Row>> emitted_;
};

std::vector<std::string> TestFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(SPATE_SQL_TEST_DIR)) {
    if (e.is_regular_file() && e.path().extension() == ".test") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class SqlLogicTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SqlLogicTest, Run) { FileRunner(GetParam()).Run(); }

INSTANTIATE_TEST_SUITE_P(Files, SqlLogicTest, ::testing::ValuesIn(TestFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string rel = std::filesystem::relative(info.param, SPATE_SQL_TEST_DIR).string();
                           rel = rel.substr(0, rel.size() - 5);
                           for (char& c : rel) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return rel;
                         });

}  // namespace
}  // namespace spate::analytics
