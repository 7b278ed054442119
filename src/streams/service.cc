#include "streams/service.h"

#include <functional>

#include "base/assert.h"
#include "streams/api/common.h"
#include "streams/api/operation.h"
#include "streams/api/put_records_json.h"
#include "streams/request_forwarder.h"

namespace spate::streams {

StreamsService::StreamsService(Registry* registry, FanOut* fan_out, RequestForwarder* forwarder)
    : registry_(registry),
      fan_out_(fan_out),
      forwarder_(forwarder),
      put_records_(model().FindOperation("PutRecords")),
      put_records_decoder_(std::make_unique<api::PutRecordsJsonDecoder>(model())) {
  for (const protocol::OperationInfo& op : model().operations()) handlers_.push_back(api::FindHandler(op.name()));
}

StreamsService::~StreamsService() = default;

const protocol::ServiceModel& StreamsService::model() const { return protocol::ServiceModel::Kinesis(); }

StreamsService::Handler StreamsService::HandlerOf(const protocol::OperationInfo& op) const {
  const auto& ops = model().operations();
  std::less<const protocol::OperationInfo*> before;
  if (before(&op, ops.data()) || !before(&op, ops.data() + ops.size())) return nullptr;  // another model's
  return handlers_[static_cast<size_t>(&op - ops.data())];
}

bool StreamsService::Serves(const protocol::OperationInfo& op) const { return HandlerOf(op) != nullptr; }

Status StreamsService::Admit(const service::Call& call, const protocol::Value& input) {
  return api::AdmitCall(registry_, call.caller, call.operation, input);
}

ErrorCode StreamsService::OverloadError(std::string_view op) const {
  bool data_plane = op == "PutRecord" || op == "PutRecords" || op == "GetRecords" || op == "SubscribeToShard";
  return data_plane ? ErrorCode::kThroughputExceeded : ErrorCode::kLimitExceeded;
}

std::string StreamsService::ResourceName(const protocol::OperationInfo&, const protocol::Value& input) const {
  for (std::string_view key : {"StreamName", "StreamARN", "ConsumerARN", "ResourceARN"}) {
    if (std::string_view v = input.GetString(key); !v.empty()) return std::string(v);
  }
  return std::string();
}

void StreamsService::Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
                            service::Done done) {
  // The one place that decides "here or another node" (cluster mode).
  if (forwarder_ != nullptr && !call.forwarded && forwarder_->Forward(call, input, done)) return;
  api::Context ctx;
  static_cast<service::Call&>(ctx) = std::move(call);
  ctx.registry = registry_;
  ctx.fan_out = fan_out_;
  HandlerOf(op)(ctx, std::move(input), std::move(done));
}

std::unique_ptr<service::DecodedInput> StreamsService::DecodeJsonFast(const protocol::OperationInfo& op,
                                                                      std::string_view body) {
  if (&op != put_records_ || forwarder_ != nullptr) return nullptr;
  return put_records_decoder_->Decode(body);
}

void StreamsService::InvokeDecoded(const protocol::OperationInfo& op, service::Call call,
                                   std::unique_ptr<service::DecodedInput> input, service::Done done) {
  SPATE_ASSERT(&op == put_records_, "only PutRecords is decoded by DecodeJsonFast");
  api::Context ctx;
  static_cast<service::Call&>(ctx) = std::move(call);
  ctx.registry = registry_;
  ctx.fan_out = fan_out_;
  api::PutRecordsDecoded(ctx, std::move(static_cast<api::PutRecordsInput&>(*input)), std::move(done));
}

}  // namespace spate::streams
