#pragma once

// Push-based operators. A pump's query is a chain: a ScanOperator (source
// row -> scope row: ROWTIME, reference-table joins, WHERE) feeding one
// windowing operator (project, tumbling, sliding, stagger) whose output rows
// go to the next chain (FROM (subquery)) or to the pump's sink. Rows are
// pushed in; AdvanceTime closes windows. Not thread-safe: one runner thread.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/binder/bound.h"
#include "analytics/exec/aggregate.h"

namespace spate::analytics::exec {

// A row that failed at run time (the error stream's source).
struct RowError {
  std::string name;     // ERROR_NAME: "Division by zero", "Cast error", ...
  std::string message;  // MESSAGE
  Row row;              // the offending input row
};

struct Sink {
  std::vector<Row> rows;
  std::vector<RowError> errors;
};

class Operator {
 public:
  virtual ~Operator() = default;
  virtual void Push(Row row, Sink* sink) = 0;
  // No row with a ROWTIME below now_ms will come again.
  virtual void Advance(int64_t now_ms, Sink* sink) = 0;
  // A row at now_ms reached an earlier operator and was dropped there (WHERE,
  // an inner join without a match): windows ending at or before now_ms may
  // close. Cheaper than Advance (no state sweep).
  virtual void Progress(int64_t now_ms, Sink* sink) { ProgressNext(now_ms, sink); }
  void set_next(Operator* next) { next_ = next; }

 protected:
  void Emit(Row row, Sink* sink);
  void AdvanceNext(int64_t now_ms, Sink* sink);
  void ProgressNext(int64_t now_ms, Sink* sink);

 private:
  Operator* next_ = nullptr;
};

// The reference tables and the hash indexes joins probe. Owned by the
// program; ReplaceReferenceTable swaps a table's rows and rebuilds.
class TableStore {
 public:
  void Set(int table, ReferenceTable rows);
  void RequireIndex(int table, int column);
  const ReferenceTable& table(int t) const { return tables_[static_cast<size_t>(t)]; }
  // Row positions whose `column` equals `key` (candidates; the join re-checks ON).
  const std::vector<size_t>* Probe(int table, int column, const Value& key) const;

 private:
  void Rebuild(int table);
  std::vector<ReferenceTable> tables_;
  std::map<std::pair<int, int>, std::unordered_map<std::string, std::vector<size_t>>> indexes_;
};

// An encoding of values in which equal keys (GROUP BY equality) are equal strings.
std::string EncodeKey(const std::vector<Value>& values);

class ScanOperator : public Operator {
 public:
  ScanOperator(const binder::BoundSelect* sel, const TableStore* tables)
      : sel_(sel), tables_(tables), right_(sel->joins.size()) {}
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override;
  // A row of the right-hand stream of join `join` (a stream-to-stream JOIN):
  // kept for the window; matched by later rows of the left stream.
  void PushRight(size_t join, Row row);

 private:
  void EvictRight(size_t join, int64_t now_ms);
  // True when a row reached the next operator.
  bool Join(size_t j, std::vector<Value>* scope, const Row& source, Sink* sink);
  const binder::BoundSelect* sel_;
  const TableStore* tables_;
  std::vector<std::deque<Row>> right_;  // per join: the right stream's rows in its window
};

// Evaluates the select list (and HAVING) into an output row.
bool Project(const binder::BoundSelect& sel, EvalContext& ctx, std::vector<Value>* out);
Row SourceRow(const binder::BoundSelect& sel, const std::vector<Value>& scope, int64_t rowtime);

class ProjectOperator : public Operator {
 public:
  explicit ProjectOperator(const binder::BoundSelect* sel) : sel_(sel) {}
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override { AdvanceNext(now_ms, sink); }

 private:
  const binder::BoundSelect* sel_;
};

// A group of a tumbling or stagger window.
struct Group {
  std::vector<Value> first_row;  // the scope row that opened it
  std::vector<Accumulator> accumulators;
  int64_t open_ms = 0;
};

class TumblingOperator : public Operator {
 public:
  explicit TumblingOperator(const binder::BoundSelect* sel) : sel_(sel) {}
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override;
  void Progress(int64_t now_ms, Sink* sink) override {
    Close(now_ms, sink);
    ProgressNext(now_ms, sink);
  }

