#include "streams/access.h"

#include <gtest/gtest.h>

#include "metadata/stream_meta.h"

namespace spate::streams {
namespace {

constexpr char kStream[] = "arn:aws:kinesis:us-east-1:111111111111:stream/orders";

TEST(Authorize, SameAccountAlwaysCrossAccountByPolicy) {
  metadata::StreamMeta m;
  m.account = "111111111111";
  m.region = "us-east-1";
  m.name = "orders";
  Caller owner{"111111111111", "us-east-1"};
  Caller other{"222222222222", "us-east-1"};
  EXPECT_TRUE(Authorize(owner, "kinesis:DeleteStream", m, kStream).ok());
  Status denied = Authorize(other, "kinesis:GetRecords", m, kStream);
  EXPECT_EQ(denied.code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(denied.message(),
            "User: arn:aws:iam::222222222222:root is not authorized to perform: kinesis:GetRecords on resource: "
            "arn:aws:kinesis:us-east-1:111111111111:stream/orders because no resource-based policy allows the "
            "kinesis:GetRecords action");
  m.resource_policies[kStream] = R"({"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kinesis:Get*","Resource":"*"},
      {"Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"kinesis:GetShardIterator","Resource":"*"}]})";
  EXPECT_TRUE(Authorize(other, "kinesis:GetRecords", m, kStream).ok());
  Status deny = Authorize(other, "kinesis:GetShardIterator", m, kStream);
  EXPECT_EQ(deny.code(), ErrorCode::kAccessDenied);
  EXPECT_NE(deny.message().find("with an explicit deny in a resource-based policy"), std::string::npos);
  // A consumer's policy is its own: the stream's does not cover it.
  std::string consumer = std::string(kStream) + "/consumer/c:1";
  EXPECT_EQ(Authorize(other, "kinesis:GetRecords", m, consumer).code(), ErrorCode::kAccessDenied);
}

}  // namespace
}  // namespace spate::streams
