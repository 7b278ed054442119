#pragma once

// One HTTP request at a time over libcurl, for the sinks that talk HTTP (the
// S3 object store, OpenSearch _bulk, HTTP endpoints). Keeps curl out of every
// other file.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace spate::firehose {

struct HttpRequest {
  std::string method = "POST";  // sent as given (CURLOPT_CUSTOMREQUEST)
  std::string url;              // http:// or https://, already encoded
  // Sent as given, in order; "Expect:" (no 100-continue round trip) is added.
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent with its Content-Length for PUT and POST (even when empty).
  std::string_view body;
  // Whole request, and connecting alone. Positive.
  int64_t timeout_ms = 60'000;
  int64_t connect_timeout_ms = 60'000;
  // The path is sent as it is, without dot-segment removal (S3 keys).
  bool path_as_is = false;
  // A longer answer body is cut here (the answer is still read whole).
  size_t max_response_bytes = 1 << 20;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  // The first value of header `name` (lowercase), "" when absent.
  std::string Header(std::string_view name) const;
};

// Why no answer came (HttpClient::Send's error), told by curl's result code.
enum class HttpFailure {
  kNone,
  kTimedOut,   // CURLE_OPERATION_TIMEDOUT: the request's timeout_ms or connect_timeout_ms passed
  kCancelled,  // `cancel` was set
  kOther,      // connection refused or reset, name resolution, TLS, ...
};

// Sends requests, reusing connections between them. Redirects are never
// followed (a 3xx is returned as any answer). Thread-safe.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // curl_global_init, once per process; an error when it failed.
  static Status Init();

  // Sends `req` and waits for the answer. Errors: kUnavailable when no answer
  // came (connection refused, timeout, `cancel` set, which is checked about
  // once a second); kInternal when curl cannot allocate. An answer of any
  // status is returned as it is. `failure`, when given, is set to why no
  // answer came (kNone with an answer).
  Result<HttpResponse> Send(const HttpRequest& req, const std::atomic<bool>* cancel,
                            HttpFailure* failure = nullptr) const;

 private:
  class HandlePool;
  std::unique_ptr<HandlePool> pool_;
};

}  // namespace spate::firehose
