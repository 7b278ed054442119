// The Program API as the Analytics service uses it: compile errors, Streams(),
// rows that do not fit the input schema, reference table reloads.

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <random>

#include "analytics/engine.h"

namespace spate::analytics {
namespace {

SqlType Type(const char* text) { return *SqlType::Parse(text); }

std::vector<InputStreamDecl> Inputs() {
  InputStreamDecl in;
  in.name = "SOURCE_SQL_STREAM_001";
  in.columns = {{"TICKER", Type("VARCHAR(4)")}, {"PRICE", Type("DOUBLE")}};
  in.with_kinesis_columns = false;
  return {in};
}

std::unique_ptr<Program> MustCompile(const std::string& code, const std::vector<ReferenceTable>& refs = {}) {
  auto r = Program::Compile(code, Inputs(), refs);
  if (auto* err = std::get_if<CodeError>(&r)) {
    ADD_FAILURE() << err->message;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<Program>>(r));
}

TEST(ProgramTest, CompileErrorCarriesLineAndColumn) {
  auto r = Program::Compile("CREATE OR REPLACE STREAM s (a REAL);\nCREATE PUMP p AS INSERT INTO s SELEC", Inputs(), {});
  auto* err = std::get_if<CodeError>(&r);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->line, 2);
  EXPECT_EQ(err->column, 32);
  EXPECT_EQ(err->message, "SQL error at line 2, column 32: expected SELECT but found 'SELEC'");
}

TEST(ProgramTest, EmptyCodeCompilesToNoStreams) {
  auto p = MustCompile("  -- nothing yet\n");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->Streams().empty());
}

TEST(ProgramTest, StreamsListsCreatedStreamsWithTheirColumns) {
  auto p = MustCompile(
      "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (ticker VARCHAR(4), \"Price\" DECIMAL(8,2));\n"
      "CREATE OR REPLACE STREAM tmp (x INTEGER);");
  ASSERT_TRUE(p);
  auto streams = p->Streams();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0].first, "DESTINATION_SQL_STREAM");
  ASSERT_EQ(streams[0].second.size(), 2u);
  EXPECT_EQ(streams[0].second[0].name, "TICKER");
  EXPECT_EQ(streams[0].second[1].name, "Price");
  EXPECT_EQ(streams[0].second[1].type.ToString(), "DECIMAL(8,2)");
  EXPECT_EQ(streams[1].first, "TMP");
}

TEST(ProgramTest, RowWithWrongColumnCountGoesToErrorStream) {
  auto p = MustCompile(
      "CREATE OR REPLACE STREAM d (t VARCHAR(4));\n"
      "CREATE OR REPLACE PUMP pump AS INSERT INTO d SELECT STREAM ticker FROM SOURCE_SQL_STREAM_001;");
  ASSERT_TRUE(p);
  std::vector<EmittedRow> out;
  p->Push("SOURCE_SQL_STREAM_001", Row{1000, {Value{std::string("AMZN")}}}, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].stream, "error_stream");
  ASSERT_EQ(out[0].row.values.size(), ErrorStreamColumns().size());
  EXPECT_EQ(std::get<std::string>(out[0].row.values[2]), "Schema mismatch");
  EXPECT_EQ(std::get<std::string>(out[0].row.values[5]), "414d5a4e");  // hex of "AMZN"
  EXPECT_TRUE(std::holds_alternative<std::monostate>(out[0].row.values[6]));

  out.clear();
  p->Push("SOURCE_SQL_STREAM_001", Row{1000, {Value{std::string("AMZN")}, Value{1.5}}}, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].stream, "D");
  EXPECT_EQ(out[0].row.rowtime_ms, 1000);
}

TEST(ProgramTest, ReplaceReferenceTableChecksNameAndShape) {
  ReferenceTable t;
  t.name = "Companies";
  t.columns = {{"Ticker", Type("VARCHAR(4)")}, {"Name", Type("VARCHAR(20)")}};
  auto p = MustCompile(
      "CREATE OR REPLACE STREAM d (t VARCHAR(4), n VARCHAR(20));\n"
      "CREATE OR REPLACE PUMP pump AS INSERT INTO d SELECT STREAM s.ticker, c.\"Name\"\n"
      "FROM SOURCE_SQL_STREAM_001 AS s JOIN \"Companies\" AS c ON s.ticker = c.\"Ticker\";",
      {t});
  ASSERT_TRUE(p);
  std::vector<EmittedRow> out;
  p->Push("SOURCE_SQL_STREAM_001", Row{1, {Value{std::string("AMZN")}, Value{1.0}}}, &out);
  EXPECT_TRUE(out.empty());

  ReferenceTable other = t;
  other.name = "Nope";
  EXPECT_EQ(p->ReplaceReferenceTable(other).code(), ErrorCode::kNotFound);
  ReferenceTable narrow = t;
  narrow.columns.pop_back();
  EXPECT_EQ(p->ReplaceReferenceTable(narrow).code(), ErrorCode::kInvalidArgument);

  t.rows.push_back(Row{0, {Value{std::string("AMZN")}, Value{std::string("Amazon")}}});
  ASSERT_TRUE(p->ReplaceReferenceTable(t).ok());
  p->Push("SOURCE_SQL_STREAM_001", Row{2, {Value{std::string("AMZN")}, Value{1.0}}}, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<std::string>(out[0].row.values[1]), "Amazon");
}

