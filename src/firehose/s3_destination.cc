// The S3 destinations (S3DestinationConfiguration and its superset
// ExtendedS3DestinationConfiguration): objects of concatenated records in a
// bucket of the object store, one per batch (one per partition with dynamic
// partitioning), exactly once.

#include <limits>
#include <map>

#include "base/log.h"
#include "firehose/compression.h"
#include "firehose/delivery_stream.h"
#include "firehose/destination.h"
#include "firehose/format_conversion.h"
#include "firehose/object_keys.h"
#include "firehose/processing/partitions.h"
#include "firehose/processing/record_processor.h"
#include "firehose/time_zone.h"
#include "protocol/json_codec.h"
#include "util/clock.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// The namespace UUID of the UUIDs of partitioned objects (derived from the
// batch id and the partition's keys).
constexpr std::string_view kPartitionUuidNamespace = "0d5b8f0e-3c4a-4e1f-a2b7-9f6c1d2e3a40";

bool Enabled(const Value* cfg) {
  if (cfg == nullptr || !cfg->is_object()) return false;
  const Value* e = cfg->Find("Enabled");
  return e != nullptr && e->is_bool() && e->as_bool();
}

Status CheckHints(const Value& cfg) {
  if (const Value* h = cfg.Find("BufferingHints"); h != nullptr && h->is_object()) {
    if (h->Has("SizeInMBs") != h->Has("IntervalInSeconds")) {
      return InvalidArgument("Both SizeInMBs and IntervalInSeconds must be specified in BufferingHints.");
    }
  }
  return Status::Ok();
}

// The checks of a backup or staging S3 configuration (no dynamic
// partitioning, no processing).
Status CheckPlainS3(const Value& cfg) {
  SPATE_TRY(CheckHints(cfg));
  SPATE_ASSIGN_OR_RETURN(S3Destination d, ParseS3Configuration(cfg));
  return ValidatePrefixes(d.prefix, d.error_output_prefix, /*dynamic_partitioning=*/false);
}

// Writes one S3 destination's batches as objects.
class S3Sink final : public Sink {
 public:
  // `conversion`: the record format conversion to Parquet, or null.
  S3Sink(S3Destination d, SinkContext ctx, bool count, std::unique_ptr<FormatConversion> conversion = nullptr)
      : d_(std::move(d)), ctx_(std::move(ctx)), count_(count), conversion_(std::move(conversion)) {}

  BufferingHints Buffering() const override { return {d_.buffer_bytes, d_.buffer_interval_ms}; }
  int64_t RetryWindowMs() const override { return ctx_.s3_retry_window_ms; }

  Result<Value> Plan(const Batch& batch) override {
    KeyContext kc;
    SPATE_ASSIGN_OR_RETURN(kc.time_zone, TimeZone::Load(d_.time_zone));
    kc.epoch_ms = batch.oldest_ms;
    std::optional<Compression> compression = ParseCompression(d_.compression);
    if (!compression) return InvalidArgument("unknown CompressionFormat " + d_.compression);
    std::string extension = d_.file_extension ? *d_.file_extension
                            : conversion_     ? std::string(".parquet")
                                              : std::string(DefaultExtension(*compression));
    Value plan = Value::MakeObject();
    plan.Set("bucket", Value::String(d_.bucket));
    plan.Set("compression", Value::String(d_.compression));
    // A batch cut for conversion is delivered converted, even if an
    // UpdateDestination has since disabled it (its key says .parquet).
    if (conversion_) plan.Set("format", Value::String("parquet"));
    // With dynamic partitioning the key is known only once the records are
    // processed: the plan keeps what names it.
    if (PrefixHasPartitionKeys()) {
      plan.Set("prefix", Value::String(*d_.prefix));
      plan.Set("time_zone", Value::String(d_.time_zone));
      plan.Set("extension", Value::String(extension));
      // Object names carry the version: a replay after UpdateDestination
      // names the same objects.
      plan.Set("version_id", Value::Int(ctx_.version_id));
      return plan;
    }
    SPATE_ASSIGN_OR_RETURN(std::string prefix, EvaluatePrefix(d_.prefix, kc));
    plan.Set("key", Value::String(prefix + ObjectName(ctx_.stream_name, ctx_.version_id, batch.oldest_ms, kc.time_zone,
                                                      batch.id, extension)));
    return plan;
  }

