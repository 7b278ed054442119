#include "analytics/exec/aggregate.h"

#include "analytics/exec/value_ops.h"

namespace spate::analytics::exec {

using binder::AggregateFn;

void Accumulator::Add(const Value& v, EvalContext& ctx) {
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
  }
  if (count_ >= 0) ++count_;
}

Value Accumulator::Result(EvalContext& ctx) const {
  switch (agg_->fn) {
    case AggregateFn::kCount: return Value{count_ < 0 ? int64_t{0} : count_};
    case AggregateFn::kAvg: {
      if (IsNull(acc_) || count_ <= 0) return Value{};
      if (std::holds_alternative<double>(acc_)) return Value{std::get<double>(acc_) / static_cast<double>(count_)};
      if (auto* m = std::get_if<Decimal>(&acc_)) {
        // Keep the argument's scale, rounding half away from zero.
        __int128 q = m->unscaled / count_;
        __int128 r = m->unscaled % count_;
        if (r * 2 >= count_) ++q;
        if (r * 2 <= -count_) --q;
        return Value{Decimal{static_cast<int64_t>(q), m->scale}};
      }
      // Integer AVG stays an integer (truncated), as the argument's type says.
      return Arithmetic('/', acc_, Value{count_}, ctx);
    }
    default: return acc_;
  }
}

}  // namespace spate::analytics::exec
