#pragma once

// The kinds of destination a delivery stream can have. Each kind lives in a
// file of its own (s3_destination.cc, redshift_destination.cc, ...) and is
// listed once in destination.cc; the control plane and the delivery streams
// only go through this interface.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "firehose/delivery_stream.h"
#include "firehose/firehose_metrics.h"
#include "firehose/object_keys.h"
#include "firehose/object_store.h"
#include "firehose/sink.h"
#include "protocol/value.h"

namespace spate::metadata {
class Catalog;
}  // namespace spate::metadata

namespace spate::util {
class Clock;
}  // namespace spate::util

namespace spate::lambda {
class Invoker;
}  // namespace spate::lambda

namespace spate::firehose {

// What a sink may use. Pointers are not owned and outlive every sink.
struct SinkContext {
  std::string stream_name;
  std::string stream_arn;
  int64_t version_id = 1;
  // The deliverer's id (the log group, or "<log group>/backup"): keys
  // anything a sink keeps durably (the PostgreSQL progress table's rows).
  std::string deliverer_id;
  // The object store of S3 configurations (an S3-compatible server, or the
  // local directory by default).
  ObjectStore* objects = nullptr;
  // Where what failed for a whole retry window goes when AWS would drop it
  // (a directory under the data directory); may be null (retry forever).
  ObjectStore* error_output = nullptr;
  // S3's retry window (24 h; spated --delivery-retry-window-ms).
  int64_t s3_retry_window_ms = 24LL * 3600 * 1000;
  util::Clock* clock = nullptr;
  metadata::Catalog* catalog = nullptr;
  // Where record format conversion finds its Glue tables'
  // files, <dir>/<database>/<table>.json (spated --glue-schema-dir); empty:
  // none (a converting delivery fails and is retried).
  std::string glue_schema_dir;
  std::shared_ptr<DeliveryStreamMetrics> metrics;  // may be null
  // Runs the Lambda functions of data transformation (spated's --lambda-map);
  // may be null (no function is mapped).
  const lambda::Invoker* lambda = nullptr;
};

// One kind of destination, named by its members of the API:
// <Name>DestinationConfiguration in CreateDeliveryStream,
// <Name>DestinationUpdate in UpdateDestination and
// <Name>DestinationDescription in DescribeDeliveryStream.
class DestinationKind {
 public:
  virtual ~DestinationKind() = default;

  // "ExtendedS3", "S3", "Redshift", "AmazonopensearchService", "Elasticsearch", "HttpEndpoint".
  virtual std::string_view Name() const = 0;

  // kInvalidArgument with AWS's message for a configuration AWS refuses
  // (beyond the service model's checks, which the front door has made);
  // a feature not built is refused too, never accepted and ignored.
  virtual Status Check(const protocol::Value& cfg) const = 0;

  // Merges an UpdateDestination's <Name>DestinationUpdate into the
  // configuration as AWS does (members given replace the configured ones;
  // BufferingHints member by member), then Check()s the result. `cfg`
  // holds the configuration before the update on entry, for rules such as
  // "S3BackupMode cannot be changed from Enabled to Disabled".
  virtual Status Update(protocol::Value* cfg, const protocol::Value& update) const;

  // DescribeDeliveryStream's Destinations[0] members for this configuration
  // (besides DestinationId): {"<Name>DestinationDescription": {...}} and,
  // where AWS adds it, "S3DestinationDescription".
  virtual protocol::Value Describe(const protocol::Value& cfg) const = 0;

  // The sink delivering to the destination.
  virtual Result<std::unique_ptr<Sink>> NewSink(const protocol::Value& cfg, const SinkContext& ctx) const = 0;

  // The processing of records before the sink (ProcessingConfiguration and
  // dynamic partitioning); null when the records go as they arrived.
  virtual Result<std::unique_ptr<Processor>> NewProcessor(const protocol::Value& cfg, const SinkContext& ctx) const;

