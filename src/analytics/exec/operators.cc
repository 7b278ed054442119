#include "analytics/exec/operators.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "analytics/exec/value_ops.h"

namespace spate::analytics::exec {

using binder::BoundSelect;

void Operator::Emit(Row row, Sink* sink) {
  if (next_) {
    next_->Push(std::move(row), sink);
  } else {
    sink->rows.push_back(std::move(row));
  }
}

void Operator::AdvanceNext(int64_t now_ms, Sink* sink) {
  if (next_) next_->Advance(now_ms, sink);
}

void Operator::ProgressNext(int64_t now_ms, Sink* sink) {
  if (next_) next_->Progress(now_ms, sink);
}

std::string EncodeKey(const std::vector<Value>& values) {
  std::string key;
  for (const Value& v : values) {
    if (IsNull(v)) {
      key += '\x01';
      continue;
    }
    bool numeric =
        std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) || std::holds_alternative<Decimal>(v);
    if (numeric) {
      // Equal numbers of different kinds (1, 1.0) must meet.
      double d = ToDouble(v);
      key += '\x02';
      if (auto* i = std::get_if<int64_t>(&v)) {
        key += std::to_string(*i);
      } else if (std::nearbyint(d) == d && std::fabs(d) < 9e15) {
        key += std::to_string(static_cast<int64_t>(d));
      } else {
        key += ValueToSqlText(Value{d});
      }
    } else if (auto* s = std::get_if<std::string>(&v)) {
      std::string_view x = *s;
      while (!x.empty() && x.back() == ' ') x.remove_suffix(1);
      key += '\x03';
      key += x;
    } else {
      key += static_cast<char>('\x04' + v.index());
      key += ValueToSqlText(v);
    }
    key += '\0';
  }
  return key;
}

void TableStore::Set(int table, ReferenceTable rows) {
  if (static_cast<size_t>(table) >= tables_.size()) tables_.resize(static_cast<size_t>(table) + 1);
  tables_[static_cast<size_t>(table)] = std::move(rows);
  Rebuild(table);
}

void TableStore::RequireIndex(int table, int column) {
  indexes_[{table, column}];
  Rebuild(table);
}

void TableStore::Rebuild(int table) {
  for (auto& [key, index] : indexes_) {
    if (key.first != table) continue;
    index.clear();
    if (static_cast<size_t>(table) >= tables_.size()) continue;
    const auto& rows = tables_[static_cast<size_t>(table)].rows;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Value& v = rows[r].values[static_cast<size_t>(key.second)];
      if (IsNull(v)) continue;
      index[EncodeKey({v})].push_back(r);
    }
  }
}

const std::vector<size_t>* TableStore::Probe(int table, int column, const Value& key) const {
  auto it = indexes_.find({table, column});
  if (it == indexes_.end()) return nullptr;
  auto hit = it->second.find(EncodeKey({key}));
  return hit == it->second.end() ? nullptr : &hit->second;
}

Row SourceRow(const BoundSelect& sel, const std::vector<Value>& scope, int64_t rowtime) {
  Row r;
  r.rowtime_ms = rowtime;
  r.values.assign(scope.begin(), scope.begin() + sel.rowtime_index);
  return r;
}

void ScanOperator::Push(Row row, Sink* sink) {
  std::vector<Value> scope;
  scope.reserve(static_cast<size_t>(sel_->scope_width));
  for (auto& v : row.values) scope.push_back(std::move(v));
  scope.resize(static_cast<size_t>(sel_->rowtime_index));
  scope.push_back(Value{Timestamp{row.rowtime_ms}});
  row.values.clear();
  if (!Join(0, &scope, row, sink)) ProgressNext(row.rowtime_ms, sink);
}

