// Delivery to an HTTP endpoint (HttpEndpointDestinationConfiguration): AWS's
// request/response protocol 1.0 (http_endpoint_protocol.h), one POST per
// 10,000 records of a batch, with a request id stable across retries.

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/log.h"
#include "firehose/compression.h"
#include "firehose/destination.h"
#include "firehose/endpoint_settings.h"
#include "firehose/http_endpoint_protocol.h"
#include "firehose/object_keys.h"
#include "firehose/opensearch_bulk.h"
#include "firehose/processing/record_processor.h"
#include "firehose/s3_fallback.h"
#include "firehose/user_agent.h"
#include "net/http_client.h"
#include "util/clock.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr int64_t kDefaultBufferMb = 5;
constexpr int64_t kDefaultBufferSeconds = 300;
constexpr int64_t kDefaultRetrySeconds = 300;
// The namespace of the request ids of a batch's second and later requests
// (the first is the batch id itself).
constexpr std::string_view kRequestIdNamespace = "6f1c2b7e-8d4a-4c39-b2e5-1a7f0c9d3e58";

struct HttpEndpointConfig {
  std::string url;
  std::string access_key;
  std::string common_attributes;  // the header's value, "" for none
  bool gzip = false;
  int64_t retry_ms = kDefaultRetrySeconds * 1000;
  bool backup_all = false;
  BufferingHints buffering;
};

bool Enabled(const Value* v) {
  const Value* e = v != nullptr && v->is_object() ? v->Find("Enabled") : nullptr;
  return e != nullptr && e->is_bool() && e->as_bool();
}

// One request of a batch: records [begin, end).
struct Request {
  std::string id;
  size_t begin = 0;
  size_t end = 0;
  // kExpired: failed for the retry window, written to the S3 backup.
  enum class State { kPending, kDelivered, kTooLarge, kExpired } state = State::kPending;
  int attempts = 0;
  std::string error_code;
  std::string error_message;
};

// The progress of the batch being delivered, shared by the retries of
// Deliver and by Expire. A restart loses it: the batch's requests are sent
// again with the same ids (the endpoint's key to drop duplicates).
struct Progress {
  std::string batch_id;
  std::vector<Request> requests;
};

class HttpEndpointSink final : public Sink {
 public:
  HttpEndpointSink(HttpEndpointConfig cfg, std::unique_ptr<S3Fallback> s3, SinkContext ctx)
      : cfg_(std::move(cfg)), s3_(std::move(s3)), ctx_(std::move(ctx)) {}

  BufferingHints Buffering() const override { return cfg_.buffering; }
  int64_t RetryWindowMs() const override { return cfg_.retry_ms; }

  Result<Value> Plan(const Batch& batch) override {
    SPATE_ASSIGN_OR_RETURN(Value s3, s3_->Plan(batch));
    Value plan = Value::MakeObject();
    plan.Set("s3", std::move(s3));
    return plan;
  }

  Status Deliver(const Batch& batch, SinkCounts* counts, const std::atomic<bool>* cancel) override {
    Progress& p = ProgressOf(batch);
    for (Request& r : p.requests) {
      if (r.state == Request::State::kPending) SPATE_TRY(Send(batch, &r, &counts->window_excluded_ms, cancel));
    }
    return Finish(batch, &p, counts, cancel);
  }

  Status Expire(const Batch& batch, const Status& last_error, SinkCounts* counts,
                const std::atomic<bool>* cancel) override {
    Progress& p = ProgressOf(batch);
    std::vector<std::string> failed;
    int64_t now = Now();
    for (const Request& r : p.requests) {
      if (r.state != Request::State::kPending) continue;
      std::string code = r.error_code.empty() ? "HttpEndpoint.DestinationException" : r.error_code;
      std::string message = r.error_message.empty() ? last_error.ToString() : r.error_message;
      AppendFailed(batch, r, code, message, now, &failed);
    }
    SPATE_TRY(s3_->WriteFailed(batch, ErrorOutputType::kHttpEndpointFailed, failed, cancel));
    SPATE_LOG_ERROR(
        "delivery stream " + ctx_.stream_name + ": " + std::to_string(failed.size()) + " records kept failing at " +
        Describe() +
        " for the retry window and were written to the S3 backup (http-endpoint-failed): " + last_error.ToString());
    if (ctx_.metrics) ctx_.metrics->http_endpoint_failed_records->Add(failed.size());
    counts->failed += failed.size();
    for (Request& r : p.requests) {
      if (r.state == Request::State::kPending) r.state = Request::State::kExpired;
    }
    return Finish(batch, &p, counts, cancel);
  }

