#include "http_client.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>
#include <deque>
#include <unordered_map>
#include <vector>

namespace spate::bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";

std::string_view ContentType(const Endpoint& ep) { return ep.cbor ? kCborContentType : kJsonContentType; }
constexpr size_t kReadChunk = 256 * 1024;

// "20240102T030405Z" for now, computed once: servers check presence only.
const std::string& AmzDate() {
  static const std::string date = [] {
    char buf[32];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf);
  }();
  return date;
}

// A well-formed SigV4 header with a dummy signature. The 12-digit access key
// makes kinesis-mock derive a fixed account from it.
const std::string& Authorization() {
  static const std::string auth = "AWS4-HMAC-SHA256 Credential=000000000000/" + AmzDate().substr(0, 8) +
                                  "/us-east-1/kinesis/aws4_request, "
                                  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                                  "Signature=" +
                                  std::string(64, '0');
  return auth;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Incremental HTTP/1.1 response parser over an append-only buffer.
class Http1ResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  // Parses the status line and headers at the start of `in`; on kDone,
  // status(), chunked(), content_length() and header_end() are valid.
  State ParseHead(const std::string& in) {
    if (header_end_ != 0) return State::kDone;
    size_t e = in.find("\r\n\r\n");
    if (e == std::string::npos) return in.size() > 1 << 20 ? State::kError : State::kNeedMore;
    header_end_ = e + 4;
    std::string_view head(in.data(), e);
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return State::kError;
    std::from_chars(head.data() + 9, head.data() + 12, status_);
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (IEquals(name, "content-length")) {
          std::from_chars(value.data(), value.data() + value.size(), content_length_);
        } else if (IEquals(name, "transfer-encoding") && value.find("chunked") != std::string_view::npos) {
          chunked_ = true;
        }
      }
      pos = next;
    }
    cursor_ = header_end_;
    return State::kDone;
  }

  // Consumes a whole response from `in` starting at 0; on kDone, status()
  // and body() are valid and the bytes of this response are erased from
  // `in`.
  State Parse(std::string& in) {
    if (State h = ParseHead(in); h != State::kDone) return h;
    if (!chunked_) {
      if (in.size() < header_end_ + content_length_) return State::kNeedMore;
      body_.assign(in, header_end_, content_length_);
      in.erase(0, header_end_ + content_length_);
      return State::kDone;
    }
    for (;;) {  // chunked: cursor_ is at the start of a chunk-size line
      size_t eol = in.find("\r\n", cursor_);
      if (eol == std::string::npos) return State::kNeedMore;
      size_t size = 0;
      auto r = std::from_chars(in.data() + cursor_, in.data() + eol, size, 16);
      if (r.ec != std::errc()) return State::kError;
      if (size == 0) {  // last chunk; no trailers expected
        if (in.size() < eol + 4) return State::kNeedMore;
        in.erase(0, eol + 4);
        return State::kDone;
      }
      if (in.size() < eol + 2 + size + 2) return State::kNeedMore;
      body_.append(in, eol + 2, size);
      cursor_ = eol + 2 + size + 2;
    }
  }

  int status() const { return status_; }
  bool chunked() const { return chunked_; }
  size_t content_length() const { return content_length_; }
  size_t header_end() const { return header_end_; }
  const std::string& body() const { return body_; }
  std::string TakeBody() { return std::move(body_); }
  void Reset() { *this = Http1ResponseParser(); }

 private:
  size_t header_end_ = 0;
  size_t cursor_ = 0;
  size_t content_length_ = 0;
  bool chunked_ = false;
  int status_ = 0;
  std::string body_;
};

std::string Http1Head(const Endpoint& ep, std::string_view operation, size_t body_size) {
  std::string h;
  h.reserve(512);
  h += "POST / HTTP/1.1\r\nHost: ";
  h += ep.host + ":" + std::to_string(ep.port);
  h += "\r\nContent-Type: ";
  h += ContentType(ep);
  // A bare operation is Data Streams'; "Firehose_20150804.PutRecordBatch" names its service.
  h += "\r\nX-Amz-Target: ";
  if (operation.find('.') == std::string_view::npos) h += "Kinesis_20131202.";
  h += operation;
  h += "\r\nX-Amz-Date: " + AmzDate();
  h += "\r\nAuthorization: " + Authorization();
  h += "\r\nContent-Length: " + std::to_string(body_size);
  h += "\r\n\r\n";
  return h;
}

class Http1Connection final : public ClientConnection {
 public:
  Http1Connection(asio::io_context& io, const Endpoint& ep) : socket_(io), ep_(ep) {}

  void Start(std::function<void(bool)> done) override {
    tcp::endpoint target(asio::ip::make_address(ep_.host), ep_.port);
    socket_.async_connect(target, [this, done = std::move(done)](boost::system::error_code ec) {
      if (!ec) socket_.set_option(tcp::no_delay(true));
      broken_ = static_cast<bool>(ec);
      done(!ec);
    });
  }
  int FreeSlots() const override { return busy_ || broken_ ? 0 : 1; }
  bool Broken() const override { return broken_; }

