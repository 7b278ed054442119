#pragma once

#include <string_view>

#include "service/service.h"

namespace spate::analytics {

class Applications;

// Kinesis Data Analytics (SQL) behind the AWS front door
// (KinesisAnalytics_20150814, SigV4 name "kinesisanalytics"): the 20
// operations of its model. A request refused for memory is
// ServiceUnavailableException, which the SDKs back off on. Thread-safe;
// `apps` must outlive it.
class AnalyticsService final : public service::Service {
 public:
  explicit AnalyticsService(Applications* apps) : apps_(apps) {}

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  ErrorCode OverloadError(std::string_view operation) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  Applications* apps_;
};

}  // namespace spate::analytics