  Status Deliver(const Batch& batch, SinkCounts* counts, const std::atomic<bool>* cancel) override {
    std::vector<FailedRecord> unpartitioned;
    SPATE_ASSIGN_OR_RETURN(std::vector<Object> objects, Objects(batch, &unpartitioned));
    SPATE_TRY(WriteProcessingFailed(batch, unpartitioned, ctx_, counts, cancel));
    if (Converts(batch)) return DeliverConverted(batch, std::move(objects), ctx_, counts, cancel);
    for (const Object& o : objects) {
      SPATE_ASSIGN_OR_RETURN(std::string body, Body(batch, o));
      SPATE_TRY(ctx_.objects->PutObject(o.bucket, o.key, body, cancel));
    }
    for (const Object& o : objects) {
      ++counts->objects;
      counts->records += o.records.size();
      counts->bytes += o.bytes;
    }
    if (count_ && ctx_.metrics) {
      ctx_.metrics->delivered_objects->Add(objects.size());
      ctx_.metrics->delivered_records->Add(counts->records);
      ctx_.metrics->delivered_bytes->Add(counts->bytes);
    }
    return Status::Ok();
  }

  Status Expire(const Batch& batch, const Status& last_error, SinkCounts* counts,
                const std::atomic<bool>* cancel) override {
    if (ctx_.error_output == nullptr) return last_error;  // retried for as long as spated runs
    std::vector<FailedRecord> unpartitioned;
    SPATE_ASSIGN_OR_RETURN(std::vector<Object> objects, Objects(batch, &unpartitioned));
    SinkContext to_error_output = ctx_;
    to_error_output.objects = ctx_.error_output;
    // The records processing failed for go with the rest: the bucket that
    // refused the objects may have refused them too.
    SPATE_TRY(WriteProcessingFailed(batch, unpartitioned, to_error_output, counts, cancel));
    if (Converts(batch) && last_error.code() != ErrorCode::kNotFound &&
        last_error.code() != ErrorCode::kInvalidArgument) {
      // The Parquet objects (and the conversion's error documents) go to the
      // error output as they would have gone to the bucket. When the table
      // itself could not be read (NotFound, InvalidArgument), the records go
      // there as they arrived, below.
      SinkCounts expired;
      SPATE_TRY(DeliverConverted(batch, std::move(objects), to_error_output, &expired, cancel));
      counts->failed += expired.records + expired.failed;
      SPATE_LOG_ERROR("the converted objects of batch " + batch.id + " were written to the error output " +
                      ctx_.error_output->Describe() + " after failing for the retry window");
      return Status::Ok();
    }
    for (const Object& o : objects) {
      SPATE_ASSIGN_OR_RETURN(std::string body, Body(batch, o));
      SPATE_TRY(ctx_.error_output->PutObject(o.bucket, o.key, body, cancel));
      counts->failed += o.records.size();
      SPATE_LOG_ERROR("the object " + o.bucket + "/" + o.key + " (" + std::to_string(o.records.size()) +
                      " records) was written to the error output " + ctx_.error_output->Describe() +
                      " after failing for the retry window");
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "S3 bucket " + d_.bucket + " (" + ctx_.objects->Describe() + ")"; }

 private:
  struct Object {
    std::string bucket;
    std::string key;
    std::vector<size_t> records;  // indexes into Batch::records
    uint64_t bytes = 0;
  };

  bool Converts(const Batch& batch) const {
    return conversion_ != nullptr && batch.plan.GetString("format") == "parquet";
  }

  // Converts each object's records to one Parquet file and puts it through
  // ctx.objects; records that fail conversion go, as AWS's documents, to
  // one object under the error prefix (format-conversion-failed), written
  // first. An object none of whose records converted is not written.
  Status DeliverConverted(const Batch& batch, std::vector<Object> objects, const SinkContext& ctx, SinkCounts* counts,
                          const std::atomic<bool>* cancel) const {
    const int64_t now_ms = ctx.clock != nullptr ? ctx.clock->NowMs() : batch.oldest_ms;
    std::vector<ConvertedObject> converted;
    std::vector<std::string> failed;
    uint64_t failed_bytes = 0;
    for (const Object& o : objects) {
      SPATE_ASSIGN_OR_RETURN(ConvertedObject c, conversion_->Convert(batch, o.records, now_ms));
      failed_bytes += c.failed_bytes;
      for (std::string& doc : c.failed_documents) failed.push_back(std::move(doc));
      c.failed_documents.clear();
      converted.push_back(std::move(c));
    }
    SPATE_TRY(
        WriteErrorObject(d_, ctx, batch.id, batch.oldest_ms, ErrorOutputType::kFormatConversionFailed, failed, cancel));
    for (size_t i = 0; i < objects.size(); ++i) {
      if (converted[i].records == 0) continue;
      SPATE_TRY(ctx.objects->PutObject(objects[i].bucket, objects[i].key, converted[i].parquet, cancel));
    }
    uint64_t records = 0, bytes = 0, written = 0;
    for (const ConvertedObject& c : converted) {
      records += c.records;
      bytes += c.bytes;
      written += c.records > 0 ? 1 : 0;
    }
    counts->objects += written;
    counts->records += records;
    counts->bytes += bytes;
    counts->failed += failed.size();
    if (count_ && ctx_.metrics && ctx.objects == ctx_.objects) {
      ctx_.metrics->delivered_objects->Add(written);
      ctx_.metrics->delivered_records->Add(records);
      ctx_.metrics->delivered_bytes->Add(bytes);
    }
    // The conversion is counted once the batch's objects are written, to the
    // bucket or (after the retry window) to the error output: a batch that
    // is retried converts again but counts once.
    if (count_ && ctx_.metrics) {
      ctx_.metrics->succeed_conversion_records->Add(records);
      ctx_.metrics->succeed_conversion_bytes->Add(bytes);
      ctx_.metrics->failed_conversion_records->Add(failed.size());
      ctx_.metrics->failed_conversion_bytes->Add(failed_bytes);
    }
    return Status::Ok();
  }

  bool PrefixHasPartitionKeys() const {
    return d_.prefix && (d_.prefix->find("!{partitionKeyFrom") != std::string::npos);
  }

  // The objects of a batch: the planned one, or one per partition, at most
  // processing::kMaxActivePartitions; records whose prefix does not evaluate
  // (a partition key missing) or past the cap go to `unpartitioned`, for the
  // error output.
  Result<std::vector<Object>> Objects(const Batch& batch, std::vector<FailedRecord>* unpartitioned) const {
    std::string bucket(batch.plan.GetString("bucket", d_.bucket));
    std::vector<Object> out;
    if (batch.plan.Has("key")) {
      Object o;
      o.bucket = bucket;
      o.key = std::string(batch.plan.GetString("key"));
      for (size_t i = 0; i < batch.records.size(); ++i) {
        o.records.push_back(i);
        o.bytes += batch.records[i].data.size();
      }
      if (!o.records.empty()) out.push_back(std::move(o));
      return out;
    }
    // Dynamic partitioning: one object per distinct evaluated prefix, named
    // after the oldest of its records, with a UUID of the batch and prefix
    // (a replay names the same objects).
    std::optional<std::string> prefix(std::string(batch.plan.GetString("prefix")));
    SPATE_ASSIGN_OR_RETURN(TimeZone zone, TimeZone::Load(batch.plan.GetString("time_zone", "UTC")));
    std::string extension(batch.plan.GetString("extension"));
    std::vector<std::string> prefixes(batch.records.size());
    std::vector<bool> evaluated_ok(batch.records.size(), false);
    for (size_t i = 0; i < batch.records.size(); ++i) {
      const BatchRecord& r = batch.records[i];
      KeyContext kc;
      kc.time_zone = zone;
      kc.epoch_ms = batch.oldest_ms;
      kc.partition_keys_from_query = r.keys_from_query;
      kc.partition_keys_from_lambda = r.keys_from_lambda;
      Result<std::string> evaluated = EvaluatePrefix(prefix, kc);
      if (!evaluated.ok()) {
        unpartitioned->push_back(Unpartitioned(r, processing::kPrefixEvaluationFailed, evaluated.status().message()));
        continue;
      }
      prefixes[i] = std::move(*evaluated);
      evaluated_ok[i] = true;
    }
    // Records whose prefix failed are left out of the grouping.
    std::vector<size_t> index;
    std::vector<std::string> grouped;
    for (size_t i = 0; i < prefixes.size(); ++i) {
      if (!evaluated_ok[i]) continue;
      index.push_back(i);
      grouped.push_back(std::move(prefixes[i]));
    }
    processing::Partitions parts = processing::GroupByPrefix(grouped);
    for (size_t k : parts.overflow) {
      unpartitioned->push_back(Unpartitioned(batch.records[index[k]], processing::kPartitionCountExceeded,
                                             "The number of active partitions exceeded the limit of " +
                                                 std::to_string(processing::kMaxActivePartitions) + "."));
    }
    if (count_ && ctx_.metrics) {
      ctx_.metrics->processing.SetPartitions(parts.prefixes.size(), !parts.overflow.empty());
    }
    for (size_t p = 0; p < parts.prefixes.size(); ++p) {
      const std::string& evaluated = parts.prefixes[p];
      Object o;
      o.bucket = bucket;
      int64_t oldest = std::numeric_limits<int64_t>::max();
      for (size_t k : parts.records[p]) {
        size_t i = index[k];
        o.records.push_back(i);
        o.bytes += batch.records[i].data.size();
        oldest = std::min(oldest, batch.records[i].arrival_ms);
      }
      std::string uuid = NameBasedUuid(kPartitionUuidNamespace, batch.id + "/" + evaluated);
      o.key = evaluated + ObjectName(ctx_.stream_name, batch.plan.GetInt("version_id", ctx_.version_id), oldest, zone,
                                     uuid, extension);
      out.push_back(std::move(o));
    }
    return out;
  }

  Result<std::string> Body(const Batch& batch, const Object& o) const {
    std::string data;
    data.reserve(o.bytes);
    for (size_t i : o.records) data += batch.records[i].data;
    std::string compression_name(batch.plan.GetString("compression", d_.compression));
    std::optional<Compression> compression = ParseCompression(compression_name);
    if (!compression) return InvalidArgument("unknown CompressionFormat " + compression_name);
    // A ZIP archive's one entry is named after the object, less ".zip".
    std::string entry = o.key.substr(o.key.rfind('/') + 1);
    if (entry.size() > 4 && entry.compare(entry.size() - 4, 4, ".zip") == 0) entry.resize(entry.size() - 4);
    return Compress(*compression, data, entry);
  }

  FailedRecord Unpartitioned(const BatchRecord& r, std::string_view code, std::string message) const {
    FailedRecord f;
    f.raw_data = r.data;
    f.arrival_ms = r.arrival_ms;
    f.offset = r.offset;
    f.sub_index = r.sub_index;
    f.attempts = 1;
    f.attempt_ending_ms = ctx_.clock != nullptr ? ctx_.clock->NowMs() : r.arrival_ms;
    f.error_code = std::string(code);
    f.error_message = std::move(message);
    return f;
  }

  // Writes the batch's processing failures through `ctx.objects` (the
  // bucket's store, or the error output).
  Status WriteProcessingFailed(const Batch& batch, const std::vector<FailedRecord>& unpartitioned,
                               const SinkContext& ctx, SinkCounts* counts, const std::atomic<bool>* cancel) const {
    if (batch.processing_failed.empty() && unpartitioned.empty()) return Status::Ok();
    std::vector<std::string> docs;
    docs.reserve(batch.processing_failed.size() + unpartitioned.size());
    for (const FailedRecord& r : batch.processing_failed) docs.push_back(ProcessingFailedDocument(r));
    for (const FailedRecord& r : unpartitioned) docs.push_back(ProcessingFailedDocument(r));
    SPATE_TRY(WriteErrorObject(d_, ctx, batch.id, batch.oldest_ms, ErrorOutputType::kProcessingFailed, docs, cancel));
    counts->failed += docs.size();
    return Status::Ok();
  }

  const S3Destination d_;
  const SinkContext ctx_;
  const bool count_;                                    // counted as DeliveryToS3.* (the destination, not a backup)
  const std::unique_ptr<FormatConversion> conversion_;  // null: records are written as they are
};

Value S3Description(const Value& cfg, bool extended) {
  Value d = Value::MakeObject();
  d.Set("RoleARN", Value::String(std::string(cfg.GetString("RoleARN"))));
  d.Set("BucketARN", Value::String(std::string(cfg.GetString("BucketARN"))));
  if (const Value* p = cfg.Find("Prefix")) d.Set("Prefix", *p);
  if (const Value* p = cfg.Find("ErrorOutputPrefix")) d.Set("ErrorOutputPrefix", *p);
  Value hints = Value::MakeObject();
  const Value* h = cfg.Find("BufferingHints");
  const Value* size = h != nullptr ? h->Find("SizeInMBs") : nullptr;
  const Value* interval = h != nullptr ? h->Find("IntervalInSeconds") : nullptr;
  hints.Set("SizeInMBs", size != nullptr                            ? *size
                         : extended && FormatConversionEnabled(cfg) ? Value::Int(kConversionDefaultBufferMiB)
                                                                    : Value::Int(5));
  hints.Set("IntervalInSeconds", interval != nullptr ? *interval : Value::Int(300));
  d.Set("BufferingHints", std::move(hints));
  d.Set("CompressionFormat", Value::String(std::string(cfg.GetString("CompressionFormat", "UNCOMPRESSED"))));
  if (const Value* e = cfg.Find("EncryptionConfiguration")) {
    d.Set("EncryptionConfiguration", *e);
  } else {
    Value e2 = Value::MakeObject();
    e2.Set("NoEncryptionConfig", Value::String("NoEncryption"));
    d.Set("EncryptionConfiguration", std::move(e2));
  }
  if (const Value* c = cfg.Find("CloudWatchLoggingOptions")) {
    d.Set("CloudWatchLoggingOptions", *c);
  } else {
    Value c2 = Value::MakeObject();
    c2.Set("Enabled", Value::Bool(false));
    d.Set("CloudWatchLoggingOptions", std::move(c2));
  }
  if (!extended) return d;
  for (std::string_view m : {"ProcessingConfiguration", "DataFormatConversionConfiguration",
                             "DynamicPartitioningConfiguration", "FileExtension", "CustomTimeZone"}) {
    if (const Value* v = cfg.Find(m)) d.Set(std::string(m), *v);
  }
  d.Set("S3BackupMode", Value::String(std::string(cfg.GetString("S3BackupMode", "Disabled"))));
  if (const Value* b = cfg.Find("S3BackupConfiguration"); b != nullptr && b->is_object()) {
    d.Set("S3BackupDescription", S3Description(*b, false));
  }
  return d;
}

class S3Kind : public DestinationKind {
 public:
  explicit S3Kind(bool extended) : extended_(extended) {}