  void Send(std::string_view operation, std::shared_ptr<const std::string> body, ResponseCallback cb) override {
    busy_ = true;
    cb_ = std::move(cb);
    body_ = std::move(body);
    head_ = Http1Head(ep_, operation, body_->size());
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head_), asio::buffer(*body_)};
    asio::async_write(socket_, bufs, [this](boost::system::error_code ec, size_t) {
      if (ec) return Fail();
      Read();
    });
  }

 private:
  // Reads the status line and headers (and a chunked body) through a
  // scratch buffer. A Content-Length body is then read straight into
  // body_buf_, which is kept across responses: copying and re-faulting a
  // fresh 14 MB GetRecords answer per call made this client cost more CPU
  // than the server it measures.
  void Read() {
    if (!scratch_) scratch_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
    socket_.async_read_some(asio::buffer(scratch_.get(), kReadChunk), [this](boost::system::error_code ec, size_t n) {
      if (ec) return Fail();
      in_.append(scratch_.get(), n);
      auto state = parser_.ParseHead(in_);
      if (state == Http1ResponseParser::State::kNeedMore) return Read();
      if (state == Http1ResponseParser::State::kError) return Fail();
      if (parser_.chunked()) return ReadChunked();
      const size_t len = parser_.content_length(), head = parser_.header_end();
      if (body_cap_ < len + kResponsePadding) {
        // With room to spare: answers of about the same size follow, and a
        // new buffer is faulted in page by page.
        body_cap_ = len + len / 4 + kResponsePadding;
        body_buf_ = std::make_unique_for_overwrite<char[]>(body_cap_);
      }
      const size_t have = std::min(in_.size() - head, len);
      std::memcpy(body_buf_.get(), in_.data() + head, have);
      std::memset(body_buf_.get() + len, 0, kResponsePadding);
      in_.erase(0, head + have);
      if (have == len) return Deliver(std::string_view(body_buf_.get(), len));
      // Everything that is left in each read: asio's default (transfer_all)
      // asks for at most 64 KiB per call.
      auto whole = [](boost::system::error_code ec, size_t) -> size_t { return ec ? 0 : size_t{1} << 30; };
      asio::async_read(socket_, asio::buffer(body_buf_.get() + have, len - have), whole,
                       [this, len](boost::system::error_code ec, size_t) {
                         if (ec) return Fail();
                         Deliver(std::string_view(body_buf_.get(), len));
                       });
    });
  }

  void ReadChunked() {
    auto state = parser_.Parse(in_);
    if (state == Http1ResponseParser::State::kError) return Fail();
    if (state == Http1ResponseParser::State::kDone) {
      chunked_body_ = parser_.TakeBody();
      chunked_body_.reserve(chunked_body_.size() + kResponsePadding);
      return Deliver(chunked_body_);
    }
    socket_.async_read_some(asio::buffer(scratch_.get(), kReadChunk), [this](boost::system::error_code ec, size_t n) {
      if (ec) return Fail();
      in_.append(scratch_.get(), n);
      ReadChunked();
    });
  }

  // Hands the response to the callback; `body` stays valid during the call.
  void Deliver(std::string_view body) {
    busy_ = false;
    body_.reset();
    auto cb = std::move(cb_);
    int status = parser_.status();
    parser_.Reset();
    cb(status, body);
  }

  void Fail() {
    broken_ = true;
    busy_ = false;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (cb_) {
      auto cb = std::move(cb_);
      cb(0, {});
    }
  }

  tcp::socket socket_;
  Endpoint ep_;
  bool busy_ = false, broken_ = false;
  std::string head_, in_;
  std::unique_ptr<char[]> scratch_;
  std::unique_ptr<char[]> body_buf_;  // the last Content-Length body, then padding
  size_t body_cap_ = 0;
  std::string chunked_body_;  // the last chunked body
  std::shared_ptr<const std::string> body_;
  ResponseCallback cb_;
  Http1ResponseParser parser_;
};

class Http2Connection final : public ClientConnection {
 public:
  Http2Connection(asio::io_context& io, const Endpoint& ep, int max_streams)
      : socket_(io), ep_(ep), authority_(ep.host + ":" + std::to_string(ep.port)), max_streams_(max_streams) {}

