#include "firehose/service.h"

#include <array>
#include <utility>

#include "firehose/delivery_streams.h"

namespace spate::firehose {
namespace {

using Sync = Result<protocol::Value> (DeliveryStreams::*)(const iam::Caller&, const protocol::Value&);

struct SyncOp {
  std::string_view name;
  Sync fn;
};

constexpr std::array<SyncOp, 10> kSyncOps = {{
    {"CreateDeliveryStream", &DeliveryStreams::CreateDeliveryStream},
    {"DeleteDeliveryStream", &DeliveryStreams::DeleteDeliveryStream},
    {"DescribeDeliveryStream", &DeliveryStreams::DescribeDeliveryStream},
    {"ListDeliveryStreams", &DeliveryStreams::ListDeliveryStreams},
    {"UpdateDestination", &DeliveryStreams::UpdateDestination},
    {"TagDeliveryStream", &DeliveryStreams::TagDeliveryStream},
    {"UntagDeliveryStream", &DeliveryStreams::UntagDeliveryStream},
    {"ListTagsForDeliveryStream", &DeliveryStreams::ListTagsForDeliveryStream},
    {"StartDeliveryStreamEncryption", &DeliveryStreams::StartDeliveryStreamEncryption},
    {"StopDeliveryStreamEncryption", &DeliveryStreams::StopDeliveryStreamEncryption},
}};

const SyncOp* FindSync(std::string_view name) {
  for (const SyncOp& op : kSyncOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace

const protocol::ServiceModel& FirehoseService::model() const { return protocol::ServiceModel::Firehose(); }

bool FirehoseService::Serves(const protocol::OperationInfo& op) const {
  return FindSync(op.name()) != nullptr || op.name() == "PutRecord" || op.name() == "PutRecordBatch";
}

ErrorCode FirehoseService::OverloadError(std::string_view operation) const {
  (void)operation;
  return ErrorCode::kServiceUnavailable;
}

std::string FirehoseService::ResourceName(const protocol::OperationInfo&, const protocol::Value& input) const {
  return std::string(input.GetString("DeliveryStreamName"));
}

void FirehoseService::Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
                             service::Done done) {
  if (op.name() == "PutRecord") return streams_->PutRecord(call.caller, std::move(input), std::move(done));
  if (op.name() == "PutRecordBatch") return streams_->PutRecordBatch(call.caller, std::move(input), std::move(done));
  const SyncOp* sync = FindSync(op.name());
  done((streams_->*(sync->fn))(call.caller, input));
}

}  // namespace spate::firehose