bool ScanOperator::Join(size_t j, std::vector<Value>* scope, const Row& source, Sink* sink) {
  if (j == sel_->joins.size()) {
    if (sel_->where) {
      EvalContext ctx;
      ctx.row = scope->data();
      bool keep = EvalPredicate(*sel_->where, ctx);
      if (ctx.failed()) {
        sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, *scope, source.rowtime_ms)});
        return false;
      }
      if (!keep) return false;
    }
    Emit(Row{source.rowtime_ms, *scope}, sink);
    return true;
  }
  const binder::BoundTableJoin& join = sel_->joins[j];
  const size_t base = static_cast<size_t>(join.column_offset);
  bool emitted = false;
  // A right stream's ROWTIME follows its columns.
  const bool stream_join = join.table < 0;
  const int value_columns = join.column_count - (stream_join ? 1 : 0);
  auto try_row = [&](const Row& ref, bool* matched) {
    scope->resize(base);
    for (int c = 0; c < value_columns; ++c) {
      scope->push_back(static_cast<size_t>(c) < ref.values.size() ? ref.values[static_cast<size_t>(c)] : Value{});
    }
    if (stream_join) scope->push_back(Value{Timestamp{ref.rowtime_ms}});
    scope->resize(static_cast<size_t>(sel_->scope_width));
    EvalContext ctx;
    ctx.row = scope->data();
    bool on = EvalPredicate(*join.on, ctx);
    if (ctx.failed()) {
      sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, *scope, source.rowtime_ms)});
      return;
    }
    if (!on) return;
    *matched = true;
    std::vector<Value> copy = *scope;
    emitted = Join(j + 1, &copy, source, sink) || emitted;
  };
  bool matched = false;
  if (stream_join) {
    EvictRight(j, source.rowtime_ms);
    for (const Row& r : right_[j]) {
      if (r.rowtime_ms > source.rowtime_ms) break;
      try_row(r, &matched);
    }
  } else if (join.equi_table_column >= 0) {
    const ReferenceTable& table = tables_->table(join.table);
    EvalContext ctx;
    ctx.row = scope->data();
    Value key = Eval(*join.equi_stream_expr, ctx);
    const std::vector<size_t>* hits = IsNull(key) ? nullptr : tables_->Probe(join.table, join.equi_table_column, key);
    if (hits) {
      for (size_t r : *hits) try_row(table.rows[r], &matched);
    }
  } else {
    for (const Row& ref : tables_->table(join.table).rows) try_row(ref, &matched);
  }
  if (!matched && join.left_outer) {
    scope->resize(base);
    scope->resize(static_cast<size_t>(sel_->scope_width));
    emitted = Join(j + 1, scope, source, sink) || emitted;
  }
  return emitted;
}

void ScanOperator::PushRight(size_t join, Row row) {
  const binder::BoundTableJoin& j = sel_->joins[join];
  right_[join].push_back(std::move(row));
  if (j.window_rows) {
    while (right_[join].size() > static_cast<size_t>(j.window_rows_n) + 1) right_[join].pop_front();
  }
}

void ScanOperator::EvictRight(size_t join, int64_t now_ms) {
  const binder::BoundTableJoin& j = sel_->joins[join];
  if (j.table >= 0 || j.window_rows) return;
  // RANGE INTERVAL 'n' PRECEDING: right rows with ROWTIME in (t - n, t].
  std::deque<Row>& rows = right_[join];
  while (!rows.empty() && rows.front().rowtime_ms <= now_ms - j.window_range_ms) rows.pop_front();
}

void ScanOperator::Advance(int64_t now_ms, Sink* sink) {
  for (size_t j = 0; j < right_.size(); ++j) EvictRight(j, now_ms);
  AdvanceNext(now_ms, sink);
}

bool Project(const BoundSelect& sel, EvalContext& ctx, std::vector<Value>* out) {
  if (sel.having && !EvalPredicate(*sel.having, ctx)) return false;
  out->clear();
  out->reserve(sel.outputs.size());
  for (const auto& e : sel.outputs) out->push_back(Eval(*e, ctx));
  return !ctx.failed();
}

