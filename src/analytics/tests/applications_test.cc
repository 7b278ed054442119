// The control plane through AnalyticsService, as the front door calls it:
// each request validated against the model first, then invoked.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "analytics/applications.h"
#include "analytics/service.h"
#include "metadata/catalog.h"
#include "protocol/json_codec.h"
#include "protocol/service_model.h"
#include "util/clock.h"

namespace spate::analytics {
namespace {

using protocol::Value;

constexpr char kStreamArn[] = "arn:aws:kinesis:us-east-1:000000000000:stream/src";
constexpr char kRole[] = "arn:aws:iam::000000000000:role/r";

std::string InputJson(const std::string& prefix = "SOURCE_SQL_STREAM") {
  return R"x({"NamePrefix":")x" + prefix + R"x(","KinesisStreamsInput":{"ResourceARN":")x" + kStreamArn +
         R"x(","RoleARN":")x" + kRole +
         R"x("},"InputSchema":{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":)x"
         R"x({"RecordRowPath":"$"}}},"RecordColumns":[{"Name":"TICKER","SqlType":"VARCHAR(4)","Mapping":"$.ticker"},)x"
         R"x({"Name":"PRICE","SqlType":"DOUBLE","Mapping":"$.price"}]}})x";
}

std::string OutputJson(const std::string& name = "DESTINATION_SQL_STREAM") {
  return R"x({"Name":")x" + name +
         R"x(","KinesisStreamsOutput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/dst","RoleARN":")x" +
         kRole + R"x("},"DestinationSchema":{"RecordFormatType":"JSON"}})x";
}

class ApplicationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("spate-analytics-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto c = metadata::Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
    Open();
  }
  void TearDown() override {
    service_.reset();
    apps_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    service_.reset();
    apps_.reset();
    AnalyticsOptions o;
    o.state_delay_ms = 1'000'000;  // transitions only where a test moves the clock
    o.object_root = (dir_ / "s3").string();
    apps_ = std::make_unique<Applications>(o, catalog_.get(), nullptr, &clock_);
    ASSERT_TRUE(apps_->Start().ok());
    service_ = std::make_unique<AnalyticsService>(apps_.get());
  }

  // Validates `json` against the operation's input shape, then invokes it.
  Result<Value> Call(std::string_view op, std::string_view json) {
    const auto& model = protocol::ServiceModel::KinesisAnalytics();
    const protocol::OperationInfo* info = model.FindOperation(op);
    EXPECT_NE(info, nullptr) << op;
    SPATE_ASSIGN_OR_RETURN(Value in, protocol::ParseJson(json));
    SPATE_TRY(model.ValidateInput(*info, &in, protocol::WireFormat::kJson));
    EXPECT_TRUE(service_->Serves(*info)) << op;
    std::optional<Result<Value>> out;
    service::Call call;
    call.operation = op;
    service_->Invoke(*info, std::move(call), std::move(in), [&](Result<Value> r) { out.emplace(std::move(r)); });
    EXPECT_TRUE(out.has_value());
    return std::move(*out);
  }

  Value Describe(std::string_view name) {
    auto r = Call("DescribeApplication", R"x({"ApplicationName":")x" + std::string(name) + R"x("})x");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r->Find("ApplicationDetail") : Value();
  }

  void Create(std::string_view name, std::string extra = "") {
    auto r = Call("CreateApplication", R"x({"ApplicationName":")x" + std::string(name) + "\"" + extra + "}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::filesystem::path dir_;
  util::ManualClock clock_;
  std::unique_ptr<metadata::Catalog> catalog_;
  std::unique_ptr<Applications> apps_;
  std::unique_ptr<AnalyticsService> service_;
};

TEST_F(ApplicationsTest, ServesAllTwentyOperationsOfTheModel) {
  const auto& model = protocol::ServiceModel::KinesisAnalytics();
  EXPECT_EQ(model.operations().size(), 20u);
  for (const auto& op : model.operations()) EXPECT_TRUE(service_->Serves(op)) << op.name();
  EXPECT_EQ(service_->signing_name(), "kinesisanalytics");
  EXPECT_EQ(model.target_prefix(), "KinesisAnalytics_20150814");
}

