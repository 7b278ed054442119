// Delivery to OpenSearch / Elasticsearch: the Amazonopensearchservice,
// Elasticsearch and AmazonOpenSearchServerless destination kinds (one
// implementation, three names) and their sink, one _bulk request per batch.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/log.h"
#include "firehose/destination.h"
#include "firehose/endpoint_settings.h"
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
// A _bulk answer has one item per document; 10,000 documents' items fit.
constexpr size_t kMaxBulkResponseBytes = 64u << 20;

enum class Flavor { kOpenSearchService, kElasticsearch, kServerless };

// How the record failed: a per-item error or the whole request's.
struct ItemError {
  std::string code;
  std::string message;
};

// A record of the batch being delivered, and where it is.
struct Doc {
  std::string index;
  std::string id;  // "" under NO_DOCUMENT_ID (the cluster's id, once known, in cluster_id)
  std::optional<std::string_view> document;
  enum class State { kPending, kIndexed, kFailed } state = State::kPending;
  ItemError error;  // the last one, for kPending (retried) and kFailed
  std::string cluster_id;
};

// The progress of the batch being delivered: what the retries of Deliver
// (and Expire) share. A restart loses it: the batch is sent whole again,
// which under FIREHOSE_DEFAULT ids replaces the same documents.
struct Progress {
  std::string batch_id;
  std::vector<Doc> docs;
  int attempts = 0;
  uint64_t requests = 0;  // _bulk requests answered 200
};

struct OpenSearchConfig {
  Flavor flavor = Flavor::kOpenSearchService;
  std::string url;  // the cluster, no trailing '/'
  std::string index_name;
  IndexRotation rotation = IndexRotation::kOneDay;
  std::string type_name;
  bool document_ids = true;  // FIREHOSE_DEFAULT
  int64_t retry_ms = kDefaultRetrySeconds * 1000;
  bool backup_all = false;
  BufferingHints buffering;
};

BufferingHints ParseBuffering(const Value& cfg) {
  BufferingHints b;
  const Value* hints = cfg.Find("BufferingHints");
  int64_t mb = hints != nullptr ? hints->GetInt("SizeInMBs", kDefaultBufferMb) : kDefaultBufferMb;
  int64_t s = hints != nullptr ? hints->GetInt("IntervalInSeconds", kDefaultBufferSeconds) : kDefaultBufferSeconds;
  b.bytes = static_cast<uint64_t>(mb) << 20;
  b.interval_ms = s * 1000;
  return b;
}

Value BufferingDescription(const Value& cfg) {
  BufferingHints b = ParseBuffering(cfg);
  Value v = Value::MakeObject();
  v.Set("IntervalInSeconds", Value::Int(b.interval_ms / 1000));
  v.Set("SizeInMBs", Value::Int(static_cast<int64_t>(b.bytes >> 20)));
  return v;
}

Status CheckUrl(std::string_view member, std::string_view url) {
  if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) ||
      url.find_first_of(" \t\r\n") != std::string_view::npos || url.size() <= std::string_view("https://").size()) {
    return InvalidArgument(std::string(member) + " must be an http:// or https:// URL: " + std::string(url));
  }
  return Status::Ok();
}

