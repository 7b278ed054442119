#include "http/http_server.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"
#include "http/http1_connection.h"
#include "http/http2_connection.h"
#include "http/transport.h"

namespace spate::http {
namespace {

using internal::asio::ip::tcp;
namespace asio = internal::asio;
using internal::Connection;
using internal::ConnectionLimits;
using internal::IoLoop;

// RFC 9113 3.4: the client connection preface.
constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Pause before accepting again after an accept error such as EMFILE.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// A TLS client must finish its handshake within this time.
constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
// ALPN protocols offered, in preference order (wire format: length-prefixed).
constexpr unsigned char kAlpnProtocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// OpenSSL's ALPN selection: the first of ours the client offers; without a
// common protocol the handshake proceeds without ALPN (then HTTP/1.1 or
// prior-knowledge h2 is sniffed as on the plain port).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
               void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAlpnProtocols, sizeof kAlpnProtocols, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Reads a new connection's first bytes until they either diverge from the
// HTTP/2 preface (HTTP/1.1) or contain all of it (HTTP/2), then hands the
// socket and the bytes to the protocol's connection. Registered with its
// loop like a connection so that Stop() closes it too.
class Sniffer final : public Connection {
 public:
  Sniffer(IoLoop& loop, internal::Socket socket, RequestHandler* handler, ConnectionLimits limits)
      : loop_(loop), socket_(std::move(socket)), handler_(handler), limits_(limits), timer_(loop.ctx) {}
  ~Sniffer() override {
    if (!closed_) Unregister(loop_);
  }

  void Start(std::string) override {
    Register(loop_);
    if (limits_.header_timeout.count() > 0) {
      // A client that never completes its first bytes (slow loris) loses its slot.
      timer_.expires_after(limits_.header_timeout);
      timer_.async_wait(
          [self = std::static_pointer_cast<Sniffer>(shared_from_this())](const boost::system::error_code& ec) {
            if (!ec) self->Close();
          });
    }
    Read();
  }
  void Close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.Close(ec);
    timer_.cancel();
    Unregister(loop_);
  }
  // No requests are dispatched before the protocol is known.
  void OnResponse(uint32_t, HttpResponse) override {}
  void OnStreamStart(uint32_t, int, HeaderList, std::shared_ptr<internal::ResponseStreamImpl> stream) override {
    stream->MarkClosed();
  }
  void OnStreamReady(uint32_t) override {}

 private:
  void Read() {
    size_t have = bytes_.size();
    bytes_.resize(have + kReadBytes);
    socket_.AsyncReadSome(asio::buffer(bytes_.data() + have, kReadBytes),
                          [self = std::static_pointer_cast<Sniffer>(shared_from_this()), have](
                              const boost::system::error_code& ec, size_t n) { self->OnRead(ec, have, n); });
  }

  void OnRead(const boost::system::error_code& ec, size_t have, size_t n) {
    if (closed_) return;
    if (ec) {
      Close();
      return;
    }
    bytes_.resize(have + n);
    size_t cmp = std::min(bytes_.size(), kHttp2Preface.size());
    bool prefix = std::memcmp(bytes_.data(), kHttp2Preface.data(), cmp) == 0;
    if (prefix && bytes_.size() < kHttp2Preface.size()) {
      Read();
      return;
    }
    // Decided: hand over the socket. This object dies with its last handler.
    closed_ = true;
    timer_.cancel();
    Unregister(loop_);
    std::shared_ptr<Connection> conn;
    if (prefix) {
      conn = std::make_shared<internal::Http2Connection>(loop_, std::move(socket_), handler_, limits_);
    } else {
      conn = std::make_shared<internal::Http1Connection>(loop_, std::move(socket_), handler_, limits_);
    }
    conn->Start(std::move(bytes_));
  }

  static constexpr size_t kReadBytes = 4096;
  IoLoop& loop_;
  internal::Socket socket_;
  RequestHandler* const handler_;
  const ConnectionLimits limits_;
  asio::steady_timer timer_;
  std::string bytes_;
  bool closed_ = false;
};

// Runs the server side of a TLS handshake on an accepted socket (bounded by
// kTlsHandshakeTimeout), then hands the TLS stream to a Sniffer, so both
// protocols run over TLS exactly as over TCP. Registered with its loop so
// that Stop() closes it too.
class TlsHandshake final : public Connection {
 public:
  TlsHandshake(IoLoop& loop, std::unique_ptr<internal::Socket::TlsStream> stream, RequestHandler* handler,
               ConnectionLimits limits)
      : loop_(loop), stream_(std::move(stream)), handler_(handler), limits_(limits), timer_(loop.ctx) {}
  ~TlsHandshake() override {
    if (!closed_) Unregister(loop_);
  }