void ProjectOperator::Push(Row row, Sink* sink) {
  EvalContext ctx;
  ctx.row = row.values.data();
  std::vector<Value> out;
  if (!Project(*sel_, ctx, &out)) {
    if (ctx.failed()) {
      sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
    }
    return;
  }
  Emit(Row{row.rowtime_ms, std::move(out)}, sink);
}

namespace {

std::vector<Value> EvalKeys(const BoundSelect& sel, EvalContext& ctx) {
  std::vector<Value> keys;
  keys.reserve(sel.keys.size());
  for (const auto& k : sel.keys) keys.push_back(Eval(*k, ctx));
  return keys;
}

Group NewGroup(const BoundSelect& sel, const std::vector<Value>& scope, int64_t open_ms) {
  Group g;
  g.first_row = scope;
  g.open_ms = open_ms;
  for (const auto& a : sel.aggregates) g.accumulators.emplace_back(&a);
  return g;
}

void Accumulate(const BoundSelect& sel, Group* g, EvalContext& ctx) {
  for (size_t i = 0; i < sel.aggregates.size(); ++i) {
    const auto& a = sel.aggregates[i];
    g->accumulators[i].Add(a.arg ? Eval(*a.arg, ctx) : Value{true}, ctx);
  }
}

// Emits a closed group's row with ROWTIME `rowtime`.
void EmitGroup(const BoundSelect& sel, Group& g, int64_t rowtime, Sink* sink, const std::function<void(Row)>& emit) {
  EvalContext ctx;
  std::vector<Value> aggs;
  aggs.reserve(g.accumulators.size());
  for (const auto& acc : g.accumulators) aggs.push_back(acc.Result(ctx));
  ctx.row = g.first_row.data();
  ctx.aggregates = aggs.data();
  std::vector<Value> out;
  if (!Project(sel, ctx, &out)) {
    if (ctx.failed()) sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(sel, g.first_row, rowtime)});
    return;
  }
  emit(Row{rowtime, std::move(out)});
}

}  // namespace

void TumblingOperator::Push(Row row, Sink* sink) {
  Close(row.rowtime_ms, sink);
  EvalContext ctx;
  ctx.row = row.values.data();
  std::vector<Value> keys = EvalKeys(*sel_, ctx);
  const Value& wk = keys[static_cast<size_t>(sel_->rowtime_key)];
  if (ctx.failed() || IsNull(wk)) {
    if (ctx.failed()) {
      sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
    }
    return;
  }
  int64_t start = std::get<Timestamp>(wk).millis;
  if (start + sel_->window_ms <= watermark_) {
    sink->errors.push_back(RowError{
        "Late row", "row for the window starting " + FormatTimestamp(start) + " arrived after the window closed",
        SourceRow(*sel_, row.values, row.rowtime_ms)});
    return;
  }
  Window& w = windows_[start];
  std::string key = EncodeKey(keys);
  auto it = w.index.find(key);
  if (it == w.index.end()) {
    it = w.index.emplace(std::move(key), w.groups.size()).first;
    w.groups.push_back(NewGroup(*sel_, row.values, start));
  }
  Accumulate(*sel_, &w.groups[it->second], ctx);
  if (ctx.failed()) {
    sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
  }
}

void TumblingOperator::Close(int64_t now_ms, Sink* sink) {
  watermark_ = std::max(watermark_, now_ms);
  while (!windows_.empty() && windows_.begin()->first + sel_->window_ms <= now_ms) {
    auto node = windows_.extract(windows_.begin());
    int64_t end = node.key() + sel_->window_ms;
    for (Group& g : node.mapped().groups) {
      EmitGroup(*sel_, g, end, sink, [&](Row r) { Emit(std::move(r), sink); });
    }
  }
}

void TumblingOperator::Advance(int64_t now_ms, Sink* sink) {
  Close(now_ms, sink);
  AdvanceNext(now_ms, sink);
}

