#include "streams/producer_service.h"

#include "dedup/stamp.h"
#include "protocol/service_model.h"
#include "streams/api/common.h"
#include "streams/api/operation.h"

namespace spate::streams {

const protocol::ServiceModel& ProducerService::model() const { return protocol::ServiceModel::SpateProducers(); }

bool ProducerService::Serves(const protocol::OperationInfo& op) const {
  return op.name() == "InitProducer" || op.name() == "PutRecords";
}

Status ProducerService::Admit(const service::Call& call, const protocol::Value& input) {
  // A stamped PutRecords is throttled and fault-injected as PutRecords is.
  if (call.operation != "PutRecords") return Status::Ok();
  return api::AdmitCall(registry_, call.caller, call.operation, input);
}

ErrorCode ProducerService::OverloadError(std::string_view operation) const {
  return operation == "PutRecords" ? ErrorCode::kThroughputExceeded : ErrorCode::kLimitExceeded;
}

std::string ProducerService::ResourceName(const protocol::OperationInfo&, const protocol::Value& input) const {
  for (std::string_view key : {"StreamName", "StreamARN", "ProducerId"}) {
    if (std::string_view v = input.GetString(key); !v.empty()) return std::string(v);
  }
  return std::string();
}

void ProducerService::Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
                             service::Done done) {
  if (op.name() == "InitProducer") {
    auto id = epochs_->Init(call.caller.account, call.caller.region, input.GetString("ProducerId"));
    if (!id.ok()) return done(id.status());
    protocol::Value out = protocol::Value::MakeObject();
    out.Set("ProducerId", protocol::Value::String(id->producer_id));
    out.Set("ProducerEpoch", protocol::Value::Int(static_cast<int64_t>(id->epoch)));
    return done(std::move(out));
  }
  dedup::ProducerStamp stamp;
  stamp.producer_id = std::string(input.GetString("ProducerId"));
  stamp.epoch = static_cast<uint64_t>(input.GetInt("ProducerEpoch"));
  stamp.sequence = static_cast<uint64_t>(input.GetInt("ProducerSequence"));
  if (Status st = epochs_->Check(call.caller.account, call.caller.region, stamp); !st.ok()) return done(st);
  api::Context ctx;
  static_cast<service::Call&>(ctx) = std::move(call);
  ctx.registry = registry_;
  api::PutRecordsStamped(ctx, std::move(input), std::move(done), &stamp);
}

}  // namespace spate::streams