  std::string_view Name() const override { return extended_ ? "ExtendedS3" : "S3"; }

  Status Check(const Value& cfg) const override {
    SPATE_TRY(CheckHints(cfg));
    SPATE_ASSIGN_OR_RETURN(S3Destination d, ParseS3Configuration(cfg));
    auto tz = TimeZone::Load(d.time_zone);
    if (!tz.ok()) return InvalidArgument("CustomTimeZone " + d.time_zone + " is not a valid time zone.");
    bool dynamic = Enabled(cfg.Find("DynamicPartitioningConfiguration"));
    SPATE_TRY(ValidatePrefixes(d.prefix, d.error_output_prefix, dynamic));
    // ProcessingConfiguration and DynamicPartitioningConfiguration (members
    // of ExtendedS3 only), checked as AWS does.
    if (extended_) SPATE_TRY(processing::ParseProcessingSpec(cfg).status());
    // What is not built yet is refused, never accepted and ignored.
    if (FormatConversionEnabled(cfg)) {
      if (!extended_) return InvalidArgument("DataFormatConversionConfiguration is only valid for ExtendedS3.");
      SPATE_TRY(CheckFormatConversion(cfg));
    }
    std::string_view mode = cfg.GetString("S3BackupMode", "Disabled");
    const Value* backup = cfg.Find("S3BackupConfiguration");
    if (mode == "Enabled" && (backup == nullptr || !backup->is_object())) {
      return InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled.");
    }
    if (backup != nullptr && backup->is_object()) SPATE_TRY(CheckPlainS3(*backup));
    return Status::Ok();
  }

