#pragma once

// PutRecords' JSON body decoded without the document tree: the fast path of
// StreamsService::DecodeJsonFast (service/service.h).

#include <memory>
#include <string_view>
#include <vector>

#include "service/service.h"
#include "streams/registry.h"

namespace spate::streams::api {

// A PutRecords input: summary = {"StreamName": ...}; the records, Data
// decoded, ExplicitHashKey parsed, in request order.
struct PutRecordsInput final : service::DecodedInput {
  std::vector<PutEntry> entries;
};

// Decodes `body` when it is a PutRecords input in the form every SDK sends:
//   {"StreamName": "<name>", "Records": [{"Data": "<base64>",
//    "PartitionKey": "<key>", "ExplicitHashKey": "<decimal>"}, ...]}
// members in any order, each at most once, JSON white space anywhere,
// ExplicitHashKey optional, strings without escapes, partition keys of
// printable ASCII. Returns null for anything else, valid or not (StreamARN,
// StreamId, unknown members, escapes, other characters, duplicate members,
// an ExplicitHashKey of 2^128 or more, ...), and for any input the model
// refuses: the generic path then decodes it and answers as before. What it
// returns is exactly what the generic path would hand the handler (the
// decode, the model's validation and MakePutEntry's hash key parse), except
// the per-stream record size check, which the handler makes for both paths.
//
// Hand-written rather than through simdjson and protocol::Value: for 500
// records of 1 KiB, building the document (a string per member, copied and
// then decoded) and validating it cost more CPU than the rest of the call;
// here each Data string is found with one memchr and base64-decoded straight
// into its entry.
std::unique_ptr<PutRecordsInput> DecodePutRecordsJson(std::string_view body);

}  // namespace spate::streams::api
