#include "console/console_route.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "console/assets.h"

namespace spate::console {
namespace {

std::string HeaderOf(const http::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

const EmbeddedAsset kFake[] = {
    {"index.html", "<!doctype html><title>t</title>", "\"aaaa\""},
    {"app.js", "console.log(1);", "\"bbbb\""},
    {"vendor/uPlot.min.css", ".u{}", "\"cccc\""},
};

class ConsoleRouteTest : public ::testing::Test {
 protected:
  ConsoleRoute route_{kFake, ConsoleOptions{}};
};

TEST_F(ConsoleRouteTest, BarePrefixRedirectsToTheSlashKeepingTheQuery) {
  http::HttpResponse r = route_.Get("/console?stream=a", "");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(HeaderOf(r, "Location"), "/console/?stream=a");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(ConsoleRouteTest, SlashServesTheIndexWithItsPolicy) {
  http::HttpResponse r = route_.Get("/console/", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<!doctype html><title>t</title>");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "ETag"), "\"aaaa\"");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  EXPECT_NE(HeaderOf(r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "DENY");
}

TEST_F(ConsoleRouteTest, AssetBelowAFolderWithItsType) {
  http::HttpResponse r = route_.Get("/console/vendor/uPlot.min.css?v=1", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, ".u{}");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), "");
}

TEST_F(ConsoleRouteTest, MatchingIfNoneMatchIsNotModified) {
  for (std::string_view inm : {"\"bbbb\"", "W/\"bbbb\"", "\"zzzz\", \"bbbb\"", "*"}) {
    http::HttpResponse r = route_.Get("/console/app.js", inm);
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_TRUE(r.body.empty()) << inm;
    EXPECT_EQ(HeaderOf(r, "ETag"), "\"bbbb\"") << inm;
  }
}

TEST_F(ConsoleRouteTest, OtherIfNoneMatchGetsTheBody) {
  for (std::string_view inm : {"\"aaaa\"", "\"bbb\"", "bbbb", "W/"}) {
    http::HttpResponse r = route_.Get("/console/app.js", inm);
    EXPECT_EQ(r.status, 200) << inm;
    EXPECT_EQ(r.body, "console.log(1);") << inm;
  }
}

TEST_F(ConsoleRouteTest, UnknownNamesAndTraversalAre404) {
  for (std::string_view t :
       {"/console/nope.js", "/console/../metrics", "/console/vendor/", "/console//app.js", "/console/app.js/"}) {
    EXPECT_EQ(route_.Get(t, "").status, 404) << t;
  }
}

TEST_F(ConsoleRouteTest, ConfigSaysWhetherCredentialsAreNeeded) {
  http::HttpResponse dev = route_.Get("/console/config.json", "");
  EXPECT_EQ(dev.body, "{\"credentialsRequired\":false,\"metricsOnThisPort\":true}");
  EXPECT_EQ(HeaderOf(dev, "Content-Type"), "application/json");
  ConsoleRoute signed_route(kFake, ConsoleOptions{.credentials_required = true});
  http::HttpResponse s = signed_route.Get("/console/config.json", "");
  EXPECT_EQ(s.body, "{\"credentialsRequired\":true,\"metricsOnThisPort\":true}");
  EXPECT_NE(HeaderOf(s, "ETag"), HeaderOf(dev, "ETag"));
}

TEST_F(ConsoleRouteTest, ConfigSaysWhenMetricsAreOnAnotherPort) {
  ConsoleRoute route(kFake, ConsoleOptions{.metrics_on_this_port = false});
  http::HttpResponse r = route.Get("/console/config.json", "");
  EXPECT_EQ(r.body, "{\"credentialsRequired\":false,\"metricsOnThisPort\":false}");
  EXPECT_NE(HeaderOf(r, "ETag"), HeaderOf(route_.Get("/console/config.json", ""), "ETag"));
}

class CapturingResponder final : public http::Responder {
 public:
  explicit CapturingResponder(http::HttpResponse* out) : out_(out) {}
  void Send(http::HttpResponse response) override { *out_ = std::move(response); }
  std::shared_ptr<http::ResponseStream> StartStream(int, http::HeaderList) override { return nullptr; }

 private:
  http::HttpResponse* out_;
};

TEST_F(ConsoleRouteTest, OnlyGetIsServed) {
  for (std::string method : {"POST", "PUT", "DELETE", "HEAD"}) {
    http::HttpRequest req;
    req.method = method;
    req.target = "/console/app.js";
    http::HttpResponse out;
    route_.Handle(std::move(req), std::make_unique<CapturingResponder>(&out));
    EXPECT_EQ(out.status, 405) << method;
    EXPECT_EQ(HeaderOf(out, "Allow"), "GET") << method;
  }
  http::HttpRequest req;
  req.method = "GET";
  req.target = "/console/app.js";
  req.headers.emplace_back("if-none-match", "\"bbbb\"");
  http::HttpResponse out;
  route_.Handle(std::move(req), std::make_unique<CapturingResponder>(&out));
  EXPECT_EQ(out.status, 304);
}

TEST(ContentTypeFor, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("vendor/uPlot.iife.min.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("x.LICENSE.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("dir.js/file"), "application/octet-stream");
}

TEST(EmbeddedAssets, TheBuildEmbeddedThePageAndUplot) {
  std::vector<std::string_view> names;
  for (const EmbeddedAsset& a : EmbeddedAssets()) {
    names.push_back(a.name);
    EXPECT_FALSE(a.body.empty()) << a.name;
    EXPECT_EQ(a.etag.size(), 18u) << a.name;  // 16 hex digits, quoted
  }
  for (std::string_view want :
       {"index.html", "app.js", "sigv4.js", "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  ConsoleRoute route(EmbeddedAssets(), ConsoleOptions{});
  http::HttpResponse r = route.Get("/console/vendor/uPlot.iife.min.js", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("uPlot"), std::string::npos);
}

}  // namespace
}  // namespace spate::console