  std::string Describe() const override { return "HTTP endpoint " + cfg_.url; }

 private:
  int64_t Now() const { return (ctx_.clock != nullptr ? ctx_.clock : util::SystemClock())->NowMs(); }

  Progress& ProgressOf(const Batch& batch) {
    if (progress_.batch_id == batch.id) return progress_;
    progress_ = Progress{};
    progress_.batch_id = batch.id;
    for (size_t begin = 0; begin < batch.records.size(); begin += kMaxHttpEndpointRecords) {
      Request r;
      size_t k = progress_.requests.size();
      r.id = k == 0 ? batch.id : NameBasedUuid(kRequestIdNamespace, batch.id + "/" + std::to_string(k));
      r.begin = begin;
      r.end = std::min(batch.records.size(), begin + kMaxHttpEndpointRecords);
      progress_.requests.push_back(std::move(r));
    }
    return progress_;
  }

  // One attempt of one request; adds the time spent waiting for its answer
  // (or its timeout) to `*waited_ms`. Errors: it is to be sent again.
  Status Send(const Batch& batch, Request* r, int64_t* waited_ms, const std::atomic<bool>* cancel) {
    std::span<const BatchRecord> records(batch.records.data() + r->begin, r->end - r->begin);
    std::string body = HttpEndpointBody(r->id, Now(), records);
    if (cfg_.gzip) {
      SPATE_ASSIGN_OR_RETURN(body, Compress(Compression::kGzip, body, ""));
    }
    net::HttpRequest req;
    req.method = "POST";
    req.url = cfg_.url;
    req.headers = HttpEndpointHeaders(r->id, ctx_.stream_arn, cfg_.access_key, cfg_.common_attributes, cfg_.gzip);
    req.body = body;
    req.timeout_ms = GetEndpointSettings().http_endpoint_timeout_ms;
    req.connect_timeout_ms = req.timeout_ms;
    req.max_response_bytes = kMaxHttpEndpointResponseBytes;
    ++r->attempts;
    net::HttpFailure failure = net::HttpFailure::kNone;
    const int64_t sent_ms = Now();
    Result<net::HttpResponse> resp = http_.Send(req, cancel, &failure);
    *waited_ms += std::max<int64_t>(0, Now() - sent_ms);
    if (!resp.ok()) {
      r->error_code =
          failure == net::HttpFailure::kTimedOut ? "HttpEndpoint.RequestTimeout" : "HttpEndpoint.ConnectionFailed";
      r->error_message = resp.status().message();
      return resp.status();
    }
    HttpEndpointVerdict v = CheckHttpEndpointResponse(*resp, r->id);
    switch (v.outcome) {
      case HttpEndpointOutcome::kDelivered:
        r->state = Request::State::kDelivered;
        if (ctx_.metrics) ctx_.metrics->http_endpoint_success->Add();
        return Status::Ok();
      case HttpEndpointOutcome::kTooLarge:
        r->state = Request::State::kTooLarge;
        r->error_code = v.error_code;
        r->error_message = v.error_message;
        return Status::Ok();
      case HttpEndpointOutcome::kRetry: break;
    }
    r->error_code = v.error_code;
    r->error_message = v.error_message;
    return Unavailable(Describe() + ", request " + r->id + ": " + v.error_message);
  }

  void AppendFailed(const Batch& batch, const Request& r, const std::string& code, const std::string& message,
                    int64_t now, std::vector<std::string>* out) const {
    for (size_t i = r.begin; i < r.end; ++i) {
      const BatchRecord& rec = batch.records[i];
      FailedHttpRecord f;
      f.attempts = r.attempts;
      f.arrival_ms = rec.arrival_ms;
      f.error_code = code;
      f.error_message = message;
      f.attempt_ending_ms = now;
      f.raw_data = rec.data;
      f.subsequence_number = rec.sub_index;
      f.data_id = FirehoseDocumentId(batch.id, rec);
      out->push_back(FailedHttpRecordJson(f));
    }
  }