 private:
  struct Window {
    std::vector<Group> groups;  // in order of first arrival
    std::unordered_map<std::string, size_t> index;
  };
  void Close(int64_t now_ms, Sink* sink);
  const binder::BoundSelect* sel_;
  std::map<int64_t, Window> windows_;  // by start
  int64_t watermark_ = INT64_MIN;
};

class StaggerOperator : public Operator {
 public:
  explicit StaggerOperator(const binder::BoundSelect* sel) : sel_(sel) {}
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override;
  void Progress(int64_t now_ms, Sink* sink) override {
    Close(now_ms, sink);
    ProgressNext(now_ms, sink);
  }

 private:
  void Close(int64_t now_ms, Sink* sink);
  const binder::BoundSelect* sel_;
  std::deque<std::pair<std::string, Group>> open_;  // in order of opening (= of closing)
  std::unordered_map<std::string, size_t> index_;   // key -> position in open_ + popped_
  size_t popped_ = 0;
};

// TOP_K_ITEMS_TUMBLING: counts one column's values per tumbling window and,
// when the window closes, emits (value, count) for the k most frequent,
// most frequent first (ties: first seen first), with ROWTIME = window end.
// Counts are exact; NULLs are not counted. As COUNT_DISTINCT_ITEMS_TUMBLING
// it emits one row per window that had rows: the number of distinct values
// (exact, where AWS's HyperLogLog is exact up to 10,000 items; memory grows
// with the distinct values of one window).
class TopKOperator : public Operator {
 public:
  explicit TopKOperator(const binder::BoundTopK* spec) : spec_(spec) {}
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override {
    Close(now_ms, sink);
    AdvanceNext(now_ms, sink);
  }
  void Progress(int64_t now_ms, Sink* sink) override {
    Close(now_ms, sink);
    ProgressNext(now_ms, sink);
  }

 private:
  struct Item {
    Value value;
    int64_t count = 0;
    size_t first_seen = 0;
  };
  void Close(int64_t now_ms, Sink* sink);
  const binder::BoundTopK* spec_;
  bool open_ = false;
  int64_t start_ = 0;
  std::unordered_map<std::string, Item> counts_;
};

// Sliding windows keep each partition's rows in the window and, per
// aggregate, state updated as rows enter and leave: a count and a running sum
// (COUNT, SUM, AVG), a monotonic deque (MIN, MAX); FIRST_VALUE and LAST_VALUE
// read the window's ends. So each row costs O(1) amortized, whatever the
// window's length. (A DOUBLE running sum can differ from a fresh sum in the
// last bits; it restarts from zero whenever the window empties.)
class SlidingOperator : public Operator {
 public:
  explicit SlidingOperator(const binder::BoundSelect* sel);
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override;

 private:
  struct Entry {
    int64_t rowtime = 0;
    uint64_t seq = 0;
    std::vector<Value> args;  // one per aggregate of the window
  };
  struct AggState {
    int64_t count = 0;  // non-NULL arguments in the window
    Value sum;
    std::deque<std::pair<uint64_t, Value>> extremes;  // MIN/MAX candidates, best first
  };
  struct Partition {
    std::deque<Entry> rows;
    std::vector<AggState> aggs;
  };
  struct WindowState {
    const binder::BoundWindow* window = nullptr;
    std::vector<int> aggregates;
    std::unordered_map<std::string, Partition> partitions;
  };
  void Add(const WindowState& ws, Partition* p, Entry e, EvalContext& ctx);
  void Evict(const WindowState& ws, int64_t rowtime, Partition* p, EvalContext& ctx);
  // The aggregate over the partition's window (its last row is the current
  // one); nullopt when LAG finds no row (its default then applies).
  std::optional<Value> Result(const WindowState& ws, const Partition& p, size_t k, EvalContext& ctx) const;
  // The n-th (1-based) argument value of aggregate k from the window's start
  // (or end), skipping NULLs if asked; nullopt if the window has fewer.
  static std::optional<Value> NthInWindow(const Partition& p, size_t k, size_t n, bool from_last, bool ignore_nulls);
  const binder::BoundSelect* sel_;
  std::vector<WindowState> windows_;
  uint64_t next_seq_ = 0;
};

}  // namespace spate::analytics::exec
