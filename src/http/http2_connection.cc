#include "http/http2_connection.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/write.hpp>

#include "base/assert.h"

namespace spate::http::internal {
namespace {

constexpr uint32_t kMaxConcurrentStreams = 128;
// Large windows let a 5 MiB PutRecords body upload without waiting for
// many WINDOW_UPDATE round trips.
constexpr int32_t kStreamWindowBytes = 1 << 20;
constexpr int32_t kConnectionWindowBytes = 16 << 20;
constexpr size_t kReadBufferBytes = 64 << 10;
// nghttp2 output gathered before a write is started.
constexpr size_t kMaxWriteBatchBytes = 256 << 10;
// Per-header overhead counted against max_header_bytes (as RFC 9113 6.5.2).
constexpr size_t kHeaderOverheadBytes = 32;

Http2Connection* Self(void* user_data) { return static_cast<Http2Connection*>(user_data); }

std::string_view View(const uint8_t* p, size_t n) { return std::string_view(reinterpret_cast<const char*>(p), n); }

nghttp2_nv MakeNv(std::string_view name, std::string_view value) {
  // nghttp2_submit_response copies names and values.
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

Http2Connection::Http2Connection(IoLoop& loop, Socket socket, RequestHandler* handler, ConnectionLimits limits)
    : loop_(loop), socket_(std::move(socket)), handler_(handler), limits_(limits), tick_(loop.ctx) {}

Http2Connection::~Http2Connection() {
  if (!closed_) Unregister(loop_);
  for (auto& [id, s] : streams_) Release(&s);
  if (session_ != nullptr) nghttp2_session_del(session_);
}

const nghttp2_session_callbacks* Http2Connection::Callbacks() {
  static const nghttp2_session_callbacks* callbacks = [] {
    nghttp2_session_callbacks* cb = nullptr;
    int rv = nghttp2_session_callbacks_new(&cb);
    SPATE_ASSERT(rv == 0, "nghttp2_session_callbacks_new failed (out of memory)");
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Http2Connection::OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &Http2Connection::OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Http2Connection::OnDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Http2Connection::OnFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Http2Connection::OnStreamClose);
    return cb;
  }();
  return callbacks;
}

void Http2Connection::Start(std::string initial) {
  Register(loop_);
  remote_address_ = RemoteAddress(socket_);
  boost::system::error_code ec;
  socket_.tcp_socket().set_option(tcp::no_delay(true), ec);
  if (nghttp2_session_server_new(&session_, Callbacks(), this) != 0) {
    session_ = nullptr;
    Close();
    return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindowBytes)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(std::min<size_t>(limits_.max_header_bytes, UINT32_MAX))},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindowBytes) != 0) {
    Close();
    return;
  }
  in_.resize(kReadBufferBytes);
  if (!initial.empty()) {
    ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(initial.data()), initial.size());
    if (rv < 0) {
      Close();
      return;
    }
  }
  idle_since_ = std::chrono::steady_clock::now();
  Flush();
  StartRead();
  ArmTick();
}

void Http2Connection::ArmTick() {
  using std::chrono::milliseconds;
  milliseconds shortest{0};
  for (milliseconds t : {limits_.idle_timeout, limits_.header_timeout + limits_.body_timeout}) {
    if (t.count() > 0 && (shortest.count() == 0 || t < shortest)) shortest = t;
  }
  if (shortest.count() == 0 || closed_) return;
  tick_.expires_after(std::clamp(shortest / 4, milliseconds(10), milliseconds(1000)));
  tick_.async_wait(
      [self = std::static_pointer_cast<Http2Connection>(shared_from_this())](const boost::system::error_code& ec) {
        if (!ec) self->OnTick();
      });
}

void Http2Connection::OnTick() {
  if (closed_) return;
  auto now = std::chrono::steady_clock::now();
  if (streams_.empty()) {
    if (limits_.idle_timeout.count() > 0 && now - idle_since_ >= limits_.idle_timeout) {
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);  // GOAWAY, then close
      Flush();
      if (!writing_active_) Close();
      return;
    }
  } else {
    // A request must be whole (headers and body) within both deadlines of
    // its start; a slow one is answered 408 and its memory released.
    auto limit = limits_.header_timeout + limits_.body_timeout;
    std::vector<int32_t> late;
    for (auto& [id, s] : streams_) {
      if (!s.answered && limits_.header_timeout.count() > 0 && now - s.started >= limit) late.push_back(id);
    }
    for (int32_t id : late) {
      if (Stream* s = Find(id)) AnswerError(id, s, 408);
    }
    if (!late.empty()) Flush();
  }
  ArmTick();
}

bool Http2Connection::Reserve(int32_t stream_id, Stream* s, size_t total) {
  if (s->reservation.GrowTo(total, &reserved_bytes_, limits_)) return true;
  HttpRequest head;
  head.method = s->request.method;
  head.target = s->request.target;
  head.headers = s->request.headers;
  head.http2 = true;
  head.remote_address = remote_address_;
  HttpResponse r = handler_->Overloaded(head);
  s->answered = true;
  s->request = HttpRequest();
  Release(s);
  int64_t length = static_cast<int64_t>(r.body.size());
  if (!r.body.empty()) s->out.push_back(std::move(r.body));
  s->out_eof = true;
  Submit(stream_id, r.status, r.headers, length, length > 0);
  return false;
}

