#pragma once

// Internal to spate_http: pieces shared by the HTTP/1.1 and HTTP/2
// connections. Includes Boost; never include it from a public header.

#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "http/http_server.h"
#include "http/http_types.h"

namespace spate::http::internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Connection;

// The completion condition of a plain socket's writes: offer the kernel
// everything that is left in each send. asio's default (transfer_all) hands
// it at most 64 KiB per call, so a 14 MB GetRecords answer took ~220
// sendmsg calls, each followed by a trip through the event loop (and, on a
// loaded machine, a wait for the CPU).
struct WholeWrites {
  size_t operator()(const boost::system::error_code& ec, size_t /*written*/) const { return ec ? 0 : kMaxBytesPerSend; }
  static constexpr size_t kMaxBytesPerSend = size_t{1} << 30;
};

// The byte stream under an HTTP connection: a plain TCP socket, or TLS over
// one (after the server handshake). Both protocols use only this interface,
// so each runs unchanged over either. Loop thread only, like its connection.
class Socket {
 public:
  using TlsStream = asio::ssl::stream<tcp::socket>;

  explicit Socket(tcp::socket plain) : plain_(std::move(plain)) {}
  explicit Socket(std::unique_ptr<TlsStream> tls) : tls_(std::move(tls)) {}

  bool is_tls() const { return tls_ != nullptr; }
  tcp::socket& tcp_socket() { return tls_ ? tls_->next_layer() : *plain_; }
  const tcp::socket& tcp_socket() const { return tls_ ? tls_->next_layer() : *plain_; }

  template <typename MutableBuffer, typename Handler>
  void AsyncReadSome(const MutableBuffer& buffer, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffer, std::forward<Handler>(handler));
    } else {
      plain_->async_read_some(buffer, std::forward<Handler>(handler));
    }
  }

  // Writes all of `buffers` (which must stay valid until the handler runs).
  // Over TLS a gather list is first coalesced into one buffer: asio would
  // otherwise emit one TLS record per piece.
  template <typename ConstBuffers, typename Handler>
  void AsyncWrite(const ConstBuffers& buffers, Handler&& handler) {
    if (!tls_) {
      asio::async_write(*plain_, buffers, WholeWrites{}, std::forward<Handler>(handler));
      return;
    }
    if (std::distance(asio::buffer_sequence_begin(buffers), asio::buffer_sequence_end(buffers)) <= 1) {
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
      return;
    }
    tls_out_.resize(asio::buffer_size(buffers));
    asio::buffer_copy(asio::buffer(tls_out_), buffers);
    asio::async_write(*tls_, asio::buffer(tls_out_), std::forward<Handler>(handler));
  }

  // Shuts the sending side of the TCP connection (no TLS close_notify: this
  // is used only to end a connection after an error response).
  void ShutdownSend(boost::system::error_code& ec) { tcp_socket().shutdown(tcp::socket::shutdown_send, ec); }
  void Close(boost::system::error_code& ec) { tcp_socket().close(ec); }

 private:
  std::optional<tcp::socket> plain_;
  std::unique_ptr<TlsStream> tls_;
  std::string tls_out_;  // coalesced gather write in flight
};

// One event loop, run by one I/O thread. Owned by the server and by the
// responders it hands out, so that a responder which outlives the server
// can still post (its work is then dropped, never run against freed memory).
// Nothing stored inside ctx (connections, queued handlers) owns the loop:
// that would be a cycle that keeps it alive forever.
struct IoLoop : std::enable_shared_from_this<IoLoop> {
  // Live connections of this loop. Loop thread only. Declared before ctx so
  // that it outlives the handlers (and connections) ctx destroys.
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  // Set by HttpServer::Stop(); new connections are refused. Loop thread only.
  bool stopping = false;
  asio::io_context ctx{1};  // concurrency hint 1: one thread runs it
};

class ResponseStreamImpl;

// A connection pinned to one IoLoop. All methods below run on that loop's
// thread; they are reached from other threads only through asio::post with
// a weak_ptr, so a connection that is gone is simply skipped.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  // `initial` holds bytes already read by the protocol sniffer.
  virtual void Start(std::string initial) = 0;
  // Closes the socket now; fires OnClose of open streams. Idempotent.
  virtual void Close() = 0;
  // Request `id` (an HTTP/2 stream id, or an HTTP/1.1 request sequence
  // number) is answered. Unknown or reset ids are ignored.
  virtual void OnResponse(uint32_t id, HttpResponse response) = 0;
  virtual void OnStreamStart(uint32_t id, int status, HeaderList headers,
                             std::shared_ptr<ResponseStreamImpl> stream) = 0;
  // The stream of request `id` has new data or has ended.
  virtual void OnStreamReady(uint32_t id) = 0;

 protected:
  void Register(IoLoop& loop) { loop.connections.emplace(this, weak_from_this()); }
  void Unregister(IoLoop& loop) { loop.connections.erase(this); }
};

// The ResponseStream handed to the application. Producer side (Write, End,
// OnClose, Buffered) is thread-safe; consumer side (Take*, Consumed,
// MarkClosed) is called by the connection on its loop.
class ResponseStreamImpl final : public ResponseStream {
 public:
  ResponseStreamImpl(std::weak_ptr<IoLoop> loop, std::weak_ptr<Connection> conn, uint32_t id)
      : loop_(std::move(loop)), conn_(std::move(conn)), id_(id) {}

