#pragma once

// The series of record processing (CloudWatch's ExecuteProcessing.*,
// SucceedProcessing.*, JQProcessing.Duration, PartitionCount*; docs/metrics.md),
// kept apart from firehose_metrics.h so the destinations' metrics and these
// grow in files of their own. Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "metrics/registry.h"

namespace spate::firehose::processing {

// One delivery stream's handles; every member is non-null once made by
// ProcessingMetricFamilies (a default-constructed one holds nulls, which the
// processor skips).
struct ProcessingMetrics {
  std::shared_ptr<metrics::Histogram> execute_processing_duration_us;  // ExecuteProcessing.Duration, per invocation
  std::shared_ptr<metrics::Counter> execute_processing_success;   // invocations that answered with a valid response
  std::shared_ptr<metrics::Counter> execute_processing_failure;   // invocation attempts that failed
  std::shared_ptr<metrics::Counter> succeed_processing_records;   // SucceedProcessing.Records
  std::shared_ptr<metrics::Counter> succeed_processing_bytes;     // SucceedProcessing.Bytes
  std::shared_ptr<metrics::Counter> failed_processing_records;    // records written as processing-failed
  std::shared_ptr<metrics::Histogram> jq_processing_duration_us;  // JQProcessing.Duration, per batch
  std::shared_ptr<metrics::Gauge> partition_count;                // PartitionCount, of the last batch
  std::shared_ptr<metrics::Counter> partition_count_exceeded;     // PartitionCountExceeded: batches over the cap

  // A batch was cut into `partitions` objects; `exceeded`: some of its
  // records were over the active partition cap.
  void SetPartitions(size_t partitions, bool exceeded) const {
    if (partition_count != nullptr) partition_count->Set(static_cast<int64_t>(partitions));
    if (exceeded && partition_count_exceeded != nullptr) partition_count_exceeded->Add(1);
  }
};

class ProcessingMetricFamilies {
 public:
  // `registry` must outlive this object. `label_names` as FirehoseMetrics'.
  ProcessingMetricFamilies(metrics::Registry* registry, const std::vector<std::string>& label_names);
  ProcessingMetrics ForStream(const metrics::LabelValues& values);
  void Remove(const metrics::LabelValues& values);

 private:
  metrics::Family<metrics::Histogram>* duration_;
  metrics::Family<metrics::Counter>* success_;
  metrics::Family<metrics::Counter>* failure_;
  metrics::Family<metrics::Counter>* records_;
  metrics::Family<metrics::Counter>* bytes_;
  metrics::Family<metrics::Counter>* failed_records_;
  metrics::Family<metrics::Histogram>* jq_duration_;
  metrics::Family<metrics::Gauge>* partition_count_;
  metrics::Family<metrics::Counter>* partition_count_exceeded_;
};

}  // namespace spate::firehose::processing
