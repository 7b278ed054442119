#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::analytics {

// DiscoverInputSchema's inference, as pure functions over sample records.

// The SQL column name discovery gives a field named `raw`: characters other
// than letters, digits and '_' removed; then "COL_" prefixed when anything
// was removed, when the name is a SQL reserved word (USER, TIMESTAMP,
// VALUES, YEAR, ...), begins with a digit or is longer than 100 characters.
// A name with nothing left is "COL_<n>", n counting such names from 0
// (`*unnamed`, advanced). USER -> COL_USER, USER@DOMAIN -> COL_USERDOMAIN,
// @@ -> COL_0.
std::string DiscoveredColumnName(std::string_view raw, int* unnamed);

// Whether `word` (any case) is reserved in the SQL dialect.
bool IsReservedWord(std::string_view word);

// What DiscoverInputSchema answers for the records: InputSchema (JSON when
// every non-empty record is a JSON object, with RecordRowPath "$" and one
// column per top-level field, nested objects flattened into their leaves;
// otherwise CSV split by the delimiter (',', '|', '\t', ';') that splits
// every line alike, columns COL1..N; otherwise one VARCHAR column),
// ParsedInputRecords, RawInputRecords and ProcessedInputRecords.
// kUnableToDetectSchema when no record has content.
Result<protocol::Value> DiscoverSchema(const std::vector<std::string>& records);

}  // namespace spate::analytics