  // Every request is delivered or settled: processing failures to the S3
  // error prefix, 413s to the local error output, every record to S3 under
  // AllData.
  Status Finish(const Batch& batch, Progress* p, SinkCounts* counts, const std::atomic<bool>* cancel) {
    std::vector<std::string> too_large;
    uint64_t delivered = 0, bytes = 0, requests = 0;
    int64_t now = Now();
    for (const Request& r : p->requests) {
      if (r.state == Request::State::kPending) return Internal("request " + r.id + " not settled");
      if (r.state == Request::State::kTooLarge) {
        AppendFailed(batch, r, r.error_code, r.error_message, now, &too_large);
        continue;
      }
      if (r.state == Request::State::kExpired) continue;
      ++requests;
      for (size_t i = r.begin; i < r.end; ++i) bytes += batch.records[i].data.size();
      delivered += r.end - r.begin;
    }
    SPATE_TRY(s3_->WriteProcessingFailed(batch, cancel));
    if (!too_large.empty()) {
      // AWS drops what an endpoint refuses with 413 (it is not sent to the
      // error bucket); Spate keeps it in the local error output and says so.
      SPATE_TRY(s3_->WriteLocal(batch, ErrorOutputType::kHttpEndpointFailed, too_large, cancel));
      SPATE_LOG_ERROR("delivery stream " + ctx_.stream_name + ": " + Describe() + " answered 413 to " +
                      std::to_string(too_large.size()) +
                      " records; not retried (as AWS), kept in the local error output " +
                      (ctx_.error_output != nullptr ? ctx_.error_output->Describe() : std::string("(none)")));
      if (ctx_.metrics) ctx_.metrics->http_endpoint_failed_records->Add(too_large.size());
    }
    const Value* plan = batch.plan.Find("s3");
    SPATE_TRY(s3_->BackupAll(batch, plan != nullptr ? *plan : Value::MakeObject(), cancel));
    counts->objects += requests;
    counts->records += delivered;
    counts->bytes += bytes;
    counts->failed += too_large.size() + batch.processing_failed.size();
    if (ctx_.metrics) {
      ctx_.metrics->http_endpoint_records->Add(delivered);
      ctx_.metrics->http_endpoint_bytes->Add(bytes);
    }
    progress_ = Progress{};
    return Status::Ok();
  }

  const HttpEndpointConfig cfg_;
  const std::unique_ptr<S3Fallback> s3_;
  const SinkContext ctx_;
  net::HttpClient http_{std::string(kFirehoseUserAgent)};
  Progress progress_;
};

class HttpEndpointKind final : public DestinationKind {
 public:
  std::string_view Name() const override { return "HttpEndpoint"; }

  Status Check(const Value& cfg) const override { return Parse(cfg).status(); }

  Status Update(Value* cfg, const Value& update) const override {
    MergeUpdate(cfg, update, {"S3Update", "EndpointConfiguration"});
    if (const Value* e = update.Find("EndpointConfiguration"); e != nullptr && e->is_object()) {
      // Members given replace the configured ones; an AccessKey left out is kept.
      if (!cfg->Has("EndpointConfiguration")) cfg->Set("EndpointConfiguration", Value::MakeObject());
      MergeUpdate(cfg->FindMutable("EndpointConfiguration"), *e);
    }
    if (const Value* s3_update = update.Find("S3Update"); s3_update != nullptr && s3_update->is_object()) {
      Value* s3 = cfg->FindMutable("S3Configuration");
      if (s3 == nullptr) return InvalidArgument("S3Configuration is missing");
      MergeUpdate(s3, *s3_update);
    }
    return Check(*cfg);
  }

  Value Describe(const Value& cfg) const override {
    Value d = Value::MakeObject();
    if (const Value* e = cfg.Find("EndpointConfiguration"); e != nullptr && e->is_object()) {
      Value endpoint = Value::MakeObject();  // AccessKey is never echoed
      if (const Value* url = e->Find("Url")) endpoint.Set("Url", *url);
      if (const Value* name = e->Find("Name")) endpoint.Set("Name", *name);
      d.Set("EndpointConfiguration", std::move(endpoint));
    }
    BufferingHints b = ParseBuffering(cfg);
    Value hints = Value::MakeObject();
    hints.Set("SizeInMBs", Value::Int(static_cast<int64_t>(b.bytes >> 20)));
    hints.Set("IntervalInSeconds", Value::Int(b.interval_ms / 1000));
    d.Set("BufferingHints", std::move(hints));
    if (const Value* c = cfg.Find("CloudWatchLoggingOptions")) d.Set("CloudWatchLoggingOptions", *c);
    Value request = Value::MakeObject();
    const Value* rc = cfg.Find("RequestConfiguration");
    request.Set("ContentEncoding",
                Value::String(std::string(rc != nullptr ? rc->GetString("ContentEncoding", "NONE") : "NONE")));
    if (const Value* attrs = rc != nullptr ? rc->Find("CommonAttributes") : nullptr) {
      request.Set("CommonAttributes", *attrs);
    }
    d.Set("RequestConfiguration", std::move(request));
    if (const Value* p = cfg.Find("ProcessingConfiguration")) d.Set("ProcessingConfiguration", *p);
    if (const Value* role = cfg.Find("RoleARN")) d.Set("RoleARN", *role);
    Value retry = Value::MakeObject();
    const Value* r = cfg.Find("RetryOptions");
    retry.Set("DurationInSeconds",
              Value::Int(r != nullptr ? r->GetInt("DurationInSeconds", kDefaultRetrySeconds) : kDefaultRetrySeconds));
    d.Set("RetryOptions", std::move(retry));
    d.Set("S3BackupMode", Value::String(std::string(cfg.GetString("S3BackupMode", "FailedDataOnly"))));
    if (const Value* s3 = cfg.Find("S3Configuration"); s3 != nullptr && s3->is_object()) {
      d.Set("S3DestinationDescription", DescribeS3Configuration(*s3));
    }
    if (const Value* sm = cfg.Find("SecretsManagerConfiguration")) d.Set("SecretsManagerConfiguration", *sm);
    Value out = Value::MakeObject();
    out.Set("HttpEndpointDestinationDescription", std::move(d));
    return out;
  }

