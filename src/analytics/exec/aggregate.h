#pragma once

// Aggregate state: COUNT, SUM, MIN, MAX, AVG, FIRST_VALUE, LAST_VALUE. One
// Accumulator per aggregate per group (tumbling, stagger) or per evaluation
// (sliding windows rebuild theirs from the window's rows).

#include "analytics/binder/bound.h"
#include "analytics/exec/expression.h"

namespace spate::analytics::exec {

// AVG from a sum and a count > 0: DOUBLE divides; DECIMAL keeps the sum's
// scale (rounding half away from zero); integers truncate, as the argument's
// type says.
Value Average(const Value& sum, int64_t count, EvalContext& ctx);

class Accumulator {
 public:
  explicit Accumulator(const binder::BoundAggregate* agg) : agg_(agg) {}

  // Adds one row's argument value (any non-NULL value for COUNT(*)).
  // Overflow sets ctx's error.
  void Add(const Value& v, EvalContext& ctx);
  // The aggregate over what was added: NULL for an empty SUM/MIN/MAX/AVG.
  Value Result(EvalContext& ctx) const;

 private:
  const binder::BoundAggregate* agg_;
  int64_t count_ = 0;
  Value acc_;  // sum, min, max, first or last
};

}  // namespace spate::analytics::exec
