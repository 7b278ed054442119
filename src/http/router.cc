#include "http/router.h"

#include <string_view>

namespace spate::http {
namespace {

bool PathMatches(std::string_view pattern, std::string_view path) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*") {
    std::string_view base = pattern.substr(0, pattern.size() - 2);
    return path.substr(0, base.size()) == base && (path.size() == base.size() || path[base.size()] == '/');
  }
  return pattern == path;
}

}  // namespace

void Router::Add(RouteMatch match, RequestHandler* handler) { routes_.push_back({std::move(match), handler}); }

RequestHandler* Router::Find(const HttpRequest& request) const {
  // Every API call passes here: the method is compared first, and the path
  // is cut from the target only for a route whose method matches.
  std::string_view path;
  bool have_path = false;
  for (const Route& r : routes_) {
    if (!r.match.method.empty() && r.match.method != request.method) continue;
    if (!have_path) {
      path = request.target;
      if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
      have_path = true;
    }
    if (!PathMatches(r.match.path, path)) continue;
    if (!r.match.required_header.empty() && request.Header(r.match.required_header).empty()) continue;
    return r.handler;
  }
  return fallback_;
}

void Router::Handle(HttpRequest&& request, std::unique_ptr<Responder> responder) {
  RequestHandler* h = Find(request);
  h->Handle(std::move(request), std::move(responder));
}

HttpResponse Router::Overloaded(const HttpRequest& head) { return Find(head)->Overloaded(head); }

}  // namespace spate::http
