// The HTTP endpoint sink against a real loopback HTTP server: what a failed
// attempt tells the deliverer's retry window (the time spent waiting for
// the answer, which AWS's HttpEndpointRetryOptions do not count), and the
// error codes of attempts that got no answer (told by curl's result code).

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "firehose/destination.h"
#include "firehose/endpoint_settings.h"
#include "net/tests/loopback_http_server.h"
#include "protocol/json_codec.h"
#include "util/clock.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// Objects kept in memory (the S3 configuration's bucket).
class MemoryStore final : public ObjectStore {
 public:
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const std::atomic<bool>*) override {
    std::lock_guard<std::mutex> l(mu_);
    objects_[std::string(bucket) + "/" + std::string(key)] = std::string(body);
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }
  std::string All() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    for (const auto& [k, v] : objects_) out += v;
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

using net::testing::ClosedPort;
using net::testing::LoopbackHttpServer;

std::string Http(int status, const std::string& body) {
  return net::testing::HttpAnswer(status, body, "Content-Type: application/json\r\n");
}

class HttpEndpointSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EndpointSettings s;
    s.http_endpoint_timeout_ms = 300;
    SetEndpointSettings(s);
  }
  void TearDown() override { SetEndpointSettings(EndpointSettings{}); }

  std::unique_ptr<Sink> MakeSink(const std::string& url) {
    Result<Value> cfg = protocol::ParseJson(R"({"EndpointConfiguration":{"Url":")" + url + R"(","Name":"n"},
        "RetryOptions":{"DurationInSeconds":60},
        "S3Configuration":{"RoleARN":"arn:aws:iam::123456789012:role/r","BucketARN":"arn:aws:s3:::b"}})");
    EXPECT_TRUE(cfg.ok());
    SinkContext ctx;
    ctx.stream_name = "s";
    ctx.stream_arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s";
    ctx.objects = &store_;
    ctx.clock = &clock_;
    Result<std::unique_ptr<Sink>> sink = HttpEndpointDestinationKind().NewSink(*cfg, ctx);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }
  Batch OneRecordBatch(Sink* sink) {
    Batch b;
    b.id = "0f0e0d0c-0b0a-5908-8706-050403020100";
    b.first = storage::Offset(0);
    b.end = storage::Offset(1);
    b.oldest_ms = clock_.NowMs();
    BatchRecord r;
    r.data = "hello";
    r.arrival_ms = clock_.NowMs();
    r.offset = storage::Offset(0);
    b.records.push_back(r);
    Result<Value> plan = sink->Plan(b);
    EXPECT_TRUE(plan.ok());
    if (plan.ok()) b.plan = *plan;
    return b;
  }

  util::ManualClock clock_{1'700'000'000'000};
  MemoryStore store_;
};

TEST_F(HttpEndpointSinkTest, TheWaitForAFailingAnswerIsReportedAsNotCountedByTheRetryWindow) {
  LoopbackHttpServer server([&](const std::string&) {
    clock_.AdvanceMs(7'000);  // the endpoint takes 7 s to say no
    return Http(500, R"({"requestId":"x","timestamp":1,"errorMessage":"busy"})");
  });
  std::unique_ptr<Sink> sink = MakeSink(server.url("/ingest"));
  ASSERT_NE(sink, nullptr);
  Batch b = OneRecordBatch(sink.get());
  SinkCounts counts;
  EXPECT_FALSE(sink->Deliver(b, &counts, nullptr).ok());
  EXPECT_EQ(counts.window_excluded_ms, 7'000);
  EXPECT_EQ(counts.records, 0u);
}

TEST_F(HttpEndpointSinkTest, NoAnswerWithinTheTimeoutIsARequestTimeout) {
  LoopbackHttpServer server([](const std::string&) { return std::string(); });  // never answers
  std::unique_ptr<Sink> sink = MakeSink(server.url("/ingest"));
  ASSERT_NE(sink, nullptr);
  Batch b = OneRecordBatch(sink.get());
  SinkCounts counts;
  Status st = sink->Deliver(b, &counts, nullptr);
  ASSERT_FALSE(st.ok());
  ASSERT_TRUE(sink->Expire(b, st, &counts, nullptr).ok());
  std::string failed = store_.All();
  EXPECT_NE(failed.find(R"("errorCode":"HttpEndpoint.RequestTimeout")"), std::string::npos) << failed;
  EXPECT_EQ(counts.failed, 1u);
}

TEST_F(HttpEndpointSinkTest, ARefusedConnectionIsAConnectionFailure) {
  std::unique_ptr<Sink> sink = MakeSink("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/ingest");
  ASSERT_NE(sink, nullptr);
  Batch b = OneRecordBatch(sink.get());
  SinkCounts counts;
  Status st = sink->Deliver(b, &counts, nullptr);
  ASSERT_FALSE(st.ok());
  ASSERT_TRUE(sink->Expire(b, st, &counts, nullptr).ok());
  std::string failed = store_.All();
  EXPECT_NE(failed.find(R"("errorCode":"HttpEndpoint.ConnectionFailed")"), std::string::npos) << failed;
}

}  // namespace
}  // namespace spate::firehose
