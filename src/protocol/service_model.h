#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::protocol {

// The encoding a request body arrived in; the validator's coercions depend on
// it only where the encodings differ (see ServiceModel::ValidateInput).
enum class WireFormat : uint8_t { kJson, kCbor };

class ModelPattern;
class ServiceModel;

// What a service model constrains one member of an operation's input to:
// the values ServiceModel::ValidateInput enforces, for a decoder that checks
// a request itself (the PutRecords fast path, streams/api/put_records_json.h)
// and must not drift from the model.
struct MemberConstraints {
  // Length (string: characters, blob: bytes, list and map: elements) or, for
  // a number, value. Absent when the model sets none.
  std::optional<double> min;
  std::optional<double> max;
  // The pattern a string must match whole (with Spate's overrides applied),
  // owned by the model; null when there is none.
  const ModelPattern* pattern = nullptr;
  bool required = false;  // of the last member named
};

// One operation of a service model. Owned by its ServiceModel; pointers to it
// stay valid for the life of the process.
class OperationInfo {
 public:
  // "PutRecord".
  const std::string& name() const { return name_; }
  // Names of the input and output structure shapes ("PutRecordInput"); empty
  // when the operation has none.
  const std::string& input_shape() const { return input_shape_; }
  const std::string& output_shape() const { return output_shape_; }
  // Whether the output is an event stream (a member of the output structure
  // has a shape the model marks `eventstream`: SubscribeToShard).
  bool event_stream_output() const { return event_stream_output_; }

 private:
  friend class ServiceModel;
  std::string name_;
  std::string input_shape_;
  std::string output_shape_;
  int32_t input_index_ = -1;  // into the model's shape table; -1 when no input
  bool event_stream_output_ = false;
};

// ServiceModel is one AWS JSON-protocol service (Kinesis Data Streams,
// Firehose, Kinesis Analytics v1) as described by the AWS SDK's service model
// file, which is embedded in the binary at build time (models/). It names the
// operations and validates request bodies against their input shapes, with
// AWS's error messages.
//
// Thread-safety: the singletons are built on first use (thread-safe) and are
// immutable afterwards; every method may be called concurrently.
class ServiceModel {
 public:
  ~ServiceModel();
  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;

  // Kinesis_20131202, Firehose_20150804, KinesisAnalytics_20150814.
  static const ServiceModel& Kinesis();
  static const ServiceModel& Firehose();
  static const ServiceModel& KinesisAnalytics();
  // SpateLeases_20261207: Spate's own lease-table extension (docs/leases.md),
  // signed as "kinesis".
  static const ServiceModel& SpateLeases();
  // SpateProducers_20261207: the exactly-once append extension
  // (docs/exactly-once.md), signed as "kinesis".
  static const ServiceModel& SpateProducers();
  // SpateCluster_20261207: cluster operation (status, drain; src/cluster/
  // admin_service.h), signed as "kinesis".
  static const ServiceModel& SpateCluster();
  // The model whose target prefix is `prefix` (the part of X-Amz-Target
  // before the '.'), or nullptr.
  static const ServiceModel* ForTargetPrefix(std::string_view prefix);

  // "Kinesis_20131202".
  std::string_view target_prefix() const;
  // The model's metadata.endpointPrefix, also the SigV4 service name: "kinesis".
  std::string_view endpoint_prefix() const;

  // The operation named exactly `name`, or nullptr if the service has none.
  const OperationInfo* FindOperation(std::string_view name) const;
  // All operations, sorted by name.
  const std::vector<OperationInfo>& operations() const;

  // Coerces and validates `input`, the decoded request body, against `op`'s
  // input shape, the way AWS does:
  //
  // 1. Types, over the whole input, members of each structure in name order.
  //    The first mismatch returns kSerialization with AWS's (Java) message,
  //    e.g. "class java.lang.String can not be converted to an Integer".
  //    On the way *input is normalised: members the shape does not declare
  //    and null members are removed; base64 strings become Value::Blob
  //    (JSON, and CBOR text strings), CBOR byte strings stay Blob; numbers of
  //    epoch seconds become Value::TimestampMs; doubles for integer/long
  //    shapes are floored (integer additionally capped at 2^31-1).
  // 2. Constraints (required, enum, pattern, length, value range), depth
  //    first, members in name order, a list's or map's own constraints before
  //    its elements'. All violations are collected, at most 10, and returned
  //    as one kValidation status:
  //    "2 validation errors detected: Value null at 'streamName' failed to
  //    satisfy constraint: Member must not be null; Value ..."
  //
  // On success *input conforms to the shape: every present member has the
  // kind its shape implies (string/enum: kString; blob: kBlob; boolean:
  // kBool; integer/long: kInt; double/float: kDouble; timestamp: kTimestamp;
  // list: kArray; map and structure: kObject) and list elements are never
  // null. A null `input` is treated as an empty object. On error *input may
  // be partly normalised and must not be used.
  //
  // `format` is the request's encoding. Both encodings are coerced alike
  // today (a plain number in a timestamp member is epoch seconds in either);
  // it is taken so that encoding-specific rules have one place to go.
  Status ValidateInput(const OperationInfo& op, Value* input, WireFormat format) const;

  // The constraints on the member of `op`'s input that `path` names, from the
  // input structure down; a list or map is stepped through to its element (or
  // value) shape on the way: {"Records", "Data"} is the Data of every element
  // of PutRecords' Records, {"Records"} the list itself. Nullopt when a step
  // names no member (or `op` has no input).
  std::optional<MemberConstraints> InputMember(const OperationInfo& op,
                                               std::initializer_list<std::string_view> path) const;

  // Opaque representation of the model; defined in service_model.cc.
  struct Impl;

 private:
  explicit ServiceModel(std::unique_ptr<Impl> impl);
  static std::unique_ptr<ServiceModel> Load(std::string_view json);

  std::unique_ptr<Impl> impl_;
};

}  // namespace spate::protocol
