#include "http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spate::http {
namespace {

// Records which handler took which request.
class Recorder final : public RequestHandler {
 public:
  Recorder(std::string name, std::vector<std::string>* log) : name_(std::move(name)), log_(log) {}
  void Handle(HttpRequest&& request, std::unique_ptr<Responder>) override {
    log_->push_back(name_ + " " + request.method + " " + request.target);
  }
  HttpResponse Overloaded(const HttpRequest&) override { return HttpResponse{429, {}, name_}; }

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

HttpRequest Req(std::string method, std::string target, HeaderList headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  std::vector<std::string> log_;
  Recorder api_{"api", &log_};
  Recorder health_{"health", &log_};
  Recorder console_{"console", &log_};
  Recorder cors_{"cors", &log_};
  Router router_{&api_};

  void SetUp() override {
    router_.Add({"GET", "/health", ""}, &health_);
    router_.Add({"", "/console/*", ""}, &console_);
    router_.Add({"OPTIONS", "*", "origin"}, &cors_);
  }
  std::string Route(HttpRequest r) {
    log_.clear();
    router_.Handle(std::move(r), nullptr);
    return log_.empty() ? "" : log_.back();
  }
};

TEST_F(RouterTest, ExactPathAndMethod) {
  EXPECT_EQ(Route(Req("GET", "/health")), "health GET /health");
  EXPECT_EQ(Route(Req("POST", "/health")), "api POST /health");
  EXPECT_EQ(Route(Req("GET", "/healthz")), "api GET /healthz");
}

TEST_F(RouterTest, QueryIsNotPartOfThePath) {
  EXPECT_EQ(Route(Req("GET", "/health?verbose=1")), "health GET /health?verbose=1");
}

TEST_F(RouterTest, PrefixRouteTakesItsPathAndBelowOnly) {
  EXPECT_EQ(Route(Req("GET", "/console")), "console GET /console");
  EXPECT_EQ(Route(Req("GET", "/console/")), "console GET /console/");
  EXPECT_EQ(Route(Req("POST", "/console/streams/a")), "console POST /console/streams/a");
  EXPECT_EQ(Route(Req("GET", "/consoles")), "api GET /consoles");
}

TEST_F(RouterTest, RequiredHeader) {
  EXPECT_EQ(Route(Req("OPTIONS", "/", {{"origin", "http://x"}})), "cors OPTIONS /");
  EXPECT_EQ(Route(Req("OPTIONS", "/")), "api OPTIONS /");
}

TEST_F(RouterTest, EverythingElseGoesToTheFallback) { EXPECT_EQ(Route(Req("POST", "/")), "api POST /"); }

TEST_F(RouterTest, OverloadedAsksTheHandlerTheRequestWouldReach) {
  EXPECT_EQ(router_.Overloaded(Req("GET", "/console/x")).body, "console");
  EXPECT_EQ(router_.Overloaded(Req("POST", "/")).body, "api");
}

}  // namespace
}  // namespace spate::http