  void Start(std::string) override {
    Register(loop_);
    auto self = std::static_pointer_cast<TlsHandshake>(shared_from_this());
    timer_.expires_after(kTlsHandshakeTimeout);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->Close();
    });
    stream_->async_handshake(asio::ssl::stream_base::server,
                             [self](const boost::system::error_code& ec) { self->OnHandshake(ec); });
  }
  void Close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    stream_->next_layer().close(ec);
    timer_.cancel();
    Unregister(loop_);
  }
  void OnResponse(uint32_t, HttpResponse) override {}
  void OnStreamStart(uint32_t, int, HeaderList, std::shared_ptr<internal::ResponseStreamImpl> stream) override {
    stream->MarkClosed();
  }
  void OnStreamReady(uint32_t) override {}

 private:
  void OnHandshake(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      Close();
      return;
    }
    closed_ = true;
    timer_.cancel();
    Unregister(loop_);
    auto sniffer = std::make_shared<Sniffer>(loop_, internal::Socket(std::move(stream_)), handler_, limits_);
    sniffer->Start(std::string());
  }

  IoLoop& loop_;
  std::unique_ptr<internal::Socket::TlsStream> stream_;
  RequestHandler* const handler_;
  const ConnectionLimits limits_;
  asio::steady_timer timer_;
  bool closed_ = false;
};

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(HttpServerOptions options, RequestHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        inflight_(std::make_shared<internal::ByteBudget>(options_.max_inflight_bytes)),
        server_header_(std::make_shared<const std::string>(options_.server_header)),
        open_connections_(std::make_shared<std::atomic<size_t>>(0)) {}
  ~HttpServerImpl() override { Stop(); }

  Status Start() override;
  Status Listen();
  void Stop() override;
  uint16_t port() const override { return port_.load(); }
  uint16_t tls_port() const override { return tls_port_.load(); }
  HttpServerStats Stats() const override {
    HttpServerStats s;
    s.open_connections = open_connections_->load(std::memory_order_relaxed);
    s.inflight_bytes = inflight_->used();
    s.accepted_connections = accepted_.load(std::memory_order_relaxed);
    s.refused_connections = refused_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  // Binds and listens on host:port.
  Status Bind(tcp::acceptor* acceptor, uint16_t port, std::atomic<uint16_t>* bound);
  Status SetUpTls();
  void Accept();
  std::optional<ConnectionLimits> AdmitConnection(tcp::socket& socket);
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket, IoLoop* loop);
  void AcceptTls();
  void OnAcceptTls(const boost::system::error_code& ec, tcp::socket socket, IoLoop* loop);

  const HttpServerOptions options_;
  RequestHandler* const handler_;
  std::vector<std::shared_ptr<IoLoop>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;              // on loops_[0]; loop 0 only after Start()
  std::optional<asio::steady_timer> retry_timer_;      // on loops_[0]
  std::optional<asio::ssl::context> tls_context_;      // set up by Start() when tls_port >= 0
  std::optional<tcp::acceptor> tls_acceptor_;          // on loops_[0]
  std::optional<asio::steady_timer> tls_retry_timer_;  // on loops_[0]
  size_t next_loop_ = 0;                               // loop 0 only
  const std::shared_ptr<internal::ByteBudget> inflight_;
  const std::shared_ptr<const std::string> server_header_;  // options_.server_header, for every connection
  const std::shared_ptr<std::atomic<size_t>> open_connections_;
  std::atomic<uint64_t> accepted_{0}, refused_{0};
  int64_t last_refusal_log_ms_ = 0;  // loop 0 only
  std::atomic<uint16_t> port_{0};
  std::atomic<uint16_t> tls_port_{0};
  bool started_ = false;
  bool stopped_ = false;
};

Status HttpServerImpl::Start() {
  if (started_) return Internal("HttpServer::Start called twice");
  started_ = true;
  for (int i = 0; i < options_.threads; ++i) loops_.push_back(std::make_shared<IoLoop>());
  Status st = Listen();
  if (st.ok() && options_.tls_port >= 0) st = SetUpTls();
  if (!st.ok()) {
    acceptor_.reset();
    tls_acceptor_.reset();
    loops_.clear();
    stopped_ = true;
    return st;
  }
  retry_timer_.emplace(loops_[0]->ctx);
  Accept();
  if (tls_acceptor_.has_value()) {
    tls_retry_timer_.emplace(loops_[0]->ctx);
    AcceptTls();
  }
  for (auto& loop : loops_) {
    guards_.push_back(asio::make_work_guard(loop->ctx));
    threads_.emplace_back([loop = loop.get()] { loop->ctx.run(); });
  }
  return Status::Ok();
}