class OpenSearchSink final : public Sink {
 public:
  OpenSearchSink(OpenSearchConfig cfg, std::unique_ptr<S3Fallback> s3, SinkContext ctx)
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
    std::vector<size_t> pending;
    for (size_t i = 0; i < p.docs.size(); ++i) {
      if (p.docs[i].state == Doc::State::kPending) pending.push_back(i);
    }
    if (!pending.empty()) SPATE_TRY(SendBulk(batch, &p, pending, cancel));
    size_t retrying = 0;
    for (size_t i : pending) retrying += p.docs[i].state == Doc::State::kPending ? 1 : 0;
    if (retrying > 0) {
      const ItemError& e = FirstPendingError(p);
      return Unavailable(std::to_string(retrying) + " of " + std::to_string(p.docs.size()) +
                         " documents to be sent again to " + Describe() + ": " + e.code + " " + e.message);
    }
    return Finish(batch, &p, counts, cancel);
  }

  Status Expire(const Batch& batch, const Status& last_error, SinkCounts* counts,
                const std::atomic<bool>* cancel) override {
    Progress& p = ProgressOf(batch);
    for (Doc& d : p.docs) {
      if (d.state != Doc::State::kPending) continue;
      d.state = Doc::State::kFailed;
      if (d.error.code.empty()) d.error = {WholeRequestCode("ConnectionFailed"), last_error.ToString()};
    }
    SPATE_LOG_ERROR("delivery stream " + ctx_.stream_name + ": batch " + batch.id + " kept failing at " + Describe() +
                    " for the retry window; failed documents go to the S3 backup: " + last_error.ToString());
    return Finish(batch, &p, counts, cancel);
  }

  std::string Describe() const override { return "OpenSearch at " + cfg_.url + " index " + cfg_.index_name; }

 private:
  std::string WholeRequestCode(std::string_view what) const {
    return (cfg_.flavor == Flavor::kElasticsearch ? "ES." : "OS.") + std::string(what);
  }

  // The progress of `batch`, started afresh for a batch not seen last.
  Progress& ProgressOf(const Batch& batch) {
    if (progress_.batch_id == batch.id && progress_.docs.size() == batch.records.size()) return progress_;
    progress_ = Progress{};
    progress_.batch_id = batch.id;
    progress_.docs.resize(batch.records.size());
    for (size_t i = 0; i < batch.records.size(); ++i) {
      const BatchRecord& r = batch.records[i];
      Doc& d = progress_.docs[i];
      d.index = RotatedIndexName(cfg_.index_name, cfg_.rotation, r.arrival_ms);
      if (cfg_.document_ids) d.id = FirehoseDocumentId(batch.id, r);
      d.document = BulkDocument(r.data);
      if (!d.document) {
        d.state = Doc::State::kFailed;
        d.error = {"400", "the record is not a single-line UTF-8 JSON object; it was not sent"};
      }
    }
    return progress_;
  }

  static const ItemError& FirstPendingError(const Progress& p) {
    for (const Doc& d : p.docs) {
      if (d.state == Doc::State::kPending) return d.error;
    }
    static const ItemError kNone;
    return kNone;
  }

  // One _bulk request of the pending documents. Errors: the request failed
  // as a whole (every pending document keeps that error).
  Status SendBulk(const Batch& batch, Progress* p, const std::vector<size_t>& pending,
                  const std::atomic<bool>* cancel) {
    std::vector<BulkItem> items;
    items.reserve(pending.size());
    for (size_t i : pending) {
      const Doc& d = p->docs[i];
      items.push_back({d.index, cfg_.type_name, d.id, *d.document});
    }
    std::string body = BulkBody(items);
    net::HttpRequest req;
    req.method = "POST";
    req.url = cfg_.url + "/_bulk";
    req.headers = {{"Content-Type", "application/x-ndjson"}};
    req.body = body;
    req.timeout_ms = GetEndpointSettings().opensearch_timeout_ms;
    req.connect_timeout_ms = req.timeout_ms;
    req.max_response_bytes = kMaxBulkResponseBytes;
    ++p->attempts;
    Result<net::HttpResponse> resp = http_.Send(req, cancel);
    auto fail_all = [&](ItemError e, Status st) {
      for (size_t i : pending) p->docs[i].error = e;
      return st;
    };
    if (!resp.ok()) {
      return fail_all({WholeRequestCode("ConnectionFailed"), resp.status().message()}, resp.status());
    }
    if (resp->status != 200) {
      std::string message = "_bulk answered " + std::to_string(resp->status) + ": " + resp->body.substr(0, 512);
      return fail_all({std::to_string(resp->status), message}, Unavailable(Describe() + ": " + message));
    }
    Result<std::vector<BulkItemResult>> results = ParseBulkResponse(resp->body, pending.size());
    if (!results.ok()) {
      return fail_all({WholeRequestCode("InvalidResponse"), results.status().message()}, results.status());
    }
    ++p->requests;
    for (size_t k = 0; k < pending.size(); ++k) {
      Doc& d = p->docs[pending[k]];
      const BulkItemResult& r = (*results)[k];
      if (r.ok()) {
        d.state = Doc::State::kIndexed;
        d.cluster_id = r.id;
      } else {
        d.error = {std::to_string(r.status), r.error_json};
        if (!r.retryable()) d.state = Doc::State::kFailed;
      }
    }
    (void)batch;
    return Status::Ok();
  }

  // Every document is indexed or failed: the failed ones (and the records
  // processing failed for) to S3, every record too under AllDocuments.
  Status Finish(const Batch& batch, Progress* p, SinkCounts* counts, const std::atomic<bool>* cancel) {
    util::Clock* clock = ctx_.clock != nullptr ? ctx_.clock : util::SystemClock();
    int64_t now = clock->NowMs();
    std::vector<std::string> failed;
    uint64_t indexed = 0, bytes = 0;
    for (size_t i = 0; i < p->docs.size(); ++i) {
      const Doc& d = p->docs[i];
      const BatchRecord& r = batch.records[i];
      if (d.state == Doc::State::kIndexed) {
        ++indexed;
        bytes += r.data.size();
        continue;
      }
      FailedDocument f;
      f.attempts = p->attempts;
      f.arrival_ms = r.arrival_ms;
      f.error_code = d.error.code;
      f.error_message = d.error.message;
      f.attempt_ending_ms = now;
      f.document_id = d.id;
      f.index = d.index;
      f.type = cfg_.type_name;
      f.raw_data = r.data;
      failed.push_back(FailedDocumentJson(f, cfg_.flavor == Flavor::kServerless));
    }
    SPATE_TRY(s3_->WriteProcessingFailed(batch, cancel));
    SPATE_TRY(s3_->WriteFailed(batch, ErrorOutputType::kAmazonOpenSearchServiceFailed, failed, cancel));
    const Value* plan = batch.plan.Find("s3");
    SPATE_TRY(s3_->BackupAll(batch, plan != nullptr ? *plan : Value::MakeObject(), cancel));
    if (!failed.empty()) {
      SPATE_LOG_WARN("delivery stream " + ctx_.stream_name + ": " + std::to_string(failed.size()) +
                     " documents failed at " + Describe() + " and were written to the S3 backup");
    }
    counts->objects += p->requests;
    counts->records += indexed;
    counts->bytes += bytes;
    counts->failed += failed.size() + batch.processing_failed.size();
    if (ctx_.metrics) {
      ctx_.metrics->opensearch_success->Add(p->requests);
      ctx_.metrics->opensearch_records->Add(indexed);
      ctx_.metrics->opensearch_bytes->Add(bytes);
      ctx_.metrics->opensearch_failed_records->Add(failed.size());
    }
    progress_ = Progress{};
    return Status::Ok();
  }

  const OpenSearchConfig cfg_;
  const std::unique_ptr<S3Fallback> s3_;
  const SinkContext ctx_;
  net::HttpClient http_{std::string(kFirehoseUserAgent)};
  Progress progress_;
};