  bool Write(std::string bytes) override;
  size_t Buffered() const override { return buffered_.load(std::memory_order_relaxed); }
  void End() override;
  void OnClose(std::function<void()> cb) override;

  // Loop side. Moves queued chunks to *out (appending) and reports whether
  // End() was called. Clears the "wake-up posted" flag.
  void Take(std::vector<std::string>* out, bool* ended);
  // `n` queued bytes reached the socket (HTTP/1.1) or the HTTP/2 framer.
  void Consumed(size_t n) { buffered_.fetch_sub(n, std::memory_order_relaxed); }
  // The client went away or the ended body is flushed: Write() returns
  // false from now on and the OnClose callback runs (here, once).
  void MarkClosed();

 private:
  void ScheduleLocked();  // requires mu_

  // Weak: the connection (inside the loop) holds this stream. Posts are
  // dropped once the loop is gone.
  const std::weak_ptr<IoLoop> loop_;
  const std::weak_ptr<Connection> conn_;
  const uint32_t id_;
  std::atomic<size_t> buffered_{0};
  mutable std::mutex mu_;
  std::vector<std::string> pending_;  // guarded by mu_
  bool ended_ = false;                // guarded by mu_
  bool closed_ = false;               // guarded by mu_
  bool scheduled_ = false;            // guarded by mu_: an OnStreamReady is posted
  bool close_fired_ = false;          // guarded by mu_
  std::function<void()> on_close_;    // guarded by mu_
};

// Responder for one request on one connection. Any thread. If destroyed
// without an answer (a handler bug), it answers 500 so that the client and
// the HTTP/1.1 pipeline are not stuck.
class ResponderImpl final : public Responder {
 public:
  ResponderImpl(std::shared_ptr<IoLoop> loop, std::weak_ptr<Connection> conn, uint32_t id)
      : loop_(std::move(loop)), conn_(std::move(conn)), id_(id) {}
  ~ResponderImpl() override;

  void Send(HttpResponse response) override;
  void SendBuilt(std::function<HttpResponse()> make) override;
  std::shared_ptr<ResponseStream> StartStream(int status, HeaderList headers) override;

 private:
  std::shared_ptr<IoLoop> loop_;
  std::weak_ptr<Connection> conn_;
  uint32_t id_;
  bool answered_ = false;
};

// A budget of bytes shared by threads (request bodies held in memory by
// the transport and by requests not yet answered). Thread-safe, lock-free.
class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) {}
  // Takes n bytes if they fit under the limit; false (nothing taken) if not.
  bool TryReserve(size_t n) {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ || used > limit_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void Release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

// One accepted socket's place under HttpServerOptions::max_connections:
// the count drops when the last holder (sniffer, then connection) is gone.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::atomic<size_t>> open) : open_(std::move(open)) {}
  ~ConnectionSlot() { open_->fetch_sub(1, std::memory_order_relaxed); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::shared_ptr<std::atomic<size_t>> open_;
};

// Limits a connection needs from HttpServerOptions.
struct ConnectionLimits {
  size_t max_body_bytes = 0;
  size_t max_header_bytes = 0;
  size_t max_header_count = 256;
  // Request body bytes one connection may hold (HTTP/2: over all streams),
  // and the server-wide budget shared by every connection (null: none).
  size_t max_connection_inflight_bytes = SIZE_MAX;
  std::shared_ptr<ByteBudget> inflight;
  // Deadlines: a connection waiting for a request is closed after
  // idle_timeout; a request's header section must arrive within
  // header_timeout of its first byte, its body within body_timeout of the
  // end of its headers (else 408 and close). Zero: no deadline.
  std::chrono::milliseconds idle_timeout{0};
  std::chrono::milliseconds header_timeout{0};
  std::chrono::milliseconds body_timeout{0};
  // HttpServerOptions::server_header, shared by every connection; null or
  // empty: no Server header.
  std::shared_ptr<const std::string> server_header;
  // The slot this connection holds (see ConnectionSlot).
  std::shared_ptr<ConnectionSlot> slot;
};

// The bytes a request holds against its connection's and the server's
// budgets. Loop thread only (the budget itself is thread-safe).
class Reservation {
 public:
  Reservation() = default;
  // Grows the reservation to `total` bytes; false if a budget refuses
  // (the reservation is then unchanged).
  bool GrowTo(size_t total, size_t* connection_used, const ConnectionLimits& limits) {
    if (total <= bytes_) return true;
    size_t more = total - bytes_;
    if (*connection_used + more > limits.max_connection_inflight_bytes) return false;
    if (limits.inflight != nullptr && !limits.inflight->TryReserve(more)) return false;
    *connection_used += more;
    bytes_ = total;
    return true;
  }
  void Release(size_t* connection_used, const ConnectionLimits& limits) {
    if (bytes_ == 0) return;
    *connection_used -= bytes_;
    if (limits.inflight != nullptr) limits.inflight->Release(bytes_);
    bytes_ = 0;
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
};

// "OK", "Not Found", ...; "Unknown" for codes without a phrase.
std::string_view ReasonPhrase(int status);
// IMF-fixdate of the current second, cached per thread.
std::string_view HttpDate();
// Header names a transport sets itself or that HTTP/2 forbids; such
// application headers are dropped. Case-insensitive.
bool IsTransportHeader(std::string_view name);
// "127.0.0.1:53412"; empty if the peer is unknown.
std::string RemoteAddress(const tcp::socket& socket);
inline std::string RemoteAddress(const Socket& socket) { return RemoteAddress(socket.tcp_socket()); }

}  // namespace spate::http::internal
