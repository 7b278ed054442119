#pragma once

// The planner: turns a bound query into its chain of push-based operators
// (exec/operators.h) and registers the hash indexes its reference-table
// joins probe.

#include <memory>
#include <vector>

#include "analytics/binder/bound.h"
#include "analytics/exec/operators.h"

namespace spate::analytics::planner {

// The operators of one query, innermost FROM subquery first; each feeds the
// next, the last emits the query's rows into the sink. They keep pointers
// into `sel`, which must outlive them.
struct Chain {
  // The right-hand stream of a stream-to-stream JOIN and the scan keeping its rows.
  struct RightInput {
    std::string stream;
    exec::ScanOperator* scan = nullptr;
    size_t join = 0;
  };
  std::vector<std::unique_ptr<exec::Operator>> operators;
  std::vector<RightInput> right_inputs;
  exec::Operator* head() const { return operators.front().get(); }
};

Chain Plan(const binder::BoundSelect& sel, exec::TableStore* tables);

}  // namespace spate::analytics::planner
