#pragma once

#include <memory>
#include <vector>

#include "service/service.h"

namespace spate::streams {

class FanOut;
class Registry;
class RequestForwarder;
namespace api {
struct Context;
class PutRecordsJsonDecoder;
}  // namespace api

// Data Streams behind the AWS front door (Kinesis_20131202, SigV4 name
// "kinesis"): each operation of the Kinesis model that has a handler in
// api/ is served; admission is the registry's control-plane rate limits
// and fault injection; a request refused for memory is
// ProvisionedThroughputExceededException on the data plane (PutRecord,
// PutRecords, GetRecords, SubscribeToShard: what producers and the KCL
// already back off on) and LimitExceededException elsewhere.
//
// In cluster mode a `forwarder` (request_forwarder.h) may send a call to the
// node it belongs on instead of running its handler here.
//
// Thread-safe; `registry`, `fan_out` (may be null: no enhanced fan-out) and
// `forwarder` (may be null: a single node) must outlive it.
class StreamsService final : public service::Service {
 public:
  StreamsService(Registry* registry, FanOut* fan_out, RequestForwarder* forwarder = nullptr);
  ~StreamsService() override;

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  Status Admit(const service::Call& call, const protocol::Value& input) override;
  ErrorCode OverloadError(std::string_view operation) const override;
  // StreamName, else StreamARN, else ConsumerARN (or ResourceARN).
  std::string ResourceName(const protocol::OperationInfo& op, const protocol::Value& input) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;
  // PutRecords in the form SDKs send (api/put_records_json.h), on a single
  // node (a cluster node may forward the call, which needs the document).
  std::unique_ptr<service::DecodedInput> DecodeJsonFast(const protocol::OperationInfo& op,
                                                        std::string_view body) override;
  void InvokeDecoded(const protocol::OperationInfo& op, service::Call call,
                     std::unique_ptr<service::DecodedInput> input, service::Done done) override;

 private:
  using Handler = void (*)(const api::Context&, protocol::Value, service::Done);
  Handler HandlerOf(const protocol::OperationInfo& op) const;

  Registry* registry_;
  FanOut* fan_out_;
  RequestForwarder* forwarder_;
  const protocol::OperationInfo* put_records_;  // in model()
  // Its bounds read from model() (put_records_json.h).
  std::unique_ptr<const api::PutRecordsJsonDecoder> put_records_decoder_;
  // By the operation's position in model().operations(); null when unserved.
  std::vector<Handler> handlers_;
};

}  // namespace spate::streams
