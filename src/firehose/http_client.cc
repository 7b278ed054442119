#include "firehose/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace spate::firehose {
namespace {

constexpr std::string_view kUserAgent = "spate-firehose/0.1";

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

struct Download {
  std::string* body;
  size_t max_bytes;
};

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* d = static_cast<Download*>(userdata);
  size_t n = size * nmemb;
  if (d->body->size() < d->max_bytes) d->body->append(ptr, std::min(n, d->max_bytes - d->body->size()));
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

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

// CURLOPT_XFERINFOFUNCTION: curl calls it about once a second even while no
// byte moves; non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int AbortIfCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return Cancelled(static_cast<const std::atomic<bool>*>(cancel)) ? 1 : 0;
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

HttpClient::HttpClient() : pool_(std::make_unique<HandlePool>()) {}
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
  if (Cancelled(cancel)) {
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

  CURL* h = pool_->Take();
  if (h == nullptr) return Internal("curl_easy_init failed");
  HttpResponse resp;
  Upload upload{req.body, 0};
  Download download{&resp.body, req.max_response_bytes};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  if (req.path_as_is) curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_USERAGENT, std::string(kUserAgent).c_str());
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
  if (cancel != nullptr) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortIfCancelled);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel);
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  pool_->Give(h);
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

}  // namespace spate::firehose
