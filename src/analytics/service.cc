#include "analytics/service.h"

#include <array>

#include "analytics/applications.h"

namespace spate::analytics {
namespace {

using Op = Result<protocol::Value> (Applications::*)(const iam::Caller&, const protocol::Value&);

struct NamedOp {
  std::string_view name;
  Op fn;
};

constexpr std::array<NamedOp, 20> kOps = {{
    {"AddApplicationCloudWatchLoggingOption", &Applications::AddApplicationCloudWatchLoggingOption},
    {"AddApplicationInput", &Applications::AddApplicationInput},
    {"AddApplicationInputProcessingConfiguration", &Applications::AddApplicationInputProcessingConfiguration},
    {"AddApplicationOutput", &Applications::AddApplicationOutput},
    {"AddApplicationReferenceDataSource", &Applications::AddApplicationReferenceDataSource},
    {"CreateApplication", &Applications::CreateApplication},
    {"DeleteApplication", &Applications::DeleteApplication},
    {"DeleteApplicationCloudWatchLoggingOption", &Applications::DeleteApplicationCloudWatchLoggingOption},
    {"DeleteApplicationInputProcessingConfiguration", &Applications::DeleteApplicationInputProcessingConfiguration},
    {"DeleteApplicationOutput", &Applications::DeleteApplicationOutput},
    {"DeleteApplicationReferenceDataSource", &Applications::DeleteApplicationReferenceDataSource},
    {"DescribeApplication", &Applications::DescribeApplication},
    {"DiscoverInputSchema", &Applications::DiscoverInputSchema},
    {"ListApplications", &Applications::ListApplications},
    {"ListTagsForResource", &Applications::ListTagsForResource},
    {"StartApplication", &Applications::StartApplication},
    {"StopApplication", &Applications::StopApplication},
    {"TagResource", &Applications::TagResource},
    {"UntagResource", &Applications::UntagResource},
    {"UpdateApplication", &Applications::UpdateApplication},
}};

const NamedOp* FindOp(std::string_view name) {
  for (const NamedOp& op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace

const protocol::ServiceModel& AnalyticsService::model() const { return protocol::ServiceModel::KinesisAnalytics(); }

bool AnalyticsService::Serves(const protocol::OperationInfo& op) const { return FindOp(op.name()) != nullptr; }

ErrorCode AnalyticsService::OverloadError(std::string_view operation) const {
  (void)operation;
  return ErrorCode::kServiceUnavailable;
}

void AnalyticsService::Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
                              service::Done done) {
  const NamedOp* named = FindOp(op.name());
  done((apps_->*(named->fn))(call.caller, input));
}

}  // namespace spate::analytics
