#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "analytics/record_sink.h"
#include "analytics/runner_metrics.h"
#include "analytics/runtime.h"
#include "firehose/record_reader.h"
#include "lambda/invoker.h"
#include "metadata/catalog.h"
#include "metrics/registry.h"
#include "service/kinesis_source.h"
#include "util/clock.h"

namespace spate::analytics {

struct RunnerOptions {
  // Data Streams, read by the inputs; not owned.
  const service::KinesisSource* kinesis = nullptr;
  // Firehose delivery streams, read by delivery-stream inputs; null: such
  // inputs cannot run. Not owned.
  firehose::RecordReader* firehose = nullptr;
  // Where outputs write; not owned.
  RecordSink* sink = nullptr;
  // Runs the Lambda functions of input preprocessing and Lambda outputs
  // (spated --lambda-map / --lambda); null: applications with either
  // cannot run. Not owned.
  const lambda::Invoker* lambda = nullptr;
  // How many times a preprocessing invocation that fails (no answer, a
  // function error) is retried before its records go to error_stream.
  int preprocess_retries = 3;
  // The embedded object store's root (DATA_DIR/s3), where reference data
  // is read from; empty: reference data sources cannot load.
  std::string object_root;
  // How long a runner waits when its input had nothing new.
  int64_t idle_poll_ms = 100;
  // Records read from a shard per read, and at most pending per output
  // before the runner stops reading (back-pressure).
  size_t max_records_per_read = 1000;
  // The first and the largest wait between retries of an output write.
  int64_t min_backoff_ms = 50;
  int64_t max_backoff_ms = 5000;
  // Where the runners' series are exposed (runner_metrics.h); null: not
  // exposed. Not owned.
  metrics::Registry* metrics = nullptr;
};

// The Runtime over the SQL engine (engine.h): one runner thread per running
// application. A runner reads its input (a Kinesis stream's shards, or the
// records entering a Firehose delivery stream), runs each batch through the
// input's Lambda preprocessor if it has one, maps each record to rows by the
// input schema, stamps ROWTIME (non-decreasing), pushes them into the
// compiled Program, advances its time once a second, and writes the rows
// each output's in-application stream emits to the output's destination (a
// stream, a delivery stream, a Lambda function), retrying without end
// (back-pressure: it reads no more until they are written). The input
// positions are checkpointed in the catalog (kPositionNamespace) only after
// everything read before them was written: at-least-once. Thread-safe.
class EngineRuntime final : public Runtime {
 public:
  // Not owned: all must outlive this object.
  EngineRuntime(RunnerOptions options, metadata::Catalog* catalog, util::Clock* clock);
  ~EngineRuntime() override;

  Status Check(const ApplicationMeta& app) override;
  Status Run(const ApplicationMeta& app) override;
  void Halt(const std::string& key) override;
  void Retain(const ApplicationMeta& app) override;
  void Forget(const std::string& instance) override;

  class AppRunner;

 private:
  const RunnerOptions options_;
  metadata::Catalog* const catalog_;
  util::Clock* const clock_;
  mutable RunnerMetrics metrics_;  // thread-safe; runners (const views of this) resolve their series
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<AppRunner>> runners_;  // by ApplicationMeta::Key(); guarded by mu_
  // The delivery stream each application instance holds (a delivery-stream
  // input, running or stopped), released when the instance is deleted or
  // its input changes. Guarded by mu_.
  struct HeldInput {
    iam::Caller owner;
    std::string arn;
  };
  std::map<std::string, HeldInput> held_;
  // Records that `app`'s instance holds its input's delivery stream (if it
  // reads one), releasing a hold on another; mu_ held.
  void TrackHold(const ApplicationMeta& app);
};

}  // namespace spate::analytics
