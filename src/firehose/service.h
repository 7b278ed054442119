#pragma once

#include <string_view>

#include "service/service.h"

namespace spate::firehose {

class DeliveryStreams;

// Firehose behind the AWS front door (Firehose_20150804, SigV4 name
// "firehose"): the 12 operations of its model. A request refused for memory
// is ServiceUnavailableException, what Firehose's clients back off on.
// Thread-safe; `streams` must outlive it.
class FirehoseService final : public service::Service {
 public:
  explicit FirehoseService(DeliveryStreams* streams) : streams_(streams) {}

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  ErrorCode OverloadError(std::string_view operation) const override;
  // DeliveryStreamName.
  std::string ResourceName(const protocol::OperationInfo& op, const protocol::Value& input) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  DeliveryStreams* streams_;
};

}  // namespace spate::firehose
