#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace spate::net {
namespace {

constexpr int64_t kMillisPerSecond = 1000;

// The body being sent, read by curl through ReadBody/SeekBody.
struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  size_t n = std::min(size * nitems, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* up = static_cast<Upload*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > up->data.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  up->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The answer being read, shared by the body and header callbacks.
struct Download {
  CURL* handle;
  const HttpRequest* req;
  HttpResponse* resp;
};

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* d = static_cast<Download*>(userdata);
  size_t n = size * nmemb;
  if (d->req->on_body) {
    if (d->resp->status == 0) curl_easy_getinfo(d->handle, CURLINFO_RESPONSE_CODE, &d->resp->status);
    if (d->resp->status >= 200 && d->resp->status <= 299) {
      if (d->req->on_body(std::string_view(ptr, n))) return n;
      d->resp->stopped = true;
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
  }
  std::string& body = d->resp->body;
  size_t max_bytes = d->req->max_response_bytes;
  if (body.size() < max_bytes) body.append(ptr, std::min(n, max_bytes - body.size()));
  return n;
}

size_t WriteHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* resp = static_cast<HttpResponse*>(userdata);
  size_t n = size * nitems;
  std::string_view line(buffer, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    resp->headers.clear();  // a new answer (after a 100 Continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  resp->headers.emplace_back(std::move(name), std::string(value));
  return n;
}

struct CancelCheck {
  const std::atomic<bool>* flag;
  const std::function<bool()>* fn;

  bool operator()() const { return (flag != nullptr && flag->load()) || (*fn && (*fn)()); }
};

// CURLOPT_XFERINFOFUNCTION: curl calls it about once a second even while no
// byte moves; non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int AbortIfCancelled(void* check, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const CancelCheck*>(check))() ? 1 : 0;
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::once_flag curl_init_once;
CURLcode curl_init_result = CURLE_OK;

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

// Idle easy handles, kept so that their connections are reused. Thread-safe.
class HttpClient::HandlePool {
 public:
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  // A handle with default options (its connections kept); nullptr when
  // curl cannot allocate one.
  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  // Takes back a handle, its options reset (so it keeps no pointer to the
  // caller's buffers) and its connections kept for reuse.
  void Give(CURL* h) {
    curl_easy_reset(h);
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(h);
  }

 private:
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

HttpClient::HttpClient(std::string user_agent)
    : user_agent_(std::move(user_agent)), pool_(std::make_unique<HandlePool>()) {}
HttpClient::~HttpClient() = default;

Status HttpClient::Init() {
  std::call_once(curl_init_once, [] { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_result != CURLE_OK) {
    return Internal(std::string("curl_global_init: ") + curl_easy_strerror(curl_init_result));
  }
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& req, const std::atomic<bool>* cancel,
                                      HttpFailure* failure) const {
  HttpFailure ignored;
  if (failure == nullptr) failure = &ignored;
  *failure = HttpFailure::kOther;
  const CancelCheck cancelled{cancel, &req.cancelled};
  if (cancelled()) {
    *failure = HttpFailure::kCancelled;
    return Unavailable(req.method + " " + req.url + ": cancelled");
  }
  SPATE_TRY(Init());
  std::unique_ptr<curl_slist, SlistFree> header_list;
  auto add = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(header_list.get(), line.c_str());
    if (next != nullptr) {
      (void)header_list.release();
      header_list.reset(next);
    }
    return next != nullptr;
  };
  bool added = true;
  for (const auto& [name, value] : req.headers) added = add(name + ": " + value) && added;
  // No "Expect: 100-continue" round trip before each body.
  added = add("Expect:") && added;
  if (!added) return Internal("curl_slist_append: out of memory");

  CURL* h = req.fresh_connection ? curl_easy_init() : pool_->Take();
  if (h == nullptr) return Internal("curl_easy_init failed");
  HttpResponse resp;
  Upload upload{req.body, 0};
  Download download{h, &req, &resp};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  if (req.path_as_is) curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  if (req.version == HttpVersion::kHttp2) {
    const bool tls = req.url.starts_with("https://");
    curl_easy_setopt(
        h, CURLOPT_HTTP_VERSION,
        tls ? static_cast<long>(CURL_HTTP_VERSION_2TLS) : static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
  }
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (req.timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout_ms));
  if (req.stall_timeout_ms > 0) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     std::max<long>(1, static_cast<long>(req.stall_timeout_ms / kMillisPerSecond)));
  }
  if (!user_agent_.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
  if (req.method == "PUT" || req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.tcp_keepalive_s > 0) {
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, static_cast<long>(req.tcp_keepalive_s));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
  }
  if (cancel != nullptr || req.cancelled) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortIfCancelled);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &cancelled);
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK || resp.stopped) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (req.fresh_connection) {
    curl_easy_cleanup(h);
  } else {
    pool_->Give(h);
  }
  if (resp.stopped) rc = CURLE_OK;
  if (rc != CURLE_OK) {
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      *failure = HttpFailure::kCancelled;
      return Unavailable(req.method + " " + req.url + ": cancelled");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) *failure = HttpFailure::kTimedOut;
    std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return Unavailable(req.method + " " + req.url + ": " + detail);
  }
  *failure = HttpFailure::kNone;
  return resp;
}

}  // namespace spate::net
