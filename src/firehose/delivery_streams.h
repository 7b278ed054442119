#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "firehose/deliverer.h"
#include "firehose/delivery_stream.h"
#include "firehose/destination.h"
#include "firehose/firehose_metrics.h"
#include "firehose/object_store.h"
#include "firehose/record_reader.h"
#include "firehose/source_poller.h"
#include "iam/caller.h"
#include "metadata/catalog.h"
#include "protocol/value.h"
#include "service/kinesis_source.h"
#include "storage/log_store.h"
#include "util/clock.h"

namespace spate::lambda {
class Invoker;
}  // namespace spate::lambda

namespace spate::firehose {

struct FirehoseOptions {
  // How long CREATING, DELETING, ENABLING and DISABLING last (spated
  // --state-delay-ms); 0: the change is immediate.
  int64_t state_delay_ms = 500;
  // Delivery streams per account and region (AWS's default quota).
  size_t max_delivery_streams = 5000;
  // DirectPut quotas per delivery stream, as AWS meters them (spated
  // --limits=aws): beyond them PutRecord and PutRecordBatch answer
  // ServiceUnavailableException "Slow down.".
  bool limits = true;
  DelivererOptions delivery;
  SourcePollerOptions source;
  // Data Streams, for KinesisStreamAsSource delivery streams; null: such
  // delivery streams are refused. Not owned; must outlive DeliveryStreams.
  const service::KinesisSource* kinesis = nullptr;
  // Where the spate_firehose_* families go (GET /metrics); null: nowhere.
  metrics::Registry* metrics = nullptr;
  // Runs data transformation's Lambda functions (SinkContext::lambda); null:
  // none is mapped. Not owned; must outlive DeliveryStreams.
  const lambda::Invoker* lambda = nullptr;
  // Record format conversion's Glue tables: <dir>/<database>/<table>.json
  // (spated --glue-schema-dir); empty: none.
  std::string glue_schema_dir;
};

// Firehose's delivery streams: their definitions (in the catalog), their
// buffers (one log each, in their own LogStore, so that an acknowledged
// record is durable: the same segmented log and group commit as a Kinesis
// shard), and a Deliverer each. Every public method is an operation of the
// Firehose API taking its validated input and answering its output
// document or its error (AWS's type and message). Thread-safe.
class DeliveryStreams final : public RecordReader {
 public:
  using Done = std::function<void(Result<protocol::Value>)>;

  // Not owned; all must outlive this object.
  DeliveryStreams(FirehoseOptions options, metadata::Catalog* catalog, storage::LogStore* logs, ObjectStore* objects,
                  util::Clock* clock);
  ~DeliveryStreams();

  // Loads the delivery streams, reopens their logs, removes the logs of
  // deleted ones and starts delivery and the state machine.
  Status Start();
  // Stops delivery (what is buffered stays in the logs) and the state machine.
  void Stop();

  Result<protocol::Value> CreateDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DeleteDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DescribeDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> ListDeliveryStreams(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> UpdateDestination(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> TagDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> UntagDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> ListTagsForDeliveryStream(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> StartDeliveryStreamEncryption(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> StopDeliveryStreamEncryption(const iam::Caller& caller, const protocol::Value& in);
  // Answer once the records are durable in the stream's log.
  void PutRecord(const iam::Caller& caller, protocol::Value in, Done done);
  void PutRecordBatch(const iam::Caller& caller, protocol::Value in, Done done);

  // RecordReader (record_reader.h, record_reader.cc): other services read
  // the records that enter a delivery stream.
  Result<RecordRange> Range(const iam::Caller& caller, std::string_view arn) const override;
  Result<service::SourceBatch> Read(const iam::Caller& caller, std::string_view arn, std::string_view log_id,
                                    uint64_t from, size_t max_records) const override;
  Status Hold(const iam::Caller& caller, std::string_view arn, const std::string& holder, uint64_t from) override;
  void Release(const iam::Caller& caller, std::string_view arn, const std::string& holder) override;

  // Delivery streams in every account and region (the recovery summary).
  size_t Count() const;
  // Delivery counters of a stream (metrics, tests); kNotFound if absent.
  Result<DeliveryStats> Stats(const iam::Caller& caller, std::string_view name) const;

  // The in-memory state of one delivery stream and its DirectPut quota
  // (stream_state.h, private to src/firehose/).
  struct Stream;
  class RateLimiter;

 private:
  std::shared_ptr<Stream> Find(const iam::Caller& caller, std::string_view name) const;
  // The stream an ARN names, which `caller` must own (RecordReader).
  Result<std::shared_ptr<Stream>> FindByArn(const iam::Caller& caller, std::string_view arn) const;
  Status NotFound(const iam::Caller& caller, std::string_view name) const;
  Status OpenStream(Stream* s);
  // The destination's sink and processor; `metrics` those of the stream.
  Result<DeliveryTarget> TargetOf(const DeliveryStreamMeta& meta,
                                  const std::shared_ptr<DeliveryStreamMetrics>& metrics) const;
  // The S3 backup's target, when the stream's S3BackupMode is Enabled.
  Result<std::optional<DeliveryTarget>> BackupTargetOf(const DeliveryStreamMeta& meta) const;
  SinkContext ContextOf(const DeliveryStreamMeta& meta, std::string deliverer_id) const;
  // Starts the S3 backup's deliverer if the meta enables one (or updates the
  // running one's target).
  Status StartBackup(Stream* s);
  void StopBackup(Stream* s);
  // Writes `next` to the catalog and then makes it the stream's meta.
  Status Commit(Stream* s, DeliveryStreamMeta next);
  void Put(const iam::Caller& caller, std::string_view name, protocol::Value records, bool batch, Done done);
  void RunStateMachine();
  // Start (enable) or Stop DeliveryStreamEncryption of a DirectPut stream.
  Result<protocol::Value> ChangeEncryption(const iam::Caller& caller, std::string_view name, bool enable,
                                           const std::string& key_type, const std::string& key_arn);

  const FirehoseOptions options_;
  metadata::Catalog* const catalog_;
  storage::LogStore* const logs_;
  ObjectStore* const objects_;
  util::Clock* const clock_;
  FirehoseMetrics metrics_;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Stream>> streams_;  // by DeliveryStreamMeta::Key()
  // Keys of delivery streams being created (their catalog record and log
  // are written outside mu_): a second create of the name is refused.
  std::set<std::string> reserving_;

  std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool stopping_ = false;
  std::thread state_thread_;
};

}  // namespace spate::firehose
