#pragma once

// A test HTTP/1.1 server on loopback, for the unit tests of everything that
// calls out over HTTP (net::HttpClient, the Lambda invoker, Firehose's HTTP
// endpoint sink): one connection at a time, one request a connection. Not for
// production use.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace spate::net::testing {

class LoopbackHttpServer {
 public:
  // Gets each request's body and returns the whole answer (status line and
  // headers included, as HttpAnswer builds it). An empty answer means none:
  // the connection is held until the client closes it or the server stops
  // (a server that never answers).
  using Respond = std::function<std::string(const std::string& body)>;

  // Listens on an ephemeral loopback port; test assertions fail when it
  // cannot.
  explicit LoopbackHttpServer(Respond respond);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string url(std::string_view path = "/") const;
  // The last request received whole (request line, headers and body).
  std::string last_request() const;
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void Serve();

  const Respond respond_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::string last_request_;  // guarded by mu_
  std::thread thread_;
};

// "HTTP/1.1 <status> X" with Content-Length, "Connection: close", then
// `extra_headers` (each line ending in "\r\n"), then `body`.
std::string HttpAnswer(int status, std::string_view body, std::string_view extra_headers = "");

// A loopback port nothing listens on (bound, then closed).
int ClosedPort();

}  // namespace spate::net::testing
