#include "http/http1_connection.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include <boost/asio/write.hpp>

namespace spate::http::internal {
namespace {

// Read buffer: initial size, and the least free space worth a read.
constexpr size_t kReadBufferBytes = 16 << 10;
constexpr size_t kMinReadSpaceBytes = 4 << 10;
// A body read grows the buffer up to this, to cut syscalls on big uploads.
constexpr size_t kBodyReadBufferBytes = 256 << 10;
// Unparsed input kept while a request is in flight (pipelining read-ahead).
constexpr size_t kMaxReadAheadBytes = 64 << 10;
// Lingering close: how long and how much input is discarded after the
// final response before the socket is closed.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 4 << 20;

constexpr std::string_view kCrlf = "\r\n";

// Two memchr scans: find_first_of would search the two-character set for
// every byte of every header of every response.
bool HasCrOrLf(std::string_view s) {
  if (s.empty()) return false;
  return std::memchr(s.data(), '\r', s.size()) != nullptr || std::memchr(s.data(), '\n', s.size()) != nullptr;
}

void AppendDecimal(std::string* out, size_t v) {
  char buf[20];
  char* end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out->append(buf, static_cast<size_t>(end - buf));
}

void AppendHex(std::string* out, size_t v) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  while (n > 0) out->push_back(buf[--n]);
}

}  // namespace

Http1Connection::Http1Connection(IoLoop& loop, Socket socket, RequestHandler* handler, ConnectionLimits limits)
    : loop_(loop),
      socket_(std::move(socket)),
      handler_(handler),
      limits_(limits),
      parser_(Http1RequestParser::Limits{limits.max_header_bytes, limits.max_body_bytes, limits.max_header_count}),
      linger_timer_(loop_.ctx),
      deadline_timer_(loop_.ctx) {}

Http1Connection::~Http1Connection() {
  if (!closed_) Unregister(loop_);
  reservation_.Release(&reserved_bytes_, limits_);
}

void Http1Connection::Start(std::string initial) {
  Register(loop_);
  remote_address_ = RemoteAddress(socket_);
  boost::system::error_code ec;
  socket_.tcp_socket().set_option(tcp::no_delay(true), ec);
  in_.resize(std::max(kReadBufferBytes, initial.size()));
  std::memcpy(in_.data(), initial.data(), initial.size());
  in_end_ = initial.size();
  ProcessInput();
  StartWrite();
  StartRead();
  UpdateDeadline();
}

void Http1Connection::StartRead() {
  if (reading_ || closed_ || read_eof_) return;
  if (!lingering_) {
    if (close_after_write_) return;
    if (in_flight_ && in_end_ - in_begin_ >= kMaxReadAheadBytes) return;
  }
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  if (in_.size() - in_end_ < kMinReadSpaceBytes) {
    if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_.size() - in_end_ < kMinReadSpaceBytes) in_.resize(in_.size() * 2);
  }
  // While a body is arriving, read in bigger pieces.
  if (!in_flight_ && in_.size() < kBodyReadBufferBytes && parser_.request().body.capacity() >= kBodyReadBufferBytes) {
    in_.resize(kBodyReadBufferBytes);
  }
  reading_ = true;
  socket_.AsyncReadSome(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                        [self = std::static_pointer_cast<Http1Connection>(shared_from_this())](
                            const boost::system::error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Http1Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    drained_bytes_ += n;
    if (ec || drained_bytes_ > kMaxLingerBytes) {
      Close();
      return;
    }
    in_begin_ = in_end_ = 0;
    StartRead();
    return;
  }
  if (ec) {
    if (ec != asio::error::eof) {
      Close();
      return;
    }
    read_eof_ = true;
    if (stream_ != nullptr) {
      Close();  // the subscriber went away
      return;
    }
    // Answer what is in flight, then close.
    close_after_write_ = true;
    StartWrite();
    return;
  }
  in_end_ += n;
  if (!in_flight_) ProcessInput();
  StartWrite();
  StartRead();
  UpdateDeadline();
}

void Http1Connection::ProcessInput() {
  while (!in_flight_ && !close_after_write_ && !closed_) {
    size_t consumed = 0;
    Http1RequestParser::Event ev = parser_.Parse(in_.data() + in_begin_, in_end_ - in_begin_, &consumed);
    in_begin_ += consumed;
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    if (ev != Http1RequestParser::Event::kError && !ReserveBody()) return;
    switch (ev) {
      case Http1RequestParser::Event::kNeedMore: return;
      case Http1RequestParser::Event::kHeaders:
        if (parser_.expect_continue() && !continue_sent_ && in_begin_ == in_end_) {
          continue_sent_ = true;
          Queue("HTTP/1.1 100 Continue\r\n\r\n");
        }
        continue;
      case Http1RequestParser::Event::kComplete: Dispatch(); return;
      case Http1RequestParser::Event::kError: FailRequest(parser_.error_status()); return;
    }
  }
}

