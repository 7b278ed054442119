#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Spare capacity kept past a request body read with a Content-Length, so
// that a parser that reads ahead of the end (simdjson reads up to 64 bytes
// past it) can parse the body where it is instead of copying it first.
inline constexpr size_t kBodySlackBytes = 64;

// One request as the transport hands it to the application, the same for
// HTTP/1.1 and HTTP/2. Header names are lower-cased; values are as received.
struct HttpRequest {
  std::string method;  // "POST", "GET", ...
  std::string target;  // request-target / :path, e.g. "/"
  HeaderList headers;
  // The body. When it came with a Content-Length over HTTP/1.1, its
  // capacity exceeds its size by at least kBodySlackBytes (see there).
  std::string body;
  bool http2 = false;
  std::string remote_address;  // "127.0.0.1:53412"

  // First header of that (lower-case) name, or empty.
  std::string_view Header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // Content-Length is added by the transport
  std::string body;
};

// A response whose body is produced over time (AWS event streams for
// SubscribeToShard). HTTP/1.1 sends it chunked; HTTP/2 as DATA frames.
// All methods are thread-safe and may be called from any thread.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues bytes for the client. Returns false once the client has gone away
  // (the writer should stop producing). Never blocks.
  virtual bool Write(std::string bytes) = 0;
  // Bytes queued but not yet written to the socket (for backpressure).
  virtual size_t Buffered() const = 0;
  // Ends the body. Further writes are ignored.
  virtual void End() = 0;
  // Registers a callback run once when the client disconnects or End() has
  // flushed. Runs on a transport thread; must not block.
  virtual void OnClose(std::function<void()> cb) = 0;
};

// How a handler answers. Exactly one of Send or StartStream must be called,
// exactly once, from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(HttpResponse response) = 0;
  // Like Send, but `make` builds the response on the transport thread that
  // writes it (and not at all if the client is gone): a handler that
  // completes on another thread, such as the storage writer, hands the
  // encoding over instead of doing it there. Default: Send(make()).
  virtual void SendBuilt(std::function<HttpResponse()> make) { Send(make()); }
  // Sends status and headers now and returns the body stream.
  virtual std::shared_ptr<ResponseStream> StartStream(int status, HeaderList headers) = 0;
};

// The application side of the server. Handle() is called on a transport
// thread and must not block: long work completes later through the responder.
// The request is the handler's to move from (taken by reference so that a
// router in front of the handler passes it on without a copy or a move).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void Handle(HttpRequest&& request, std::unique_ptr<Responder> responder) = 0;
  // The answer to a request refused because the server's memory budgets
  // are spent (HttpServerOptions::max_*inflight_bytes). `head` has the
  // method, target and headers but no body. Called on a transport thread;
  // must not block. Default: 503 Service Unavailable.
  virtual HttpResponse Overloaded(const HttpRequest& head) {
    (void)head;
    return HttpResponse{503, {{"content-type", "text/plain"}, {"retry-after", "1"}}, "Service Unavailable\n"};
  }
};

}  // namespace spate::http