Status HttpServerImpl::Listen() {
  acceptor_.emplace(loops_[0]->ctx);
  return Bind(&*acceptor_, options_.port, &port_);
}

Status HttpServerImpl::Bind(tcp::acceptor* acceptor, uint16_t port, std::atomic<uint16_t>* bound) {
  asio::io_context& ctx0 = loops_[0]->ctx;

  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  tcp::endpoint endpoint;
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(ctx0);
    auto results = resolver.resolve(options_.host, std::to_string(port), ec);
    if (ec || results.empty()) return InvalidArgument("cannot resolve host '" + options_.host + "'");
    endpoint = results.begin()->endpoint();
  }
  if (acceptor->open(endpoint.protocol(), ec); ec) return IoError("socket: " + ec.message());
  if (acceptor->set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return IoError("SO_REUSEADDR: " + ec.message());
  }
  if (acceptor->bind(endpoint, ec); ec) {
    return IoError("bind " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
                   ec.message());
  }
  if (acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return IoError("listen: " + ec.message());
  }
  bound->store(acceptor->local_endpoint(ec).port());
  return Status::Ok();
}

Status HttpServerImpl::SetUpTls() {
  if (options_.tls_port > 65535) return InvalidArgument("HttpServerOptions.tls_port out of range");
  tls_context_.emplace(asio::ssl::context::tls_server);
  asio::ssl::context& ctx = *tls_context_;
  boost::system::error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                      asio::ssl::context::single_dh_use,
                  ec);
  if (ec) return Internal("TLS options: " + ec.message());
  if (ctx.use_certificate_chain_file(options_.tls_cert_file, ec); ec) {
    return InvalidArgument("TLS certificate " + options_.tls_cert_file + ": " + ec.message());
  }
  if (ctx.use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec); ec) {
    return InvalidArgument("TLS key " + options_.tls_key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return InvalidArgument("TLS key " + options_.tls_key_file + " does not match the certificate");
  }
  SSL_CTX_set_alpn_select_cb(ctx.native_handle(), &SelectAlpn, nullptr);
  tls_acceptor_.emplace(loops_[0]->ctx);
  return Bind(&*tls_acceptor_, static_cast<uint16_t>(options_.tls_port), &tls_port_);
}

void HttpServerImpl::Accept() {
  IoLoop* loop = loops_[next_loop_].get();
  next_loop_ = (next_loop_ + 1) % loops_.size();
  acceptor_->async_accept(loop->ctx, [this, loop](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket), loop);
  });
}

// Applies --max-connections to a freshly accepted socket (plain or TLS):
// over the cap it is closed before any byte is read and nullopt returned;
// otherwise it takes a connection slot and gets the per-connection limits,
// deadlines and the shared in-flight budget.
std::optional<ConnectionLimits> HttpServerImpl::AdmitConnection(tcp::socket& socket) {
  if (open_connections_->load(std::memory_order_relaxed) >= options_.max_connections) {
    // Refused before any byte is read: closing is the cheapest answer.
    refused_.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    socket.close(ignored);
    int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    if (now_ms - last_refusal_log_ms_ >= 10'000) {
      last_refusal_log_ms_ = now_ms;
      SPATE_LOG_WARN("refusing connections: " + std::to_string(options_.max_connections) + " open (--max-connections)");
    }
    return std::nullopt;
  }
  open_connections_->fetch_add(1, std::memory_order_relaxed);
  accepted_.fetch_add(1, std::memory_order_relaxed);
  ConnectionLimits limits;
  limits.max_body_bytes = options_.max_body_bytes;
  limits.max_header_bytes = options_.max_header_bytes;
  limits.max_header_count = options_.max_header_count;
  limits.max_connection_inflight_bytes = options_.max_connection_inflight_bytes;
  limits.inflight = inflight_;
  limits.idle_timeout = std::chrono::milliseconds(options_.idle_timeout_ms);
  limits.header_timeout = std::chrono::milliseconds(options_.header_timeout_ms);
  limits.body_timeout = std::chrono::milliseconds(options_.body_timeout_ms);
  limits.server_header = server_header_;
  limits.slot = std::make_shared<internal::ConnectionSlot>(open_connections_);
  return limits;
}