  Status Update(Value* cfg, const Value& update) const override {
    bool backup_was_enabled = cfg->GetString("S3BackupMode", "Disabled") == "Enabled";
    Value before = *cfg;
    MergeUpdate(cfg, update, {"S3BackupUpdate"});
    if (const Value* b = update.Find("S3BackupUpdate"); b != nullptr && b->is_object()) {
      if (!cfg->Has("S3BackupConfiguration")) cfg->Set("S3BackupConfiguration", Value::MakeObject());
      MergeUpdate(cfg->FindMutable("S3BackupConfiguration"), *b);
    }
    if (backup_was_enabled && cfg->GetString("S3BackupMode", "Disabled") != "Enabled") {
      return InvalidArgument("S3BackupMode cannot be changed from Enabled to Disabled once backup is enabled.");
    }
    if (extended_) SPATE_TRY(processing::CheckProcessingUpdate(before, *cfg));
    return Check(*cfg);
  }

  Value Describe(const Value& cfg) const override {
    Value d = Value::MakeObject();
    d.Set("S3DestinationDescription", S3Description(cfg, false));
    d.Set("ExtendedS3DestinationDescription", S3Description(cfg, true));
    return d;
  }

  Result<std::unique_ptr<Sink>> NewSink(const Value& cfg, const SinkContext& ctx) const override {
    return NewS3Sink(cfg, ctx, /*count=*/true);
  }

