#include "server/front_door.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/version.h"
#include "protocol/json_codec.h"
#include "server/metrics_route.h"
#include "util/clock.h"

namespace spate::server {
namespace {

using http::HeaderList;
using http::HttpRequest;
using http::HttpResponse;
using protocol::Value;

// Keeps what the front door answered.
struct Answer {
  bool answered = false;
  bool streamed = false;
  HttpResponse response;
  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : response.headers) {
      if (n == name) return v;
    }
    return "";
  }
  std::string Type() const { return Header("x-amzn-ErrorType"); }
};

class RecordingResponder final : public http::Responder {
 public:
  explicit RecordingResponder(Answer* out) : out_(out) {}
  void Send(HttpResponse response) override {
    out_->answered = true;
    out_->response = std::move(response);
  }
  std::shared_ptr<http::ResponseStream> StartStream(int status, HeaderList headers) override {
    out_->answered = out_->streamed = true;
    out_->response.status = status;
    out_->response.headers = std::move(headers);
    return nullptr;
  }

 private:
  Answer* out_;
};

// A service over one of the real models that serves only the operations it
// is told to, and records its calls.
class FakeService final : public service::Service {
 public:
  FakeService(const protocol::ServiceModel& model, std::vector<std::string> served)
      : model_(model), served_(std::move(served)) {}
  const protocol::ServiceModel& model() const override { return model_; }
  bool Serves(const protocol::OperationInfo& op) const override {
    return std::find(served_.begin(), served_.end(), op.name()) != served_.end();
  }
  Status Admit(const service::Call& call, const Value&) override {
    if (refuse_admission) return Status(ErrorCode::kLimitExceeded, "Rate exceeded for " + std::string(call.operation));
    return Status::Ok();
  }
  ErrorCode OverloadError(std::string_view operation) const override {
    return operation == "PutRecord" || operation == "SubscribeToShard" ? ErrorCode::kThroughputExceeded
                                                                       : ErrorCode::kLimitExceeded;
  }
  void Invoke(const protocol::OperationInfo& op, service::Call call, Value input, service::Done done) override {
    calls.push_back(std::string(call.operation) + " " + call.caller.account + " " + call.caller.region);
    had_event_stream = static_cast<bool>(call.open_event_stream);
    if (had_event_stream) {
      call.open_event_stream();
      return;
    }
    Value out = Value::MakeObject();
    out.Set("Operation", Value::String(op.name()));
    out.Set("Input", std::move(input));
    done(std::move(out));
  }

  bool refuse_admission = false;
  bool had_event_stream = false;
  std::vector<std::string> calls;

 private:
  const protocol::ServiceModel& model_;
  std::vector<std::string> served_;
};

constexpr char kAuthKinesis[] =
    "AWS4-HMAC-SHA256 Credential=111111111111/20231114/eu-west-1/kinesis/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00";
constexpr char kAuthFirehose[] =
    "AWS4-HMAC-SHA256 Credential=111111111111/20231114/eu-west-1/firehose/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00";

HttpRequest Post(std::string target, std::string body, std::string auth = kAuthKinesis) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.body = std::move(body);
  r.headers = {{"host", "127.0.0.1:4567"},
               {"content-type", "application/x-amz-json-1.1"},
               {"x-amz-target", std::move(target)},
               {"x-amz-date", "20231114T221320Z"},
               {"authorization", std::move(auth)}};
  return r;
}

class FrontDoorTest : public ::testing::Test {
 protected:
  FakeService kinesis_{protocol::ServiceModel::Kinesis(), {"DescribeStreamSummary", "PutRecord", "SubscribeToShard"}};
  FakeService firehose_{protocol::ServiceModel::Firehose(), {"ListDeliveryStreams", "PutRecord"}};
  FrontDoor door_{nullptr};  // development mode

  void SetUp() override {
    door_.AddService(&kinesis_);
    door_.AddService(&firehose_);
  }
  Answer Send(HttpRequest r) {
    Answer a;
    door_.handler()->Handle(std::move(r), std::make_unique<RecordingResponder>(&a));
    EXPECT_TRUE(a.answered);
    return a;
  }
  static Value Body(const Answer& a) {
    auto v = protocol::ParseJson(a.response.body, 64);
    EXPECT_TRUE(v.ok()) << a.response.body;
    return v.ok() ? std::move(*v) : Value::MakeObject();
  }
};

