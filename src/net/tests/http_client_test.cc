// The HTTP client against a real loopback server: what is sent, what comes
// back, and why no answer came.

#include "net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "net/tests/loopback_http_server.h"

namespace spate::net {
namespace {

using testing::ClosedPort;
using testing::HttpAnswer;
using testing::LoopbackHttpServer;

TEST(HttpClientTest, SendsMethodHeadersAndBody) {
  LoopbackHttpServer server([](const std::string& body) { return HttpAnswer(201, "got:" + body, "X-Thing: A b\r\n"); });
  HttpClient client("spate-test/1");
  HttpRequest req;
  req.method = "PUT";
  req.url = server.url("/a/b");
  req.headers = {{"Content-Type", "text/plain"}};
  req.body = "hello";
  Result<HttpResponse> resp = client.Send(req, nullptr);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "got:hello");
  EXPECT_EQ(resp->Header("x-thing"), "A b");
  EXPECT_EQ(resp->Header("absent"), "");
  const std::string sent = server.last_request();
  EXPECT_EQ(sent.rfind("PUT /a/b HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(sent.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(sent.find("User-Agent: spate-test/1\r\n"), std::string::npos);
  EXPECT_EQ(sent.find("Expect:"), std::string::npos);
}

TEST(HttpClientTest, EmptyPostHasAContentLength) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, ""); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  ASSERT_TRUE(client.Send(req, nullptr).ok());
  EXPECT_NE(server.last_request().find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_EQ(server.last_request().find("User-Agent:"), std::string::npos);
}

TEST(HttpClientTest, AnyStatusIsAnAnswer) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(503, "busy", "Location: /x\r\n"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  HttpFailure failure = HttpFailure::kOther;
  Result<HttpResponse> resp = client.Send(req, nullptr, &failure);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 503);
  EXPECT_EQ(failure, HttpFailure::kNone);
}

TEST(HttpClientTest, LongAnswerBodyIsCut) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, std::string(1000, 'x')); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  req.max_response_bytes = 10;
  Result<HttpResponse> resp = client.Send(req, nullptr);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body, std::string(10, 'x'));
}

TEST(HttpClientTest, NoListenerIsOtherFailure) {
  HttpClient client;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/";
  HttpFailure failure = HttpFailure::kNone;
  Result<HttpResponse> resp = client.Send(req, nullptr, &failure);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(resp.status().message().rfind("POST " + req.url + ": ", 0), 0u) << resp.status().message();
  EXPECT_EQ(failure, HttpFailure::kOther);
}

TEST(HttpClientTest, SilentServerTimesOut) {
  LoopbackHttpServer server([](const std::string&) { return std::string(); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  req.timeout_ms = 200;
  HttpFailure failure = HttpFailure::kNone;
  ASSERT_FALSE(client.Send(req, nullptr, &failure).ok());
  EXPECT_EQ(failure, HttpFailure::kTimedOut);
}

TEST(HttpClientTest, CancelledBeforeSendingSendsNothing) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, ""); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  std::atomic<bool> cancel{true};
  HttpFailure failure = HttpFailure::kNone;
  ASSERT_FALSE(client.Send(req, &cancel, &failure).ok());
  EXPECT_EQ(failure, HttpFailure::kCancelled);
  EXPECT_EQ(server.connections(), 0);
}

TEST(HttpClientTest, CancelFunctionEndsAWaitingRequest) {
  LoopbackHttpServer server([](const std::string&) { return std::string(); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  std::atomic<bool> stop{false};
  req.cancelled = [&stop] { return stop.load(); };
  std::thread stopper([&] {
    while (server.connections() == 0) std::this_thread::yield();
    stop.store(true);
  });
  HttpFailure failure = HttpFailure::kNone;
  Result<HttpResponse> resp = client.Send(req, nullptr, &failure);
  stopper.join();
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(failure, HttpFailure::kCancelled);
}

TEST(HttpClientTest, OnBodyStreamsSuccessfulAnswers) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, "streamed"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  std::string seen;
  req.on_body = [&seen](std::string_view bytes) {
    seen.append(bytes);
    return true;
  };
  Result<HttpResponse> resp = client.Send(req, nullptr);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(seen, "streamed");
  EXPECT_EQ(resp->body, "");
  EXPECT_FALSE(resp->stopped);
}

TEST(HttpClientTest, OnBodyCanStopTheTransfer) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, "abc"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  req.on_body = [](std::string_view) { return false; };
  Result<HttpResponse> resp = client.Send(req, nullptr);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_TRUE(resp->stopped);
  EXPECT_EQ(resp->status, 200);
}

TEST(HttpClientTest, OnBodyLeavesErrorAnswersInTheBody) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(400, "{\"__type\":\"X\"}"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  bool called = false;
  req.on_body = [&called](std::string_view) { return called = true; };
  Result<HttpResponse> resp = client.Send(req, nullptr);
  ASSERT_TRUE(resp.ok());
  EXPECT_FALSE(called);
  EXPECT_EQ(resp->status, 400);
  EXPECT_EQ(resp->body, "{\"__type\":\"X\"}");
}

TEST(HttpClientTest, FreshConnectionWorksAndIsNotPooled) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, "ok"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.url();
  req.fresh_connection = true;
  for (int i = 0; i < 2; ++i) {
    Result<HttpResponse> resp = client.Send(req, nullptr);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->body, "ok");
  }
  EXPECT_EQ(server.connections(), 2);
}

}  // namespace
}  // namespace spate::net
