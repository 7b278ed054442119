#include "analytics/exec/aggregate.h"

#include "analytics/exec/value_ops.h"
#include "base/assert.h"

namespace spate::analytics::exec {

using binder::AggregateFn;

Value Average(const Value& sum, int64_t count, EvalContext& ctx) {
  if (std::holds_alternative<double>(sum)) return Value{std::get<double>(sum) / static_cast<double>(count)};
  if (auto* m = std::get_if<Decimal>(&sum)) {
    __int128 q = m->unscaled / count;
    __int128 r = m->unscaled % count;
    if (r * 2 >= count) ++q;
    if (r * 2 <= -count) --q;
    return Value{Decimal{static_cast<int64_t>(q), m->scale}};
  }
  return Arithmetic('/', sum, Value{count}, ctx);
}

void Accumulator::Add(const Value& v, EvalContext& ctx) {
  if (IsNull(v) && agg_->ignore_nulls) return;
  if (IsNull(v)) {
    if (agg_->fn == AggregateFn::kFirstValue && count_ == 0 && IsNull(acc_)) {
      // FIRST_VALUE keeps the first row's value even when NULL.
      count_ = -1;
    }
    if (agg_->fn == AggregateFn::kLastValue) acc_ = Value{};
    return;
  }
  switch (agg_->fn) {
    case AggregateFn::kCount: break;
    case AggregateFn::kSum:
    case AggregateFn::kAvg: acc_ = IsNull(acc_) ? v : Arithmetic('+', acc_, v, ctx); break;
    case AggregateFn::kMin:
    case AggregateFn::kMax: {
      bool comparable = false;
      if (IsNull(acc_)) {
        acc_ = v;
      } else {
        int c = CompareValues(v, acc_, &comparable);
        if ((agg_->fn == AggregateFn::kMin && c < 0) || (agg_->fn == AggregateFn::kMax && c > 0)) acc_ = v;
      }
      break;
    }
    case AggregateFn::kFirstValue:
      if (count_ == 0) acc_ = v;
      break;
    case AggregateFn::kLastValue: acc_ = v; break;
    case AggregateFn::kExpAvg:
    case AggregateFn::kLag:
    case AggregateFn::kNthValue: SPATE_ASSERT(false, "an analytic function outside a sliding window"); break;
  }
  if (count_ >= 0) ++count_;
}

Value Accumulator::Result(EvalContext& ctx) const {
  switch (agg_->fn) {
    case AggregateFn::kCount: return Value{count_ < 0 ? int64_t{0} : count_};
    case AggregateFn::kAvg:
      if (IsNull(acc_) || count_ <= 0) return Value{};
      return Average(acc_, count_, ctx);
    default: return acc_;
  }
}

}  // namespace spate::analytics::exec
