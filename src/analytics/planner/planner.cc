#include "analytics/planner/planner.h"

#include "analytics/exec/table_functions.h"

namespace spate::analytics::planner {

namespace {

void Append(const binder::BoundSelect& sel, exec::TableStore* tables, Chain* chain) {
  if (sel.source.subquery) Append(*sel.source.subquery, tables, chain);
  if (sel.source.top_k) {
    auto top = std::make_unique<exec::TopKOperator>(&*sel.source.top_k);
    chain->operators.back()->set_next(top.get());
    chain->operators.push_back(std::move(top));
  }
  if (sel.source.anomaly) {
    auto op = std::make_unique<exec::AnomalyOperator>(&*sel.source.anomaly);
    chain->operators.back()->set_next(op.get());
    chain->operators.push_back(std::move(op));
  }
  if (sel.source.hotspots) {
    auto op = std::make_unique<exec::HotspotsOperator>(&*sel.source.hotspots);
    chain->operators.back()->set_next(op.get());
    chain->operators.push_back(std::move(op));
  }
  for (const auto& j : sel.joins) {
    if (j.equi_table_column >= 0) tables->RequireIndex(j.table, j.equi_table_column);
  }
  std::vector<std::unique_ptr<exec::Operator>> ops;
  auto scan = std::make_unique<exec::ScanOperator>(&sel, tables);
  for (size_t j = 0; j < sel.joins.size(); ++j) {
    if (sel.joins[j].table < 0) chain->right_inputs.push_back({sel.joins[j].right_stream, scan.get(), j});
  }
  ops.push_back(std::move(scan));
  switch (sel.kind) {
    case binder::QueryKind::kProject: ops.push_back(std::make_unique<exec::ProjectOperator>(&sel)); break;
    case binder::QueryKind::kTumbling: ops.push_back(std::make_unique<exec::TumblingOperator>(&sel)); break;
    case binder::QueryKind::kSliding: ops.push_back(std::make_unique<exec::SlidingOperator>(&sel)); break;
    case binder::QueryKind::kStagger: ops.push_back(std::make_unique<exec::StaggerOperator>(&sel)); break;
  }
  for (auto& op : ops) {
    if (!chain->operators.empty()) chain->operators.back()->set_next(op.get());
    chain->operators.push_back(std::move(op));
  }
}

}  // namespace

Chain Plan(const binder::BoundSelect& sel, exec::TableStore* tables) {
  Chain chain;
  Append(sel, tables, &chain);
  return chain;
}

}  // namespace spate::analytics::planner
