#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "firehose/processing/processing_metrics.h"
#include "metrics/registry.h"

namespace spate::firehose {

// The series of one delivery stream (CloudWatch's AWS/Firehose metrics,
// docs/metrics.md); handles resolved once when the stream is opened. Every
// member is non-null.
struct DeliveryStreamMetrics {
  std::shared_ptr<metrics::Counter> incoming_bytes;
  std::shared_ptr<metrics::Counter> incoming_records;
  std::shared_ptr<metrics::Counter> incoming_put_requests;
  std::shared_ptr<metrics::Counter> throttled_records;
  std::shared_ptr<metrics::Counter> delivered_records;
  std::shared_ptr<metrics::Counter> delivered_bytes;
  std::shared_ptr<metrics::Counter> delivered_objects;
  std::shared_ptr<metrics::Counter> failed_attempts;
  // Records written to the error output after the retry window.
  std::shared_ptr<metrics::Counter> expired_records;
  // Records another service's hold (an Analytics application's input) kept
  // past LogTrimmer::kMaxHoldAgeMs and then let go.
  std::shared_ptr<metrics::Counter> hold_expired_records;
  // DeliveryToS3.DataFreshness: age in seconds of the oldest record not yet
  // delivered (0 when everything is delivered).
  std::shared_ptr<metrics::Gauge> data_freshness_seconds;
  // DeliveryToRedshift.*: rows COPYed, their bytes (before compression),
  // COPY transactions committed, and COPY attempts that failed (retried).
  // Success = copies / (copies + failed copies).
  std::shared_ptr<metrics::Counter> redshift_records;
  std::shared_ptr<metrics::Counter> redshift_bytes;
  std::shared_ptr<metrics::Counter> redshift_copies;
  std::shared_ptr<metrics::Counter> redshift_failed_copies;
  // DeliveryToAmazonOpenSearchService.{Records,Bytes,Success}: documents
  // indexed, their bytes, _bulk requests answered 200; and documents written
  // to the S3 backup as failed.
  std::shared_ptr<metrics::Counter> opensearch_records;
  std::shared_ptr<metrics::Counter> opensearch_bytes;
  std::shared_ptr<metrics::Counter> opensearch_success;
  std::shared_ptr<metrics::Counter> opensearch_failed_records;
  // DeliveryToHttpEndpoint.{Records,Bytes,Success}: records acknowledged,
  // their bytes, requests answered 200 with their requestId; and records
  // written to the S3 backup (or the error output, after a 413) as failed.
  std::shared_ptr<metrics::Counter> http_endpoint_records;
  std::shared_ptr<metrics::Counter> http_endpoint_bytes;
  std::shared_ptr<metrics::Counter> http_endpoint_success;
  std::shared_ptr<metrics::Counter> http_endpoint_failed_records;
  // {Succeed,Failed}Conversion.{Records,Bytes}: records of an ExtendedS3
  // destination's record format conversion (JSON -> Parquet) that converted,
  // and that failed to (written as format-conversion-failed documents), with
  // their bytes of JSON; counted once per delivered object.
  std::shared_ptr<metrics::Counter> succeed_conversion_records;
  std::shared_ptr<metrics::Counter> succeed_conversion_bytes;
  std::shared_ptr<metrics::Counter> failed_conversion_records;
  std::shared_ptr<metrics::Counter> failed_conversion_bytes;
  // ExecuteProcessing.*, SucceedProcessing.*, JQProcessing.Duration, PartitionCount*.
  processing::ProcessingMetrics processing;
};

// Firehose's metric families, labelled account, region, delivery_stream_name.
// Thread-safe.
class FirehoseMetrics {
 public:
  // `registry` null: handles are still made (and counted) but not exposed.
  explicit FirehoseMetrics(metrics::Registry* registry);

  std::shared_ptr<DeliveryStreamMetrics> ForStream(const std::string& account, const std::string& region,
                                                   const std::string& name);
  // Removes a deleted delivery stream's series.
  void Remove(const std::string& account, const std::string& region, const std::string& name);

 private:
  metrics::Registry own_;  // when no registry is given
  metrics::Family<metrics::Counter>* incoming_bytes_;
  metrics::Family<metrics::Counter>* incoming_records_;
  metrics::Family<metrics::Counter>* incoming_put_requests_;
  metrics::Family<metrics::Counter>* throttled_records_;
  metrics::Family<metrics::Counter>* delivered_records_;
  metrics::Family<metrics::Counter>* delivered_bytes_;
  metrics::Family<metrics::Counter>* delivered_objects_;
  metrics::Family<metrics::Counter>* failed_attempts_;
  metrics::Family<metrics::Counter>* expired_records_;
  metrics::Family<metrics::Counter>* hold_expired_records_;
  metrics::Family<metrics::Gauge>* data_freshness_;
  metrics::Family<metrics::Counter>* redshift_records_;
  metrics::Family<metrics::Counter>* redshift_bytes_;
  metrics::Family<metrics::Counter>* redshift_copies_;
  metrics::Family<metrics::Counter>* redshift_failed_copies_;
  metrics::Family<metrics::Counter>* opensearch_records_;
  metrics::Family<metrics::Counter>* opensearch_bytes_;
  metrics::Family<metrics::Counter>* opensearch_success_;
  metrics::Family<metrics::Counter>* opensearch_failed_records_;
  metrics::Family<metrics::Counter>* http_endpoint_records_;
  metrics::Family<metrics::Counter>* http_endpoint_bytes_;
  metrics::Family<metrics::Counter>* http_endpoint_success_;
  metrics::Family<metrics::Counter>* http_endpoint_failed_records_;
  metrics::Family<metrics::Counter>* succeed_conversion_records_;
  metrics::Family<metrics::Counter>* succeed_conversion_bytes_;
  metrics::Family<metrics::Counter>* failed_conversion_records_;
  metrics::Family<metrics::Counter>* failed_conversion_bytes_;
  std::unique_ptr<processing::ProcessingMetricFamilies> processing_;
};

}  // namespace spate::firehose
