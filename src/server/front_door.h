#pragma once

#include <memory>
#include <string>

#include "http/router.h"
#include "server/api_dispatcher.h"

namespace spate::server {

// Everything spated answers on its port, as one RequestHandler for the
// HttpServer: a router whose routes come first (health checks, CORS
// preflights, and whatever is added: /metrics, /console) and, behind them,
// the AWS API (ApiDispatcher) with the registered services.
//
//   GET /health, GET /healthcheck -> 200 HealthBody():
//                                    {"status":"ok","version":"0.1.0","revision":"<git>"}
//   OPTIONS with an Origin header -> the CORS preflight answer (any origin,
//                                    the requested headers and method)
//   everything else               -> ApiDispatcher
//
// Services and routes are added before the server starts; afterwards the
// front door is immutable and thread-safe.
// The body /health answers: status, the build's version and git revision
// (empty outside a checkout).
std::string HealthBody();

class FrontDoor {
 public:
  // `verifier` may be null (development mode); it must outlive this.
  explicit FrontDoor(const SigV4Verifier* verifier);
  ~FrontDoor();

  // `service` must outlive this; see ApiDispatcher::AddService.
  void AddService(service::Service* service) { api_.AddService(service); }
  // See ApiDispatcher::SetAccessLog: API requests only, not the routes.
  void SetAccessLog(AccessLog* log) { api_.SetAccessLog(log); }
  // See ApiDispatcher::SetPeerSecret (cluster mode).
  void SetPeerSecret(std::string secret) { api_.SetPeerSecret(std::move(secret)); }
  // A route in front of the AWS API, after the built-in ones; `handler` must
  // outlive this.
  void AddRoute(http::RouteMatch match, http::RequestHandler* handler) { router_.Add(std::move(match), handler); }

  // What the HttpServer is given.
  http::RequestHandler* handler() { return &router_; }

 private:
  ApiDispatcher api_;
  std::unique_ptr<http::RequestHandler> health_;
  std::unique_ptr<http::RequestHandler> cors_preflight_;
  http::Router router_;
};

}  // namespace spate::server
