#include "http/transport.h"

#include <ctime>
#include <utility>

namespace spate::http::internal {

// ---- ResponseStreamImpl ----------------------------------------------------

void ResponseStreamImpl::ScheduleLocked() {
  if (scheduled_) return;
  scheduled_ = true;
  std::shared_ptr<IoLoop> loop = loop_.lock();
  if (loop == nullptr) return;
  asio::post(loop->ctx, [conn = conn_, id = id_] {
    if (auto c = conn.lock()) c->OnStreamReady(id);
  });
}

bool ResponseStreamImpl::Write(std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  if (ended_ || bytes.empty()) return true;
  buffered_.fetch_add(bytes.size(), std::memory_order_relaxed);
  pending_.push_back(std::move(bytes));
  ScheduleLocked();
  return true;
}

void ResponseStreamImpl::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || ended_) return;
  ended_ = true;
  ScheduleLocked();
}

void ResponseStreamImpl::OnClose(std::function<void()> cb) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!closed_) {
    on_close_ = std::move(cb);
    return;
  }
  if (close_fired_) return;
  close_fired_ = true;
  lock.unlock();
  // Already closed: run it on the transport thread, as promised.
  if (std::shared_ptr<IoLoop> loop = loop_.lock()) asio::post(loop->ctx, std::move(cb));
}

void ResponseStreamImpl::Take(std::vector<std::string>* out, bool* ended) {
  std::lock_guard<std::mutex> lock(mu_);
  scheduled_ = false;
  for (auto& s : pending_) out->push_back(std::move(s));
  pending_.clear();
  *ended = ended_;
}

void ResponseStreamImpl::MarkClosed() {
  std::function<void()> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    size_t dropped = 0;
    for (auto& s : pending_) dropped += s.size();
    pending_.clear();
    buffered_.fetch_sub(dropped, std::memory_order_relaxed);
    if (on_close_) {
      close_fired_ = true;
      cb = std::move(on_close_);
    }
  }
  if (cb) cb();
}

// ---- ResponderImpl ---------------------------------------------------------

ResponderImpl::~ResponderImpl() {
  if (answered_) return;
  HttpResponse r;
  r.status = 500;
  r.headers.emplace_back("content-type", "text/plain");
  r.body = "request dropped by handler\n";
  Send(std::move(r));
}

void ResponderImpl::Send(HttpResponse response) {
  if (answered_) return;
  answered_ = true;
  asio::post(loop_->ctx, [conn = conn_, id = id_, r = std::move(response)]() mutable {
    if (auto c = conn.lock()) c->OnResponse(id, std::move(r));
  });
}

void ResponderImpl::SendBuilt(std::function<HttpResponse()> make) {
  if (answered_) return;
  answered_ = true;
  asio::post(loop_->ctx, [conn = conn_, id = id_, make = std::move(make)] {
    if (auto c = conn.lock()) c->OnResponse(id, make());
  });
}

std::shared_ptr<ResponseStream> ResponderImpl::StartStream(int status, HeaderList headers) {
  auto stream = std::make_shared<ResponseStreamImpl>(loop_, conn_, id_);
  if (answered_) {
    stream->MarkClosed();
    return stream;
  }
  answered_ = true;
  asio::post(loop_->ctx, [conn = conn_, id = id_, status, h = std::move(headers), stream]() mutable {
    if (auto c = conn.lock()) {
      c->OnStreamStart(id, status, std::move(h), stream);
    } else {
      stream->MarkClosed();
    }
  });
  return stream;
}

// ---- helpers ---------------------------------------------------------------

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char buf[40];
  thread_local size_t len = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(buf, len);
}

bool IsTransportHeader(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "proxy-connection", "date", "te",
      "server",
  };
  for (std::string_view n : kNames) {
    if (n.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < n.size() && eq; ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      eq = c == n[i];
    }
    if (eq) return true;
  }
  return false;
}

std::string RemoteAddress(const tcp::socket& socket) {
  boost::system::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return std::string();
  std::string addr = ep.address().to_string(ec);
  if (ec) return std::string();
  if (ep.address().is_v6()) addr = "[" + addr + "]";
  return addr + ":" + std::to_string(ep.port());
}

}  // namespace spate::http::internal

namespace spate::http {

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::string_view();
}

}  // namespace spate::http
