#pragma once

// PutRecords' JSON body decoded without the document tree: the fast path of
// StreamsService::DecodeJsonFast (service/service.h).

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "service/service.h"
#include "streams/registry.h"

namespace spate::protocol {
class ModelPattern;
}

namespace spate::streams::api {

// A PutRecords input: summary = {"StreamName": ...}; the records, Data
// decoded, ExplicitHashKey parsed, in request order.
struct PutRecordsInput final : service::DecodedInput {
  std::vector<PutEntry> entries;
};

// What the decoder checks, read from the service model's PutRecords input
// shape (PutRecordsInput, PutRecordsRequestEntry) when the decoder is made,
// so that it cannot drift from the model the generic path validates with.
// Lengths are inclusive; a bound the model does not set is 0 or SIZE_MAX.
struct PutRecordsBounds {
  size_t min_records = 0;  // Records (list elements)
  size_t max_records = 0;
  size_t min_stream_name = 0;  // StreamName (characters)
  size_t max_stream_name = 0;
  const protocol::ModelPattern* stream_name_pattern = nullptr;  // owned by the model; null: none
  size_t min_partition_key = 0;                                 // PartitionKey (characters)
  size_t max_partition_key = 0;
  size_t min_data = 0;  // Data (decoded bytes)
  size_t max_data = 0;
  size_t min_hash_key = 0;  // ExplicitHashKey (characters)
  size_t max_hash_key = 0;
  const protocol::ModelPattern* hash_key_pattern = nullptr;  // owned by the model; null: none
  // The model's HashKey pattern is 0|([1-9]\d{0,38}), which the decoder
  // checks by hand while it parses the number (a regex match per record
  // would cost more than the parse); any other pattern is matched as given.
  bool hash_key_pattern_is_decimal = false;

  // From `model`'s PutRecords operation (asserts that it has one, with the
  // members above).
  static PutRecordsBounds FromModel(const protocol::ServiceModel& model);
};

// Decodes a body when it is a PutRecords input in the form every SDK sends:
//   {"StreamName": "<name>", "Records": [{"Data": "<base64>",
//    "PartitionKey": "<key>", "ExplicitHashKey": "<decimal>"}, ...]}
// members in any order, each at most once, JSON white space anywhere,
// ExplicitHashKey optional, strings without escapes, stream names and
// partition keys of printable ASCII. Returns null for anything else, valid
// or not (StreamARN, StreamId, unknown members, escapes, other characters,
// duplicate members, an ExplicitHashKey of 2^128 or more, ...), and for any
// input the model refuses: the generic path then decodes it and answers as
// before. What it returns is exactly what the generic path would hand the
// handler (the decode, the model's validation and MakePutEntry's hash key
// parse), except the per-stream record size check, which the handler makes
// for both paths.
//
// Hand-written rather than through simdjson and protocol::Value: for 500
// records of 1 KiB, building the document (a string per member, copied and
// then decoded) and validating it cost more CPU than the rest of the call;
// here each Data string is base64-decoded straight into its entry as it is
// read, one pass over its characters (util::Base64DecodeTerminated).
//
// Immutable once made; Decode may be called from any thread.
class PutRecordsJsonDecoder {
 public:
  explicit PutRecordsJsonDecoder(const protocol::ServiceModel& model) : bounds_(PutRecordsBounds::FromModel(model)) {}

  std::unique_ptr<PutRecordsInput> Decode(std::string_view body) const;

  const PutRecordsBounds& bounds() const { return bounds_; }

 private:
  PutRecordsBounds bounds_;
};

// PutRecordsJsonDecoder(ServiceModel::Kinesis()).Decode(body), with one
// decoder made on first use.
std::unique_ptr<PutRecordsInput> DecodePutRecordsJson(std::string_view body);

}  // namespace spate::streams::api