  std::optional<Value> SourceBackup(const Value& cfg) const override {
    if (cfg.GetString("S3BackupMode", "Disabled") != "Enabled") return std::nullopt;
    const Value* b = cfg.Find("S3BackupConfiguration");
    if (b == nullptr || !b->is_object()) return std::nullopt;
    return *b;
  }

 private:
  const bool extended_;
};

}  // namespace

Result<std::unique_ptr<Sink>> NewS3Sink(const Value& s3_cfg, const SinkContext& ctx, bool count) {
  SPATE_ASSIGN_OR_RETURN(S3Destination d, ParseS3Configuration(s3_cfg));
  std::unique_ptr<FormatConversion> conversion;
  if (FormatConversionEnabled(s3_cfg)) {
    SPATE_ASSIGN_OR_RETURN(conversion, FormatConversion::Make(*s3_cfg.Find("DataFormatConversionConfiguration"),
                                                              ctx.glue_schema_dir, ctx.stream_arn));
    const Value* h = s3_cfg.Find("BufferingHints");
    if (h == nullptr || !h->is_object() || !h->Has("SizeInMBs")) {
      d.buffer_bytes = static_cast<uint64_t>(kConversionDefaultBufferMiB) << 20;  // AWS's default with conversion
    }
  }
  return std::unique_ptr<Sink>(std::make_unique<S3Sink>(std::move(d), ctx, count, std::move(conversion)));
}

