#include "firehose/s3_fallback.h"

#include <utility>

namespace spate::firehose {

using protocol::Value;

Result<std::unique_ptr<S3Fallback>> S3Fallback::Make(const Value& s3_cfg, const SinkContext& ctx, bool backup_all) {
  std::unique_ptr<S3Fallback> f(new S3Fallback(s3_cfg, ctx));
  if (backup_all) {
    SPATE_ASSIGN_OR_RETURN(f->backup_, NewS3Sink(s3_cfg, ctx, /*count=*/false));
  }
  return f;
}

Result<Value> S3Fallback::Plan(const Batch& batch) {
  if (backup_ == nullptr) return Value::MakeObject();
  return backup_->Plan(batch);
}

Status S3Fallback::WriteProcessingFailed(const Batch& batch, const std::atomic<bool>* cancel) {
  if (batch.processing_failed.empty()) return Status::Ok();
  std::vector<std::string> docs;
  docs.reserve(batch.processing_failed.size());
  for (const FailedRecord& r : batch.processing_failed) docs.push_back(ProcessingFailedDocument(r));
  return WriteErrorObject(s3_cfg_, ctx_, batch.id, batch.oldest_ms, ErrorOutputType::kProcessingFailed, docs, cancel);
}

Status S3Fallback::WriteFailed(const Batch& batch, ErrorOutputType type, const std::vector<std::string>& documents,
                               const std::atomic<bool>* cancel) {
  if (documents.empty()) return Status::Ok();
  return WriteErrorObject(s3_cfg_, ctx_, batch.id, batch.oldest_ms, type, documents, cancel);
}

Status S3Fallback::WriteLocal(const Batch& batch, ErrorOutputType type, const std::vector<std::string>& documents,
                              const std::atomic<bool>* cancel) {
  if (documents.empty() || ctx_.error_output == nullptr) return Status::Ok();
  SinkContext local = ctx_;
  local.objects = ctx_.error_output;
  return WriteErrorObject(s3_cfg_, local, batch.id, batch.oldest_ms, type, documents, cancel);
}

Status S3Fallback::BackupAll(const Batch& batch, const Value& plan, const std::atomic<bool>* cancel) {
  if (backup_ == nullptr) return Status::Ok();
  // The backup holds the delivered records; what processing failed went to
  // the error prefix once already (WriteProcessingFailed).
  Batch copy;
  copy.id = batch.id;
  copy.first = batch.first;
  copy.end = batch.end;
  copy.oldest_ms = batch.oldest_ms;
  copy.plan = plan;
  copy.records = batch.records;
  SinkCounts ignored;  // the destination's counts are the sink's own
  return backup_->Deliver(copy, &ignored, cancel);
}

}  // namespace spate::firehose