class OpenSearchKind final : public DestinationKind {
 public:
  OpenSearchKind(std::string_view name, Flavor flavor) : name_(name), flavor_(flavor) {}

  std::string_view Name() const override { return name_; }

  Status Check(const Value& cfg) const override { return Parse(cfg).status(); }

  Status Update(Value* cfg, const Value& update) const override {
    // One endpoint: naming the other replaces it.
    if (update.Has("DomainARN")) RemoveMember(cfg, "ClusterEndpoint");
    if (update.Has("ClusterEndpoint")) RemoveMember(cfg, "DomainARN");
    MergeUpdate(cfg, update, {"S3Update"});
    if (const Value* s3_update = update.Find("S3Update"); s3_update != nullptr) {
      Value* s3 = cfg->FindMutable("S3Configuration");
      if (s3 == nullptr) return InvalidArgument("S3Configuration is missing");
      MergeUpdate(s3, *s3_update);
    }
    return Check(*cfg);
  }

  Value Describe(const Value& cfg) const override {
    Value d = Value::MakeObject();
    for (const auto& [name, value] : cfg.as_object()) {
      if (name == "S3Configuration" || name == "BufferingHints" || name == "RetryOptions" ||
          name == "IndexRotationPeriod" || name == "S3BackupMode" || name == "VpcConfiguration") {
        continue;
      }
      d.Set(name, value);
    }
    d.Set("BufferingHints", BufferingDescription(cfg));
    if (flavor_ != Flavor::kServerless) {
      d.Set("IndexRotationPeriod", Value::String(std::string(cfg.GetString("IndexRotationPeriod", "OneDay"))));
    }
    Value retry = Value::MakeObject();
    const Value* r = cfg.Find("RetryOptions");
    retry.Set("DurationInSeconds",
              Value::Int(r != nullptr ? r->GetInt("DurationInSeconds", kDefaultRetrySeconds) : kDefaultRetrySeconds));
    d.Set("RetryOptions", std::move(retry));
    d.Set("S3BackupMode", Value::String(std::string(cfg.GetString("S3BackupMode", "FailedDocumentsOnly"))));
    if (const Value* s3 = cfg.Find("S3Configuration"); s3 != nullptr) {
      d.Set("S3DestinationDescription", DescribeS3Configuration(*s3));
    }
    Value out = Value::MakeObject();
    out.Set(std::string(name_) + "DestinationDescription", std::move(d));
    return out;
  }

