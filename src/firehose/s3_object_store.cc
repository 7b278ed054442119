// The S3 object store: PutObject, or a multipart upload for large objects,
// signed with SigV4 and sent over libcurl.

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "firehose/object_store.h"
#include "firehose/s3_protocol.h"
#include "firehose/s3_signer.h"
#include "util/clock.h"

namespace spate::firehose {
namespace {

// S3's limits (AWS S3 user guide, "Amazon S3 multipart upload limits").
constexpr uint64_t kMaxParts = 10000;
// Answers we read are small XML documents; a longer body is cut here.
constexpr size_t kMaxResponseBytes = 1 << 20;
// Of an unexpected answer, quoted in an error message.
constexpr size_t kMaxQuotedBytes = 200;
constexpr std::string_view kUserAgent = "spate-firehose/0.1";
constexpr std::string_view kObjectContentType = "application/octet-stream";

using Params = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

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

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* body = static_cast<std::string*>(userdata);
  size_t n = size * nmemb;
  if (body->size() < kMaxResponseBytes) body->append(ptr, std::min(n, kMaxResponseBytes - body->size()));
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

// Idle easy handles, kept so that their connections are reused. Thread-safe.
class HandlePool {
 public:
  HandlePool() = default;
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;
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

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(S3Options options, S3Endpoint endpoint)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        credentials_{options_.access_key_id, options_.secret_access_key, options_.session_token},
        clock_(options_.clock != nullptr ? options_.clock : util::SystemClock()) {}

  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const std::atomic<bool>* cancel) override {
    if (key.empty()) return InvalidArgument("empty object key");
    SPATE_ASSIGN_OR_RETURN(S3Address address, AddressS3Object(endpoint_, bucket, key, options_.path_style));
    std::string what = "s3://" + std::string(bucket) + "/" + std::string(key);
    if (body.size() > options_.multipart_threshold_bytes) return PutMultipart(address, what, body, cancel);

    SPATE_ASSIGN_OR_RETURN(HttpResponse resp, Send("PUT", address, {}, body, kObjectContentType, cancel));
    if (resp.status != 200) return S3ErrorStatus("PutObject " + what, resp.status, resp.body);
    return Status::Ok();
  }

  std::string Describe() const override { return "S3 at " + endpoint_.scheme + "://" + endpoint_.authority; }

 private:
  Status PutMultipart(const S3Address& address, const std::string& what, std::string_view body,
                      const std::atomic<bool>* cancel) {
    // CreateMultipartUpload: POST ?uploads -> <UploadId>.
    SPATE_ASSIGN_OR_RETURN(HttpResponse created,
                           Send("POST", address, {{"uploads", ""}}, std::string_view(), kObjectContentType, cancel));
    if (created.status != 200) return S3ErrorStatus("CreateMultipartUpload " + what, created.status, created.body);
    std::optional<std::string> upload_id = XmlElementText(created.body, "UploadId");
    if (!upload_id || upload_id->empty()) {
      return Unavailable("CreateMultipartUpload " + what +
                         ": no UploadId in the answer: " + created.body.substr(0, kMaxQuotedBytes));
    }

    Status st = UploadPartsAndComplete(address, what, *upload_id, body, cancel);
    if (st.ok()) return st;
    if (Cancelled(cancel)) {
      // The abort could wait on the same server as long again: left to S3's
      // lifecycle rules (the object itself is uploaded again later).
      SPATE_LOG_WARN("AbortMultipartUpload " + what + " skipped (cancelled): upload " + *upload_id + " left");
    } else {
      Abort(address, what, *upload_id);
    }
    return st;
  }

  Status UploadPartsAndComplete(const S3Address& address, const std::string& what, const std::string& upload_id,
                                std::string_view body, const std::atomic<bool>* cancel) {
    uint64_t part_bytes = std::max<uint64_t>(options_.part_bytes, (body.size() + kMaxParts - 1) / kMaxParts);
    std::vector<std::string> etags;
    for (uint64_t offset = 0; offset < body.size(); offset += part_bytes) {
      std::string part_number = std::to_string(etags.size() + 1);
      std::string_view part = body.substr(offset, part_bytes);
      SPATE_ASSIGN_OR_RETURN(HttpResponse resp,
                             Send("PUT", address, {{"partNumber", part_number}, {"uploadId", upload_id}}, part,
                                  std::string_view(), cancel));
      std::string call = "UploadPart " + part_number + " of " + what;
      if (resp.status != 200) return S3ErrorStatus(call, resp.status, resp.body);
      std::string etag = resp.Header("etag");
      if (etag.empty()) return Unavailable(call + ": the answer has no ETag");
      etags.push_back(std::move(etag));
    }

    std::string xml = CompleteMultipartUploadXml(etags);
    SPATE_ASSIGN_OR_RETURN(HttpResponse done,
                           Send("POST", address, {{"uploadId", upload_id}}, xml, "application/xml", cancel));
    std::string call = "CompleteMultipartUpload " + what;
    // S3 may answer 200 and then report an error in the body.
    if (done.status != 200 || XmlRootName(done.body) == "Error") return S3ErrorStatus(call, done.status, done.body);
    if (XmlRootName(done.body) != "CompleteMultipartUploadResult") {
      return Unavailable(call + ": unexpected answer: " + done.body.substr(0, kMaxQuotedBytes));
    }
    return Status::Ok();
  }

