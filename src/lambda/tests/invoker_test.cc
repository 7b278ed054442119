#include "lambda/invoker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "net/tests/loopback_http_server.h"

namespace spate::lambda {
namespace {

using net::testing::HttpAnswer;
using net::testing::LoopbackHttpServer;

FunctionMap OneFunction(const std::string& name, FunctionTarget t) {
  FunctionMap m;
  m.functions[name] = std::move(t);
  return m;
}

TEST(FunctionMap, ParsesUrlsCommandsAndTimeouts) {
  auto m = ParseFunctionMap(R"({"timeout_seconds": 30,
    "arn:aws:lambda:us-east-1:000000000000:function:up": {"url": "http://127.0.0.1:9/x"},
    "down": {"command": ["/bin/cat"], "timeout_seconds": 5}})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->functions.size(), 2u);
  EXPECT_EQ(m->functions["arn:aws:lambda:us-east-1:000000000000:function:up"].url, "http://127.0.0.1:9/x");
  EXPECT_EQ(m->functions["arn:aws:lambda:us-east-1:000000000000:function:up"].timeout_ms, 30'000);
  EXPECT_EQ(m->functions["down"].command, std::vector<std::string>{"/bin/cat"});
  EXPECT_EQ(m->functions["down"].timeout_ms, 5'000);
}

TEST(FunctionMap, RefusesBadEntries) {
  EXPECT_FALSE(ParseFunctionMap("[]").ok());
  EXPECT_FALSE(ParseFunctionMap(R"({"f": {}})").ok());
  EXPECT_FALSE(ParseFunctionMap(R"({"f": {"url": "ftp://x"}})").ok());
  EXPECT_FALSE(ParseFunctionMap(R"({"f": {"url": "http://x", "command": ["a"]}})").ok());
  EXPECT_FALSE(ParseFunctionMap(R"({"f": {"command": []}})").ok());
  EXPECT_FALSE(ParseFunctionMap(R"({"f": {"command": ["a"], "timeout_seconds": 901}})").ok());
}

TEST(FunctionMap, Flags) {
  FunctionMap m;
  ASSERT_TRUE(AddFunctionFlag("f=http://127.0.0.1:1/", &m).ok());
  ASSERT_TRUE(AddFunctionFlag("arn:aws:lambda:us-east-1:1:function:g=cmd:/usr/bin/python3  t.py -v", &m).ok());
  EXPECT_EQ(m.functions["f"].url, "http://127.0.0.1:1/");
  EXPECT_EQ(m.functions["arn:aws:lambda:us-east-1:1:function:g"].command,
            (std::vector<std::string>{"/usr/bin/python3", "t.py", "-v"}));
  EXPECT_FALSE(AddFunctionFlag("f", &m).ok());
  EXPECT_FALSE(AddFunctionFlag("f=cmd:", &m).ok());
  EXPECT_FALSE(AddFunctionFlag("f=/bin/cat", &m).ok());
}

TEST(FunctionMap, FindsByArnUnqualifiedArnOrName) {
  FunctionMap m;
  m.functions["arn:aws:lambda:us-east-1:1:function:exact:PROD"].url = "http://a";
  m.functions["arn:aws:lambda:us-east-1:1:function:unq"].url = "http://b";
  m.functions["named"].url = "http://c";
  EXPECT_EQ(FindFunction(m, "arn:aws:lambda:us-east-1:1:function:exact:PROD")->url, "http://a");
  EXPECT_EQ(FindFunction(m, "arn:aws:lambda:us-east-1:1:function:unq:$LATEST")->url, "http://b");
  EXPECT_EQ(FindFunction(m, "arn:aws:lambda:eu-west-1:2:function:named:3")->url, "http://c");
  EXPECT_EQ(FindFunction(m, "named")->url, "http://c");
  EXPECT_EQ(FindFunction(m, "arn:aws:lambda:us-east-1:1:function:other"), nullptr);
}

TEST(Invoker, UnmappedFunctionIsNotFound) {
  auto inv = NewInvoker({})->Invoke("arn:aws:lambda:us-east-1:1:function:nope", "{}", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kNotFound);
  EXPECT_NE(inv.message.find("nope"), std::string::npos);
}

TEST(Invoker, UrlGetsThePayloadAndAnswersTheBody) {
  LoopbackHttpServer server([](const std::string& body) { return HttpAnswer(200, "echo:" + body); });
  FunctionTarget t;
  t.url = server.url("/invoke");
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", R"({"records":[]})", nullptr);
  ASSERT_EQ(inv.outcome, Outcome::kOk) << inv.message;
  EXPECT_EQ(inv.payload, R"(echo:{"records":[]})");
  EXPECT_NE(server.last_request().find("POST /invoke HTTP/1.1"), std::string::npos);
  EXPECT_NE(server.last_request().find("Content-Type: application/json"), std::string::npos);
}

TEST(Invoker, UrlNon2xxIsAFunctionError) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(500, "boom"); });
  FunctionTarget t;
  t.url = server.url("/invoke");
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kFunctionError);
  EXPECT_NE(inv.message.find("HTTP 500"), std::string::npos);
  EXPECT_NE(inv.message.find("boom"), std::string::npos);
}

TEST(Invoker, UrlFunctionErrorHeaderIsAFunctionError) {
  LoopbackHttpServer server([](const std::string&) {
    return HttpAnswer(200, R"({"errorMessage":"x","errorType":"E"})", "X-Amz-Function-Error: Unhandled\r\n");
  });
  FunctionTarget t;
  t.url = server.url("/invoke");
  EXPECT_EQ(NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr).outcome, Outcome::kFunctionError);
}

TEST(Invoker, UrlNobodyListeningIsUnreachable) {
  FunctionTarget t;
  t.url = "http://127.0.0.1:" + std::to_string(net::testing::ClosedPort()) + "/";
  Invocation inv = NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kUnreachable);
  EXPECT_EQ(inv.message.rfind(t.url + ": ", 0), 0u) << inv.message;  // "<url>: <why>"
}