std::unique_ptr<Sink> NewS3Sink(S3Destination s3, const SinkContext& ctx, bool count) {
  return std::make_unique<S3Sink>(std::move(s3), ctx, count);
}

Status CheckS3Configuration(const Value& s3_cfg) { return CheckPlainS3(s3_cfg); }

Value DescribeS3Configuration(const Value& s3_cfg) { return S3Description(s3_cfg, false); }

Status WriteErrorObject(const S3Destination& s3, const SinkContext& ctx, std::string_view batch_id, int64_t oldest_ms,
                        ErrorOutputType type, const std::vector<std::string>& documents,
                        const std::atomic<bool>* cancel) {
  if (documents.empty()) return Status::Ok();
  KeyContext kc;
  SPATE_ASSIGN_OR_RETURN(kc.time_zone, TimeZone::Load(s3.time_zone));
  kc.epoch_ms = oldest_ms;
  kc.error_output_type = type;
  SPATE_ASSIGN_OR_RETURN(std::string prefix, EvaluateErrorOutputPrefix(s3.prefix, s3.error_output_prefix, kc));
  std::string uuid =
      NameBasedUuid(kPartitionUuidNamespace, std::string(batch_id) + "/" + std::string(ErrorOutputTypeName(type)));
  std::string key = prefix + ObjectName(ctx.stream_name, ctx.version_id, oldest_ms, kc.time_zone, uuid, "");
  std::string body;
  for (const std::string& doc : documents) {
    body += doc;
    body += '\n';
  }
  return ctx.objects->PutObject(s3.bucket, key, body, cancel);
}

Status WriteErrorObject(const Value& s3_cfg, const SinkContext& ctx, std::string_view batch_id, int64_t oldest_ms,
                        ErrorOutputType type, const std::vector<std::string>& documents,
                        const std::atomic<bool>* cancel) {
  SPATE_ASSIGN_OR_RETURN(S3Destination s3, ParseS3Configuration(s3_cfg));
  return WriteErrorObject(s3, ctx, batch_id, oldest_ms, type, documents, cancel);
}

const DestinationKind& S3DestinationKind() {
  static const S3Kind kind(/*extended=*/false);
  return kind;
}

const DestinationKind& ExtendedS3DestinationKind() {
  static const S3Kind kind(/*extended=*/true);
  return kind;
}

}  // namespace spate::firehose
