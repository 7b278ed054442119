#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/http_types.h"

namespace spate::http {

// Incremental HTTP/1.1 request parser (RFC 9112). Boost-free so that a fuzzer
// can drive it directly. It parses one request at a time; after kComplete the
// caller takes the request and calls Reset() before feeding the next bytes.
//
// Accepted framing: Content-Length, or Transfer-Encoding: chunked (trailers are
// read and dropped). Requests that carry both, conflicting Content-Lengths,
// obs-fold, bare LF line ends or an unsupported transfer coding are errors,
// so that no request can be framed two ways (request smuggling).
class Http1RequestParser {
 public:
  struct Limits {
    size_t max_header_bytes;        // request line + headers + blank line
    size_t max_body_bytes;          // decoded body
    size_t max_header_count = 256;  // header fields (more: 431)
  };

  enum class Event {
    kNeedMore,  // all input consumed, request incomplete
    kHeaders,   // the header section is parsed and a body follows
    kComplete,  // a whole request is parsed
    kError,     // see error_status(); the connection must be closed
  };

  explicit Http1RequestParser(Limits limits) : limits_(limits) {}

  // Parses from data[0, size). Sets *consumed to the bytes used; unconsumed
  // bytes must be presented again (with more appended) on the next call.
  // Returns at the first event. After kError every call returns kError.
  Event Parse(const char* data, size_t size, size_t* consumed);

  // 400, 413, 431 or 501 after kError.
  int error_status() const { return error_status_; }
  // Valid once headers are parsed.
  bool keep_alive() const { return keep_alive_; }
  bool expect_continue() const { return expect_continue_; }

  // The parsed request; call after kComplete (the parser keeps nothing).
  HttpRequest& request() { return request_; }
  void Reset();

  // Some bytes of a request have been parsed (its deadline is running).
  bool started() const { return state_ != State::kHeaders || scanned_ > 0; }
  // The header section is parsed and the body is being read.
  bool in_body() const { return state_ != State::kHeaders && state_ != State::kDone && state_ != State::kError; }

 private:
  enum class State { kHeaders, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kDone, kError };

  Event Fail(int status);
  // Parses the header block data[0, size) (ends with the empty line).
  bool ParseHeaderBlock(std::string_view block);
  Event AfterHeaders();

  Limits limits_;
  State state_ = State::kHeaders;
  size_t scanned_ = 0;      // header bytes already searched for the end
  uint64_t remaining_ = 0;  // body or chunk bytes still to read
  size_t trailer_bytes_ = 0;
  bool chunked_ = false;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  int error_status_ = 0;
  HttpRequest request_;
};

}  // namespace spate::http
