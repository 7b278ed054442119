#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "metadata/catalog.h"
#include "metadata/stream_meta.h"
#include "model/types.h"
#include "storage/log_store.h"
#include "streams/token_codec.h"
#include "util/clock.h"

namespace spate::streams {

// Who is calling: the account and region a request acts in. Streams are
// scoped by both.
struct Caller {
  std::string account = "000000000000";
  std::string region = "us-east-1";
};

// A stream as a request names it: by StreamName (in the caller's account
// and region) or by StreamARN (which carries its own).
struct StreamRef {
  std::string account;
  std::string region;
  std::string name;
};

// Resolves StreamName / StreamARN from a request. Either may be empty.
// kInvalidArgument when both are absent, the ARN is malformed, or they
// disagree.
Result<StreamRef> ResolveStream(const Caller& caller, std::string_view name, std::string_view arn);

std::string StreamArn(const metadata::StreamMeta& meta);

struct RegistryOptions {
  int64_t state_delay_ms = 500;        // CREATING/UPDATING/DELETING last this long
  uint32_t shard_limit = 1000;         // open shards per account and region
  uint32_t on_demand_stream_limit = 50;
  uint32_t on_demand_shard_count = 4;  // shards of a new on-demand stream
  int64_t iterator_ttl_ms = 300'000;
  int64_t retention_check_ms = 1000;   // how often retention is enforced
  // Master keys for StartStreamEncryption (not owned; null: that operation
  // fails with kUnavailable, i.e. InternalFailure).
  storage::KeyStore* key_store = nullptr;
};

// One stream at run time: its catalog record plus its shards' open logs.
// Guarded by the registry's lock: readers hold it shared, writers exclusive.
class Stream {
 public:
  const metadata::StreamMeta& meta() const { return meta_; }
  std::string Arn() const { return StreamArn(meta_); }
  const metadata::ShardMeta* FindShard(model::ShardIndex index) const;
  // The shard's log; null for a shard that does not exist.
  std::shared_ptr<storage::ShardLog> Log(model::ShardIndex index) const;
  // The open shard whose hash-key range holds `hash`; null if none (only
  // while the stream has no shards).
  const metadata::ShardMeta* Route(model::uint128 hash) const;
  uint32_t OpenShardCount() const;

 private:
  friend class Registry;
  void RebuildRoutes();

  metadata::StreamMeta meta_;
  std::map<uint32_t, std::shared_ptr<storage::ShardLog>> logs_;
  std::vector<size_t> routes_;  // positions in meta_.shards of open shards, by range start
};

// One record of a PutRecord / PutRecords call, already validated.
struct PutEntry {
  std::string partition_key;
  std::string data;
  std::optional<model::uint128> explicit_hash_key;
};

// The outcome for one entry, in request order.
struct PutOutcome {
  Status status;  // ok, or the reason this entry failed
  model::ShardIndex shard;
  model::SequenceNumber sequence;
  bool encrypted = false;  // stored encrypted (the stream had EncryptionType KMS)
};

using PutCallback = std::function<void(Result<std::vector<PutOutcome>>)>;

struct GetRecordsOutcome {
  std::vector<storage::StoredRecord> records;
  model::ShardIndex shard;
  std::optional<std::string> next_iterator;  // absent at the end of a closed shard
  int64_t millis_behind_latest = 0;
  // Set at the end of a closed shard: its children.
  std::vector<metadata::ShardMeta> children;
};

// The Data Streams state of one server: every stream, its shards and their
// logs; the life-cycle timers; retention. Thread-safe.
class Registry {
 public:
  Registry(RegistryOptions options, metadata::Catalog* catalog, storage::LogStore* logs, util::Clock* clock);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Loads the catalog, opens every shard log, starts the maintenance thread.
  Status Start();
  void Stop();

  const RegistryOptions& options() const { return options_; }
  util::Clock* clock() const { return clock_; }
  const TokenCodec& tokens() const { return *tokens_; }

  // Runs fn on the stream under the shared lock. kNotFound (AWS's message)
  // if there is no such stream.
  Status WithStream(const StreamRef& ref, const std::function<Status(const Stream&)>& fn) const;
  // Runs fn on a copy of the stream's record under the exclusive lock and,
  // if it returns ok, persists the copy and makes it current.
  Status UpdateStream(const StreamRef& ref, const std::function<Status(metadata::StreamMeta&)>& fn);
  // Runs fn over every stream of an account and region, in name order.
  void ForEachStream(const Caller& caller, const std::function<void(const Stream&)>& fn) const;

  // Creates a stream in CREATING; it becomes ACTIVE after the state delay.
  Status CreateStream(const StreamRef& ref, uint32_t shard_count, metadata::StreamMode mode,
                      std::map<std::string, std::string> tags);
  // Moves a stream to DELETING; it disappears after the state delay.
  Status DeleteStream(const StreamRef& ref);

  // Quotas, for DescribeLimits.
  uint32_t OpenShardCount(const Caller& caller) const;
  uint32_t OnDemandStreamCount(const Caller& caller) const;

  // Appends the entries (routing each to its shard; one batch per shard) and
  // calls done once all are durable or failed. done runs on a storage thread.
  void Put(const StreamRef& ref, std::vector<PutEntry> entries, PutCallback done);

  // A new shard iterator at `offset` of the shard.
  std::string MakeIterator(const Stream& stream, model::ShardIndex shard, uint64_t offset) const;
  // Reads from a shard iterator. kInvalidArgument for a garbage iterator,
  // kExpiredIterator past its lifetime, kNotFound for a vanished shard.
  Result<GetRecordsOutcome> GetRecords(std::string_view iterator, size_t limit) const;

  // Applies due state transitions and retention now (the maintenance thread
  // calls this; tests may too).
  void RunMaintenance();

  // The AWS "Stream X under account Y not found." error.
  static Status StreamNotFound(const StreamRef& ref);

 private:
  static std::string MapKey(std::string_view account, std::string_view region, std::string_view name);
  Status OpenLogs(Stream* stream);
  void MaintenanceLoop();

  const RegistryOptions options_;
  metadata::Catalog* const catalog_;
  storage::LogStore* const logs_;
  util::Clock* const clock_;
  std::unique_ptr<TokenCodec> tokens_;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Stream>> streams_;  // by MapKey; guarded by mu_

  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;  // guarded by maintenance_mu_
  std::thread maintenance_;
  int64_t last_retention_ms_ = 0;  // maintenance thread only
};

}  // namespace spate::streams
