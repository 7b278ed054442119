#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analytics/application.h"
#include "analytics/runtime.h"
#include "base/status.h"
#include "firehose/record_reader.h"
#include "iam/caller.h"
#include "lambda/invoker.h"
#include "metadata/catalog.h"
#include "protocol/value.h"
#include "service/kinesis_source.h"
#include "util/clock.h"

namespace spate::analytics {

struct AnalyticsOptions {
  // How long STARTING, STOPPING, UPDATING and DELETING last (spated
  // --state-delay-ms); 0: the change is immediate.
  int64_t state_delay_ms = 500;
  // Applications per account and region (AWS's quota: 50).
  size_t max_applications = 50;
  // Data Streams, for DiscoverInputSchema on a stream; null: refused. Not
  // owned; must outlive Applications.
  const service::KinesisSource* kinesis = nullptr;
  // Firehose delivery streams, for StartApplication's check of a
  // delivery-stream input and DiscoverInputSchema on one; null: refused.
  // Not owned.
  const firehose::RecordReader* firehose = nullptr;
  // Runs DiscoverInputSchema's InputProcessingConfiguration function; null:
  // refused. Not owned.
  const lambda::Invoker* lambda = nullptr;
  // The embedded object store's root (DATA_DIR/s3: a directory per
  // bucket), for DiscoverInputSchema's S3Configuration; empty: refused.
  std::string object_root;
};

// Kinesis Data Analytics (SQL) applications of every account and region:
// their definitions (in the catalog), their life cycle (READY, STARTING,
// RUNNING, UPDATING, STOPPING, DELETING) and, through a Runtime, their
// runners. Every public operation takes its validated input (the model's
// shape) and answers its output document or AWS's error. Thread-safe.
class Applications {
 public:
  // Not owned; all must outlive this object. `runtime` may be null (a
  // server built without the SQL engine): StartApplication is then refused
  // and code is not checked.
  Applications(AnalyticsOptions options, metadata::Catalog* catalog, Runtime* runtime, util::Clock* clock);
  ~Applications();

  // Loads the applications, resumes those that were running and starts the
  // state machine.
  Status Start();
  // Stops the state machine and every runner (positions stay checkpointed).
  void Stop();

  Result<protocol::Value> CreateApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DeleteApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DescribeApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> ListApplications(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> UpdateApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> StartApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> StopApplication(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> AddApplicationInput(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> AddApplicationInputProcessingConfiguration(const iam::Caller& caller,
                                                                     const protocol::Value& in);
  Result<protocol::Value> DeleteApplicationInputProcessingConfiguration(const iam::Caller& caller,
                                                                        const protocol::Value& in);
  Result<protocol::Value> AddApplicationOutput(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DeleteApplicationOutput(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> AddApplicationReferenceDataSource(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DeleteApplicationReferenceDataSource(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> AddApplicationCloudWatchLoggingOption(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DeleteApplicationCloudWatchLoggingOption(const iam::Caller& caller,
                                                                   const protocol::Value& in);
  Result<protocol::Value> TagResource(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> UntagResource(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> ListTagsForResource(const iam::Caller& caller, const protocol::Value& in);
  Result<protocol::Value> DiscoverInputSchema(const iam::Caller& caller, const protocol::Value& in);

 private:
  // A change to one application's configuration, applied to a copy of its
  // meta under mu_ after the version check.
  using Change = std::function<Status(ApplicationMeta&)>;
  // The shared path of the versioned configuration calls: finds the
  // application, checks its status and CurrentApplicationVersionId, applies
  // `change`, bumps the version, checks the code, commits, and restarts the
  // runner of a running application.
  Result<protocol::Value> Modify(const iam::Caller& caller, const protocol::Value& in, const Change& change,
                                 bool updating);
  ApplicationMeta* Find(const iam::Caller& caller, std::string_view name);
  Result<ApplicationMeta*> FindByArn(const iam::Caller& caller, std::string_view arn);
  // Writes `next` to the catalog and then makes it the application's meta.
  Status Commit(ApplicationMeta next);
  // The state machine's thread: AdvanceStates every few milliseconds.
  void RunStateMachine();
  // Moves every transitional status that has lasted the state delay on
  // (STARTING and UPDATING -> RUNNING once the runner took the configuration,
  // STOPPING -> READY once it stopped, DELETING -> gone) and restarts the
  // runners of running applications whose configuration changed. The
  // runners are started and stopped without holding mu_.
  void AdvanceStates();
  // A record DiscoverInputSchema samples.
  struct Sample {
    std::string data;
    int64_t arrival_ms = 0;
    std::string shard_id;  // a Kinesis stream's; else empty
    std::string partition_key;
    std::string sequence_number;
  };
  // DiscoverInputSchema's sampling of a Kinesis stream (all its shards).
  Status SampleStream(const iam::Caller& caller, std::string_view resource, const std::string& position,
                      std::vector<Sample>* records) const;
  // Runs discovery's samples through the InputProcessingConfiguration's
  // function: the records it answers Ok. kInvalidArgument if it cannot run.
  Result<std::vector<std::string>> PreprocessSamples(const std::string& function, std::string_view stream_arn,
                                                     const std::vector<Sample>& records) const;

  const AnalyticsOptions options_;
  metadata::Catalog* const catalog_;
  Runtime* const runtime_;
  util::Clock* const clock_;

  std::mutex mu_;
  std::map<std::string, ApplicationMeta> apps_;  // by ApplicationMeta::Key(); guarded by mu_
  // Running applications whose configuration changed; their runners restart
  // on the state machine's next pass. Guarded by mu_.
  std::set<std::string> restart_pending_;

  std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool stopping_ = false;  // guarded by state_mu_
  std::thread state_thread_;
};

}  // namespace spate::analytics