void Http2Connection::StartRead() {
  if (reading_ || closed_) return;
  if (!nghttp2_session_want_read(session_)) return;
  reading_ = true;
  socket_.AsyncReadSome(asio::buffer(in_), [self = std::static_pointer_cast<Http2Connection>(shared_from_this())](
                                               const boost::system::error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Http2Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  ssize_t rv = nghttp2_session_mem_recv(session_, in_.data(), n);
  if (rv < 0) {
    // nghttp2 has queued a GOAWAY for protocol errors; try to send it.
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
    Flush();
    if (!writing_active_) Close();
    return;
  }
  Flush();
  StartRead();
}

void Http2Connection::Flush() {
  if (writing_active_ || closed_) return;
  while (out_.size() < kMaxWriteBatchBytes) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      Close();
      return;
    }
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (out_.empty()) {
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) Close();
    return;
  }
  std::swap(out_, writing_);
  out_.clear();
  writing_active_ = true;
  socket_.AsyncWrite(asio::buffer(writing_), [self = std::static_pointer_cast<Http2Connection>(shared_from_this())](
                                                 const boost::system::error_code& ec, size_t) { self->OnWrite(ec); });
}

void Http2Connection::OnWrite(const boost::system::error_code& ec) {
  writing_active_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  writing_.clear();
  Flush();
  StartRead();
}

void Http2Connection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.Close(ec);
  tick_.cancel();
  // Streams are moved out first: OnClose callbacks run application code.
  std::unordered_map<int32_t, Stream> streams;
  streams.swap(streams_);
  for (auto& [id, s] : streams) {
    Release(&s);
    if (s.stream != nullptr) s.stream->MarkClosed();
  }
  Unregister(loop_);
}

Http2Connection::Stream* Http2Connection::Find(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second;
}

// ---- nghttp2 callbacks -------------------------------------------------------

int Http2Connection::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    auto [it, fresh] = Self(user_data)->streams_.try_emplace(frame->hd.stream_id);
    if (fresh) it->second.started = std::chrono::steady_clock::now();
  }
  return 0;
}

int Http2Connection::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                              const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  Http2Connection* self = Self(user_data);
  Stream* s = self->Find(frame->hd.stream_id);
  if (s == nullptr || s->answered) return 0;
  s->header_bytes += namelen + valuelen + kHeaderOverheadBytes;
  ++s->header_count;
  if (s->header_bytes > self->limits_.max_header_bytes || s->header_count > self->limits_.max_header_count) {
    return 0;  // answered with 431 at end of headers
  }
  std::string_view n = View(name, namelen);
  std::string_view v = View(value, valuelen);
  if (!n.empty() && n[0] == ':') {
    if (n == ":method") {
      s->request.method.assign(v);
    } else if (n == ":path") {
      s->request.target.assign(v);
    } else if (n == ":authority") {
      s->authority.assign(v);
    }
    return 0;
  }
  // nghttp2 has checked that names are lower-case tokens.
  s->request.headers.emplace_back(std::string(n), std::string(v));
  return 0;
}

int Http2Connection::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                                 void* user_data) {
  Http2Connection* self = Self(user_data);
  Stream* s = self->Find(stream_id);
  if (s == nullptr || s->answered) return 0;  // discarded (already answered with an error)
  if (s->request.body.size() + len > self->limits_.max_body_bytes) {
    self->AnswerError(stream_id, s, 413);
    return 0;
  }
  if (!self->Reserve(stream_id, s, s->request.body.size() + len)) return 0;
  s->request.body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int Http2Connection::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  Http2Connection* self = Self(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  int32_t id = frame->hd.stream_id;
  Stream* s = self->Find(id);
  if (s == nullptr || s->answered) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    if (s->header_bytes > self->limits_.max_header_bytes || s->header_count > self->limits_.max_header_count) {
      self->AnswerError(id, s, 431);
      return 0;
    }
    // A declared length over the limit is refused before the body arrives.
    std::string_view length = s->request.Header("content-length");
    if (!length.empty()) {
      uint64_t v = 0;
      bool digits = length.size() <= 19;
      for (char c : length) {
        if (c < '0' || c > '9') digits = false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (digits && v > self->limits_.max_body_bytes) {
        self->AnswerError(id, s, 413);
        return 0;
      }
      // The declared body is held against the budgets before it arrives.
      if (digits && !self->Reserve(id, s, static_cast<size_t>(v))) return 0;
    }
  }
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) self->Dispatch(id, s);
  return 0;
}

int Http2Connection::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
  Http2Connection* self = Self(user_data);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  std::shared_ptr<ResponseStreamImpl> stream = std::move(it->second.stream);
  self->Release(&it->second);
  self->streams_.erase(it);
  if (self->streams_.empty()) self->idle_since_ = std::chrono::steady_clock::now();
  // A reset or finished stream: later responder calls find no stream.
  if (stream != nullptr) stream->MarkClosed();
  return 0;
}

