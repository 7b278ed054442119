// The OpenSearch and HTTP endpoint destination kinds: what CreateDeliveryStream
// accepts, what DescribeDeliveryStream shows, how UpdateDestination merges.

#include <gtest/gtest.h>

#include "firehose/destination.h"
#include "firehose/endpoint_settings.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr std::string_view kDomain = "arn:aws:es:us-east-1:123456789012:domain/logs";

Value Json(std::string_view text) {
  Result<Value> v = protocol::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

Value OpenSearch() {
  return Json(
      R"({"RoleARN":"arn:aws:iam::123456789012:role/r","DomainARN":"arn:aws:es:us-east-1:123456789012:domain/logs",
    "IndexName":"logs","S3Configuration":{"RoleARN":"arn:aws:iam::123456789012:role/r","BucketARN":"arn:aws:s3:::b"}})");
}

Value HttpEndpoint() {
  return Json(R"({"EndpointConfiguration":{"Url":"http://127.0.0.1:9/x","Name":"n","AccessKey":"secret"},
    "S3Configuration":{"RoleARN":"arn:aws:iam::123456789012:role/r","BucketARN":"arn:aws:s3:::b"}})");
}

class HttpDestinationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EndpointSettings s;
    s.opensearch_domains[std::string(kDomain)] = "http://127.0.0.1:9200";
    SetEndpointSettings(s);
  }
  void TearDown() override { SetEndpointSettings(EndpointSettings{}); }
};

TEST_F(HttpDestinationsTest, KindsAreFoundByTheirConfigurationMembers) {
  EXPECT_EQ(FindDestinationKind("AmazonopensearchserviceDestinationConfiguration"),
            &AmazonopensearchserviceDestinationKind());
  EXPECT_EQ(FindDestinationKind("ElasticsearchDestinationConfiguration"), &ElasticsearchDestinationKind());
  EXPECT_EQ(FindDestinationKind("AmazonOpenSearchServerlessDestinationConfiguration"),
            &AmazonOpenSearchServerlessDestinationKind());
  EXPECT_EQ(FindDestinationKind("HttpEndpointDestinationConfiguration"), &HttpEndpointDestinationKind());
}

TEST_F(HttpDestinationsTest, OpenSearchDescriptionHasAwsDefaults) {
  const DestinationKind& kind = AmazonopensearchserviceDestinationKind();
  ASSERT_TRUE(kind.Check(OpenSearch()).ok());
  Value d = kind.Describe(OpenSearch());
  const Value* desc = d.Find("AmazonopensearchserviceDestinationDescription");
  ASSERT_NE(desc, nullptr);
  EXPECT_EQ(desc->GetString("IndexRotationPeriod"), "OneDay");
  EXPECT_EQ(desc->GetString("S3BackupMode"), "FailedDocumentsOnly");
  EXPECT_EQ(desc->Find("RetryOptions")->GetInt("DurationInSeconds"), 300);
  EXPECT_EQ(desc->Find("BufferingHints")->GetInt("SizeInMBs"), 5);
  EXPECT_EQ(desc->Find("BufferingHints")->GetInt("IntervalInSeconds"), 300);
  EXPECT_EQ(desc->Find("S3DestinationDescription")->GetString("BucketARN"), "arn:aws:s3:::b");
  EXPECT_FALSE(desc->Has("S3Configuration"));
}

TEST_F(HttpDestinationsTest, OpenSearchNeedsExactlyOneKnownEndpoint) {
  const DestinationKind& kind = AmazonopensearchserviceDestinationKind();
  Value both = OpenSearch();
  both.Set("ClusterEndpoint", Value::String("https://search.example:443"));
  EXPECT_EQ(kind.Check(both).code(), ErrorCode::kInvalidArgument);
  Value unknown = OpenSearch();
  unknown.Set("DomainARN", Value::String("arn:aws:es:us-east-1:123456789012:domain/other"));
  Status st = kind.Check(unknown);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("--opensearch-domain"), std::string::npos);
  Value vpc = OpenSearch();
  vpc.Set("VpcConfiguration", Value::MakeObject());
  EXPECT_EQ(kind.Check(vpc).code(), ErrorCode::kInvalidArgument);
}

TEST_F(HttpDestinationsTest, OpenSearchUpdateSwitchesEndpointAndMergesS3) {
  const DestinationKind& kind = ElasticsearchDestinationKind();
  Value cfg = OpenSearch();
  Value update = Json(R"({"ClusterEndpoint":"http://10.0.0.1:9200","IndexName":"new",
    "BufferingHints":{"IntervalInSeconds":60},"S3Update":{"Prefix":"p/"}})");
  ASSERT_TRUE(kind.Update(&cfg, update).ok());
  EXPECT_FALSE(cfg.Has("DomainARN"));
  EXPECT_EQ(cfg.GetString("ClusterEndpoint"), "http://10.0.0.1:9200");
  EXPECT_EQ(cfg.GetString("IndexName"), "new");
  EXPECT_EQ(cfg.Find("S3Configuration")->GetString("Prefix"), "p/");
  EXPECT_EQ(cfg.Find("S3Configuration")->GetString("BucketARN"), "arn:aws:s3:::b");
  EXPECT_FALSE(cfg.Has("S3Update"));
}

TEST_F(HttpDestinationsTest, HttpEndpointDescriptionNeverEchoesTheAccessKey) {
  const DestinationKind& kind = HttpEndpointDestinationKind();
  ASSERT_TRUE(kind.Check(HttpEndpoint()).ok());
  Value d = kind.Describe(HttpEndpoint());
  const Value* desc = d.Find("HttpEndpointDestinationDescription");
  ASSERT_NE(desc, nullptr);
  std::string text;
  protocol::WriteJson(d, &text);
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_EQ(desc->Find("EndpointConfiguration")->GetString("Url"), "http://127.0.0.1:9/x");
  EXPECT_EQ(desc->Find("EndpointConfiguration")->GetString("Name"), "n");
  EXPECT_EQ(desc->GetString("S3BackupMode"), "FailedDataOnly");
  EXPECT_EQ(desc->Find("RequestConfiguration")->GetString("ContentEncoding"), "NONE");
  EXPECT_EQ(desc->Find("RetryOptions")->GetInt("DurationInSeconds"), 300);
}

TEST_F(HttpDestinationsTest, HttpEndpointUpdateKeepsAnAccessKeyLeftOut) {
  const DestinationKind& kind = HttpEndpointDestinationKind();
  Value cfg = HttpEndpoint();
  ASSERT_TRUE(kind.Update(&cfg, Json(R"({"EndpointConfiguration":{"Url":"https://e.example/in"}})")).ok());
  EXPECT_EQ(cfg.Find("EndpointConfiguration")->GetString("Url"), "https://e.example/in");
  EXPECT_EQ(cfg.Find("EndpointConfiguration")->GetString("AccessKey"), "secret");
}

TEST_F(HttpDestinationsTest, HttpEndpointRefusesWhatIsNotBuilt) {
  const DestinationKind& kind = HttpEndpointDestinationKind();
  Value secrets = HttpEndpoint();
  secrets.Set("SecretsManagerConfiguration", Json(R"({"Enabled":true})"));
  EXPECT_EQ(kind.Check(secrets).code(), ErrorCode::kInvalidArgument);
  Value ftp = HttpEndpoint();
  ftp.FindMutable("EndpointConfiguration")->Set("Url", Value::String("ftp://x"));
  EXPECT_EQ(kind.Check(ftp).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace spate::firehose