TEST_F(ApplicationsTest, CreateDescribesTheFullDetail) {
  Create("app1", R"x(,"ApplicationDescription":"d","ApplicationCode":"-- none","Inputs":[)x" + InputJson() +
                     R"x(],"Outputs":[)x" + OutputJson() + "]");
  Value d = Describe("app1");
  EXPECT_EQ(d.GetString("ApplicationName"), "app1");
  EXPECT_EQ(d.GetString("ApplicationARN"), "arn:aws:kinesisanalytics:us-east-1:000000000000:application/app1");
  EXPECT_EQ(d.GetString("ApplicationStatus"), "READY");
  EXPECT_EQ(d.GetString("ApplicationDescription"), "d");
  EXPECT_EQ(d.GetString("ApplicationCode"), "-- none");
  EXPECT_EQ(d.GetInt("ApplicationVersionId"), 1);
  EXPECT_TRUE(d.Find("CreateTimestamp")->is_timestamp());
  const Value& in = d.Find("InputDescriptions")->as_array().at(0);
  EXPECT_EQ(in.GetString("InputId"), "1.1");
  EXPECT_EQ(in.Find("InAppStreamNames")->as_array().at(0).as_string(), "SOURCE_SQL_STREAM_001");
  EXPECT_EQ(in.Find("InputParallelism")->GetInt("Count"), 1);
  EXPECT_EQ(in.Find("KinesisStreamsInputDescription")->GetString("ResourceARN"), kStreamArn);
  const Value& out = d.Find("OutputDescriptions")->as_array().at(0);
  EXPECT_EQ(out.GetString("OutputId"), "1.1");
  EXPECT_EQ(out.GetString("Name"), "DESTINATION_SQL_STREAM");
  EXPECT_TRUE(d.Find("ReferenceDataSourceDescriptions")->as_array().empty());
}

TEST_F(ApplicationsTest, DuplicateNameIsResourceInUse) {
  Create("app1");
  auto r = Call("CreateApplication", R"x({"ApplicationName":"app1"})x");
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceInUse);
}

TEST_F(ApplicationsTest, ModelConstraintsAreValidationErrors) {
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"bad name"})x").status().code(), ErrorCode::kValidation);
  std::string input = InputJson();
  input.replace(input.find("\"NamePrefix\""), 0, R"x("InputParallelism":{"Count":65},)x");
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"a","Inputs":[)x" + input + "]}").status().code(),
            ErrorCode::kValidation);
}

TEST_F(ApplicationsTest, InputParallelismNamesEachInAppStream) {
  std::string input = InputJson("IN");
  input.replace(input.find("\"NamePrefix\""), 0, R"x("InputParallelism":{"Count":3},)x");
  Create("app1", R"x(,"Inputs":[)x" + input + "]");
  Value d = Describe("app1");
  const Value& names = *d.Find("InputDescriptions")->as_array().at(0).Find("InAppStreamNames");
  ASSERT_EQ(names.as_array().size(), 3u);
  EXPECT_EQ(names.as_array()[0].as_string(), "IN_001");
  EXPECT_EQ(names.as_array()[2].as_string(), "IN_003");
}

TEST_F(ApplicationsTest, InputNeedsExactlyOneSource) {
  std::string both = InputJson();
  both.replace(both.find("\"KinesisStreamsInput\""), 0,
               R"x("KinesisFirehoseInput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/d",)x"
               R"x("RoleARN":"arn:aws:iam::000000000000:role/r"},)x");
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"a","Inputs":[)x" + both + "]}").status().code(),
            ErrorCode::kInvalidArgument);
  std::string bad_arn = InputJson();
  bad_arn.replace(bad_arn.find(kStreamArn), std::string(kStreamArn).size(), "arn:aws:s3:::bucket");
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"a","Inputs":[)x" + bad_arn + "]}").status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(ApplicationsTest, JsonFormatNeedsJsonMappingParameters) {
  std::string input = InputJson();
  input.replace(input.find(R"x(,"MappingParameters")x"),
                std::string(R"x(,"MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}})x").size(), "");
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"a","Inputs":[)x" + input + "]}").status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(ApplicationsTest, StaleVersionIsConcurrentModification) {
  Create("app1");
  std::string add = R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,"Output":)x" + OutputJson() + "}";
  ASSERT_TRUE(Call("AddApplicationOutput", add).ok());
  EXPECT_EQ(Describe("app1").GetInt("ApplicationVersionId"), 2);
  auto stale = Call("AddApplicationOutput", add);
  EXPECT_EQ(stale.status().code(), ErrorCode::kConcurrentModification);
  auto update = Call("UpdateApplication", R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,)x"
                                          R"x("ApplicationUpdate":{"ApplicationCodeUpdate":"x"}})x");
  EXPECT_EQ(update.status().code(), ErrorCode::kConcurrentModification);
  EXPECT_EQ(Describe("app1").GetInt("ApplicationVersionId"), 2);
}