void StaggerOperator::Push(Row row, Sink* sink) {
  Close(row.rowtime_ms, sink);
  EvalContext ctx;
  ctx.row = row.values.data();
  std::vector<Value> keys = EvalKeys(*sel_, ctx);
  if (ctx.failed()) {
    sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
    return;
  }
  std::string key = EncodeKey(keys);
  auto it = index_.find(key);
  Group* g;
  if (it == index_.end()) {
    index_.emplace(key, popped_ + open_.size());
    open_.emplace_back(std::move(key), NewGroup(*sel_, row.values, row.rowtime_ms));
    g = &open_.back().second;
  } else {
    g = &open_[it->second - popped_].second;
  }
  Accumulate(*sel_, g, ctx);
  if (ctx.failed()) {
    sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
  }
}

void StaggerOperator::Close(int64_t now_ms, Sink* sink) {
  while (!open_.empty() && open_.front().second.open_ms + sel_->window_ms <= now_ms) {
    auto [key, g] = std::move(open_.front());
    open_.pop_front();
    index_.erase(key);
    ++popped_;
    EmitGroup(*sel_, g, g.open_ms + sel_->window_ms, sink, [&](Row r) { Emit(std::move(r), sink); });
  }
}

void StaggerOperator::Advance(int64_t now_ms, Sink* sink) {
  Close(now_ms, sink);
  AdvanceNext(now_ms, sink);
}

void TopKOperator::Push(Row row, Sink* sink) {
  Close(row.rowtime_ms, sink);
  int64_t start = FloorDiv(row.rowtime_ms, spec_->window_ms) * spec_->window_ms;
  if (open_ && start < start_) return;  // a late row from a stream with two writers: its window is gone
  open_ = true;
  start_ = start;
  Value& v = row.values[static_cast<size_t>(spec_->column)];
  if (IsNull(v)) return;
  auto [it, inserted] = counts_.try_emplace(EncodeKey({v}));
  if (inserted) {
    it->second.value = std::move(v);
    it->second.first_seen = counts_.size();
  }
  ++it->second.count;
}

void TopKOperator::Close(int64_t now_ms, Sink* sink) {
  if (!open_ || start_ + spec_->window_ms > now_ms) return;
  if (spec_->count_distinct) {
    Row r{start_ + spec_->window_ms, {Value{static_cast<int64_t>(counts_.size())}}};
    counts_.clear();
    open_ = false;
    Emit(std::move(r), sink);
    return;
  }
  std::vector<Item*> items;
  items.reserve(counts_.size());
  for (auto& [key, item] : counts_) items.push_back(&item);
  size_t k = std::min(items.size(), static_cast<size_t>(spec_->k));
  std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k), items.end(),
                    [](const Item* a, const Item* b) {
                      return a->count != b->count ? a->count > b->count : a->first_seen < b->first_seen;
                    });
  int64_t end = start_ + spec_->window_ms;
  std::vector<Row> rows;
  for (size_t i = 0; i < k; ++i) rows.push_back(Row{end, {std::move(items[i]->value), Value{items[i]->count}}});
  counts_.clear();
  open_ = false;
  for (Row& r : rows) Emit(std::move(r), sink);
}

SlidingOperator::SlidingOperator(const BoundSelect* sel) : sel_(sel) {
  windows_.resize(sel->windows.size());
  for (size_t w = 0; w < sel->windows.size(); ++w) windows_[w].window = &sel->windows[w];
  for (size_t a = 0; a < sel->aggregates.size(); ++a) {
    windows_[static_cast<size_t>(sel->aggregates[a].window)].aggregates.push_back(static_cast<int>(a));
  }
}