  ~Http2Connection() override {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  void Start(std::function<void(bool)> done) override {
    tcp::endpoint target(asio::ip::make_address(ep_.host), ep_.port);
    socket_.async_connect(target, [this, done = std::move(done)](boost::system::error_code ec) {
      if (ec) {
        broken_ = true;
        return done(false);
      }
      socket_.set_option(tcp::no_delay(true));
      InitSession();
      Flush();
      Read();
      done(true);
    });
  }
  int FreeSlots() const override { return broken_ ? 0 : max_streams_ - static_cast<int>(streams_.size()); }
  bool Broken() const override { return broken_; }

  void Send(std::string_view operation, std::shared_ptr<const std::string> body, ResponseCallback cb) override {
    auto st = std::make_unique<Stream>();
    st->body = std::move(body);
    st->cb = std::move(cb);
    st->target = operation.find('.') == std::string_view::npos ? "Kinesis_20131202." + std::string(operation)
                                                               : std::string(operation);
    st->length = std::to_string(st->body->size());
    auto nv = [](std::string_view n, std::string_view v) {
      return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                        reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                        NGHTTP2_NV_FLAG_NONE};
    };
    nghttp2_nv hdrs[] = {nv(":method", "POST"),
                         nv(":scheme", "http"),
                         nv(":authority", authority_),
                         nv(":path", "/"),
                         nv("content-type", ContentType(ep_)),
                         nv("x-amz-target", st->target),
                         nv("x-amz-date", AmzDate()),
                         nv("authorization", Authorization()),
                         nv("content-length", st->length)};
    nghttp2_data_provider prd;
    prd.source.ptr = st.get();
    prd.read_callback = &Http2Connection::ReadBody;
    int32_t id = nghttp2_submit_request(session_, nullptr, hdrs, std::size(hdrs), &prd, st.get());
    if (id < 0) {
      st->cb(0, {});
      return;
    }
    streams_.emplace(id, std::move(st));
    if (!in_recv_) Flush();  // Read() flushes after mem_recv returns
  }

 private:
  struct Stream {
    std::shared_ptr<const std::string> body;
    size_t sent = 0;
    std::string target, length, response;
    int status = 0;
    ResponseCallback cb;
  };

  void InitSession() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &Http2Connection::OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Http2Connection::OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Http2Connection::OnClose);
    nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16 << 20}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 256 << 20);
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source* source, void*) {
    auto* st = static_cast<Stream*>(source->ptr);
    size_t n = std::min(length, st->body->size() - st->sent);
    std::memcpy(buf, st->body->data() + st->sent, n);
    st->sent += n;
    if (st->sent == st->body->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int OnHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* st = static_cast<Stream*>(nghttp2_session_get_stream_user_data(s, frame->hd.stream_id));
    if (st != nullptr && std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status") {
      std::from_chars(reinterpret_cast<const char*>(value), reinterpret_cast<const char*>(value) + valuelen,
                      st->status);
    }
    return 0;
  }
  static int OnData(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len, void*) {
    auto* st = static_cast<Stream*>(nghttp2_session_get_stream_user_data(s, id));
    if (st != nullptr) st->response.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    auto* self = static_cast<Http2Connection*>(user);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    std::unique_ptr<Stream> st = std::move(it->second);
    self->streams_.erase(it);
    st->response.reserve(st->response.size() + kResponsePadding);
    st->cb(error_code == 0 ? st->status : 0, st->response);
    return 0;
  }

  void Flush() {
    if (writing_ || broken_) return;
    out_.clear();
    for (;;) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return Fail();
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      if (out_.size() > (4u << 20)) break;
    }
    if (out_.empty()) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_), [this](boost::system::error_code ec, size_t) {
      writing_ = false;
      if (ec) return Fail();
      Flush();
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(in_), [this](boost::system::error_code ec, size_t n) {
      if (ec) return Fail();
      in_recv_ = true;
      ssize_t r = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(in_.data()), n);
      in_recv_ = false;
      if (r < 0) return Fail();
      Flush();
      Read();
    });
  }

  void Fail() {
    if (broken_) return;
    broken_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, st] : streams) st->cb(0, {});
  }

  tcp::socket socket_;
  Endpoint ep_;
  std::string authority_;
  int max_streams_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::string out_;
  std::array<char, kReadChunk> in_;
  bool writing_ = false, broken_ = false, in_recv_ = false;
};

}  // namespace

std::unique_ptr<ClientConnection> NewHttp1Connection(asio::io_context& io, const Endpoint& ep) {
  return std::make_unique<Http1Connection>(io, ep);
}

std::unique_ptr<ClientConnection> NewHttp2Connection(asio::io_context& io, const Endpoint& ep, int h2_streams) {
  return std::make_unique<Http2Connection>(io, ep, h2_streams);
}

int BlockingCall(const Endpoint& ep, std::string_view operation, const std::string& body, std::string* response) {
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address(ep.host), ep.port), ec);
  if (ec) return 0;
  Endpoint json = ep;
  json.cbor = false;
  std::string req = Http1Head(json, operation, body.size()) + body;
  asio::write(s, asio::buffer(req), ec);
  if (ec) return 0;
  std::string in;
  Http1ResponseParser parser;
  char buf[65536];
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) return 0;
    in.append(buf, n);
    auto state = parser.Parse(in);
    if (state == Http1ResponseParser::State::kError) return 0;
    if (state == Http1ResponseParser::State::kDone) break;
  }
  *response = parser.body();
  return parser.status();
}

}  // namespace spate::bench