TEST_F(ApplicationsTest, EveryChangeBumpsTheVersion) {
  Create("app1");
  int64_t v = 1;
  auto step = [&](std::string_view op, const std::string& body) {
    auto r = Call(
        op, R"x({"ApplicationName":"app1","CurrentApplicationVersionId":)x" + std::to_string(v) + "," + body + "}");
    ASSERT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    ++v;
    EXPECT_EQ(Describe("app1").GetInt("ApplicationVersionId"), v) << op;
  };
  step("AddApplicationInput", R"x("Input":)x" + InputJson());
  step("AddApplicationOutput", R"x("Output":)x" + OutputJson());
  step(
      "AddApplicationReferenceDataSource",
      R"x("ReferenceDataSource":{"TableName":"CompanyName","S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::b",)x"
      R"x("FileKey":"ref.csv","ReferenceRoleARN":"arn:aws:iam::000000000000:role/r"},"ReferenceSchema":{"RecordFormat":{"RecordFormatType":"CSV",)x"
      R"x("MappingParameters":{"CSVMappingParameters":{"RecordRowDelimiter":"\n","RecordColumnDelimiter":","}}},)x"
      R"x("RecordColumns":[{"Name":"Ticker","SqlType":"VARCHAR(4)"},{"Name":"Company","SqlType":"VARCHAR(20)"}]}})x");
  step("AddApplicationCloudWatchLoggingOption",
       R"x("CloudWatchLoggingOption":{"LogStreamARN":"arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:s",)x"
       R"x("RoleARN":"arn:aws:iam::000000000000:role/r"})x");
  step("AddApplicationInputProcessingConfiguration",
       R"x("InputId":"1.1","InputProcessingConfiguration":{"InputLambdaProcessor":{"ResourceARN":)x"
       R"x("arn:aws:lambda:us-east-1:000000000000:function:f","RoleARN":"arn:aws:iam::000000000000:role/r"}})x");
  step("UpdateApplication",
       R"x("ApplicationUpdate":{"InputUpdates":[{"InputId":"1.1","NamePrefixUpdate":"IN",)x"
       R"x("InputParallelismUpdate":{"CountUpdate":2}}],"OutputUpdates":[{"OutputId":"1.1","NameUpdate":"OUT"}]})x");
  Value d = Describe("app1");
  const Value& in = d.Find("InputDescriptions")->as_array().at(0);
  EXPECT_EQ(in.Find("InAppStreamNames")->as_array().at(1).as_string(), "IN_002");
  EXPECT_TRUE(in.Has("InputProcessingConfigurationDescription"));
  EXPECT_EQ(d.Find("OutputDescriptions")->as_array().at(0).GetString("Name"), "OUT");
  EXPECT_EQ(d.Find("ReferenceDataSourceDescriptions")->as_array().at(0).GetString("TableName"), "CompanyName");
  EXPECT_EQ(d.Find("CloudWatchLoggingOptionDescriptions")->as_array().size(), 1u);
  step("DeleteApplicationInputProcessingConfiguration", R"x("InputId":"1.1")x");
  step("DeleteApplicationOutput", R"x("OutputId":"1.1")x");
  step("DeleteApplicationReferenceDataSource", R"x("ReferenceId":"1.1")x");
  step("DeleteApplicationCloudWatchLoggingOption", R"x("CloudWatchLoggingOptionId":"1.1")x");
  d = Describe("app1");
  EXPECT_TRUE(d.Find("OutputDescriptions")->as_array().empty());
  EXPECT_FALSE(d.Find("InputDescriptions")->as_array().at(0).Has("InputProcessingConfigurationDescription"));
}

TEST_F(ApplicationsTest, UnknownIdsAreNotFound) {
  Create("app1");
  EXPECT_EQ(Call("DeleteApplicationOutput", R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,)x"
                                            R"x("OutputId":"9.9"})x")
                .status()
                .code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(Call("DescribeApplication", R"x({"ApplicationName":"nope"})x").status().code(), ErrorCode::kNotFound);
}

TEST_F(ApplicationsTest, AtMostThreeOutputsAndOneInput) {
  Create("app1", R"x(,"Inputs":[)x" + InputJson() + R"x(],"Outputs":[)x" + OutputJson("A") + "," + OutputJson("B") +
                     "," + OutputJson("C") + "]");
  EXPECT_EQ(Call("AddApplicationOutput",
                 R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,"Output":)x" + OutputJson("D") + "}")
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Call("AddApplicationInput",
                 R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,"Input":)x" + InputJson("X") + "}")
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Call("CreateApplication", R"x({"ApplicationName":"app2","Outputs":[)x" + OutputJson("A") + "," +
                                          OutputJson("B") + "," + OutputJson("C") + "," + OutputJson("D") + "]}")
                .status()
                .code(),
            ErrorCode::kLimitExceeded);
}

