#include "http/http1_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace spate::http {
namespace {

// Longest chunk-size line (hex size plus extensions) we accept.
constexpr size_t kMaxChunkLineBytes = 1024;
// Hex digits in a chunk size: 15 keeps the value below 2^60.
constexpr size_t kMaxChunkSizeDigits = 15;
// Room reserved for headers: AWS SDKs send about ten.
constexpr size_t kExpectedHeaders = 16;

// RFC 9110 tchar, as a table: header names are checked byte by byte.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool IsTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each comma-separated, trimmed, non-empty element.
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The first `c` in [p, end), or null.
const char* Find(const char* p, const char* end, char c) {
  return static_cast<const char*>(std::memchr(p, c, static_cast<size_t>(end - p)));
}

// Finds "\r\n" in data[from, size); npos if absent.
size_t FindCrlf(const char* data, size_t size, size_t from) {
  for (size_t i = from; i + 1 < size; ++i) {
    const void* p = std::memchr(data + i, '\r', size - i - 1);
    if (p == nullptr) return std::string_view::npos;
    i = static_cast<const char*>(p) - data;
    if (data[i + 1] == '\n') return i;
  }
  return std::string_view::npos;
}

}  // namespace

void Http1RequestParser::Reset() {
  state_ = State::kHeaders;
  scanned_ = 0;
  remaining_ = 0;
  trailer_bytes_ = 0;
  chunked_ = false;
  keep_alive_ = true;
  expect_continue_ = false;
  error_status_ = 0;
  request_ = HttpRequest();
}

Http1RequestParser::Event Http1RequestParser::Fail(int status) {
  state_ = State::kError;
  error_status_ = status;
  return Event::kError;
}

Http1RequestParser::Event Http1RequestParser::Parse(const char* data, size_t size, size_t* consumed) {
  size_t pos = 0;
  *consumed = 0;
  for (;;) {
    switch (state_) {
      case State::kError: return Event::kError;
      case State::kDone: *consumed = pos; return Event::kComplete;
      case State::kHeaders: {
        // RFC 9112 2.2: ignore empty lines before the request line.
        while (scanned_ == 0 && size - pos >= 2 && data[pos] == '\r' && data[pos + 1] == '\n') pos += 2;
        *consumed = pos;
        const char* start = data + pos;
        size_t avail = size - pos;
        // Search for the CRLFCRLF, resuming where the last call stopped.
        size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
        size_t end = std::string_view::npos;
        while (true) {
          size_t crlf = FindCrlf(start, avail, from);
          if (crlf == std::string_view::npos) break;
          if (crlf + 3 < avail && start[crlf + 2] == '\r' && start[crlf + 3] == '\n') {
            end = crlf;
            break;
          }
          from = crlf + 2;
        }
        if (end == std::string_view::npos) {
          if (avail >= limits_.max_header_bytes) return Fail(431);
          scanned_ = avail;
          return Event::kNeedMore;
        }
        size_t header_bytes = end + 4;
        if (header_bytes > limits_.max_header_bytes) return Fail(431);
        if (!ParseHeaderBlock(std::string_view(start, end + 2))) return Fail(error_status_ != 0 ? error_status_ : 400);
        pos += header_bytes;
        *consumed = pos;
        Event ev = AfterHeaders();
        if (ev == Event::kError) return ev;
        if (state_ == State::kDone) continue;
        return Event::kHeaders;
      }
      case State::kBody: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - pos));
        request_.body.append(data + pos, n);
        pos += n;
        remaining_ -= n;
        *consumed = pos;
        if (remaining_ > 0) return Event::kNeedMore;
        state_ = State::kDone;
        continue;
      }
      case State::kChunkSize: {
        size_t crlf = FindCrlf(data + pos, size - pos, 0);
        if (crlf == std::string_view::npos) {
          if (size - pos > kMaxChunkLineBytes) return Fail(400);
          return Event::kNeedMore;
        }
        if (crlf > kMaxChunkLineBytes) return Fail(400);
        std::string_view line(data + pos, crlf);
        uint64_t chunk = 0;
        size_t digits = 0;
        while (digits < line.size() && HexValue(line[digits]) >= 0) {
          chunk = chunk * 16 + static_cast<uint64_t>(HexValue(line[digits]));
          if (++digits > kMaxChunkSizeDigits) return Fail(413);
        }
        if (digits == 0) return Fail(400);
        std::string_view rest = line.substr(digits);
        // Only whitespace before an extension; extensions are ignored.
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        if (!rest.empty() && rest.front() != ';') return Fail(400);
        if (rest.find_first_of(std::string_view("\0\n", 2)) != std::string_view::npos) return Fail(400);
        pos += crlf + 2;
        *consumed = pos;
        if (chunk == 0) {
          state_ = State::kTrailers;
          continue;
        }
        if (request_.body.size() + chunk > limits_.max_body_bytes) return Fail(413);
        remaining_ = chunk;
        state_ = State::kChunkData;
        continue;
      }
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - pos));
        request_.body.append(data + pos, n);
        pos += n;
        remaining_ -= n;
        *consumed = pos;
        if (remaining_ > 0) return Event::kNeedMore;
        state_ = State::kChunkDataEnd;
        continue;
      }
      case State::kChunkDataEnd: {
        if (size - pos < 2) return Event::kNeedMore;
        if (data[pos] != '\r' || data[pos + 1] != '\n') return Fail(400);
        pos += 2;
        *consumed = pos;
        state_ = State::kChunkSize;
        continue;
      }
      case State::kTrailers: {
        size_t crlf = FindCrlf(data + pos, size - pos, 0);
        if (crlf == std::string_view::npos) {
          if (trailer_bytes_ + (size - pos) > limits_.max_header_bytes) return Fail(431);
          return Event::kNeedMore;
        }
        if (std::memchr(data + pos, '\n', crlf) != nullptr) return Fail(400);
        trailer_bytes_ += crlf + 2;
        if (trailer_bytes_ > limits_.max_header_bytes) return Fail(431);
        pos += crlf + 2;
        *consumed = pos;
        if (crlf == 0) state_ = State::kDone;
        continue;
      }
    }
  }
}

