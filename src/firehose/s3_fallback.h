#pragma once

// The S3 configuration of a destination that is not S3 (OpenSearch /
// Elasticsearch, HTTP endpoint): where its failed records, the records
// processing failed for and, in the backup-everything modes (AllDocuments,
// AllData), every record go. Shared by those sinks; used from the sink's
// thread only.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "firehose/destination.h"
#include "firehose/object_keys.h"
#include "firehose/sink.h"
#include "protocol/value.h"

namespace spate::firehose {

class S3Fallback {
 public:
  // `s3_cfg`: the destination's S3Configuration (S3DestinationConfiguration
  // shape). `backup_all`: every delivered record is also written to it, as
  // an object named as an S3 destination names its objects.
  static Result<std::unique_ptr<S3Fallback>> Make(const protocol::Value& s3_cfg, const SinkContext& ctx,
                                                  bool backup_all);

  // What the backup needs kept with a pending batch (its object key); an
  // empty object without backup_all.
  Result<protocol::Value> Plan(const Batch& batch);

  // batch.processing_failed as AWS's processing-failed documents under the
  // error prefix; nothing when there are none.
  Status WriteProcessingFailed(const Batch& batch, const std::atomic<bool>* cancel);
  // `documents` (JSON, one per line) under the error prefix with `type`
  // (AmazonOpenSearchService-failed, http-endpoint-failed); nothing when empty.
  Status WriteFailed(const Batch& batch, ErrorOutputType type, const std::vector<std::string>& documents,
                     const std::atomic<bool>* cancel);
  // The same to the local error output (SinkContext::error_output), for
  // records AWS would drop without writing them anywhere; Ok and nothing
  // written when there is no error output.
  Status WriteLocal(const Batch& batch, ErrorOutputType type, const std::vector<std::string>& documents,
                    const std::atomic<bool>* cancel);
  // With backup_all, batch.records to the S3 configuration, under the key
  // `plan` (what Plan answered for the batch: a replay rewrites the same
  // object); nothing otherwise.
  Status BackupAll(const Batch& batch, const protocol::Value& plan, const std::atomic<bool>* cancel);

  bool backup_all() const { return backup_ != nullptr; }

 private:
  S3Fallback(protocol::Value s3_cfg, SinkContext ctx) : s3_cfg_(std::move(s3_cfg)), ctx_(std::move(ctx)) {}

  const protocol::Value s3_cfg_;
  const SinkContext ctx_;
  std::unique_ptr<Sink> backup_;  // the S3 sink of s3_cfg_, with backup_all
};

}  // namespace spate::firehose
