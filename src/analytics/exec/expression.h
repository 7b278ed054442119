#pragma once

// Evaluates bound expressions over one row: the scalar function library
// (arithmetic, comparison, boolean logic, CAST, CASE, COALESCE, NULLIF,
// string and date/time functions). A runtime error (division by zero, a
// failed CAST) sets EvalContext::error and yields NULL; the operator then
// sends the row to the error stream instead of emitting it.

#include <string>

#include "analytics/binder/bound.h"

namespace spate::analytics::exec {

struct EvalContext {
  const Value* row = nullptr;         // the scope row (binder's column indexes)
  const Value* aggregates = nullptr;  // the operator's aggregate results
  std::string error_name;             // set by the first runtime error: "Division by zero", ...
  std::string error;                  // its message
  bool failed() const { return !error_name.empty(); }
  void Fail(std::string name, std::string message) {
    if (error_name.empty()) {
      error_name = std::move(name);
      error = std::move(message);
    }
  }
};

Value Eval(const binder::BoundExpr& e, EvalContext& ctx);
// True only for a non-NULL TRUE (WHERE, HAVING, ON).
bool EvalPredicate(const binder::BoundExpr& e, EvalContext& ctx);

// a op b for + - * / on numbers (and TIMESTAMP +/- interval milliseconds);
// NULL if either is NULL. Sets ctx's error on division by zero or overflow.
Value Arithmetic(char op, const Value& a, const Value& b, EvalContext& ctx);

}  // namespace spate::analytics::exec