void SlidingOperator::Add(const WindowState& ws, Partition* p, Entry e, EvalContext& ctx) {
  if (p->aggs.empty()) p->aggs.resize(ws.aggregates.size());
  for (size_t k = 0; k < ws.aggregates.size(); ++k) {
    const binder::BoundAggregate& agg = sel_->aggregates[static_cast<size_t>(ws.aggregates[k])];
    AggState& st = p->aggs[k];
    const Value& v = e.args[k];
    if (IsNull(v)) continue;
    ++st.count;
    if (agg.fn == binder::AggregateFn::kSum || agg.fn == binder::AggregateFn::kAvg) {
      st.sum = IsNull(st.sum) ? v : Arithmetic('+', st.sum, v, ctx);
    } else if (agg.fn == binder::AggregateFn::kMin || agg.fn == binder::AggregateFn::kMax) {
      const bool min = agg.fn == binder::AggregateFn::kMin;
      while (!st.extremes.empty()) {
        bool comparable = false;
        int c = CompareValues(st.extremes.back().second, v, &comparable);
        if (min ? c < 0 : c > 0) break;
        st.extremes.pop_back();
      }
      st.extremes.emplace_back(e.seq, v);
    }
  }
  p->rows.push_back(std::move(e));
}

void SlidingOperator::Evict(const WindowState& ws, int64_t rowtime, Partition* p, EvalContext& ctx) {
  const binder::BoundWindow& w = *ws.window;
  auto expired = [&] {
    if (p->rows.empty()) return false;
    if (w.rows) return p->rows.size() > static_cast<size_t>(w.rows_n) + 1;
    // RANGE INTERVAL 'n' PRECEDING holds rows with ROWTIME in (t - n, t].
    return p->rows.front().rowtime <= rowtime - w.range_ms;
  };
  while (expired()) {
    const Entry& e = p->rows.front();
    for (size_t k = 0; k < ws.aggregates.size(); ++k) {
      const binder::BoundAggregate& agg = sel_->aggregates[static_cast<size_t>(ws.aggregates[k])];
      AggState& st = p->aggs[k];
      if (IsNull(e.args[k])) continue;
      if (--st.count == 0) {
        st.sum = Value{};
      } else if (agg.fn == binder::AggregateFn::kSum || agg.fn == binder::AggregateFn::kAvg) {
        st.sum = Arithmetic('-', st.sum, e.args[k], ctx);
      }
      if (!st.extremes.empty() && st.extremes.front().first == e.seq) st.extremes.pop_front();
    }
    p->rows.pop_front();
  }
}

std::optional<Value> SlidingOperator::Result(const WindowState& ws, const Partition& p, size_t k,
                                             EvalContext& ctx) const {
  const binder::BoundAggregate& agg = sel_->aggregates[static_cast<size_t>(ws.aggregates[k])];
  const AggState& st = p.aggs[k];
  switch (agg.fn) {
    case binder::AggregateFn::kCount: return Value{st.count};
    case binder::AggregateFn::kSum: return st.count == 0 ? Value{} : st.sum;
    case binder::AggregateFn::kAvg: return st.count == 0 ? Value{} : Average(st.sum, st.count, ctx);
    case binder::AggregateFn::kMin:
    case binder::AggregateFn::kMax: return st.extremes.empty() ? Value{} : st.extremes.front().second;
    case binder::AggregateFn::kFirstValue:
    case binder::AggregateFn::kLastValue:
      if (!agg.ignore_nulls)
        return agg.fn == binder::AggregateFn::kFirstValue ? p.rows.front().args[k] : p.rows.back().args[k];
      return NthInWindow(p, k, 1, agg.fn == binder::AggregateFn::kLastValue, true).value_or(Value{});
    case binder::AggregateFn::kNthValue:
      return NthInWindow(p, k, static_cast<size_t>(agg.n), agg.from_last, agg.ignore_nulls).value_or(Value{});
    case binder::AggregateFn::kLag: {
      // The current row is the window's last; LAG(x, 0) is x itself.
      if (agg.n == 0) return p.rows.back().args[k];
      size_t skipped = 0;
      for (size_t i = p.rows.size() - 1; i-- > 0;) {
        const Value& v = p.rows[i].args[k];
        if (agg.ignore_nulls && IsNull(v)) continue;
        if (++skipped == static_cast<size_t>(agg.n)) return v;
      }
      return std::nullopt;
    }
    case binder::AggregateFn::kExpAvg: {
      // Each value weighs half as much per half-life further back from the
      // current row: 2^-floor((t - t_i) / half-life), as the documented
      // sub-windows have it (the newest half-life weighs 1, the one before 1/2).
      const int64_t now = p.rows.back().rowtime;
      double num = 0, den = 0;
      for (const Entry& r : p.rows) {
        const Value& v = r.args[k];
        if (IsNull(v)) continue;
        double w = std::ldexp(1.0, -static_cast<int>(std::min<int64_t>((now - r.rowtime) / agg.n, 1074)));
        num += w * ToDouble(v);
        den += w;
      }
      if (den == 0) return Value{};
      return Value{num / den};
    }
  }
  return Value{};
}

