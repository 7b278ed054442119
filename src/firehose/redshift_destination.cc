// The Redshift destination (RedshiftDestinationConfiguration), delivering
// into PostgreSQL: each batch is staged as an object in the S3
// configuration's bucket, then loaded with `COPY ... FROM STDIN` in a
// transaction that also records the batch in a progress table (exactly
// once; pg_loader.h). README.md, "Redshift destination", says what is
// supported and what is refused.

#include "firehose/redshift_destination.h"
#include <csignal>

#include "base/log.h"
#include "firehose/compression.h"
#include "firehose/delivery_stream.h"
#include "firehose/destination.h"
#include "firehose/pg_copy.h"
#include "firehose/pg_loader.h"
#include "firehose/processing/record_processor.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr int64_t kDefaultRetrySeconds = 3600;

// COPYs committed by this process (RedshiftOptions::kill_after_copies).
std::atomic<int64_t> copies_committed{0};

const Value* Member(const Value& cfg, std::string_view name) {
  const Value* v = cfg.Find(name);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

std::optional<std::string> OptionalString(const Value& cfg, std::string_view name) {
  const Value* v = Member(cfg, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

// The staging S3Configuration as AWS checks it for a Redshift destination,
// beyond the checks of any S3 configuration.
Status CheckStaging(const Value& s3) {
  SPATE_TRY(CheckS3Configuration(s3));
  std::string format(s3.GetString("CompressionFormat", "UNCOMPRESSED"));
  if (format == "Snappy" || format == "ZIP" || format == "HADOOP_SNAPPY") {
    return InvalidArgument("CompressionFormat " + format +
                           " is not supported for the Redshift destination's S3Configuration: Redshift's COPY "
                           "reads UNCOMPRESSED or GZIP objects.");
  }
  // COPY reads the staged objects of one stream under one prefix: neither
  // expressions nor an error prefix apply to them.
  std::optional<std::string> prefix = OptionalString(s3, "Prefix");
  if (prefix && prefix->find("!{") != std::string::npos) {
    return InvalidArgument("Prefix of the Redshift destination's S3Configuration cannot contain expressions.");
  }
  std::optional<std::string> error_prefix = OptionalString(s3, "ErrorOutputPrefix");
  if (error_prefix && !error_prefix->empty()) {
    return InvalidArgument("ErrorOutputPrefix is not supported in the Redshift destination's S3Configuration.");
  }
  return Status::Ok();
}

// What a Redshift sink works with, read from a checked configuration.
struct RedshiftTarget {
  JdbcTarget jdbc;
  std::string user;
  std::string password;
  std::string table;
  std::vector<std::string> columns;
  CopyPlan plan;
  Value s3;  // S3Configuration
  std::string bucket;
  std::optional<std::string> prefix;
  Compression compression = Compression::kUncompressed;
  BufferingHints hints;
  int64_t retry_window_ms = kDefaultRetrySeconds * 1000;
};

Result<RedshiftTarget> ReadTarget(const Value& cfg) {
  RedshiftTarget t;
  SPATE_ASSIGN_OR_RETURN(t.jdbc, ParseJdbcUrl(cfg.GetString("ClusterJDBCURL")));
  const Value* copy = Member(cfg, "CopyCommand");
  if (copy == nullptr || !copy->is_object()) return InvalidArgument("CopyCommand is required.");
  t.table = std::string(copy->GetString("DataTableName"));
  if (t.table.empty()) return InvalidArgument("CopyCommand.DataTableName is required.");
  SPATE_ASSIGN_OR_RETURN(t.columns, ParseColumnList(copy->GetString("DataTableColumns")));
  SPATE_ASSIGN_OR_RETURN(t.plan, ParseCopyOptions(copy->GetString("CopyOptions")));
  if (const Value* sm = Member(cfg, "SecretsManagerConfiguration")) {
    const Value* enabled = sm->Find("Enabled");
    if (enabled != nullptr && enabled->is_bool() && enabled->as_bool()) {
      return InvalidArgument(
          "SecretsManagerConfiguration is not supported by this server: give Username and Password instead.");
    }
  }
  t.user = std::string(cfg.GetString("Username"));
  t.password = std::string(cfg.GetString("Password"));
  if (t.user.empty() || t.password.empty()) {
    return InvalidArgument("Username and Password are required when SecretsManagerConfiguration is not enabled.");
  }
  const Value* s3 = Member(cfg, "S3Configuration");
  if (s3 == nullptr || !s3->is_object()) return InvalidArgument("S3Configuration is required.");
  t.s3 = *s3;
  SPATE_ASSIGN_OR_RETURN(t.bucket, BucketFromArn(s3->GetString("BucketARN")));
  t.prefix = OptionalString(*s3, "Prefix");
  std::string format(s3->GetString("CompressionFormat", "UNCOMPRESSED"));
  std::optional<Compression> c = ParseCompression(format);
  if (!c) return InvalidArgument("CompressionFormat " + format + " is not valid.");
  t.compression = *c;
  if (const Value* h = Member(*s3, "BufferingHints"); h != nullptr && h->is_object()) {
    t.hints.bytes = static_cast<uint64_t>(h->GetInt("SizeInMBs", 5)) << 20;
    t.hints.interval_ms = h->GetInt("IntervalInSeconds", 300) * 1000;
  }
  if (const Value* r = Member(cfg, "RetryOptions"); r != nullptr && r->is_object()) {
    t.retry_window_ms = r->GetInt("DurationInSeconds", kDefaultRetrySeconds) * 1000;
  }
  return t;
}

// Delivers batches into one PostgreSQL table. One deliverer thread calls it.
class RedshiftSink final : public Sink {
 public:
  RedshiftSink(RedshiftTarget target, SinkContext ctx, RedshiftOptions options)
      : target_(std::move(target)),
        ctx_(std::move(ctx)),
        options_(std::move(options)),
        loader_(
            LibpqConnInfo(target_.jdbc, target_.user, target_.password, HostAddress(), options_.connect_timeout_s)) {}

  BufferingHints Buffering() const override { return target_.hints; }
  int64_t RetryWindowMs() const override { return target_.retry_window_ms; }
  int64_t RetryBackoffMs() const override { return options_.retry_interval_ms; }

  // The staged object's key and format, kept for every replay of the batch.
  Result<Value> Plan(const Batch& batch) override {
    KeyContext kc;
    kc.epoch_ms = batch.oldest_ms;
    SPATE_ASSIGN_OR_RETURN(std::string prefix, EvaluatePrefix(target_.prefix, kc));
    Value plan = Value::MakeObject();
    plan.Set("key",
             Value::String(prefix + ObjectName(ctx_.stream_name, ctx_.version_id, batch.oldest_ms, TimeZone::Utc(),
                                               batch.id, DefaultExtension(target_.compression))));
    plan.Set("compression", Value::String(std::string(CompressionName(target_.compression))));
    return plan;
  }

  Status Deliver(const Batch& batch, SinkCounts* counts, const std::atomic<bool>* cancel) override {
    if (!batch.processing_failed.empty()) {
      std::vector<std::string> docs;
      docs.reserve(batch.processing_failed.size());
      for (const FailedRecord& r : batch.processing_failed) docs.push_back(ProcessingFailedDocument(r));
      SPATE_TRY(WriteErrorObject(target_.s3, ctx_, batch.id, batch.oldest_ms, ErrorOutputType::kProcessingFailed, docs,
                                 cancel));
      counts->failed += batch.processing_failed.size();
    }
    if (batch.records.empty()) return Status::Ok();
    std::string data = Concatenate(batch);
    SPATE_TRY(Stage(batch, data, cancel));
    Compression staged = StagedCompression(batch);
    // Redshift's COPY reads the object as its options say: a GZIP object
    // without the GZIP option (or the reverse) fails, and so does this.
    if (target_.plan.gzip != (staged == Compression::kGzip)) {
      Count(false);
      return InvalidArgument(std::string("COPY of a ") + std::string(CompressionName(staged)) + " object " +
                             (target_.plan.gzip ? "with" : "without") + " the GZIP option cannot read it");
    }
    PgLoad load;
    load.table = target_.table;
    load.columns = target_.columns;
    load.plan = target_.plan;
    load.deliverer_id = ctx_.deliverer_id;
    load.batch_id = batch.id;
    load.end = batch.end.value();
    load.data = data;
    auto loaded = loader_.Load(load, cancel);
    if (!loaded.ok()) {
      Count(false);
      return loaded.status();
    }
    if (!loaded->already_loaded && options_.kill_after_copies > 0 &&
        copies_committed.fetch_add(1) + 1 == options_.kill_after_copies) {
      SPATE_LOG_WARN("--redshift-kill-after-copies: killing the process after COPY of batch " + batch.id);
      std::raise(SIGKILL);
    }
    if (loaded->already_loaded) {
      SPATE_LOG_INFO("batch " + batch.id + " of " + ctx_.deliverer_id + " was loaded before a restart; not again");
    }
    Count(true);
    counts->objects += 1;
    counts->records += batch.records.size();
    counts->bytes += data.size();
    if (ctx_.metrics) {
      ctx_.metrics->redshift_records->Add(batch.records.size());
      ctx_.metrics->redshift_bytes->Add(data.size());
    }
    return Status::Ok();
  }

  // The batch is skipped, as Redshift's: its staged object listed in a
  // manifest under <Prefix>errors/ in the staging bucket.
  Status Expire(const Batch& batch, const Status& last_error, SinkCounts* counts,
                const std::atomic<bool>* cancel) override {
    if (!batch.processing_failed.empty()) {
      std::vector<std::string> docs;
      for (const FailedRecord& r : batch.processing_failed) docs.push_back(ProcessingFailedDocument(r));
      SPATE_TRY(WriteErrorObject(target_.s3, ctx_, batch.id, batch.oldest_ms, ErrorOutputType::kProcessingFailed, docs,
                                 cancel));
    }
    if (batch.records.empty()) return Status::Ok();
    SPATE_TRY(Stage(batch, Concatenate(batch), cancel));
    std::string key(batch.plan.GetString("key"));
    Value entry = Value::MakeObject();
    entry.Set("url", Value::String("s3://" + target_.bucket + "/" + key));
    entry.Set("mandatory", Value::Bool(true));
    Value entries = Value::MakeArray();
    entries.Append(std::move(entry));
    Value manifest = Value::MakeObject();
    manifest.Set("entries", std::move(entries));
    std::string body;
    protocol::WriteJson(manifest, &body);
    std::string manifest_key = ManifestKey(batch);
    SPATE_TRY(ctx_.objects->PutObject(target_.bucket, manifest_key, body, cancel));
    SPATE_LOG_ERROR("COPY of " + std::to_string(batch.records.size()) + " records into " + Describe() +
                    " failed for the whole retry window (" + last_error.ToString() + "); skipped, manifest s3://" +
                    target_.bucket + "/" + manifest_key);
    counts->failed += batch.records.size();
    return Status::Ok();
  }

  std::string Describe() const override {
    return "PostgreSQL table " + target_.table + " at " + target_.jdbc.host + ":" + std::to_string(target_.jdbc.port) +
           "/" + target_.jdbc.database;
  }

 private:
  std::string HostAddress() const {
    auto it = options_.host_addresses.find(target_.jdbc.host);
    return it != options_.host_addresses.end() ? it->second : std::string();
  }

  static std::string Concatenate(const Batch& batch) {
    size_t n = 0;
    for (const BatchRecord& r : batch.records) n += r.data.size();
    std::string data;
    data.reserve(n);
    for (const BatchRecord& r : batch.records) data += r.data;
    return data;
  }

  Compression StagedCompression(const Batch& batch) const {
    std::optional<Compression> c = ParseCompression(batch.plan.GetString("compression"));
    return c.value_or(target_.compression);
  }

  // Writes the staged object (same key, same bytes on every attempt).
  Status Stage(const Batch& batch, const std::string& data, const std::atomic<bool>* cancel) {
    std::string key(batch.plan.GetString("key"));
    if (key.empty()) return Internal("Redshift batch " + batch.id + " has no planned key");
    SPATE_ASSIGN_OR_RETURN(std::string body, Compress(StagedCompression(batch), data, ""));
    return ctx_.objects->PutObject(target_.bucket, key, body, cancel);
  }

  std::string ManifestKey(const Batch& batch) const {
    KeyContext kc;
    kc.epoch_ms = batch.oldest_ms;
    auto dated = EvaluatePrefix(std::nullopt, kc);  // yyyy/MM/dd/HH/
    return target_.prefix.value_or("") + "errors/" + (dated.ok() ? *dated : std::string()) +
           ObjectName(ctx_.stream_name, ctx_.version_id, batch.oldest_ms, TimeZone::Utc(), batch.id, "");
  }

  void Count(bool ok) {
    if (!ctx_.metrics) return;
    (ok ? ctx_.metrics->redshift_copies : ctx_.metrics->redshift_failed_copies)->Add(1);
  }

  const RedshiftTarget target_;
  const SinkContext ctx_;
  const RedshiftOptions options_;
  PgLoader loader_;
};

class RedshiftKind final : public DestinationKind {
 public:
  std::string_view Name() const override { return "Redshift"; }

  Status Check(const Value& cfg) const override {
    SPATE_ASSIGN_OR_RETURN(RedshiftTarget t, ReadTarget(cfg));
    const Value& staging = *Member(cfg, "S3Configuration");
    SPATE_TRY(CheckStaging(staging));
    // GZIP in CopyOptions and the staging CompressionFormat disagreeing is
    // accepted, as AWS accepts it (its API reference refuses only Snappy and
    // ZIP staging; no rule ties the two): every COPY then fails, as
    // Redshift's would, and the batches end in the errors/ manifest after
    // RetryOptions. Said at once in the log, where AWS says nothing.
    const bool staged_gzip = staging.GetString("CompressionFormat", "UNCOMPRESSED") == "GZIP";
    if (t.plan.gzip != staged_gzip) {
      SPATE_LOG_WARN(std::string("Redshift destination of table ") + t.table + ": CopyOptions " +
                     (t.plan.gzip ? "has" : "lacks") + " GZIP but the S3Configuration's CompressionFormat is " +
                     std::string(staging.GetString("CompressionFormat", "UNCOMPRESSED")) +
                     ": every COPY will fail (as Redshift's would) until one of them is changed");
    }
    // The processors AWS allows before this destination (dynamic
    // partitioning is ExtendedS3's alone), run by the default NewProcessor.
    SPATE_TRY(processing::ParseProcessingSpec(cfg).status());
    std::string mode(cfg.GetString("S3BackupMode", "Disabled"));
    const Value* backup = Member(cfg, "S3BackupConfiguration");
    if (mode == "Enabled") {
      if (backup == nullptr || !backup->is_object()) {
        return InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled.");
      }
      SPATE_TRY(CheckS3Configuration(*backup));
    }
    return Status::Ok();
  }

  Status Update(Value* cfg, const Value& update) const override {
    std::string before_mode(cfg->GetString("S3BackupMode", "Disabled"));
    MergeUpdate(cfg, update, {"S3Update", "S3BackupUpdate"});
    if (const Value* s3u = Member(update, "S3Update"); s3u != nullptr && s3u->is_object()) {
      Value* s3 = cfg->FindMutable("S3Configuration");
      if (s3 == nullptr) s3 = &cfg->Set("S3Configuration", Value::MakeObject());
      MergeUpdate(s3, *s3u);
    }
    if (const Value* bu = Member(update, "S3BackupUpdate"); bu != nullptr && bu->is_object()) {
      Value* b = cfg->FindMutable("S3BackupConfiguration");
      if (b == nullptr || !b->is_object()) b = &cfg->Set("S3BackupConfiguration", Value::MakeObject());
      MergeUpdate(b, *bu);
    }
    if (before_mode == "Enabled" && cfg->GetString("S3BackupMode", "Disabled") != "Enabled") {
      return InvalidArgument("S3BackupMode cannot be changed from Enabled to Disabled.");
    }
    return Check(*cfg);
  }

  Value Describe(const Value& cfg) const override {
    Value d = Value::MakeObject();
    d.Set("RoleARN", Value::String(std::string(cfg.GetString("RoleARN"))));
    d.Set("ClusterJDBCURL", Value::String(std::string(cfg.GetString("ClusterJDBCURL"))));
    if (const Value* c = Member(cfg, "CopyCommand")) d.Set("CopyCommand", *c);
    if (const Value* u = Member(cfg, "Username")) d.Set("Username", *u);  // never the Password
    Value retry = Value::MakeObject();
    const Value* r = Member(cfg, "RetryOptions");
    const Value* seconds = r != nullptr ? r->Find("DurationInSeconds") : nullptr;
    retry.Set("DurationInSeconds", seconds != nullptr ? *seconds : Value::Int(kDefaultRetrySeconds));
    d.Set("RetryOptions", std::move(retry));
    if (const Value* s3 = Member(cfg, "S3Configuration"))
      d.Set("S3DestinationDescription", DescribeS3Configuration(*s3));
    if (const Value* p = Member(cfg, "ProcessingConfiguration")) d.Set("ProcessingConfiguration", *p);
    d.Set("S3BackupMode", Value::String(std::string(cfg.GetString("S3BackupMode", "Disabled"))));
    if (const Value* b = Member(cfg, "S3BackupConfiguration"); b != nullptr && b->is_object()) {
      d.Set("S3BackupDescription", DescribeS3Configuration(*b));
    }
    if (const Value* c = Member(cfg, "CloudWatchLoggingOptions")) {
      d.Set("CloudWatchLoggingOptions", *c);
    } else {
      Value c2 = Value::MakeObject();
      c2.Set("Enabled", Value::Bool(false));
      d.Set("CloudWatchLoggingOptions", std::move(c2));
    }
    if (const Value* sm = Member(cfg, "SecretsManagerConfiguration")) d.Set("SecretsManagerConfiguration", *sm);
    Value out = Value::MakeObject();
    out.Set("RedshiftDestinationDescription", std::move(d));
    return out;
  }

  Result<std::unique_ptr<Sink>> NewSink(const Value& cfg, const SinkContext& ctx) const override {
    SPATE_ASSIGN_OR_RETURN(RedshiftTarget t, ReadTarget(cfg));
    if (ctx.objects == nullptr) return Internal("the Redshift destination needs an object store to stage in");
    return std::unique_ptr<Sink>(std::make_unique<RedshiftSink>(std::move(t), ctx, GetRedshiftOptions()));
  }

  std::optional<Value> SourceBackup(const Value& cfg) const override {
    if (cfg.GetString("S3BackupMode", "Disabled") != "Enabled") return std::nullopt;
    const Value* b = Member(cfg, "S3BackupConfiguration");
    if (b == nullptr || !b->is_object()) return std::nullopt;
    return *b;
  }
};

}  // namespace

const DestinationKind& RedshiftDestinationKind() {
  static const RedshiftKind kind;
  return kind;
}

}  // namespace spate::firehose
