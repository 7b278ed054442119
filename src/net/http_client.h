#pragma once

// Outgoing HTTP over libcurl: the one client every part of Spate that calls
// out uses (Firehose's S3 object store, OpenSearch and HTTP endpoint sinks,
// the Lambda invoker's URL functions, the installed Kinesis client). Easy
// handles are pooled so that connections are kept alive between requests.
// Keeps curl out of every other file.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace spate::net {

enum class HttpVersion {
  kDefault,  // HTTP/1.1 (curl's default for http://; ALPN may pick h2 on https://)
  kHttp2,    // HTTP/2: prior knowledge (h2c) on http://, ALPN h2 on https://
};

struct HttpRequest {
  std::string method = "POST";  // sent as given (CURLOPT_CUSTOMREQUEST)
  std::string url;              // http:// or https://, already encoded
  // Sent as given, in order; "Expect:" (no 100-continue round trip) is added.
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent with its Content-Length for PUT and POST (even when empty).
  std::string_view body;
  // The whole request; 0: no limit (then set stall_timeout_ms).
  int64_t timeout_ms = 60'000;
  // Connecting alone. Positive.
  int64_t connect_timeout_ms = 60'000;
  // 0: none; else a transfer that moves no byte for this long (rounded to
  // whole seconds, at least one) fails as timed out.
  int64_t stall_timeout_ms = 0;
  // The path is sent as it is, without dot-segment removal (S3 keys).
  bool path_as_is = false;
  // A longer answer body is cut here (the answer is still read whole).
  size_t max_response_bytes = 1 << 20;
  HttpVersion version = HttpVersion::kDefault;
  // TLS: verify the server's certificate and name; `ca_file` (PEM) replaces
  // the system's trust store when not empty.
  bool verify_tls = true;
  std::string ca_file;
  // Polled about once a second (as `cancel` is): true aborts the request.
  std::function<bool()> cancelled;
  // When set, the body of a 2xx answer is handed over as it arrives instead
  // of being kept in HttpResponse::body (the answer of any other status is
  // kept there as usual); returning false ends the transfer, which Send then
  // reports as an answer (HttpResponse::stopped), not an error.
  std::function<bool(std::string_view bytes)> on_body;
  // Uses a handle of its own, closed after the request, instead of a pooled
  // one (a long-lived stream that should not hold a pooled connection).
  bool fresh_connection = false;
  // 0: none; else TCP keep-alive probes after this many idle seconds, then
  // one a second (a silent long-lived stream notices a dead peer).
  int64_t tcp_keepalive_s = 0;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  bool stopped = false;                                      // on_body ended the transfer

  // The first value of header `name` (lowercase), "" when absent.
  std::string Header(std::string_view name) const;
};

// Why no answer came (HttpClient::Send's error), told by curl's result code.
enum class HttpFailure {
  kNone,
  kTimedOut,   // CURLE_OPERATION_TIMEDOUT: timeout_ms, connect_timeout_ms or stall_timeout_ms passed
  kCancelled,  // `cancel` was set, or `cancelled` answered true
  kOther,      // connection refused or reset, name resolution, TLS, ...
};

// Sends requests, reusing connections between them. Redirects are never
// followed (a 3xx is returned as any answer). Thread-safe.
class HttpClient {
 public:
  // `user_agent`: the User-Agent header of every request; "" sends none.
  explicit HttpClient(std::string user_agent = "");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // curl_global_init, once per process; an error when it failed.
  static Status Init();

  // Sends `req` and waits for the answer. Errors: kUnavailable when no answer
  // came (connection refused, timeout, `cancel` set, which is checked about
  // once a second), its message "<method> <url>: <why>"; kInternal when curl
  // cannot allocate. An answer of any status is returned as it is. `failure`,
  // when given, is set to why no answer came (kNone with an answer).
  Result<HttpResponse> Send(const HttpRequest& req, const std::atomic<bool>* cancel,
                            HttpFailure* failure = nullptr) const;

 private:
  class HandlePool;
  const std::string user_agent_;
  std::unique_ptr<HandlePool> pool_;
};

}  // namespace spate::net
