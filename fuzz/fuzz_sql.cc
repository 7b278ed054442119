// libFuzzer target: Kinesis Data Analytics application code (src/analytics/),
// which arrives from the network in CreateApplication and UpdateApplication.
// The input is compiled against a fixed input stream and reference table;
// code that compiles is run over a few rows (NULLs, zeros, equal ROWTIMEs)
// with time advanced past every window, so the binder's types and the
// operators meet arbitrary queries.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analytics/engine.h"

namespace {

using spate::analytics::InputStreamDecl;
using spate::analytics::ReferenceTable;
using spate::analytics::Row;
using spate::analytics::SqlType;
using spate::analytics::Timestamp;
using spate::analytics::Value;

SqlType Type(const char* text) { return *SqlType::Parse(text); }

const std::vector<InputStreamDecl>& Inputs() {
  static const std::vector<InputStreamDecl> inputs = [] {
    InputStreamDecl in;
    in.name = "SOURCE_SQL_STREAM_001";
    in.columns = {{"TICKER_SYMBOL", Type("VARCHAR(4)")},
                  {"PRICE", Type("DOUBLE")},
                  {"N", Type("INTEGER")},
                  {"M", Type("DECIMAL(8,2)")},
                  {"T", Type("TIMESTAMP")}};
    InputStreamDecl second = in;
    second.name = "S";
    second.with_kinesis_columns = false;
    return std::vector<InputStreamDecl>{in, second};
  }();
  return inputs;
}

const std::vector<ReferenceTable>& Tables() {
  static const std::vector<ReferenceTable> tables = [] {
    ReferenceTable t;
    t.name = "T1";
    t.columns = {{"TICKER_SYMBOL", Type("VARCHAR(4)")}, {"NAME", Type("VARCHAR(16)")}};
    t.rows.push_back(Row{0, {Value{std::string("AMZN")}, Value{std::string("Amazon")}}});
    t.rows.push_back(Row{0, {Value{}, Value{std::string("none")}}});
    return std::vector<ReferenceTable>{t};
  }();
  return tables;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view code(reinterpret_cast<const char*>(data), size);
  auto compiled = spate::analytics::Program::Compile(code, Inputs(), Tables());
  auto* program = std::get_if<std::unique_ptr<spate::analytics::Program>>(&compiled);
  if (!program) return 0;
  std::vector<spate::analytics::EmittedRow> out;
  constexpr int kRows = 12;
  for (int i = 0; i < kRows; ++i) {
    int64_t rowtime = (i / 2) * 1500;
    std::vector<Value> values = {i % 5 ? Value{std::string(i % 2 ? "AMZN" : "ASD")} : Value{},
                                 Value{static_cast<double>(i % 3)}, i % 4 ? Value{int64_t{i % 3}} : Value{},
                                 Value{spate::analytics::Decimal{i * 25, 2}}, Value{Timestamp{rowtime - 500}}};
    Row first{rowtime, values};
    values.push_back(Value{Timestamp{rowtime}});
    values.push_back(Value{std::string("shardId-000000000000")});
    (*program)->Push("SOURCE_SQL_STREAM_001", Row{rowtime, std::move(values)}, &out);
    (*program)->Push("S", std::move(first), &out);
    if (i % 5 == 4) (*program)->AdvanceTime(rowtime, &out);
  }
  (*program)->AdvanceTime(int64_t{1} << 40, &out);
  (void)(*program)->Streams();
  (void)(*program)->ReplaceReferenceTable(Tables()[0]);
  return 0;
}
