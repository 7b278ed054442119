#pragma once

// The binder: resolves an application's parsed statements against the
// in-application streams (declared inputs and CREATE STREAMs) and the
// reference tables, checks types, and classifies each pump's query
// (projection, tumbling, sliding, stagger). Errors name line and column.

#include <variant>
#include <vector>

#include "analytics/binder/bound.h"
#include "analytics/parser/ast.h"

namespace spate::analytics::binder {

struct StreamInfo {
  std::string name;
  std::vector<ColumnDef> columns;  // ROWTIME is implicit and not listed
  bool input = false;              // declared by the configuration
};

struct BoundScript {
  std::vector<StreamInfo> streams;  // inputs first, then CREATE STREAMs in order
  std::vector<BoundPump> pumps;     // in the order written
};

// The two Kinesis columns an input stream carries last when
// InputStreamDecl::with_kinesis_columns.
std::vector<ColumnDef> InputColumns(const InputStreamDecl& decl);

std::variant<BoundScript, CodeError> Bind(const parser::Script& script, const std::vector<InputStreamDecl>& inputs,
                                          const std::vector<ReferenceTable>& references);

}  // namespace spate::analytics::binder
