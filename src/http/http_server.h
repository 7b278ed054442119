#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/http_types.h"

namespace spate::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4567;               // 0 = pick a free port (see HttpServer::port())
  int threads = 2;                    // I/O threads, each with its own event loop
  size_t max_body_bytes = 16u << 20;  // larger bodies get 413 before buffering
  size_t max_header_bytes = 64u << 10;
  // HTTPS on a second port (-1: none; 0: pick a free one, see tls_port()).
  // TLS 1.2+, ALPN "h2" (preferred) and "http/1.1"; the protocol is then
  // chosen as on the plain port (h2 preface or not), so HTTP/2 also works
  // for clients that skip ALPN. Certificate chain and key are PEM files.
  int tls_port = -1;
  std::string tls_cert_file;
  std::string tls_key_file;
  size_t max_header_count = 256;  // more header fields: 431
  // Open connections (HTTP/1.1 and HTTP/2); beyond it new ones are closed
  // at once, before any byte is read.
  size_t max_connections = 4096;
  // Request bytes held in memory (bodies being read plus requests not yet
  // answered): per connection (HTTP/2 multiplexes many) and for the whole
  // server. A request that does not fit is refused at once with
  // RequestHandler::Overloaded() instead of being queued.
  size_t max_connection_inflight_bytes = 64u << 20;
  size_t max_inflight_bytes = 512u << 20;
  // Deadlines, milliseconds (0 = none): idle keep-alive connection; header
  // section from a request's first byte; body from the end of its headers.
  // A request over its deadline is answered 408 and its connection closed.
  int64_t idle_timeout_ms = 120'000;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 60'000;
  // Value of the Server header on every response ("spated/0.1.0"); empty:
  // no Server header.
  std::string server_header;
};

// What the server holds now and has accepted so far, for metrics.
struct HttpServerStats {
  uint64_t open_connections = 0;      // plain and TLS, including ones still being sniffed
  uint64_t inflight_bytes = 0;        // request bytes held (the max_inflight_bytes budget in use)
  uint64_t accepted_connections = 0;  // since Start
  uint64_t refused_connections = 0;   // closed at once for max_connections, since Start
};

// HTTP/1.1 (keep-alive, pipelining answered in order) and HTTP/2 cleartext
// with prior knowledge (connections that begin with the 24-byte preface) on
// one listening socket, and optionally both over TLS on a second one. Implementation keeps Boost and nghttp2 out of
// this header.
class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options, RequestHandler* handler);
  virtual ~HttpServer() = default;
  // Binds and starts the I/O threads. Returns after the socket is listening.
  virtual Status Start() = 0;
  // Stops accepting, closes connections, joins threads. Idempotent.
  virtual void Stop() = 0;
  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // The bound HTTPS port; 0 when there is none.
  virtual uint16_t tls_port() const = 0;
  // Thread-safe; relaxed reads of counters the I/O threads keep anyway.
  virtual HttpServerStats Stats() const = 0;
};

}  // namespace spate::http