  Result<std::unique_ptr<Sink>> NewSink(const Value& cfg, const SinkContext& ctx) const override {
    SPATE_ASSIGN_OR_RETURN(HttpEndpointConfig parsed, Parse(cfg));
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<S3Fallback> s3,
                           S3Fallback::Make(*cfg.Find("S3Configuration"), ctx, parsed.backup_all));
    SPATE_TRY(net::HttpClient::Init());
    return std::unique_ptr<Sink>(std::make_unique<HttpEndpointSink>(std::move(parsed), std::move(s3), ctx));
  }

 private:
  static BufferingHints ParseBuffering(const Value& cfg) {
    const Value* h = cfg.Find("BufferingHints");
    BufferingHints b;
    b.bytes = static_cast<uint64_t>(h != nullptr ? h->GetInt("SizeInMBs", kDefaultBufferMb) : kDefaultBufferMb) << 20;
    b.interval_ms =
        (h != nullptr ? h->GetInt("IntervalInSeconds", kDefaultBufferSeconds) : kDefaultBufferSeconds) * 1000;
    return b;
  }

  static Result<HttpEndpointConfig> Parse(const Value& cfg) {
    HttpEndpointConfig c;
    const Value* s3 = cfg.Find("S3Configuration");
    if (s3 == nullptr || !s3->is_object()) return InvalidArgument("S3Configuration is required");
    SPATE_TRY(CheckS3Configuration(*s3));
    const Value* e = cfg.Find("EndpointConfiguration");
    if (e == nullptr || !e->is_object()) return InvalidArgument("EndpointConfiguration is required");
    c.url = std::string(e->GetString("Url"));
    // AWS accepts https only (port 443); a self-hosted server also delivers
    // over plain http, to endpoints on any port.
    if ((c.url.rfind("https://", 0) != 0 && c.url.rfind("http://", 0) != 0) ||
        c.url.find_first_of(" \t\r\n") != std::string::npos) {
      return InvalidArgument("EndpointConfiguration.Url must be an https:// (or, on Spate, http://) URL");
    }
    c.access_key = std::string(e->GetString("AccessKey"));
    if (Enabled(cfg.Find("SecretsManagerConfiguration"))) {
      return InvalidArgument("SecretsManagerConfiguration is not supported by this server: give the AccessKey");
    }
    // The processors AWS allows before this destination (dynamic
    // partitioning is ExtendedS3's alone), run by the default NewProcessor.
    SPATE_TRY(processing::ParseProcessingSpec(cfg).status());
    if (const Value* rc = cfg.Find("RequestConfiguration"); rc != nullptr && rc->is_object()) {
      c.gzip = rc->GetString("ContentEncoding", "NONE") == "GZIP";
      c.common_attributes = CommonAttributesHeader(rc->Find("CommonAttributes"));
    }
    if (const Value* r = cfg.Find("RetryOptions"); r != nullptr) {
      c.retry_ms = r->GetInt("DurationInSeconds", kDefaultRetrySeconds) * 1000;
    }
    c.backup_all = cfg.GetString("S3BackupMode", "FailedDataOnly") == "AllData";
    c.buffering = ParseBuffering(cfg);
    return c;
  }
};

}  // namespace

const DestinationKind& HttpEndpointDestinationKind() {
  static const HttpEndpointKind kind;
  return kind;
}

}  // namespace spate::firehose
