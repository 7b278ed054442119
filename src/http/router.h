#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/http_types.h"

namespace spate::http {

// Which requests a route takes.
struct RouteMatch {
  // "GET", "OPTIONS", ...; empty matches every method.
  std::string method;
  // Matched against the request target's path (the part before '?'):
  // exactly, or, when it ends in "/*", that path and everything below it
  // ("/console/*" takes "/console", "/console/" and "/console/app.js");
  // "*" alone takes every path.
  std::string path;
  // When not empty, the request must carry this header (lower case), e.g.
  // "origin" for CORS preflights.
  std::string required_header;
};

// Sends each request to the first route that matches it, in the order the
// routes were added, and every other request to the fallback (the AWS API
// front door). Routes are added before the server starts; afterwards the
// router is immutable and Handle/Overloaded may run concurrently.
class Router final : public RequestHandler {
 public:
  // `fallback` must outlive the router.
  explicit Router(RequestHandler* fallback) : fallback_(fallback) {}

  // `handler` must outlive the router.
  void Add(RouteMatch match, RequestHandler* handler);

  void Handle(HttpRequest&& request, std::unique_ptr<Responder> responder) override;
  // Asks the handler the request would have gone to.
  HttpResponse Overloaded(const HttpRequest& head) override;

 private:
  RequestHandler* Find(const HttpRequest& request) const;

  struct Route {
    RouteMatch match;
    RequestHandler* handler;
  };
  std::vector<Route> routes_;
  RequestHandler* fallback_;
};

}  // namespace spate::http