void Http1Connection::Dispatch() {
  in_flight_ = true;
  continue_sent_ = false;
  keep_alive_ = parser_.keep_alive();
  ++request_id_;
  HttpRequest request = std::move(parser_.request());
  parser_.Reset();
  request.http2 = false;
  request.remote_address = remote_address_;
  auto responder = std::make_unique<ResponderImpl>(loop_.shared_from_this(), weak_from_this(), request_id_);
  handler_->Handle(std::move(request), std::move(responder));
}

bool Http1Connection::ReserveBody() {
  // Capacity, not size: a Content-Length body is reserved up front. The
  // budgets are in body bytes: the parser's read-ahead slack past the body
  // (kBodySlackBytes) is not counted, so a body of exactly the budget fits.
  const size_t capacity = parser_.request().body.capacity();
  const size_t counted = capacity > kBodySlackBytes ? capacity - kBodySlackBytes : capacity;
  if (reservation_.GrowTo(counted, &reserved_bytes_, limits_)) return true;
  HttpRequest head;
  head.method = parser_.request().method;
  head.target = parser_.request().target;
  head.headers = parser_.request().headers;
  head.remote_address = remote_address_;
  reservation_.Release(&reserved_bytes_, limits_);
  parser_.Reset();  // drops the partial body now
  FailWith(handler_->Overloaded(head));
  return false;
}

void Http1Connection::FailWith(HttpResponse response) {
  keep_alive_ = false;
  close_after_write_ = true;
  QueueHead(response.status, response.headers, response.body.size(), false);
  if (!response.body.empty()) Queue(std::move(response.body));
  StartWrite();
}

void Http1Connection::UpdateDeadline() {
  Phase p = Phase::kNone;
  if (!closed_ && !lingering_ && !close_after_write_ && !in_flight_) {
    if (parser_.in_body()) {
      p = Phase::kBody;
    } else if (parser_.started() || in_end_ > in_begin_) {
      p = Phase::kHeaders;
    } else {
      p = Phase::kIdle;
    }
  }
  if (p == phase_) return;
  phase_ = p;
  std::chrono::milliseconds timeout{0};
  if (p == Phase::kIdle) timeout = limits_.idle_timeout;
  if (p == Phase::kHeaders) timeout = limits_.header_timeout;
  if (p == Phase::kBody) timeout = limits_.body_timeout;
  if (timeout.count() <= 0) {
    deadline_ = std::chrono::steady_clock::time_point::max();  // an armed wait finds nothing due
    return;
  }
  deadline_ = std::chrono::steady_clock::now() + timeout;
  if (deadline_armed_ && armed_expiry_ <= deadline_) return;
  ArmDeadline();
}

void Http1Connection::ArmDeadline() {
  ++deadline_generation_;  // the wait this replaces (if any) completes aborted and is ignored
  deadline_armed_ = true;
  armed_expiry_ = deadline_;
  deadline_timer_.expires_at(deadline_);
  deadline_timer_.async_wait([self = std::static_pointer_cast<Http1Connection>(shared_from_this()),
                              generation = deadline_generation_](const boost::system::error_code& ec) {
    if (generation != self->deadline_generation_) return;
    self->deadline_armed_ = false;
    if (!ec) self->OnDeadlineTimer();
  });
}

void Http1Connection::OnDeadlineTimer() {
  if (closed_ || deadline_ == std::chrono::steady_clock::time_point::max()) return;
  if (std::chrono::steady_clock::now() < deadline_) {
    ArmDeadline();  // armed for an earlier phase's deadline
    return;
  }
  OnDeadline();
}

void Http1Connection::OnDeadline() {
  if (closed_) return;
  if (phase_ == Phase::kIdle) {
    Close();  // an idle keep-alive connection: clients reconnect
    return;
  }
  if (phase_ == Phase::kHeaders || phase_ == Phase::kBody) {
    phase_ = Phase::kNone;
    reservation_.Release(&reserved_bytes_, limits_);
    parser_.Reset();
    FailRequest(408);
  }
}

void Http1Connection::FailRequest(int status) {
  keep_alive_ = false;
  close_after_write_ = true;
  std::string body(ReasonPhrase(status));
  body += '\n';
  QueueHead(status, HeaderList{{"content-type", "text/plain"}}, body.size(), false);
  Queue(std::move(body));
  StartWrite();
}

void Http1Connection::RequestDone() {
  in_flight_ = false;
  if (!keep_alive_) {
    close_after_write_ = true;
    return;
  }
  ProcessInput();
  if (!in_flight_ && read_eof_) close_after_write_ = true;
}

