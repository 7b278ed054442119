#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "iam/caller.h"
#include "metadata/catalog.h"
#include "service/kinesis_source.h"
#include "storage/shard_log.h"

namespace spate::firehose {

struct SourcePollerOptions {
  // AWS's Firehose reads each shard once a second.
  int64_t poll_interval_ms = 1000;
  size_t max_records_per_read = 10000;
};

// Feeds a KinesisStreamAsSource delivery stream: reads its Kinesis stream's
// shards and appends their records to the delivery stream's own log, from
// which the Deliverer delivers as for DirectPut.
//
// Positions: the shards open at the first start are read from LATEST (their
// tip then); a shard that appears later (a reshard's child) from its start;
// a child only once every parent it has is closed and read to its end, so
// records of one partition key keep their order. After each round that
// appended records, the positions go to the catalog (namespace
// "firehose-source", key = the log group). A crash between an append and
// the save re-reads those records: at-least-once, as on AWS.
class SourcePoller {
 public:
  // `log` is the delivery stream's log; `on_append` runs after each durable
  // append (the deliverer's Notify).
  SourcePoller(SourcePollerOptions options, const service::KinesisSource* source, iam::Caller owner,
               std::string stream_arn, std::shared_ptr<storage::ShardLog> log, metadata::Catalog* catalog,
               std::string log_group, std::function<void()> on_append);
  ~SourcePoller();
  SourcePoller(const SourcePoller&) = delete;
  SourcePoller& operator=(const SourcePoller&) = delete;

  Status Start();
  void Stop();

  static constexpr std::string_view kPositionNamespace = "firehose-source";

 private:
  struct Position {
    uint64_t next = 0;
    bool done = false;  // closed and read to its end
  };

  void Run();
  // One pass over the shards; true if records were appended.
  Result<bool> PollOnce();
  Status Append(const std::vector<service::SourceRecord>& records);
  Status Save();

  const SourcePollerOptions options_;
  const service::KinesisSource* const source_;
  const iam::Caller owner_;
  const std::string stream_arn_;
  const std::shared_ptr<storage::ShardLog> log_;
  metadata::Catalog* const catalog_;
  const std::string log_group_;
  const std::function<void()> on_append_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_before_ = false;                // positions were loaded: no LATEST for shards seen first now
  std::map<std::string, Position> positions_;  // by shard id; the thread's
  std::thread thread_;
};

}  // namespace spate::firehose
