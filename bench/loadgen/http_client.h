// Minimal asynchronous Kinesis JSON 1.1 client connections for the load
// generator: HTTP/1.1 keep-alive (hand-rolled, one request in flight per
// connection, no pipelining) and HTTP/2 cleartext with prior knowledge
// (nghttp2 client session, up to `h2_streams` requests in flight).
//
// Every request carries the headers an AWS SDK sends, with a syntactically
// valid but dummy SigV4 Authorization header (servers under test check
// presence only).
//
// Threading: a connection lives on one io_context and every method, and every
// callback, runs on that io_context's thread.
#pragma once

#include <utility>  // before Asio: its awaitable.hpp needs std::exchange

#include <boost/asio.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace spate::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // Requests are sent as (and answered in) CBOR, application/x-amz-cbor-1.1,
  // as the Java SDK does; otherwise JSON 1.1. Set-up calls (BlockingCall) are
  // always JSON.
  bool cbor = false;
};

// Readable bytes that follow every response body handed to a callback
// (simdjson's SIMDJSON_PADDING), so that a parser may read it in place.
inline constexpr size_t kResponsePadding = 64;

// Called once per request: `status` is the HTTP status (0 when the connection
// failed before a response arrived), `body` the response body (valid only
// during the call, followed by kResponsePadding readable bytes).
using ResponseCallback = std::function<void(int status, std::string_view body)>;

class ClientConnection {
 public:
  virtual ~ClientConnection() = default;
  // Connects; `done(ok)` runs on the io_context when the connection can take
  // requests (or failed).
  virtual void Start(std::function<void(bool)> done) = 0;
  // Requests that can be sent now without exceeding the in-flight limit.
  virtual int FreeSlots() const = 0;
  virtual bool Broken() const = 0;
  // Sends one POST / with `X-Amz-Target: Kinesis_20131202.<operation>`.
  // Precondition: FreeSlots() > 0. `body` must stay alive until the callback.
  virtual void Send(std::string_view operation, std::shared_ptr<const std::string> body, ResponseCallback cb) = 0;
};

std::unique_ptr<ClientConnection> NewHttp1Connection(boost::asio::io_context& io, const Endpoint& ep);
std::unique_ptr<ClientConnection> NewHttp2Connection(boost::asio::io_context& io, const Endpoint& ep, int h2_streams);

// One blocking request over a fresh HTTP/1.1 connection, for set-up steps
// (create streams, probes). Returns the status (0 on a transport error) and
// fills *body.
int BlockingCall(const Endpoint& ep, std::string_view operation, const std::string& body, std::string* response);

}  // namespace spate::bench