bool Http1RequestParser::ParseHeaderBlock(std::string_view block) {
  // A NUL, a bare LF or a bare CR anywhere makes the framing ambiguous
  // (memchr: the block is a few hundred bytes on every request).
  const char* begin = block.data();
  const char* end = begin + block.size();
  if (Find(begin, end, '\0') != nullptr) return false;
  for (const char* p = Find(begin, end, '\n'); p != nullptr; p = Find(p + 1, end, '\n')) {
    if (p == begin || p[-1] != '\r') return false;
  }
  for (const char* p = Find(begin, end, '\r'); p != nullptr; p = Find(p + 1, end, '\r')) {
    if (p + 1 == end || p[1] != '\n') return false;
  }
  size_t eol = block.find("\r\n");
  std::string_view line = block.substr(0, eol);
  block.remove_prefix(eol + 2);

  // request-line = method SP request-target SP HTTP-version
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!IsTokenChar(c)) return false;
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  bool http10;
  if (version == "HTTP/1.1") {
    http10 = false;
  } else if (version == "HTTP/1.0") {
    http10 = true;
  } else {
    return false;
  }
  request_.method.assign(method);
  request_.target.assign(target);
  request_.headers.reserve(kExpectedHeaders);
  keep_alive_ = !http10;

  bool have_length = false;
  uint64_t content_length = 0;
  bool have_te = false;
  while (!block.empty()) {
    eol = block.find("\r\n");
    line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') return false;  // obs-fold
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view name = line.substr(0, colon);
    std::string lower_name(name.size(), '\0');
    for (size_t i = 0; i < name.size(); ++i) {
      if (!IsTokenChar(name[i])) return false;
      lower_name[i] = Lower(name[i]);
    }
    std::string_view value = TrimOws(line.substr(colon + 1));

    // string_view comparisons: lengths first, no strlen per literal.
    const std::string_view ln = lower_name;
    if (ln == "content-length") {
      if (value.empty() || value.size() > 19) return false;
      uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (have_length && v != content_length) return false;
      have_length = true;
      content_length = v;
    } else if (ln == "transfer-encoding") {
      if (http10 || have_te) return false;
      have_te = true;
      bool only_chunked = true;
      int elements = 0;
      ForEachListElement(value, [&](std::string_view e) {
        ++elements;
        if (!EqualsIgnoreCase(e, "chunked")) only_chunked = false;
      });
      if (elements != 1 || !only_chunked) {
        error_status_ = 501;
        return false;
      }
      chunked_ = true;
    } else if (ln == "connection") {
      ForEachListElement(value, [&](std::string_view e) {
        if (EqualsIgnoreCase(e, "close")) keep_alive_ = false;
        if (http10 && EqualsIgnoreCase(e, "keep-alive")) keep_alive_ = true;
      });
    } else if (ln == "expect") {
      if (!http10 && EqualsIgnoreCase(value, "100-continue")) expect_continue_ = true;
    }
    request_.headers.emplace_back(std::move(lower_name), std::string(value));
    if (request_.headers.size() > limits_.max_header_count) {
      error_status_ = 431;
      return true;
    }
  }
  if (have_te && have_length) return false;
  remaining_ = content_length;
  if (!chunked_ && content_length > limits_.max_body_bytes) {
    error_status_ = 413;
  }
  return true;
}

Http1RequestParser::Event Http1RequestParser::AfterHeaders() {
  if (error_status_ != 0) return Fail(error_status_);
  if (chunked_) {
    state_ = State::kChunkSize;
    return Event::kHeaders;
  }
  if (remaining_ == 0) {
    state_ = State::kDone;
    return Event::kComplete;
  }
  // Large allocations are mapped lazily, so reserving the declared length
  // costs address space, not memory, until the bytes arrive.
  request_.body.reserve(static_cast<size_t>(remaining_) + kBodySlackBytes);
  state_ = State::kBody;
  return Event::kHeaders;
}

}  // namespace spate::http