void Http1Connection::QueueHead(int status, const HeaderList& headers, size_t content_length, bool chunked) {
  std::string head;
  head.reserve(256);
  head.append("HTTP/1.1 ");
  AppendDecimal(&head, static_cast<size_t>(status));
  head.push_back(' ');
  head.append(ReasonPhrase(status));
  head.append(kCrlf);
  for (const auto& [name, value] : headers) {
    if (name.empty() || IsTransportHeader(name) || HasCrOrLf(name) || HasCrOrLf(value)) continue;
    head.append(name);
    head.append(": ");
    head.append(value);
    head.append(kCrlf);
  }
  head.append("Date: ");
  head.append(HttpDate());
  head.append(kCrlf);
  if (limits_.server_header != nullptr && !limits_.server_header->empty()) {
    head.append("Server: ");
    head.append(*limits_.server_header);
    head.append(kCrlf);
  }
  if (chunked) {
    head.append("Transfer-Encoding: chunked\r\n");
  } else {
    head.append("Content-Length: ");
    AppendDecimal(&head, content_length);
    head.append(kCrlf);
  }
  if (!keep_alive_) head.append("Connection: close\r\n");
  head.append(kCrlf);
  Queue(std::move(head));
}

void Http1Connection::OnResponse(uint32_t id, HttpResponse response) {
  if (closed_ || !in_flight_ || id != request_id_ || stream_ != nullptr) return;
  reservation_.Release(&reserved_bytes_, limits_);
  QueueHead(response.status, response.headers, response.body.size(), false);
  if (!response.body.empty()) Queue(std::move(response.body));
  RequestDone();
  StartWrite();
  StartRead();
  UpdateDeadline();
}

void Http1Connection::OnStreamStart(uint32_t id, int status, HeaderList headers,
                                    std::shared_ptr<ResponseStreamImpl> stream) {
  if (closed_ || !in_flight_ || id != request_id_ || stream_ != nullptr) {
    stream->MarkClosed();
    return;
  }
  stream_ = std::move(stream);
  reservation_.Release(&reserved_bytes_, limits_);
  QueueHead(status, headers, 0, true);
  PullStream();
  StartWrite();
  StartRead();
}

void Http1Connection::OnStreamReady(uint32_t id) {
  if (closed_ || stream_ == nullptr || id != request_id_) return;
  PullStream();
  StartWrite();
  StartRead();
}

void Http1Connection::PullStream() {
  std::vector<std::string> chunks;
  bool ended = false;
  stream_->Take(&chunks, &ended);
  size_t bytes = 0;
  for (auto& chunk : chunks) {
    std::string size_line;
    AppendHex(&size_line, chunk.size());
    size_line.append(kCrlf);
    bytes += chunk.size();
    Queue(std::move(size_line));
    Queue(std::move(chunk));
    Queue(std::string(kCrlf));
  }
  if (bytes > 0) pending_.stream_bytes.emplace_back(stream_, bytes);
  if (ended) {
    Queue("0\r\n\r\n");
    pending_.close_after.push_back(std::move(stream_));
    stream_.reset();
    RequestDone();
  }
}

void Http1Connection::StartWrite() {
  if (writing_active_ || closed_) return;
  if (pending_.pieces.empty()) {
    if (close_after_write_ && !in_flight_) LingeringClose();
    return;
  }
  std::swap(writing_, pending_);
  buffers_.clear();
  for (const std::string& piece : writing_.pieces) buffers_.emplace_back(piece.data(), piece.size());
  writing_active_ = true;
  socket_.AsyncWrite(buffers_, [self = std::static_pointer_cast<Http1Connection>(shared_from_this())](
                                   const boost::system::error_code& ec, size_t) { self->OnWrite(ec); });
}

void Http1Connection::OnWrite(const boost::system::error_code& ec) {
  writing_active_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  for (auto& [stream, n] : writing_.stream_bytes) stream->Consumed(n);
  for (auto& stream : writing_.close_after) stream->MarkClosed();
  writing_.pieces.clear();
  writing_.stream_bytes.clear();
  writing_.close_after.clear();
  StartWrite();
  StartRead();
  UpdateDeadline();
}

void Http1Connection::LingeringClose() {
  if (closed_ || lingering_) return;
  boost::system::error_code ec;
  socket_.ShutdownSend(ec);
  if (read_eof_ || ec) {
    Close();
    return;
  }
  lingering_ = true;
  linger_timer_.expires_after(kLingerTimeout);
  linger_timer_.async_wait(
      [self = std::static_pointer_cast<Http1Connection>(shared_from_this())](const boost::system::error_code& ec) {
        if (!ec) self->Close();
      });
  StartRead();
}

void Http1Connection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.Close(ec);
  linger_timer_.cancel();
  deadline_timer_.cancel();
  reservation_.Release(&reserved_bytes_, limits_);
  if (stream_ != nullptr) {
    stream_->MarkClosed();
    stream_.reset();
  }
  for (auto& stream : pending_.close_after) stream->MarkClosed();
  for (auto& stream : writing_.close_after) stream->MarkClosed();
  Unregister(loop_);
}

}  // namespace spate::http::internal
