#include "firehose/http_endpoint_protocol.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

BatchRecord Rec(std::string data) {
  BatchRecord r;
  r.data = std::move(data);
  return r;
}

net::HttpResponse Answer(long status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(HttpEndpointBodyTest, Envelope) {
  std::vector<BatchRecord> records = {Rec("hello"), Rec(std::string("\x00\xff", 2))};
  EXPECT_EQ(HttpEndpointBody("req-1", 1535365800000, records),
            "{\"requestId\":\"req-1\",\"timestamp\":1535365800000,\"records\":[{\"data\":\"aGVsbG8=\"},"
            "{\"data\":\"AP8=\"}]}");
}

TEST(HttpEndpointBodyTest, NoRecords) {
  EXPECT_EQ(HttpEndpointBody("r", 1, {}), "{\"requestId\":\"r\",\"timestamp\":1,\"records\":[]}");
}

TEST(HttpEndpointHeadersTest, ProtocolHeaders) {
  auto h = HttpEndpointHeaders("req-1", "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", "secret",
                               "{\"commonAttributes\":{\"a\":\"b\"}}", true);
  std::map<std::string, std::string> m(h.begin(), h.end());
  EXPECT_EQ(m["Content-Type"], "application/json");
  EXPECT_EQ(m["Content-Encoding"], "gzip");
  EXPECT_EQ(m["X-Amz-Firehose-Protocol-Version"], "1.0");
  EXPECT_EQ(m["X-Amz-Firehose-Request-Id"], "req-1");
  EXPECT_EQ(m["X-Amz-Firehose-Source-Arn"], "arn:aws:firehose:us-east-1:000000000000:deliverystream/s");
  EXPECT_EQ(m["X-Amz-Firehose-Access-Key"], "secret");
  EXPECT_EQ(m["X-Amz-Firehose-Common-Attributes"], "{\"commonAttributes\":{\"a\":\"b\"}}");
}

TEST(HttpEndpointHeadersTest, OptionalHeadersLeftOut) {
  auto h = HttpEndpointHeaders("r", "arn", "", "", false);
  for (const auto& [name, value] : h) {
    EXPECT_NE(name, "Content-Encoding");
    EXPECT_NE(name, "X-Amz-Firehose-Access-Key");
    EXPECT_NE(name, "X-Amz-Firehose-Common-Attributes");
  }
}

TEST(CommonAttributesTest, FromTheConfiguration) {
  Result<Value> list = protocol::ParseJson(
      R"([{"AttributeName":"env","AttributeValue":"prod"},{"AttributeName":"x","AttributeValue":""}])");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(CommonAttributesHeader(&*list), "{\"commonAttributes\":{\"env\":\"prod\",\"x\":\"\"}}");
  Value empty = Value::MakeArray();
  EXPECT_EQ(CommonAttributesHeader(&empty), "");
  EXPECT_EQ(CommonAttributesHeader(nullptr), "");
}

TEST(HttpEndpointResponseTest, MatchingRequestIdIsDelivered) {
  HttpEndpointVerdict v = CheckHttpEndpointResponse(Answer(200, R"({"requestId":"r1","timestamp":5})"), "r1");
  EXPECT_EQ(v.outcome, HttpEndpointOutcome::kDelivered);
}

TEST(HttpEndpointResponseTest, OtherRequestIdIsRetried) {
  HttpEndpointVerdict v = CheckHttpEndpointResponse(Answer(200, R"({"requestId":"r2","timestamp":5})"), "r1");
  EXPECT_EQ(v.outcome, HttpEndpointOutcome::kRetry);
  EXPECT_EQ(v.error_code, "HttpEndpoint.InvalidResponseFromDestination");
}

TEST(HttpEndpointResponseTest, MalformedAnswerCountsAs500) {
  EXPECT_EQ(CheckHttpEndpointResponse(Answer(200, "ok"), "r1").outcome, HttpEndpointOutcome::kRetry);
  EXPECT_EQ(CheckHttpEndpointResponse(Answer(200, ""), "r1").outcome, HttpEndpointOutcome::kRetry);
  EXPECT_EQ(CheckHttpEndpointResponse(Answer(200, "{\"requestId\":5}"), "r1").outcome, HttpEndpointOutcome::kRetry);
}

TEST(HttpEndpointResponseTest, OnlyTwoHundredSucceeds) {
  for (long status : {201L, 202L, 204L, 301L, 302L, 400L, 401L, 403L, 404L, 429L, 500L, 503L}) {
    HttpEndpointVerdict v = CheckHttpEndpointResponse(Answer(status, R"({"requestId":"r1"})"), "r1");
    EXPECT_EQ(v.outcome, HttpEndpointOutcome::kRetry) << status;
    EXPECT_EQ(v.error_code, "HttpEndpoint.DestinationException") << status;
  }
}

TEST(HttpEndpointResponseTest, TooLargeIsPermanent) {
  EXPECT_EQ(CheckHttpEndpointResponse(Answer(413, ""), "r1").outcome, HttpEndpointOutcome::kTooLarge);
}

TEST(FailedHttpRecordTest, AwsShape) {
  FailedHttpRecord r;
  r.attempts = 4;
  r.arrival_ms = 10;
  r.error_code = "HttpEndpoint.DestinationException";
  r.error_message = "the endpoint answered 500: ";
  r.attempt_ending_ms = 20;
  r.raw_data = "hi";
  r.subsequence_number = 2;
  r.data_id = "b-3-2";
  EXPECT_EQ(FailedHttpRecordJson(r),
            "{\"attemptsMade\":4,\"arrivalTimestamp\":10,\"errorCode\":\"HttpEndpoint.DestinationException\","
            "\"errorMessage\":\"the endpoint answered 500: \",\"attemptEndingTimestamp\":20,\"rawData\":\"aGk=\","
            "\"subsequenceNumber\":2,\"dataId\":\"b-3-2\"}");
}

}  // namespace
}  // namespace spate::firehose