std::optional<Value> SlidingOperator::NthInWindow(const Partition& p, size_t k, size_t n, bool from_last,
                                                  bool ignore_nulls) {
  size_t seen = 0;
  for (size_t j = 0; j < p.rows.size(); ++j) {
    const Value& v = p.rows[from_last ? p.rows.size() - 1 - j : j].args[k];
    if (ignore_nulls && IsNull(v)) continue;
    if (++seen == n) return v;
  }
  return std::nullopt;
}

void SlidingOperator::Push(Row row, Sink* sink) {
  EvalContext ctx;
  ctx.row = row.values.data();
  std::vector<Value> aggs(sel_->aggregates.size());
  for (WindowState& ws : windows_) {
    if (ws.aggregates.empty()) continue;
    std::vector<Value> keys;
    for (const auto& p : ws.window->partition_by) keys.push_back(Eval(*p, ctx));
    Partition& part = ws.partitions[EncodeKey(keys)];
    Entry e;
    e.rowtime = row.rowtime_ms;
    e.seq = next_seq_++;
    for (int a : ws.aggregates) {
      const auto& agg = sel_->aggregates[static_cast<size_t>(a)];
      e.args.push_back(agg.arg ? Eval(*agg.arg, ctx) : Value{true});
    }
    Add(ws, &part, std::move(e), ctx);
    Evict(ws, row.rowtime_ms, &part, ctx);
    for (size_t k = 0; k < ws.aggregates.size(); ++k) {
      const auto& agg = sel_->aggregates[static_cast<size_t>(ws.aggregates[k])];
      std::optional<Value> r = Result(ws, part, k, ctx);
      if (!r && agg.fallback) {
        // LAG's default, evaluated on the current row, as the result's type.
        Value d = Eval(*agg.fallback, ctx);
        spate::Result<Value> c = CastValue(d, agg.result.type);
        r = c.ok() ? std::move(c).value() : d;
      }
      aggs[static_cast<size_t>(ws.aggregates[k])] = r ? std::move(*r) : Value{};
    }
  }
  ctx.aggregates = aggs.data();
  std::vector<Value> out;
  if (!Project(*sel_, ctx, &out)) {
    if (ctx.failed()) {
      sink->errors.push_back(RowError{ctx.error_name, ctx.error, SourceRow(*sel_, row.values, row.rowtime_ms)});
    }
    return;
  }
  Emit(Row{row.rowtime_ms, std::move(out)}, sink);
}

void SlidingOperator::Advance(int64_t now_ms, Sink* sink) {
  // Time windows forget expired rows (no output: sliding windows emit only
  // on arrivals), so state stays bounded by the window.
  EvalContext ctx;
  for (WindowState& ws : windows_) {
    if (ws.window->rows) continue;
    for (auto it = ws.partitions.begin(); it != ws.partitions.end();) {
      Evict(ws, now_ms, &it->second, ctx);
      it = it->second.rows.empty() ? ws.partitions.erase(it) : std::next(it);
    }
  }
  AdvanceNext(now_ms, sink);
}

}  // namespace spate::analytics::exec
