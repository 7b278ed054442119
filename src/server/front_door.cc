#include "server/front_door.h"

#include <string>
#include <utility>

#include "base/version.h"
#include "server/request_id.h"

namespace spate::server {
namespace {

using http::HeaderList;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

// GET /health and /healthcheck: the process is up and serving (spated
// listens only once recovery is done, so an answer means ready), and which
// build it is.
class HealthRoute final : public http::RequestHandler {
 public:
  void Handle(HttpRequest&&, std::unique_ptr<Responder> responder) override {
    HttpResponse r;
    r.headers.emplace_back("x-amzn-RequestId", RandomRequestId());
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = HealthBody();
    responder->Send(std::move(r));
  }
};

// OPTIONS with an Origin: browsers ask before a cross-origin POST (the JS
// SDK in a page). Any origin, the headers and method asked for, cached for
// two days.
class CorsPreflightRoute final : public http::RequestHandler {
 public:
  void Handle(HttpRequest&& req, std::unique_ptr<Responder> responder) override {
    HttpResponse r;
    r.headers = {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Max-Age", "172800"}};
    if (auto v = req.Header("access-control-request-headers"); !v.empty()) {
      r.headers.emplace_back("Access-Control-Allow-Headers", std::string(v));
    }
    if (auto v = req.Header("access-control-request-method"); !v.empty()) {
      r.headers.emplace_back("Access-Control-Allow-Methods", std::string(v));
    }
    r.headers.emplace_back("x-amzn-RequestId", RandomRequestId());
    responder->Send(std::move(r));
  }
};

}  // namespace

std::string HealthBody() {
  // Version and revision are built from [0-9A-Za-z.-]: nothing to escape.
  return "{\"status\":\"ok\",\"version\":\"" + std::string(Version()) + "\",\"revision\":\"" +
         std::string(GitRevision()) + "\"}";
}

FrontDoor::FrontDoor(const SigV4Verifier* verifier)
    : api_(verifier),
      health_(std::make_unique<HealthRoute>()),
      cors_preflight_(std::make_unique<CorsPreflightRoute>()),
      router_(&api_) {
  router_.Add({"GET", "/health", ""}, health_.get());
  router_.Add({"GET", "/healthcheck", ""}, health_.get());
  router_.Add({"OPTIONS", "*", "origin"}, cors_preflight_.get());
}

FrontDoor::~FrontDoor() = default;

}  // namespace spate::server