TEST_F(ApplicationsTest, ListPagesInNameOrder) {
  for (const char* n : {"c", "a", "b", "d"}) Create(n);
  auto page = Call("ListApplications", R"x({"Limit":2})x");
  ASSERT_TRUE(page.ok());
  const auto& s = page->Find("ApplicationSummaries")->as_array();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].GetString("ApplicationName"), "a");
  EXPECT_EQ(s[1].GetString("ApplicationName"), "b");
  EXPECT_TRUE(page->Find("HasMoreApplications")->as_bool());
  auto rest = Call("ListApplications", R"x({"Limit":2,"ExclusiveStartApplicationName":"b"})x");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->Find("ApplicationSummaries")->as_array().size(), 2u);
  EXPECT_FALSE(rest->Find("HasMoreApplications")->as_bool());
}

TEST_F(ApplicationsTest, TagsAddReplaceRemoveAndCap) {
  Create("app1", R"x(,"Tags":[{"Key":"k1","Value":"v1"}])x");
  std::string arn = "arn:aws:kinesisanalytics:us-east-1:000000000000:application/app1";
  ASSERT_TRUE(Call("TagResource", R"x({"ResourceARN":")x" + arn +
                                      R"x(","Tags":[{"Key":"k1","Value":"v2"},)x"
                                      R"x({"Key":"k2","Value":"x"}]})x")
                  .ok());
  auto tags = Call("ListTagsForResource", R"x({"ResourceARN":")x" + arn + R"x("})x");
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->Find("Tags")->as_array().size(), 2u);
  EXPECT_EQ(tags->Find("Tags")->as_array()[0].GetString("Value"), "v2");
  ASSERT_TRUE(Call("UntagResource", R"x({"ResourceARN":")x" + arn + R"x(","TagKeys":["k1"]})x").ok());
  tags = Call("ListTagsForResource", R"x({"ResourceARN":")x" + arn + R"x("})x");
  EXPECT_EQ(tags->Find("Tags")->as_array().size(), 1u);
  std::string many = "[";
  for (int i = 0; i < 50; ++i) many += std::string(i ? "," : "") + R"x({"Key":"t)x" + std::to_string(i) + R"x("})x";
  many += "]";
  EXPECT_EQ(Call("TagResource", R"x({"ResourceARN":")x" + arn + R"x(","Tags":)x" + many + "}").status().code(),
            ErrorCode::kTooManyTags);
  EXPECT_EQ(Call("ListTagsForResource",
                 R"x({"ResourceARN":"arn:aws:kinesisanalytics:us-east-1:000000000000:application/none"})x")
                .status()
                .code(),
            ErrorCode::kNotFound);
}

TEST_F(ApplicationsTest, StartWithoutInputIsInvalidConfiguration) {
  Create("app1");
  auto r = Call("StartApplication", R"x({"ApplicationName":"app1","InputConfigurations":[]})x");
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidApplicationConfiguration);
}

TEST_F(ApplicationsTest, DeleteChecksTheCreateTimestampAndGoesThroughDeleting) {
  Create("app1");
  int64_t created = Describe("app1").Find("CreateTimestamp")->as_timestamp_ms();
  auto wrong = Call("DeleteApplication", R"x({"ApplicationName":"app1","CreateTimestamp":1})x");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kInvalidArgument);
  char body[128];
  std::snprintf(body, sizeof(body), R"x({"ApplicationName":"app1","CreateTimestamp":%.3f})x", created / 1000.0);
  ASSERT_TRUE(Call("DeleteApplication", body).ok());
  EXPECT_EQ(Describe("app1").GetString("ApplicationStatus"), "DELETING");
  EXPECT_EQ(Call("DeleteApplication", body).status().code(), ErrorCode::kResourceInUse);
}

TEST_F(ApplicationsTest, ApplicationsSurviveARestart) {
  Create("app1", R"x(,"Inputs":[)x" + InputJson() + R"x(],"Tags":[{"Key":"k","Value":"v"}])x");
  ASSERT_TRUE(Call("AddApplicationOutput",
                   R"x({"ApplicationName":"app1","CurrentApplicationVersionId":1,"Output":)x" + OutputJson() + "}")
                  .ok());
  Value before = Describe("app1");
  Open();
  Value after = Describe("app1");
  EXPECT_EQ(before, after);
  // Ids keep counting from where they were.
  ASSERT_TRUE(Call("AddApplicationOutput",
                   R"x({"ApplicationName":"app1","CurrentApplicationVersionId":2,"Output":)x" + OutputJson("B") + "}")
                  .ok());
  EXPECT_EQ(Describe("app1").Find("OutputDescriptions")->as_array().at(1).GetString("OutputId"), "1.2");
}

}  // namespace
}  // namespace spate::analytics