TEST(Invoker, UrlSilentPastItsTimeoutTimesOut) {
  LoopbackHttpServer server([](const std::string&) { return std::string(); });  // never answers
  FunctionTarget t;
  t.url = server.url("/invoke");
  t.timeout_ms = 200;
  Invocation inv = NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kTimedOut);
  EXPECT_EQ(inv.message, "no answer from " + t.url + " within 200 ms");
}

TEST(Invoker, UrlCancelledBeforehandIsCancelled) {
  LoopbackHttpServer server([](const std::string&) { return HttpAnswer(200, "{}"); });
  FunctionTarget t;
  t.url = server.url("/invoke");
  std::atomic<bool> cancel{true};
  EXPECT_EQ(NewInvoker(OneFunction("f", t))->Invoke("f", "{}", &cancel).outcome, Outcome::kCancelled);
}

TEST(Invoker, CommandReadsStdinAndAnswersStdout) {
  FunctionTarget t;
  t.command = {"/bin/sh", "-c", "printf 'got:'; cat"};
  std::string big(1 << 20, 'x');  // more than a pipe buffer each way
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", big, nullptr);
  ASSERT_EQ(inv.outcome, Outcome::kOk) << inv.message;
  EXPECT_EQ(inv.payload, "got:" + big);
}

TEST(Invoker, CommandPython) {
  FunctionTarget t;
  t.command = {"/usr/bin/python3", "-c",
               "import json,sys; e=json.load(sys.stdin); print(json.dumps({'n': len(e['records'])}))"};
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", R"({"records":[1,2,3]})", nullptr);
  ASSERT_EQ(inv.outcome, Outcome::kOk) << inv.message;
  EXPECT_EQ(inv.payload, "{\"n\": 3}\n");
}

TEST(Invoker, CommandNonZeroExitIsAFunctionErrorWithStderr) {
  FunctionTarget t;
  t.command = {"/bin/sh", "-c", "echo bad input >&2; exit 3"};
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kFunctionError);
  EXPECT_NE(inv.message.find("status 3"), std::string::npos);
  EXPECT_NE(inv.message.find("bad input"), std::string::npos);
}

TEST(Invoker, CommandMissingProgramIsUnreachable) {
  FunctionTarget t;
  t.command = {"/nonexistent/program"};
  EXPECT_EQ(NewInvoker(OneFunction("f", t))->Invoke("f", "{}", nullptr).outcome, Outcome::kUnreachable);
}

TEST(Invoker, CommandPastItsTimeoutIsKilled) {
  FunctionTarget t;
  t.command = {"/bin/sleep", "30"};
  t.timeout_ms = 200;
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", "", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kTimedOut);
}

TEST(Invoker, CommandThatClosesItsOutputAndKeepsRunningIsKilledAtItsTimeout) {
  FunctionTarget t;
  t.command = {"/bin/sh", "-c", "exec >&- 2>&-; sleep 30"};
  t.timeout_ms = 200;
  auto inv = NewInvoker(OneFunction("f", t))->Invoke("f", "", nullptr);
  EXPECT_EQ(inv.outcome, Outcome::kTimedOut);
}

TEST(Invoker, CommandCancelled) {
  FunctionTarget t;
  t.command = {"/bin/sleep", "30"};
  std::atomic<bool> cancel{true};
  EXPECT_EQ(NewInvoker(OneFunction("f", t))->Invoke("f", "", &cancel).outcome, Outcome::kCancelled);
}

}  // namespace
}  // namespace spate::lambda
