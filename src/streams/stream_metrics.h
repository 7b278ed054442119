#pragma once

// Data Streams' CloudWatch metrics, in Prometheus form (docs/metrics.md has
// the table: CloudWatch name -> Prometheus name, type, labels).
//
// Every series carries the labels account, region and stream_name (the
// stream's identity: the same name may exist in two accounts or regions),
// plus shard_id for the shard-level metrics and consumer_name for enhanced
// fan-out. Handles are resolved once: StreamMetrics when a stream is
// loaded or created, ShardMetrics whenever its record changes (enhanced
// monitoring, resharding), ConsumerMetrics per subscription; the request
// paths only add to the counters they hold.

#include <map>
#include <memory>
#include <string_view>

#include "metrics/registry.h"
#include "model/types.h"

namespace spate::metadata {
struct StreamMeta;
}  // namespace spate::metadata

namespace spate::streams {

struct StreamRef;

// Stream-level metrics (CloudWatch dimension StreamName); always on, as on
// AWS. Immutable handles; the counters are thread-safe.
struct StreamMetrics {
  // IncomingBytes / IncomingRecords: records acknowledged by PutRecord and
  // PutRecords; bytes are data plus partition key (what the shard quota
  // counts).
  std::shared_ptr<metrics::Counter> incoming_bytes, incoming_records;
  std::shared_ptr<metrics::Counter> put_record_success;
  std::shared_ptr<metrics::Histogram> put_record_latency;  // microseconds
  std::shared_ptr<metrics::Counter> put_records_success, put_records_total_records, put_records_successful_records,
      put_records_failed_records, put_records_throttled_records, put_records_bytes;
  std::shared_ptr<metrics::Histogram> put_records_latency;  // microseconds
  std::shared_ptr<metrics::Counter> get_records_success, get_records_bytes, get_records_records;
  std::shared_ptr<metrics::Histogram> get_records_latency;       // microseconds
  std::shared_ptr<metrics::Histogram> get_records_iterator_age;  // milliseconds
  // Calls (GetRecords) and records (PutRecord/PutRecords) refused for the
  // shard's rate.
  std::shared_ptr<metrics::Counter> read_throttled, write_throttled;
};

// Shard-level metrics of one shard: only those its stream's
// EnableEnhancedMonitoring selected are set, the others are null.
struct ShardMetrics {
  std::shared_ptr<metrics::Counter> incoming_bytes, incoming_records, outgoing_bytes, outgoing_records;
  std::shared_ptr<metrics::Counter> read_throttled, write_throttled;
  // IteratorAgeMilliseconds of the shard's latest GetRecords.
  std::shared_ptr<metrics::Gauge> iterator_age_ms;
};

// Enhanced fan-out metrics of one consumer (dimensions StreamName,
// ConsumerName).
struct ConsumerMetrics {
  std::shared_ptr<metrics::Counter> subscribe_success, event_bytes, event_records;
  std::shared_ptr<metrics::Histogram> event_millis_behind;  // milliseconds
};

using ShardMetricsMap = std::map<model::ShardIndex, std::shared_ptr<const ShardMetrics>>;

// The Data Streams metric families, registered in a metrics::Registry, and
// the handles of their series. Thread-safe.
class StreamsMetrics {
 public:
  // `registry` must outlive this.
  explicit StreamsMetrics(metrics::Registry* registry);

  std::shared_ptr<const StreamMetrics> ForStream(const metadata::StreamMeta& stream);
  // Handles for the stream's shards (open and closed) for the metrics its
  // shard_level_metrics enable; removes the stream's shard series that are
  // no longer enabled or whose shard is gone. Empty when none is enabled.
  ShardMetricsMap ForShards(const metadata::StreamMeta& stream);
  std::shared_ptr<const ConsumerMetrics> ForConsumer(const StreamRef& stream, std::string_view consumer_name);
  // Removes every series of the stream (stream, shard and consumer level).
  void DropStream(const metadata::StreamMeta& stream);

 private:
  template <typename T>
  static std::shared_ptr<T> Get(metrics::Family<T>* f, const metadata::StreamMeta& s);

  // Stream level.
  metrics::Family<metrics::Counter>*incoming_bytes_, *incoming_records_, *put_record_success_, *put_records_success_,
      *put_records_total_records_, *put_records_successful_records_, *put_records_failed_records_,
      *put_records_throttled_records_, *put_records_bytes_, *get_records_success_, *get_records_bytes_,
      *get_records_records_, *read_throttled_, *write_throttled_;
  metrics::Family<metrics::Histogram>*put_record_latency_, *put_records_latency_, *get_records_latency_,
      *get_records_iterator_age_;
  // Shard level.
  metrics::Family<metrics::Counter>*shard_incoming_bytes_, *shard_incoming_records_, *shard_outgoing_bytes_,
      *shard_outgoing_records_, *shard_read_throttled_, *shard_write_throttled_;
  metrics::Family<metrics::Gauge>* shard_iterator_age_;
  // Consumer level.
  metrics::Family<metrics::Counter>*subscribe_success_, *event_bytes_, *event_records_;
  metrics::Family<metrics::Histogram>* event_millis_behind_;
};

}  // namespace spate::streams