  // The S3 backup of source records as they arrived, read from the log by a
  // deliverer of its own (ExtendedS3 and Redshift S3BackupMode Enabled):
  // the S3 configuration it writes with (S3DestinationConfiguration shape),
  // or nullopt when there is none. Backups that hold records the destination
  // failed or all delivered records (OpenSearch, HTTP endpoint) are the
  // sink's own business.
  virtual std::optional<protocol::Value> SourceBackup(const protocol::Value& cfg) const;
};

// The kind whose configuration member is `member`
// ("RedshiftDestinationConfiguration"), or null for one Spate does not
// deliver to.
const DestinationKind* FindDestinationKind(std::string_view configuration_member);
// The kind configured by a stored destination document
// ({"<Name>DestinationConfiguration": {...}}), or null.
const DestinationKind* DestinationKindOf(const protocol::Value& destination);

// The kinds, one per file.
const DestinationKind& S3DestinationKind();          // S3DestinationConfiguration
const DestinationKind& ExtendedS3DestinationKind();  // ExtendedS3DestinationConfiguration
const DestinationKind& RedshiftDestinationKind();    // RedshiftDestinationConfiguration
// AmazonopensearchserviceDestinationConfiguration, ElasticsearchDestinationConfiguration,
// AmazonOpenSearchServerlessDestinationConfiguration (opensearch_destination.cc).
const DestinationKind& AmazonopensearchserviceDestinationKind();
const DestinationKind& ElasticsearchDestinationKind();
const DestinationKind& AmazonOpenSearchServerlessDestinationKind();
const DestinationKind& HttpEndpointDestinationKind();  // HttpEndpointDestinationConfiguration

// The S3 sink of an S3 configuration (S3DestinationConfiguration shape, or
// the extended one): what other kinds use for their S3 backup of source
// records. `count`: its deliveries are counted as DeliveryToS3.* (the
// destination's own, not a backup's).
Result<std::unique_ptr<Sink>> NewS3Sink(const protocol::Value& s3_cfg, const SinkContext& ctx, bool count = false);
std::unique_ptr<Sink> NewS3Sink(S3Destination s3, const SinkContext& ctx, bool count = false);
// The checks of an S3 configuration used as a backup or staging area (the
// S3Configuration of the other kinds): bucket ARN, hints, prefixes.
Status CheckS3Configuration(const protocol::Value& s3_cfg);
// Its S3DestinationDescription, with AWS's defaults.
protocol::Value DescribeS3Configuration(const protocol::Value& s3_cfg);

// Shared by the kinds: merges `update` into `cfg`, member by member,
// BufferingHints member by member, skipping the members in `skip`.
void MergeUpdate(protocol::Value* cfg, const protocol::Value& update, const std::vector<std::string_view>& skip = {});

// Writes failed records as AWS's error documents, one JSON object per line,
// to one object under the error prefix of an S3 configuration (its
// ErrorOutputPrefix, or Prefix + <type>/ + yyyy/MM/dd/HH/ when unset),
// named like a delivered object with a UUID derived from `batch_id` and
// `type` (a replay rewrites the same object). `documents` are the JSON
// documents, serialized. Errors: the store's (retried by the caller).
Status WriteErrorObject(const protocol::Value& s3_cfg, const SinkContext& ctx, std::string_view batch_id,
                        int64_t oldest_ms, ErrorOutputType type, const std::vector<std::string>& documents,
                        const std::atomic<bool>* cancel);
Status WriteErrorObject(const S3Destination& s3, const SinkContext& ctx, std::string_view batch_id, int64_t oldest_ms,
                        ErrorOutputType type, const std::vector<std::string>& documents,
                        const std::atomic<bool>* cancel);

// AWS's processing-failed document of a FailedRecord (one line of JSON).
std::string ProcessingFailedDocument(const FailedRecord& r);

}  // namespace spate::firehose