TEST_F(FrontDoorTest, RoutesEachTargetPrefixToItsService) {
  Answer a = Send(Post("Kinesis_20131202.DescribeStreamSummary", R"({"StreamName":"s"})"));
  EXPECT_EQ(a.response.status, 200);
  EXPECT_EQ(Body(a).GetString("Operation"), "DescribeStreamSummary");
  Answer b = Send(Post("Firehose_20150804.ListDeliveryStreams", "{}", kAuthFirehose));
  EXPECT_EQ(b.response.status, 200);
  EXPECT_EQ(Body(b).GetString("Operation"), "ListDeliveryStreams");
  ASSERT_EQ(kinesis_.calls.size(), 1u);
  EXPECT_EQ(kinesis_.calls[0], "DescribeStreamSummary 111111111111 eu-west-1");
  ASSERT_EQ(firehose_.calls.size(), 1u);
  EXPECT_EQ(firehose_.calls[0], "ListDeliveryStreams 111111111111 eu-west-1");
}

TEST_F(FrontDoorTest, SameOperationNameInTwoServicesGoesByPrefix) {
  Answer a = Send(
      Post("Firehose_20150804.PutRecord", R"({"DeliveryStreamName":"d","Record":{"Data":"aGk="}})", kAuthFirehose));
  EXPECT_EQ(a.response.status, 200) << a.response.body;
  EXPECT_TRUE(kinesis_.calls.empty());
  EXPECT_EQ(firehose_.calls.size(), 1u);
}

TEST_F(FrontDoorTest, UnknownTargetPrefixOrOperationIsUnknownOperation) {
  for (std::string target : {"DynamoDB_20120810.ListTables", "Kinesis_20131202.PutRecordz", "Kinesis_20131202", "",
                             "KinesisAnalytics_20150814.ListApplications",
                             // in the model, but not served by the service
                             "Kinesis_20131202.ListStreams", "Firehose_20150804.DeleteDeliveryStream"}) {
    Answer a = Send(Post(target, "{}"));
    EXPECT_EQ(a.response.status, 400) << target;
    EXPECT_EQ(a.Type(), "UnknownOperationException") << target;
  }
  EXPECT_TRUE(kinesis_.calls.empty());
  EXPECT_TRUE(firehose_.calls.empty());
}

TEST_F(FrontDoorTest, UnknownOperationMessageNamesTheOperation) {
  struct Case {
    std::string target, message;
  };
  for (const Case& c : {
           Case{"Kinesis_20131202.PutRecordz", "Unknown operation Kinesis_20131202.PutRecordz."},
           Case{"KinesisAnalytics_20150814.ListApplications",
                "Unknown operation KinesisAnalytics_20150814.ListApplications."},
           Case{"Firehose_20150804.DeleteDeliveryStream",
                "Operation Firehose_20150804.DeleteDeliveryStream is not implemented by this server."},
           Case{"Kinesis_20131202.Put\x01\xffRecord", "Unknown operation Kinesis_20131202.Put??Record."},
           Case{"Kinesis_20131202." + std::string(200, 'A'),
                "Unknown operation Kinesis_20131202." + std::string(128 - 17, 'A') + "...."},
       }) {
    Answer a = Send(Post(c.target, "{}"));
    EXPECT_EQ(a.Type(), "UnknownOperationException") << c.target;
    EXPECT_EQ(Body(a).GetString("message"), c.message) << c.target;
  }
  Answer a = Send(Post("", "{}"));
  EXPECT_EQ(Body(a).GetString("message"), "The request names no operation: the X-Amz-Target header is missing.");
}

TEST_F(FrontDoorTest, ValidatesAgainstTheTargetServicesModel) {
  Answer a = Send(Post("Firehose_20150804.PutRecord", R"({"Record":{"Data":"aGk="}})", kAuthFirehose));
  EXPECT_EQ(a.Type(), "ValidationException");
  EXPECT_NE(Body(a).GetString("message").find("deliveryStreamName"), std::string_view::npos) << a.response.body;
  EXPECT_TRUE(firehose_.calls.empty());
}

TEST_F(FrontDoorTest, AdmissionRefusalIsAnsweredWithoutInvoking) {
  kinesis_.refuse_admission = true;
  Answer a = Send(Post("Kinesis_20131202.DescribeStreamSummary", R"({"StreamName":"s"})"));
  EXPECT_EQ(a.Type(), "LimitExceededException");
  EXPECT_EQ(Body(a).GetString("message"), "Rate exceeded for DescribeStreamSummary");
  EXPECT_TRUE(kinesis_.calls.empty());
}

TEST_F(FrontDoorTest, EventStreamOpenerOnlyForEventStreamOperations) {
  Answer a = Send(Post("Kinesis_20131202.SubscribeToShard",
                       R"({"ConsumerARN":"arn:aws:kinesis:us-east-1:111111111111:stream/s/consumer/c:1",)"
                       R"("ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}})"));
  EXPECT_TRUE(kinesis_.had_event_stream);
  EXPECT_TRUE(a.streamed);
  EXPECT_EQ(a.Header("Content-Type"), "application/vnd.amazon.eventstream");
  Send(Post("Kinesis_20131202.DescribeStreamSummary", R"({"StreamName":"s"})"));
  EXPECT_FALSE(kinesis_.had_event_stream);
}