ssize_t Http2Connection::ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                                  uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  Http2Connection* self = Self(user_data);
  Stream* s = self->Find(stream_id);
  if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t copied = 0;
  while (copied < length && !s->out.empty()) {
    std::string& front = s->out.front();
    size_t n = std::min(length - copied, front.size() - s->out_offset);
    std::memcpy(buf + copied, front.data() + s->out_offset, n);
    copied += n;
    s->out_offset += n;
    if (s->out_offset == front.size()) {
      s->out.pop_front();
      s->out_offset = 0;
    }
  }
  if (s->stream != nullptr && copied > 0) s->stream->Consumed(copied);
  if (s->out.empty() && s->out_eof) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (copied == 0) {
    s->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(copied);
}

// ---- requests and responses ----------------------------------------------------

void Http2Connection::Dispatch(int32_t stream_id, Stream* s) {
  s->answered = true;
  HttpRequest request = std::move(s->request);
  s->request = HttpRequest();
  if (request.Header("host").empty() && !s->authority.empty()) {
    // SigV4 signs "host"; over HTTP/2 it travels as :authority.
    request.headers.emplace_back("host", std::move(s->authority));
  }
  request.http2 = true;
  request.remote_address = remote_address_;
  auto responder =
      std::make_unique<ResponderImpl>(loop_.shared_from_this(), weak_from_this(), static_cast<uint32_t>(stream_id));
  handler_->Handle(std::move(request), std::move(responder));
}

void Http2Connection::AnswerError(int32_t stream_id, Stream* s, int status) {
  s->answered = true;
  s->request = HttpRequest();
  Release(s);
  std::string body(ReasonPhrase(status));
  body += '\n';
  int64_t length = static_cast<int64_t>(body.size());
  s->out.push_back(std::move(body));
  s->out_eof = true;
  Submit(stream_id, status, HeaderList{{"content-type", "text/plain"}}, length, true);
}

void Http2Connection::Submit(int32_t stream_id, int status, const HeaderList& headers, int64_t content_length,
                             bool has_body) {
  std::string status_str = std::to_string(status);
  std::string length_str = content_length >= 0 ? std::to_string(content_length) : std::string();
  std::vector<std::string> lower_names;
  lower_names.reserve(headers.size());
  std::vector<nghttp2_nv> nv;
  nv.reserve(headers.size() + 4);
  nv.push_back(MakeNv(":status", status_str));
  for (const auto& [name, value] : headers) {
    if (name.empty() || IsTransportHeader(name)) continue;
    std::string lower = name;
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    lower_names.push_back(std::move(lower));
    nv.push_back(MakeNv(lower_names.back(), value));
  }
  if (content_length >= 0) nv.push_back(MakeNv("content-length", length_str));
  nv.push_back(MakeNv("date", HttpDate()));
  if (limits_.server_header != nullptr && !limits_.server_header->empty()) {
    nv.push_back(MakeNv("server", *limits_.server_header));
  }

  nghttp2_data_provider provider;
  provider.source.ptr = nullptr;
  provider.read_callback = &Http2Connection::ReadBody;
  int rv = nghttp2_submit_response(session_, stream_id, nv.data(), nv.size(), has_body ? &provider : nullptr);
  if (rv != 0) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
}

void Http2Connection::OnResponse(uint32_t id, HttpResponse response) {
  if (closed_) return;
  int32_t stream_id = static_cast<int32_t>(id);
  Stream* s = Find(stream_id);
  if (s == nullptr || s->stream != nullptr || s->out_eof) return;  // reset, or answered already
  Release(s);
  int64_t length = static_cast<int64_t>(response.body.size());
  if (!response.body.empty()) s->out.push_back(std::move(response.body));
  s->out_eof = true;
  Submit(stream_id, response.status, response.headers, length, length > 0);
  Flush();
}

void Http2Connection::OnStreamStart(uint32_t id, int status, HeaderList headers,
                                    std::shared_ptr<ResponseStreamImpl> stream) {
  int32_t stream_id = static_cast<int32_t>(id);
  Stream* s = closed_ ? nullptr : Find(stream_id);
  if (s == nullptr || s->stream != nullptr || s->out_eof) {
    stream->MarkClosed();
    return;
  }
  s->stream = std::move(stream);
  Release(s);
  PullStream(s);
  Submit(stream_id, status, headers, -1, true);
  Flush();
}

void Http2Connection::OnStreamReady(uint32_t id) {
  if (closed_) return;
  int32_t stream_id = static_cast<int32_t>(id);
  Stream* s = Find(stream_id);
  if (s == nullptr || s->stream == nullptr) return;
  PullStream(s);
  if (s->deferred && (!s->out.empty() || s->out_eof)) {
    s->deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
  Flush();
}

void Http2Connection::PullStream(Stream* s) {
  std::vector<std::string> chunks;
  bool ended = false;
  s->stream->Take(&chunks, &ended);
  for (auto& chunk : chunks) s->out.push_back(std::move(chunk));
  if (ended) s->out_eof = true;
}

}  // namespace spate::http::internal
