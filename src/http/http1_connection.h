#pragma once

// Internal to spate_http (includes Boost).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "http/http1_parser.h"
#include "http/transport.h"

namespace spate::http::internal {

// One HTTP/1.1 connection. Requests are handled one at a time: after a
// request is parsed it goes to the handler and parsing pauses until its
// response (or the end of its streamed body) is queued; pipelined requests
// thus answer in order. Reading continues while a request is in flight (to
// notice a client that goes away) until kMaxReadAheadBytes are buffered.
//
// Output is a queue of owned strings written with one gather write; while
// a write is in flight new output collects in the next batch.
//
// Lives on one loop; owned by shared_ptr held by its pending I/O handlers.
class Http1Connection final : public Connection {
 public:
  Http1Connection(IoLoop& loop, Socket socket, RequestHandler* handler, ConnectionLimits limits);
  ~Http1Connection() override;

  void Start(std::string initial) override;
  void Close() override;
  void OnResponse(uint32_t id, HttpResponse response) override;
  void OnStreamStart(uint32_t id, int status, HeaderList headers, std::shared_ptr<ResponseStreamImpl> stream) override;
  void OnStreamReady(uint32_t id) override;

 private:
  // One unit of queued output and what to do when it reaches the socket.
  struct Batch {
    std::vector<std::string> pieces;
    // Body bytes of streams in pieces, reported through Consumed().
    std::vector<std::pair<std::shared_ptr<ResponseStreamImpl>, size_t>> stream_bytes;
    std::vector<std::shared_ptr<ResponseStreamImpl>> close_after;  // End() flushed
  };

  void StartRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Parses buffered input and dispatches at most one request.
  void ProcessInput();
  void Dispatch();
  // Answers a protocol error and closes after the write.
  void FailRequest(int status);
  void RequestDone();
  // Chunked if `chunked`, else with Content-Length: content_length.
  void QueueHead(int status, const HeaderList& headers, size_t content_length, bool chunked);
  void Queue(std::string bytes) { pending_.pieces.push_back(std::move(bytes)); }
  void PullStream();
  void StartWrite();
  void OnWrite(const boost::system::error_code& ec);
  // Shuts down the send side and discards input until EOF or a timeout, so
  // that unread request bytes don't turn into a RST that eats the response.
  void LingeringClose();
  // Grows the current request's memory reservation to what its body holds;
  // on refusal answers Overloaded() and closes. False if refused.
  bool ReserveBody();
  // Sets the deadline when the connection changes phase. The timer is only
  // re-armed when the new deadline is earlier than the armed wait: most
  // requests move idle -> in flight -> idle, and those changes cost no timer
  // operation (a wait that comes due early re-arms for the current deadline).
  void UpdateDeadline();
  void ArmDeadline();
  void OnDeadlineTimer();
  void OnDeadline();
  // Answers `response` to a request that is not dispatched, then closes.
  void FailWith(HttpResponse response);

  IoLoop& loop_;  // outlives this: connections live inside loop_.ctx
  Socket socket_;
  RequestHandler* const handler_;
  const ConnectionLimits limits_;
  std::string remote_address_;

  std::vector<char> in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  Http1RequestParser parser_;

  uint32_t request_id_ = 0;                     // id of the current request
  bool in_flight_ = false;                      // current request awaits its answer or stream end
  bool keep_alive_ = true;                      // of the current request
  bool continue_sent_ = false;                  // 100 Continue sent for the current request
  std::shared_ptr<ResponseStreamImpl> stream_;  // streamed body of the current request

  Batch pending_;
  Batch writing_;
  std::vector<boost::asio::const_buffer> buffers_;
  bool writing_active_ = false;
  bool reading_ = false;
  bool read_eof_ = false;
  bool close_after_write_ = false;  // no more requests; close when output drains
  bool lingering_ = false;          // send side shut; draining input
  size_t drained_bytes_ = 0;
  bool closed_ = false;
  boost::asio::steady_timer linger_timer_;

  // What the connection waits for from the client, and until when.
  enum class Phase { kNone, kIdle, kHeaders, kBody };
  Phase phase_ = Phase::kNone;
  // When phase_ times out; time_point::max() for none.
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool deadline_armed_ = false;  // a wait is pending, due at armed_expiry_
  std::chrono::steady_clock::time_point armed_expiry_;
  uint64_t deadline_generation_ = 0;  // bumps invalidate armed waits
  boost::asio::steady_timer deadline_timer_;
  Reservation reservation_;    // the current request's body bytes
  size_t reserved_bytes_ = 0;  // this connection's share of the budget
};

}  // namespace spate::http::internal