void HttpServerImpl::OnAccept(const boost::system::error_code& ec, tcp::socket socket, IoLoop* loop) {
  if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {
    SPATE_LOG_WARN("accept: " + ec.message());
    retry_timer_->expires_after(kAcceptRetryDelay);
    retry_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec && acceptor_->is_open()) Accept();
    });
    return;
  }
  std::optional<ConnectionLimits> limits = AdmitConnection(socket);
  if (!limits) {
    Accept();
    return;
  }
  // Capture the loop by pointer: a handler stored in its context must not own it.
  asio::post(loop->ctx, [loop, handler = handler_, limits = *limits, s = std::move(socket)]() mutable {
    if (loop->stopping) return;  // closes the socket
    auto sniffer = std::make_shared<Sniffer>(*loop, internal::Socket(std::move(s)), handler, limits);
    sniffer->Start(std::string());
  });
  Accept();
}

void HttpServerImpl::AcceptTls() {
  IoLoop* loop = loops_[next_loop_].get();
  next_loop_ = (next_loop_ + 1) % loops_.size();
  tls_acceptor_->async_accept(loop->ctx, [this, loop](const boost::system::error_code& ec, tcp::socket socket) {
    OnAcceptTls(ec, std::move(socket), loop);
  });
}

void HttpServerImpl::OnAcceptTls(const boost::system::error_code& ec, tcp::socket socket, IoLoop* loop) {
  if (ec == asio::error::operation_aborted || !tls_acceptor_->is_open()) return;
  if (ec) {
    SPATE_LOG_WARN("accept (TLS): " + ec.message());
    tls_retry_timer_->expires_after(kAcceptRetryDelay);
    tls_retry_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec && tls_acceptor_->is_open()) AcceptTls();
    });
    return;
  }
  std::optional<ConnectionLimits> limits = AdmitConnection(socket);
  if (!limits) {
    AcceptTls();
    return;
  }
  asio::ssl::context* tls = &*tls_context_;
  asio::post(loop->ctx, [loop, handler = handler_, limits = *limits, tls, s = std::move(socket)]() mutable {
    if (loop->stopping) return;  // closes the socket
    auto stream = std::make_unique<internal::Socket::TlsStream>(std::move(s), *tls);
    auto handshake = std::make_shared<TlsHandshake>(*loop, std::move(stream), handler, limits);
    handshake->Start(std::string());
  });
  AcceptTls();
}

void HttpServerImpl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (const std::thread& t : threads_) {
    SPATE_ASSERT(t.get_id() != std::this_thread::get_id(), "HttpServer::Stop called on an I/O thread");
  }
  if (acceptor_.has_value()) {
    asio::post(loops_[0]->ctx, [this] {
      boost::system::error_code ec;
      acceptor_->close(ec);
      retry_timer_->cancel();
      if (tls_acceptor_.has_value()) {
        tls_acceptor_->close(ec);
        tls_retry_timer_->cancel();
      }
    });
  }
  for (auto& loop : loops_) {
    asio::post(loop->ctx, [loop = loop.get()] {
      std::vector<std::shared_ptr<Connection>> live;
      for (auto& [ptr, weak] : loop->connections) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
      for (auto& c : live) c->Close();
      loop->stopping = true;
      loop->ctx.stop();
    });
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  guards_.clear();
  // Run what the closes left ready (aborted reads and writes, the aborted
  // accept): this frees the connections now, and the accept operation,
  // queued on loop 0, owns a socket of another loop, so it must not be left
  // for the destruction of the loops.
  for (auto& loop : loops_) {
    loop->ctx.restart();
    loop->ctx.poll();
  }
  // The acceptor and timer belong to loop 0's context; drop them while it
  // still exists (responders may keep loops alive past this server).
  retry_timer_.reset();
  acceptor_.reset();
  tls_retry_timer_.reset();
  tls_acceptor_.reset();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options, RequestHandler* handler) {
  if (handler == nullptr) return InvalidArgument("HttpServer needs a handler");
  if (options.threads < 1) return InvalidArgument("HttpServerOptions.threads must be >= 1");
  if (options.max_header_bytes < 1024) return InvalidArgument("HttpServerOptions.max_header_bytes must be >= 1024");
  if (options.max_connections < 1) return InvalidArgument("HttpServerOptions.max_connections must be >= 1");
  if (options.max_connection_inflight_bytes < options.max_body_bytes ||
      options.max_inflight_bytes < options.max_connection_inflight_bytes) {
    return InvalidArgument(
        "HttpServerOptions: need max_body_bytes <= max_connection_inflight_bytes <= max_inflight_bytes");
  }
  return std::unique_ptr<HttpServer>(new HttpServerImpl(std::move(options), handler));
}

}  // namespace spate::http