  // Best effort: the parts of a failed upload would otherwise be stored (and
  // billed) until a lifecycle rule removes them.
  void Abort(const S3Address& address, const std::string& what, const std::string& upload_id) {
    Result<HttpResponse> resp = Send("DELETE", address, {{"uploadId", upload_id}}, std::string_view(), "", nullptr);
    if (!resp.ok()) {
      SPATE_LOG_WARN("AbortMultipartUpload " + what + ": " + resp.status().ToString());
    } else if (resp->status != 204 && resp->status != 200) {
      SPATE_LOG_WARN(S3ErrorStatus("AbortMultipartUpload " + what, resp->status, resp->body).ToString());
    }
  }

  // Signs and sends one request; a body is sent (with its Content-Length)
  // for PUT and POST. Errors: kUnavailable when no answer came (connection,
  // timeout, cancel); an answer of any status is returned as it is.
  Result<HttpResponse> Send(std::string_view method, const S3Address& address, const Params& query,
                            std::string_view body, std::string_view content_type, const std::atomic<bool>* cancel) {
    if (Cancelled(cancel)) return Unavailable(std::string(method) + " " + address.path + ": cancelled");
    S3SigningRequest req;
    req.method = std::string(method);
    req.canonical_uri = address.path;
    req.query = query;
    req.payload_sha256 = Sha256Hex(body);
    std::string amz_date = AmzDate(clock_->NowMs());
    req.headers = {{"host", address.host}, {"x-amz-content-sha256", req.payload_sha256}, {"x-amz-date", amz_date}};
    if (!content_type.empty()) req.headers.emplace_back("content-type", std::string(content_type));
    if (!credentials_.session_token.empty())
      req.headers.emplace_back("x-amz-security-token", credentials_.session_token);
    S3Signature sig = SignS3Request(req, credentials_, options_.region, amz_date);

    std::unique_ptr<curl_slist, SlistFree> header_list;
    auto add = [&](const std::string& line) {
      curl_slist* next = curl_slist_append(header_list.get(), line.c_str());
      if (next != nullptr) {
        (void)header_list.release();
        header_list.reset(next);
      }
      return next != nullptr;
    };
    bool added = add("Authorization: " + sig.authorization);
    for (const auto& [name, value] : req.headers) added = add(name + ": " + value) && added;
    // No "Expect: 100-continue" round trip before each body.
    added = add("Expect:") && added;
    if (!added) return Internal("curl_slist_append: out of memory");

    std::string url = address.Url(endpoint_);
    std::string query_string = S3CanonicalQuery(query);
    if (!query_string.empty()) url += "?" + query_string;

    CURL* h = pool_.Take();
    if (h == nullptr) return Internal("curl_easy_init failed");
    HttpResponse resp;
    Upload upload{body, 0};
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the signed path is the sent path: no dot-segment removal
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_USERAGENT, std::string(kUserAgent).c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
    if (method == "PUT" || method == "POST") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    std::string method_string(method);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_string.c_str());
    if (cancel != nullptr) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortIfCancelled);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel);
    }

    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
    pool_.Give(h);
    if (rc != CURLE_OK) {
      if (rc == CURLE_ABORTED_BY_CALLBACK) return Unavailable(method_string + " " + url + ": cancelled");
      std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
      return Unavailable(method_string + " " + url + ": " + detail);
    }
    return resp;
  }

  const S3Options options_;
  const S3Endpoint endpoint_;
  const S3Credentials credentials_;
  util::Clock* const clock_;
  HandlePool pool_;
};

std::once_flag curl_init_once;
CURLcode curl_init_result = CURLE_OK;

}  // namespace

Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(S3Options options) {
  SPATE_ASSIGN_OR_RETURN(S3Endpoint endpoint, ParseS3Endpoint(options.endpoint));
  if (options.region.empty()) return InvalidArgument("S3 region is empty");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return InvalidArgument("S3 credentials are missing (access key id and secret access key)");
  }
  if (options.part_bytes == 0) return InvalidArgument("S3 part size is 0");
  if (options.timeout_ms <= 0) return InvalidArgument("S3 request timeout must be positive");
  std::call_once(curl_init_once, [] { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_result != CURLE_OK) {
    return Internal(std::string("curl_global_init: ") + curl_easy_strerror(curl_init_result));
  }
  return std::unique_ptr<ObjectStore>(std::make_unique<S3ObjectStore>(std::move(options), std::move(endpoint)));
}

}  // namespace spate::firehose