TEST_F(FrontDoorTest, OverloadErrorIsTheServicesChoice) {
  EXPECT_EQ(door_.handler()->Overloaded(Post("Kinesis_20131202.PutRecord", "")).status, 400);
  auto type = [&](std::string target) {
    HttpResponse r = door_.handler()->Overloaded(Post(target, ""));
    for (const auto& [n, v] : r.headers) {
      if (n == "x-amzn-ErrorType") return v;
    }
    return std::string();
  };
  EXPECT_EQ(type("Kinesis_20131202.PutRecord"), "ProvisionedThroughputExceededException");
  EXPECT_EQ(type("Kinesis_20131202.ListStreams"), "LimitExceededException");
  EXPECT_EQ(type("Firehose_20150804.ListDeliveryStreams"), "LimitExceededException");
  EXPECT_EQ(type("Nothing_1.Op"), "LimitExceededException");
}

TEST_F(FrontDoorTest, HealthCorsAndNonPostAreRoutesBeforeTheApi) {
  HttpRequest health;
  health.method = "GET";
  health.target = "/health";
  Answer h = Send(health);
  EXPECT_EQ(h.response.status, 200);
  EXPECT_EQ(h.response.body, HealthBody());
  EXPECT_EQ(h.response.body.rfind("{\"status\":\"ok\",\"version\":\"" + std::string(Version()) + "\"", 0), 0u)
      << h.response.body;

  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.target = "/";
  preflight.headers = {{"origin", "http://localhost:3000"}, {"access-control-request-method", "POST"}};
  Answer c = Send(preflight);
  EXPECT_EQ(c.response.status, 200);
  EXPECT_EQ(c.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(c.Header("Access-Control-Allow-Methods"), "POST");

  HttpRequest get;
  get.method = "GET";
  get.target = "/";
  Answer g = Send(get);
  EXPECT_EQ(g.response.status, 403);
  EXPECT_NE(g.response.body.find("<AccessDeniedException>"), std::string::npos);
}

// With verified signatures, the credential scope must name the service the
// target prefix routes to.
TEST(FrontDoorSigningTest, SignatureScopedToAnotherServiceIsRefused) {
  util::ManualClock clock(1'699'999'999'000);
  auto store = CredentialStore::Parse("111111111111 secret\n");
  ASSERT_TRUE(store.ok());
  SigV4Verifier verifier(&*store, &clock);
  FakeService firehose(protocol::ServiceModel::Firehose(), {"ListDeliveryStreams"});
  FrontDoor door(&verifier);
  door.AddService(&firehose);
  Answer a;
  door.handler()->Handle(Post("Firehose_20150804.ListDeliveryStreams", "{}", kAuthKinesis),
                         std::make_unique<RecordingResponder>(&a));
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.Type(), "InvalidSignatureException");
  auto body = protocol::ParseJson(a.response.body, 64);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->GetString("message"), "Credential should be scoped to correct service: 'firehose'. ");
  EXPECT_TRUE(firehose.calls.empty());
}

// GET /metrics, added as a route, answers the registry's exposition; other
// methods on the path still go to the API.
TEST(FrontDoorRoutesTest, MetricsRouteServesTheExposition) {
  metrics::Registry registry;
  registry.AddCounter("spate_test_total", "A test counter.")->Get({})->Add(3);
  MetricsRoute route(&registry);
  FrontDoor door(nullptr);
  door.AddRoute({"GET", "/metrics", ""}, &route);

  Answer answer;
  HttpRequest req;
  req.method = "GET";
  req.target = "/metrics?x=1";
  door.handler()->Handle(std::move(req), std::make_unique<RecordingResponder>(&answer));
  ASSERT_TRUE(answer.answered);
  EXPECT_EQ(answer.response.status, 200);
  EXPECT_EQ(answer.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(answer.response.body,
            "# HELP spate_test_total A test counter.\n# TYPE spate_test_total counter\nspate_test_total 3\n");

  Answer post;
  HttpRequest p;
  p.method = "POST";
  p.target = "/metrics";
  door.handler()->Handle(std::move(p), std::make_unique<RecordingResponder>(&post));
  ASSERT_TRUE(post.answered);
  EXPECT_NE(post.response.status, 200);  // the AWS API's answer to a request without X-Amz-Target
}

}  // namespace
}  // namespace spate::server
