#pragma once

// The processors that turn one record into several (or into another form)
// before any Lambda: KPL de-aggregation, GZIP decompression, CloudWatch Logs
// message extraction and JSON / delimiter de-aggregation. Pure functions,
// safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::firehose::processing {

// The user records of a KPL-aggregated record (magic F3 89 9A C2, the
// AggregatedRecord message, its MD5), or the record itself when it is not a
// well-formed aggregate (include/spate/aggregation.h).
std::vector<std::string> KplDeaggregate(std::string_view data);

// Splits concatenated or newline-separated JSON objects ({"a":1}{"a":2} or
// one per line) into one string per object, without the whitespace between
// them. Error (kInvalidArgument): anything but whitespace outside the objects,
// an unbalanced object, a record with no object.
Result<std::vector<std::string>> SplitJsonObjects(std::string_view data);

// Splits on `delimiter` (non-empty); empty pieces (a trailing delimiter) are
// dropped.
std::vector<std::string> SplitDelimited(std::string_view data, std::string_view delimiter);

// Inflates GZIP data (one or more members), as CloudWatch Logs subscriptions
// send it. Error (kInvalidArgument): not GZIP, or corrupt.
Result<std::string> Gunzip(std::string_view data);

// CloudWatch Logs message extraction: for a subscription's DATA_MESSAGE
// ({"messageType","owner","logGroup","logStream","subscriptionFilters",
// "logEvents":[{"id","timestamp","message"}]}) the message of each log event;
// for a CONTROL_MESSAGE nothing. Error (kInvalidArgument): not such a document.
Result<std::vector<std::string>> ExtractLogMessages(std::string_view data);

}  // namespace spate::firehose::processing
