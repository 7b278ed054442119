#include "firehose/processing/processing_metrics.h"

namespace spate::firehose::processing {

ProcessingMetricFamilies::ProcessingMetricFamilies(metrics::Registry* r, const std::vector<std::string>& labels) {
  duration_ = r->AddHistogram("spate_firehose_execute_processing_duration_seconds",
                              "ExecuteProcessing.Duration: time of each Lambda (function map) invocation.",
                              metrics::LatencyMicrosBuckets(), labels);
  success_ = r->AddCounter("spate_firehose_execute_processing_success_total",
                           "ExecuteProcessing.Success: invocations that returned a valid response.", labels);
  failure_ = r->AddCounter("spate_firehose_execute_processing_failure_total",
                           "Invocation attempts that failed (function error, timeout, unreachable, invalid response).",
                           labels);
  records_ = r->AddCounter("spate_firehose_succeed_processing_records_total",
                           "SucceedProcessing.Records: records processed successfully.", labels);
  bytes_ = r->AddCounter("spate_firehose_succeed_processing_bytes_total",
                         "SucceedProcessing.Bytes: bytes of records processed successfully.", labels);
  failed_records_ = r->AddCounter("spate_firehose_failed_processing_records_total",
                                  "Records processing failed for, written under processing-failed/.", labels);
  jq_duration_ = r->AddHistogram("spate_firehose_jq_processing_duration_seconds",
                                 "JQProcessing.Duration: time of the jq metadata extraction of one batch.",
                                 metrics::LatencyMicrosBuckets(), labels);
  partition_count_ =
      r->AddGauge("spate_firehose_partition_count",
                  "PartitionCount: partitions (evaluated prefixes) of the last delivered batch.", labels);
  partition_count_exceeded_ =
      r->AddCounter("spate_firehose_partition_count_exceeded_total",
                    "PartitionCountExceeded: batches with more active partitions than the limit.", labels);
}

ProcessingMetrics ProcessingMetricFamilies::ForStream(const metrics::LabelValues& v) {
  ProcessingMetrics m;
  m.execute_processing_duration_us = duration_->Get(v);
  m.execute_processing_success = success_->Get(v);
  m.execute_processing_failure = failure_->Get(v);
  m.succeed_processing_records = records_->Get(v);
  m.succeed_processing_bytes = bytes_->Get(v);
  m.failed_processing_records = failed_records_->Get(v);
  m.jq_processing_duration_us = jq_duration_->Get(v);
  m.partition_count = partition_count_->Get(v);
  m.partition_count_exceeded = partition_count_exceeded_->Get(v);
  return m;
}

void ProcessingMetricFamilies::Remove(const metrics::LabelValues& v) {
  for (metrics::FamilyBase* f :
       std::initializer_list<metrics::FamilyBase*>{duration_, success_, failure_, records_, bytes_, failed_records_,
                                                   jq_duration_, partition_count_, partition_count_exceeded_}) {
    f->Remove(v);
  }
}

}  // namespace spate::firehose::processing
