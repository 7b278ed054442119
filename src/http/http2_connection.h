#pragma once

// Internal to spate_http (includes Boost and nghttp2).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nghttp2/nghttp2.h>

#include <chrono>

#include <boost/asio/steady_timer.hpp>

#include "http/transport.h"

namespace spate::http::internal {

// One HTTP/2 cleartext connection (prior knowledge): an nghttp2 server
// session fed with the bytes read from the socket; its output
// (nghttp2_session_mem_send) is gathered into one buffer and written.
//
// Streams: headers and DATA are collected per stream; on END_STREAM the
// request goes to the handler. A body over max_body_bytes, or headers over
// max_header_bytes, is answered at once with 413/431 and its remaining DATA
// is discarded. Response bodies are served by a data provider from a
// per-stream queue; a streamed response (StartStream) defers (returns
// NGHTTP2_ERR_DEFERRED) while its queue is empty and is resumed when the
// application writes. nghttp2 does flow control; at most kMaxWriteBatchBytes
// of its output are buffered here, the rest waits inside nghttp2 or in the
// per-stream queues (whose size the application sees through Buffered()).
//
// Lives on one loop; owned by shared_ptr held by its pending I/O handlers.
class Http2Connection final : public Connection {
 public:
  Http2Connection(IoLoop& loop, Socket socket, RequestHandler* handler, ConnectionLimits limits);
  ~Http2Connection() override;

  void Start(std::string initial) override;
  void Close() override;
  void OnResponse(uint32_t id, HttpResponse response) override;
  void OnStreamStart(uint32_t id, int status, HeaderList headers, std::shared_ptr<ResponseStreamImpl> stream) override;
  void OnStreamReady(uint32_t id) override;

 private:
  struct Stream {
    HttpRequest request;
    std::string authority;
    size_t header_bytes = 0;
    size_t header_count = 0;
    Reservation reservation;  // body bytes held against the budgets
    std::chrono::steady_clock::time_point started;
    bool answered = false;  // handed to the handler, or answered with an error
    // Response body not yet given to nghttp2.
    std::deque<std::string> out;
    size_t out_offset = 0;  // consumed bytes of out.front()
    bool out_eof = false;   // no more body after `out`
    bool deferred = false;  // the data provider returned DEFERRED
    std::shared_ptr<ResponseStreamImpl> stream;
  };

  // nghttp2 callbacks; user_data is the connection.
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t flags, void* user_data);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data, size_t len,
                         void* user_data);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data);
  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                          nghttp2_data_source* source, void* user_data);
  static const nghttp2_session_callbacks* Callbacks();

  Stream* Find(int32_t stream_id);
  void Dispatch(int32_t stream_id, Stream* s);
  void AnswerError(int32_t stream_id, Stream* s, int status);
  // Submits the response HEADERS; with `has_body` the body is read from the
  // stream's `out` queue. Content-Length is sent when `content_length` >= 0.
  void Submit(int32_t stream_id, int status, const HeaderList& headers, int64_t content_length, bool has_body);
  void PullStream(Stream* s);
  // Reserves `total` body bytes for the stream; on refusal answers it with
  // RequestHandler::Overloaded() and returns false.
  bool Reserve(int32_t stream_id, Stream* s, size_t total);
  void Release(Stream* s) { s->reservation.Release(&reserved_bytes_, limits_); }
  // Deadlines (see ConnectionLimits): idle connection, slow requests.
  void ArmTick();
  void OnTick();

  void StartRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Drains nghttp2's output to the socket; closes when the session is done.
  void Flush();
  void OnWrite(const boost::system::error_code& ec);

  IoLoop& loop_;  // outlives this: connections live inside loop_.ctx
  Socket socket_;
  RequestHandler* const handler_;
  const ConnectionLimits limits_;
  std::string remote_address_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, Stream> streams_;
  std::vector<uint8_t> in_;
  std::string out_;      // collected nghttp2 output
  std::string writing_;  // being written
  bool reading_ = false;
  bool writing_active_ = false;
  bool closed_ = false;
  size_t reserved_bytes_ = 0;                         // body bytes of this connection's streams
  std::chrono::steady_clock::time_point idle_since_;  // when streams_ last became empty
  boost::asio::steady_timer tick_;
};

}  // namespace spate::http::internal