  Result<std::unique_ptr<Sink>> NewSink(const Value& cfg, const SinkContext& ctx) const override {
    SPATE_ASSIGN_OR_RETURN(OpenSearchConfig parsed, Parse(cfg));
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<S3Fallback> s3,
                           S3Fallback::Make(*cfg.Find("S3Configuration"), ctx, parsed.backup_all));
    SPATE_TRY(net::HttpClient::Init());
    return std::unique_ptr<Sink>(std::make_unique<OpenSearchSink>(std::move(parsed), std::move(s3), ctx));
  }

 private:
  static void RemoveMember(Value* cfg, std::string_view name) {
    auto& members = cfg->mutable_object();
    std::erase_if(members, [&](const Value::Member& m) { return m.first == name; });
  }

  Result<OpenSearchConfig> Parse(const Value& cfg) const {
    OpenSearchConfig c;
    c.flavor = flavor_;
    const Value* s3 = cfg.Find("S3Configuration");
    if (s3 == nullptr || !s3->is_object()) return InvalidArgument("S3Configuration is required");
    SPATE_TRY(CheckS3Configuration(*s3));
    // The processors AWS allows before this destination (dynamic
    // partitioning is ExtendedS3's alone), run by the default NewProcessor.
    SPATE_TRY(processing::ParseProcessingSpec(cfg).status());
    if (cfg.Has("VpcConfiguration")) {
      return InvalidArgument("VpcConfiguration is not supported: Spate reaches the cluster at its endpoint");
    }
    if (flavor_ == Flavor::kServerless) {
      std::string_view endpoint = cfg.GetString("CollectionEndpoint");
      if (endpoint.empty()) return InvalidArgument("CollectionEndpoint is required");
      SPATE_TRY(CheckUrl("CollectionEndpoint", endpoint));
      c.url = std::string(endpoint);
    } else {
      std::string_view arn = cfg.GetString("DomainARN");
      std::string_view endpoint = cfg.GetString("ClusterEndpoint");
      if (arn.empty() == endpoint.empty()) {
        return InvalidArgument("Exactly one of DomainARN and ClusterEndpoint must be specified");
      }
      if (!arn.empty()) {
        const auto& domains = GetEndpointSettings().opensearch_domains;
        auto it = domains.find(arn);
        if (it == domains.end()) {
          return InvalidArgument("Domain " + std::string(arn) +
                                 " is not known: start spated with --opensearch-domain " + std::string(arn) + "=URL");
        }
        c.url = it->second;
      } else {
        SPATE_TRY(CheckUrl("ClusterEndpoint", endpoint));
        c.url = std::string(endpoint);
      }
    }
    while (!c.url.empty() && c.url.back() == '/') c.url.pop_back();
    c.index_name = std::string(cfg.GetString("IndexName"));
    if (c.index_name.empty()) return InvalidArgument("IndexName is required");
    if (flavor_ != Flavor::kServerless) {
      std::string_view rotation = cfg.GetString("IndexRotationPeriod", "OneDay");
      std::optional<IndexRotation> r = ParseIndexRotation(rotation);
      if (!r) return InvalidArgument("IndexRotationPeriod " + std::string(rotation) + " is not valid");
      c.rotation = *r;
      c.type_name = std::string(cfg.GetString("TypeName"));
      if (const Value* ids = cfg.Find("DocumentIdOptions"); ids != nullptr) {
        c.document_ids = ids->GetString("DefaultDocumentIdFormat", "FIREHOSE_DEFAULT") != "NO_DOCUMENT_ID";
      }
    } else {
      c.rotation = IndexRotation::kNoRotation;
    }
    if (const Value* r = cfg.Find("RetryOptions"); r != nullptr) {
      c.retry_ms = r->GetInt("DurationInSeconds", kDefaultRetrySeconds) * 1000;
    }
    c.backup_all = cfg.GetString("S3BackupMode", "FailedDocumentsOnly") == "AllDocuments";
    c.buffering = ParseBuffering(cfg);
    return c;
  }

  const std::string_view name_;
  const Flavor flavor_;
};

}  // namespace

const DestinationKind& AmazonopensearchserviceDestinationKind() {
  static const OpenSearchKind kind("Amazonopensearchservice", Flavor::kOpenSearchService);
  return kind;
}

const DestinationKind& ElasticsearchDestinationKind() {
  static const OpenSearchKind kind("Elasticsearch", Flavor::kElasticsearch);
  return kind;
}

const DestinationKind& AmazonOpenSearchServerlessDestinationKind() {
  static const OpenSearchKind kind("AmazonOpenSearchServerless", Flavor::kServerless);
  return kind;
}

}  // namespace spate::firehose
