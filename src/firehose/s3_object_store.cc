// The S3 object store: PutObject, or a multipart upload for large objects,
// signed with SigV4 and sent over libcurl (net/http_client.h).

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "firehose/object_store.h"
#include "firehose/s3_protocol.h"
#include "firehose/s3_signer.h"
#include "firehose/user_agent.h"
#include "net/http_client.h"
#include "util/clock.h"
#include "util/hmac.h"

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

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

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

    SPATE_ASSIGN_OR_RETURN(net::HttpResponse resp, Send("PUT", address, {}, body, kObjectContentType, cancel));
    if (resp.status != 200) return S3ErrorStatus("PutObject " + what, resp.status, resp.body);
    return Status::Ok();
  }

  std::string Describe() const override { return "S3 at " + endpoint_.scheme + "://" + endpoint_.authority; }

 private:
  Status PutMultipart(const S3Address& address, const std::string& what, std::string_view body,
                      const std::atomic<bool>* cancel) {
    // CreateMultipartUpload: POST ?uploads -> <UploadId>.
    SPATE_ASSIGN_OR_RETURN(net::HttpResponse created,
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
      SPATE_ASSIGN_OR_RETURN(net::HttpResponse resp,
                             Send("PUT", address, {{"partNumber", part_number}, {"uploadId", upload_id}}, part,
                                  std::string_view(), cancel));
      std::string call = "UploadPart " + part_number + " of " + what;
      if (resp.status != 200) return S3ErrorStatus(call, resp.status, resp.body);
      std::string etag = resp.Header("etag");
      if (etag.empty()) return Unavailable(call + ": the answer has no ETag");
      etags.push_back(std::move(etag));
    }

    std::string xml = CompleteMultipartUploadXml(etags);
    SPATE_ASSIGN_OR_RETURN(net::HttpResponse done,
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
    Result<net::HttpResponse> resp =
        Send("DELETE", address, {{"uploadId", upload_id}}, std::string_view(), "", nullptr);
    if (!resp.ok()) {
      SPATE_LOG_WARN("AbortMultipartUpload " + what + ": " + resp.status().ToString());
    } else if (resp->status != 204 && resp->status != 200) {
      SPATE_LOG_WARN(S3ErrorStatus("AbortMultipartUpload " + what, resp->status, resp->body).ToString());
    }
  }

  // Signs and sends one request; a body is sent (with its Content-Length)
  // for PUT and POST. Errors: kUnavailable when no answer came (connection,
  // timeout, cancel); an answer of any status is returned as it is.
  Result<net::HttpResponse> Send(std::string_view method, const S3Address& address, const Params& query,
                                 std::string_view body, std::string_view content_type,
                                 const std::atomic<bool>* cancel) {
    if (Cancelled(cancel)) return Unavailable(std::string(method) + " " + address.path + ": cancelled");
    util::SigV4Request req;
    req.method = std::string(method);
    req.path = address.path;
    req.query = query;
    req.payload_sha256 = util::Sha256Hex(body);
    std::string amz_date = util::AmzDate(clock_->NowMs());
    req.headers = {{"host", address.host}, {"x-amz-content-sha256", req.payload_sha256}, {"x-amz-date", amz_date}};
    if (!content_type.empty()) req.headers.emplace_back("content-type", std::string(content_type));
    if (!credentials_.session_token.empty())
      req.headers.emplace_back("x-amz-security-token", credentials_.session_token);
    util::SigV4Signature sig = SignS3Request(req, credentials_, options_.region, amz_date);

    net::HttpRequest http;
    http.method = std::string(method);
    http.url = address.Url(endpoint_);
    std::string query_string = util::SigV4CanonicalQuery(query);
    if (!query_string.empty()) http.url += "?" + query_string;
    http.headers.emplace_back("Authorization", sig.authorization);
    for (auto& header : req.headers) http.headers.push_back(std::move(header));
    http.body = body;
    http.timeout_ms = options_.timeout_ms;
    http.connect_timeout_ms = options_.timeout_ms;
    http.path_as_is = true;  // the signed path is the sent path: no dot-segment removal
    http.max_response_bytes = kMaxResponseBytes;
    return http_.Send(http, cancel);
  }

  const S3Options options_;
  const S3Endpoint endpoint_;
  const S3Credentials credentials_;
  util::Clock* const clock_;
  net::HttpClient http_{std::string(kFirehoseUserAgent)};
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(S3Options options) {
  SPATE_ASSIGN_OR_RETURN(S3Endpoint endpoint, ParseS3Endpoint(options.endpoint));
  if (options.region.empty()) return InvalidArgument("S3 region is empty");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return InvalidArgument("S3 credentials are missing (access key id and secret access key)");
  }
  if (options.part_bytes == 0) return InvalidArgument("S3 part size is 0");
  if (options.timeout_ms <= 0) return InvalidArgument("S3 request timeout must be positive");
  SPATE_TRY(net::HttpClient::Init());
  return std::unique_ptr<ObjectStore>(std::make_unique<S3ObjectStore>(std::move(options), std::move(endpoint)));
}

}  // namespace spate::firehose
