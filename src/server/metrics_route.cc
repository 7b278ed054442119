#include "server/metrics_route.h"

#include <string>

namespace spate::server {

void MetricsRoute::Handle(http::HttpRequest&&, std::unique_ptr<http::Responder> responder) {
  http::HttpResponse r;
  r.headers.emplace_back("Content-Type", std::string(metrics::Registry::kContentType));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = registry_->Scrape();
  responder->Send(std::move(r));
}

void MetricsPortFallback::Handle(http::HttpRequest&&, std::unique_ptr<http::Responder> responder) {
  http::HttpResponse r;
  r.status = 404;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = "Not Found: this port serves only GET /metrics\n";
  responder->Send(std::move(r));
}

}  // namespace spate::server
