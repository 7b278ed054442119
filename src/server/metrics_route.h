#pragma once

#include "http/http_types.h"
#include "metrics/registry.h"

namespace spate::server {

// GET /metrics: the registry's metrics in the Prometheus text exposition
// format (version 0.0.4), for a Prometheus server to scrape. Unsigned, like
// /health: it is meant for the operator's network (see docs/metrics.md).
// Thread-safe; renders on the I/O thread that received the request.
class MetricsRoute final : public http::RequestHandler {
 public:
  // `registry` must outlive this.
  explicit MetricsRoute(const metrics::Registry* registry) : registry_(registry) {}
  void Handle(http::HttpRequest&& request, std::unique_ptr<http::Responder> responder) override;

 private:
  const metrics::Registry* const registry_;
};

// What the --metrics-port listener answers to anything but GET /metrics:
// 404 with a one-line text body naming the one path it serves. Stateless,
// thread-safe.
class MetricsPortFallback final : public http::RequestHandler {
 public:
  void Handle(http::HttpRequest&& request, std::unique_ptr<http::Responder> responder) override;
};

}  // namespace spate::server
