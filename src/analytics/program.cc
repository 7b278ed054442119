// Program: compiles an application's code (parser -> binder -> planner) and
// runs its pumps, routing each pump's output rows into the in-application
// stream it inserts into, and from there into the pumps that read it.

#include <map>
#include <set>

#include "analytics/binder/binder.h"
#include "analytics/exec/value_ops.h"
#include "analytics/parser/lexer.h"
#include "analytics/parser/parser.h"
#include "analytics/planner/planner.h"

namespace spate::analytics {

std::vector<ColumnDef> ErrorStreamColumns() {
  return {
      {"ERROR_TIME", SqlType{TypeId::kTimestamp, 0, 0, 0}},   {"ERROR_LEVEL", SqlType{TypeId::kVarchar, 10, 0, 0}},
      {"ERROR_NAME", SqlType{TypeId::kVarchar, 32, 0, 0}},    {"MESSAGE", SqlType{TypeId::kVarchar, 4096, 0, 0}},
      {"DATA_ROWTIME", SqlType{TypeId::kTimestamp, 0, 0, 0}}, {"DATA_ROW", SqlType{TypeId::kVarchar, 49152, 0, 0}},
      {"PUMP_NAME", SqlType{TypeId::kVarchar, 128, 0, 0}},
  };
}

namespace {

constexpr char kErrorStream[] = "error_stream";
constexpr size_t kMaxErrorMessage = 4096;
constexpr size_t kMaxDataRowHex = 49152;

// DATA_ROW: the offending row's values as SQL text, comma-separated, in hex.
std::string HexRow(const Row& row) {
  static const char* kHex = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < row.values.size(); ++i) {
    if (i) text += ',';
    text += ValueToSqlText(row.values[i]);
  }
  std::string hex;
  for (unsigned char c : text) {
    if (hex.size() + 2 > kMaxDataRowHex) break;
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

EmittedRow ErrorRow(int64_t now_ms, const std::string& name, const std::string& message, const Row& data,
                    const std::string& pump) {
  EmittedRow e;
  e.stream = kErrorStream;
  e.row.rowtime_ms = now_ms;
  e.row.values = {Value{Timestamp{now_ms}},
                  Value{std::string("ERROR")},
                  Value{name.substr(0, 32)},
                  Value{message.substr(0, kMaxErrorMessage)},
                  Value{Timestamp{data.rowtime_ms}},
                  Value{HexRow(data)},
                  pump.empty() ? Value{} : Value{pump}};
  return e;
}

bool Holds(const Value& v, TypeId id) {
  switch (v.index()) {
    case 0: return true;
    case 1: return id == TypeId::kBoolean;
    case 2: return IsIntegerType(id);
    case 3: return id == TypeId::kReal || id == TypeId::kDouble;
    case 4: return id == TypeId::kDecimal;
    case 5: return IsStringType(id);
    case 6: return id == TypeId::kBinary || id == TypeId::kVarbinary;
    default: return IsTimeType(id);
  }
}

// Makes each value the alternative its column's type calls for (an int64_t
// pushed into a DOUBLE column becomes a double), so operators can rely on
// the binder's types. False, with the reason, when a value cannot convert.
bool Conform(const std::vector<ColumnDef>& columns, std::vector<Value>* values, std::string* error) {
  for (size_t i = 0; i < values->size() && i < columns.size(); ++i) {
    Value& v = (*values)[i];
    if (Holds(v, columns[i].type.id)) continue;
    Result<Value> c = CastValue(v, columns[i].type);
    if (!c.ok()) {
      *error = "column \"" + columns[i].name + "\": " + c.status().message();
      return false;
    }
    v = std::move(c).value();
  }
  return true;
}

struct PumpRuntime {
  const binder::BoundPump* bound = nullptr;
  std::string source;  // the stream its innermost FROM reads
  planner::Chain chain;
};

class ProgramImpl : public Program {
 public:
  ProgramImpl(binder::BoundScript script, const std::vector<ReferenceTable>& refs) : script_(std::move(script)) {
    for (size_t t = 0; t < refs.size(); ++t) {
      ReferenceTable table = refs[t];
      for (Row& row : table.rows) {
        row.values.resize(table.columns.size());
        std::string ignored;
        // A value that cannot take its column's type joins as NULL.
        for (size_t c = 0; c < table.columns.size(); ++c) {
          std::vector<Value> one{row.values[c]};
          if (!Conform({table.columns[c]}, &one, &ignored)) one[0] = Value{};
          row.values[c] = std::move(one[0]);
        }
      }
      tables_.Set(static_cast<int>(t), std::move(table));
      table_index_[refs[t].name] = static_cast<int>(t);
    }
    for (size_t s = 0; s < script_.streams.size(); ++s) stream_index_[script_.streams[s].name] = s;
    for (const auto& bp : script_.pumps) {
      PumpRuntime p;
      p.bound = &bp;
      const binder::BoundSelect* sel = bp.select.get();
      while (sel->source.subquery) sel = sel->source.subquery.get();
      p.source = sel->source.stream;
      p.chain = planner::Plan(*bp.select, &tables_);
      pumps_.push_back(std::move(p));
    }
    for (size_t i = 0; i < pumps_.size(); ++i) {
      readers_[pumps_[i].source].push_back(i);
      for (const auto& r : pumps_[i].chain.right_inputs) right_readers_[r.stream].push_back(r);
    }
  }

  // Orders pumps so that each runs after the pumps feeding its source;
  // false when the pumps form a cycle.
  bool Order(std::string* cycle_pump) {
    std::map<std::string, std::vector<size_t>> writers;
    for (size_t i = 0; i < pumps_.size(); ++i) writers[pumps_[i].bound->target].push_back(i);
    std::vector<int> state(pumps_.size(), 0);  // 0 new, 1 visiting, 2 done
    std::function<bool(size_t)> visit = [&](size_t i) {
      if (state[i] == 2) return true;
      if (state[i] == 1) {
        *cycle_pump = pumps_[i].bound->name;
        return false;
      }
      state[i] = 1;
      std::vector<std::string> sources{pumps_[i].source};
      for (const auto& r : pumps_[i].chain.right_inputs) sources.push_back(r.stream);
      for (const auto& source : sources) {
        for (size_t w : writers[source]) {
          if (!visit(w)) return false;
        }
      }
      state[i] = 2;
      order_.push_back(i);
      return true;
    };
    for (size_t i = 0; i < pumps_.size(); ++i) {
      if (!visit(i)) return false;
    }
    return true;
  }

  std::vector<std::pair<std::string, std::vector<ColumnDef>>> Streams() const override {
    std::vector<std::pair<std::string, std::vector<ColumnDef>>> out;
    for (const auto& s : script_.streams) {
      if (!s.input) out.emplace_back(s.name, s.columns);
    }
    return out;
  }

  void Push(std::string_view input_stream, Row row, std::vector<EmittedRow>* out) override {
    auto it = stream_index_.find(std::string(input_stream));
    if (it == stream_index_.end() || !script_.streams[it->second].input) {
      out->push_back(
          ErrorRow(row.rowtime_ms, "Unknown stream", "no input stream \"" + std::string(input_stream) + "\"", row, ""));
      return;
    }
    const binder::StreamInfo& s = script_.streams[it->second];
    if (row.values.size() != s.columns.size()) {
      out->push_back(ErrorRow(row.rowtime_ms, "Schema mismatch",
                              "row has " + std::to_string(row.values.size()) + " values; stream \"" + s.name +
                                  "\" has " + std::to_string(s.columns.size()) + " columns",
                              row, ""));
      return;
    }
    std::string error;
    if (!Conform(s.columns, &row.values, &error)) {
      out->push_back(ErrorRow(row.rowtime_ms, "Coercion error", error, row, ""));
      return;
    }
    Deliver(s.name, row, out);
  }

  void AdvanceTime(int64_t now_ms, std::vector<EmittedRow>* out) override {
    for (size_t i : order_) {
      exec::Sink sink;
      pumps_[i].chain.head()->Advance(now_ms, &sink);
      Drain(pumps_[i], &sink, now_ms, out);
    }
  }

  Status ReplaceReferenceTable(const ReferenceTable& table) override {
    auto it = table_index_.find(table.name);
    if (it == table_index_.end()) return NotFound("no reference table \"" + table.name + "\" in the application");
    const ReferenceTable& old = tables_.table(it->second);
    if (old.columns.size() != table.columns.size()) {
      return InvalidArgument("reference table \"" + table.name + "\" had " + std::to_string(old.columns.size()) +
                             " columns; the application code was compiled against them");
    }
    ReferenceTable conformed = table;
    for (Row& r : conformed.rows) {
      std::string error;
      if (r.values.size() == table.columns.size() && !Conform(table.columns, &r.values, &error)) {
        return InvalidArgument("reference table \"" + table.name + "\", " + error);
      }
      if (r.values.size() != table.columns.size()) {
        return InvalidArgument("a row of reference table \"" + table.name + "\" has " +
                               std::to_string(r.values.size()) + " values for " + std::to_string(table.columns.size()) +
                               " columns");
      }
    }
    tables_.Set(it->second, std::move(conformed));
    return Status::Ok();
  }

 private:
  void Deliver(const std::string& stream, const Row& row, std::vector<EmittedRow>* out) {
    // Right sides of stream joins first: a row joins left rows that arrive
    // after it, including one pushed at the same ROWTIME.
    if (auto r = right_readers_.find(stream); r != right_readers_.end()) {
      for (const auto& in : r->second) in.scan->PushRight(in.join, row);
    }
    auto it = readers_.find(stream);
    if (it == readers_.end()) return;
    for (size_t i : it->second) {
      exec::Sink sink;
      pumps_[i].chain.head()->Push(row, &sink);
      Drain(pumps_[i], &sink, row.rowtime_ms, out);
    }
  }

  // Converts a pump's output to its target stream's columns and passes the
  // rows on; errors become error_stream rows.
  void Drain(const PumpRuntime& pump, exec::Sink* sink, int64_t now_ms, std::vector<EmittedRow>* out) {
    const binder::BoundPump& bp = *pump.bound;
    for (const auto& e : sink->errors) out->push_back(ErrorRow(now_ms, e.name, e.message, e.row, bp.name));
    for (Row& r : sink->rows) {
      Row target;
      target.rowtime_ms = r.rowtime_ms;
      target.values.resize(bp.target_types.size());
      bool ok = true;
      for (size_t i = 0; i < r.values.size() && ok; ++i) {
        size_t pos = static_cast<size_t>(bp.target_positions[i]);
        Result<Value> v = CastValue(r.values[i], bp.target_types[pos]);
        if (!v.ok()) {
          out->push_back(ErrorRow(now_ms, "Cast error", v.status().message(), r, bp.name));
          ok = false;
          break;
        }
        target.values[pos] = std::move(v).value();
      }
      if (!ok) continue;
      out->push_back(EmittedRow{bp.target, target});
      Deliver(bp.target, target, out);
    }
  }

  binder::BoundScript script_;
  exec::TableStore tables_;
  std::map<std::string, int> table_index_;
  std::map<std::string, size_t> stream_index_;
  std::vector<PumpRuntime> pumps_;
  std::map<std::string, std::vector<size_t>> readers_;
  std::map<std::string, std::vector<planner::Chain::RightInput>> right_readers_;
  std::vector<size_t> order_;
};

}  // namespace

std::variant<std::unique_ptr<Program>, CodeError> Program::Compile(std::string_view code,
                                                                   const std::vector<InputStreamDecl>& inputs,
                                                                   const std::vector<ReferenceTable>& references) {
  std::set<std::string> names;
  for (const auto& in : inputs) {
    if (!names.insert(in.name).second)
      return parser::MakeError(1, 1, "input stream \"" + in.name + "\" is declared twice");
  }
  for (const auto& t : references) {
    if (!names.insert(t.name).second)
      return parser::MakeError(1, 1, "reference table \"" + t.name + "\" clashes with another name");
  }
  auto parsed = parser::Parse(code);
  if (auto* err = std::get_if<CodeError>(&parsed)) return *err;
  auto bound = binder::Bind(std::get<parser::Script>(parsed), inputs, references);
  if (auto* err = std::get_if<CodeError>(&bound)) return *err;
  auto program = std::make_unique<ProgramImpl>(std::move(std::get<binder::BoundScript>(bound)), references);
  std::string cycle;
  if (!program->Order(&cycle)) {
    return parser::MakeError(1, 1, "pump \"" + cycle + "\" reads a stream it feeds (a cycle of pumps)");
  }
  return std::unique_ptr<Program>(std::move(program));
}

}  // namespace spate::analytics
