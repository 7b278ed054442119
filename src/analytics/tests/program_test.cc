// The Program API as the Analytics service uses it: compile errors, Streams(),
// rows that do not fit the input schema, reference table reloads.

#include <gtest/gtest.h>

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

TEST(ProgramTest, DuplicateInputNamesAreACompileError) {
  auto inputs = Inputs();
  inputs.push_back(inputs[0]);
  auto r = Program::Compile("", inputs, {});
  ASSERT_TRUE(std::holds_alternative<CodeError>(r));
}

}  // namespace
}  // namespace spate::analytics
