#pragma once

// The series of the Analytics runners on GET /metrics (docs/metrics.md):
// per application, its input's records and bytes read and how far behind
// the stream's latest record it is (CloudWatch's AWS/KinesisAnalytics
// Records, Bytes and MillisBehindLatest with Flow=Input), each output's
// records and bytes written and failed write attempts (Flow=Output), and
// the rows sent to error_stream.

#include <memory>
#include <string>

#include "metrics/registry.h"

namespace spate::analytics {

// One running application's handles, resolved when its runner starts.
// Every member is non-null.
struct ApplicationMetrics {
  std::shared_ptr<metrics::Counter> input_records;
  std::shared_ptr<metrics::Counter> input_bytes;
  // The largest, over the input's shards, of now minus the arrival time of
  // the last record read when more records follow it; 0 when caught up.
  std::shared_ptr<metrics::Gauge> millis_behind_latest;
  std::shared_ptr<metrics::Counter> error_rows;
};

struct OutputMetrics {
  std::shared_ptr<metrics::Counter> records;
  std::shared_ptr<metrics::Counter> bytes;
  std::shared_ptr<metrics::Counter> failed_attempts;
};

// The families, labelled account, region, application_name (and id, the
// input's or output's id). Thread-safe.
class RunnerMetrics {
 public:
  // `registry` null: handles are still made (and counted) but not exposed.
  explicit RunnerMetrics(metrics::Registry* registry);

  std::shared_ptr<ApplicationMetrics> ForApplication(const std::string& account, const std::string& region,
                                                     const std::string& name, const std::string& input_id);
  std::shared_ptr<OutputMetrics> ForOutput(const std::string& account, const std::string& region,
                                           const std::string& name, const std::string& output_id);
  // Removes a stopped application's series.
  void Remove(const std::string& account, const std::string& region, const std::string& name);

 private:
  metrics::Registry own_;  // when no registry is given
  metrics::Family<metrics::Counter>* input_records_;
  metrics::Family<metrics::Counter>* input_bytes_;
  metrics::Family<metrics::Gauge>* millis_behind_;
  metrics::Family<metrics::Counter>* error_rows_;
  metrics::Family<metrics::Counter>* output_records_;
  metrics::Family<metrics::Counter>* output_bytes_;
  metrics::Family<metrics::Counter>* output_failed_;
};

}  // namespace spate::analytics