TEST(ProgramTest, ValuesOfAnotherAlternativeAreConvertedToTheColumnType) {
  auto p = MustCompile(
      "CREATE OR REPLACE STREAM d (half DOUBLE);\n"
      "CREATE OR REPLACE PUMP pump AS INSERT INTO d SELECT STREAM price / 2 FROM SOURCE_SQL_STREAM_001;");
  ASSERT_TRUE(p);
  std::vector<EmittedRow> out;
  // An integer and a string where the schema says DOUBLE.
  p->Push("SOURCE_SQL_STREAM_001", Row{1, {Value{std::string("AMZN")}, Value{int64_t{3}}}}, &out);
  p->Push("SOURCE_SQL_STREAM_001", Row{2, {Value{std::string("AMZN")}, Value{std::string("5")}}}, &out);
  p->Push("SOURCE_SQL_STREAM_001", Row{3, {Value{std::string("AMZN")}, Value{std::string("five")}}}, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].row.values[0], Value{1.5});
  EXPECT_EQ(out[1].row.values[0], Value{2.5});
  EXPECT_EQ(out[2].stream, "error_stream");
  EXPECT_EQ(std::get<std::string>(out[2].row.values[2]), "Coercion error");
}

TEST(ProgramTest, DuplicateInputNamesAreACompileError) {
  auto inputs = Inputs();
  inputs.push_back(inputs[0]);
  auto r = Program::Compile("", inputs, {});
  ASSERT_TRUE(std::holds_alternative<CodeError>(r));
}

// Sliding windows update their aggregates incrementally; this checks them
// against a brute-force recomputation over random rows (NULLs, ties in
// ROWTIME, three partitions), for a RANGE and a ROWS window.
void CheckSlidingAgainstModel(const std::string& frame, bool rows_frame, int64_t n) {
  InputStreamDecl in;
  in.name = "S";
  in.columns = {{"K", Type("VARCHAR(2)")}, {"X", Type("INTEGER")}};
  in.with_kinesis_columns = false;
  auto r = Program::Compile(
      "CREATE OR REPLACE STREAM o (k VARCHAR(2), c BIGINT, s BIGINT, mi INTEGER, ma INTEGER, f INTEGER, l INTEGER,"
      " a INTEGER);\n"
      "CREATE OR REPLACE PUMP p AS INSERT INTO o SELECT STREAM k, COUNT(x) OVER w, SUM(x) OVER w, MIN(x) OVER w,"
      " MAX(x) OVER w, FIRST_VALUE(x) OVER w, LAST_VALUE(x) OVER w, AVG(x) OVER w FROM s"
      " WINDOW w AS (PARTITION BY k " +
          frame + ");",
      {in}, {});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Program>>(r)) << std::get<CodeError>(r).message;
  auto& program = std::get<std::unique_ptr<Program>>(r);

  struct ModelRow {
    int64_t t;
    std::string k;
    std::optional<int64_t> x;
  };
  std::vector<ModelRow> all;
  std::mt19937 rng(42);
  int64_t t = 0;
  constexpr int kRows = 3000;
  for (int i = 0; i < kRows; ++i) {
    t += static_cast<int64_t>(rng() % 4) * 1000;
    ModelRow row{t, std::string(1, static_cast<char>('a' + rng() % 3)), std::nullopt};
    if (rng() % 10 != 0) row.x = static_cast<int64_t>(rng() % 101) - 50;
    all.push_back(row);
    if (i % 97 == 0) {
      std::vector<EmittedRow> none;
      program->AdvanceTime(t, &none);
      ASSERT_TRUE(none.empty());
    }
    std::vector<EmittedRow> out;
    program->Push("S", Row{t, {Value{row.k}, row.x ? Value{*row.x} : Value{}}}, &out);
    ASSERT_EQ(out.size(), 1u);
    // The model: this partition's rows in the window, in arrival order.
    std::vector<const ModelRow*> w;
    for (const ModelRow& m : all) {
      if (m.k == row.k && (rows_frame || m.t > t - n)) w.push_back(&m);
    }
    if (rows_frame && w.size() > static_cast<size_t>(n) + 1) w.erase(w.begin(), w.end() - (n + 1));
    int64_t count = 0, sum = 0, mi = INT64_MAX, ma = INT64_MIN;
    for (const ModelRow* m : w) {
      if (!m->x) continue;
      ++count;
      sum += *m->x;
      mi = std::min(mi, *m->x);
      ma = std::max(ma, *m->x);
    }
    auto opt = [](std::optional<int64_t> v) { return v ? Value{*v} : Value{}; };
    std::vector<Value> want = {Value{row.k},
                               Value{count},
                               count ? Value{sum} : Value{},
                               count ? Value{mi} : Value{},
                               count ? Value{ma} : Value{},
                               opt(w.front()->x),
                               opt(w.back()->x),
                               count ? Value{sum / count} : Value{}};
    ASSERT_EQ(out[0].row.values, want) << "row " << i << " at " << t;
  }
}

TEST(SlidingWindowModelTest, RangeWindowMatchesRecomputation) {
  CheckSlidingAgainstModel("RANGE INTERVAL '10' SECOND PRECEDING", false, 10000);
}

TEST(SlidingWindowModelTest, RowsWindowMatchesRecomputation) { CheckSlidingAgainstModel("ROWS 4 PRECEDING", true, 4); }

}  // namespace
}  // namespace spate::analytics
