#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dedup/shard_dedup.h"
#include "metadata/account_settings.h"
#include "metadata/stream_meta.h"
#include "model/types.h"
#include "streams/maintenance.h"
#include "streams/replicator.h"
#include "streams/stream_errors.h"
#include "streams/stream_handle.h"
#include "streams/stream_metrics.h"
#include "streams/stream_ref.h"
#include "streams/throughput.h"
#include "streams/write_gate.h"
#include "util/clock.h"

// Kept to declarations so that the handlers, which include this header, do
// not depend on the storage or catalog headers.
namespace spate::metadata {
class Catalog;
}  // namespace spate::metadata
namespace spate::storage {
class KeyStore;
class LogStore;
class ShardLog;
}  // namespace spate::storage

namespace spate::streams {

class Resharder;
class TokenCodec;
struct GetRecordsOutcome;  // streams/read_outcome.h

// A shard's write capacity, MiB/s (as AWS's): what an on-demand stream's
// warm throughput is counted in.
inline constexpr int64_t kOnDemandShardWriteMiBps = 1;
// The largest warm throughput AWS lets an on-demand stream ask for (10 GiB/s).
inline constexpr int64_t kMaxWarmThroughputMiBps = 10240;

struct RegistryOptions {
  int64_t state_delay_ms = 500;  // CREATING/UPDATING/DELETING last this long
  uint32_t shard_limit = 1000;   // open shards per account and region
  uint32_t on_demand_stream_limit = 50;
  uint32_t on_demand_shard_count = 4;  // shards of a new on-demand stream
  int64_t iterator_ttl_ms = 300'000;
  int64_t retention_check_ms = 1000;  // how often retention is enforced
  ThroughputOptions throughput;       // per-shard and control-plane limits
  std::vector<FaultRule> faults;      // injected failures (--inject-fault)
  // On-demand scaling: a shard of an ON_DEMAND stream whose offered writes
  // stayed above its write capacity (1 MiB/s or 1,000 records/s) for this
  // long is split at the middle of its hash-key range.
  int64_t on_demand_scale_after_ms = 60'000;
  // Master keys for StartStreamEncryption (not owned; null: that operation
  // fails with kUnavailable, i.e. InternalFailure).
  storage::KeyStore* key_store = nullptr;
  // Where the Data Streams metrics are registered (stream_metrics.h). Not
  // owned; must outlive the registry. Null: a private metrics::Registry
  // that nobody scrapes.
  metrics::Registry* metrics = nullptr;
  // Cluster mode's say on every append (write_gate.h). Not owned; must
  // outlive the registry. Null: a single node, every append admitted.
  const WriteGate* write_gate = nullptr;
  // Cluster mode: whether this node runs the stream catalog now (its
  // owner). Null: always (a single node). Another node only mirrors the
  // owner's records (ApplyReplicated) and its maintenance pass enforces
  // retention only: life-cycle transitions, consumers and on-demand
  // scaling are the owner's, which publishes them.
  std::function<bool()> owns_catalog;
  // Exactly-once appends (docs/exactly-once.md): the bound of each shard's
  // table of stamped requests, and which of a shard's last records are
  // scanned for control records when the table is first used after a start:
  // those that arrived within dedup_recovery_ms before the shard's last
  // record, at most dedup_recovery_records of them.
  dedup::DedupLimits dedup_limits;
  uint64_t dedup_recovery_records = 262'144;
  int64_t dedup_recovery_ms = 10 * 60 * 1000;
  // Cluster mode's replication of each durable batch to the shard's other
  // replicas before it is acknowledged (replicator.h). Not owned; must
  // outlive the registry. Null: a single node, acknowledged once local.
  Replicator* replicator = nullptr;
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
  // What the stream counts against the account's shard quota: its open
  // shards, or as many as its pending reshard will leave open if more (a
  // split's child counts from the request on, a merge frees a shard only
  // once applied).
  uint32_t QuotaShardCount() const;
  // The shard's throughput meters; null for a shard that does not exist.
  std::shared_ptr<ShardThroughput> Meter(model::ShardIndex index) const;
  // The stream's metrics; set before the stream is published, then
  // immutable (so it may be read without the lock through a StreamHandle).
  const std::shared_ptr<const StreamMetrics>& metrics() const { return metrics_; }
  // The shard's enabled shard-level metrics (EnableEnhancedMonitoring);
  // null when none is enabled for the stream.
  std::shared_ptr<const ShardMetrics> ShardMetricsFor(model::ShardIndex index) const {
    if (shard_metrics_.empty()) return nullptr;
    auto it = shard_metrics_.find(index);
    return it == shard_metrics_.end() ? nullptr : it->second;
  }

 private:
  friend class Registry;
  void RebuildRoutes();

  metadata::StreamMeta meta_;
  std::map<model::ShardIndex, std::shared_ptr<storage::ShardLog>> logs_;
  std::vector<size_t> routes_;  // positions in meta_.shards of open shards, by range start
  std::map<model::ShardIndex, std::shared_ptr<ShardThroughput>> meters_;  // one per shard of logs_
  bool removed_ = false;  // no longer in the registry (deleted); set under the exclusive lock
  std::shared_ptr<const StreamMetrics> metrics_;
  ShardMetricsMap shard_metrics_;  // rebuilt by OpenLogs after every change of meta_
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
  uint64_t bytes = 0;      // the entry's data plus partition key
};

using PutCallback = std::function<void(Result<std::vector<PutOutcome>>)>;

// Told that records of a shard became durable (the stream instance is named
// by its storage group). Runs on a storage writer thread: must be short and
// must not call back into the registry (the fan-out hub only wakes itself).
using AppendObserver = std::function<void(const std::string& storage_group, model::ShardIndex shard)>;

// The Data Streams state of one server: every stream, its shards and their
// logs; the life-cycle timers; retention. Thread-safe.
class Registry {
 public:
  Registry(RegistryOptions options, metadata::Catalog* catalog, storage::LogStore* logs, util::Clock* clock);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Set before Start(); called after every successful append.
  void SetAppendObserver(AppendObserver observer) { append_observer_ = std::move(observer); }

  // Loads the catalog, opens every shard log, starts the maintenance thread.
  Status Start();
  void Stop();

  const RegistryOptions& options() const { return options_; }
  util::Clock* clock() const { return clock_; }
  const TokenCodec& tokens() const { return *tokens_; }

  // Runs fn on the stream under the shared lock. kNotFound (AWS's message)
  // if there is no such stream.
  Status WithStream(const StreamRef& ref, const std::function<Status(const Stream&)>& fn) const;
  // The same without a lookup: kNotFound (naming stream.ref) if the handle
  // holds no stream or the stream has been removed since.
  Status WithStream(const StreamHandle& stream, const std::function<Status(const Stream&)>& fn) const;
  // Looks the stream up once; see StreamHandle.
  StreamHandle Find(StreamRef ref) const;
  // Runs fn on a copy of the stream's record under the exclusive lock and,
  // if it returns ok, persists the copy and makes it current.
  Status UpdateStream(const StreamRef& ref, const std::function<Status(metadata::StreamMeta&)>& fn);
  // Runs fn over every stream of an account and region, in name order.
  void ForEachStream(const Caller& caller, const std::function<void(const Stream&)>& fn) const;

  // Creates a stream in CREATING; it becomes ACTIVE after the state delay.
  Status CreateStream(const StreamRef& ref, uint32_t shard_count, metadata::StreamMode mode,
                      std::map<std::string, std::string> tags,
                      int32_t max_record_size_kib = metadata::kDefaultMaxRecordSizeKiB, int32_t warm_mibps = 0);
  // Moves a stream to DELETING; it disappears after the state delay.
  Status DeleteStream(const StreamRef& ref);

  // Cluster mode: makes `meta` (the catalog owner's record of a stream)
  // this node's record, persisting it in the local catalog and opening the
  // logs of shards it lacks; a record of another incarnation (deleted and
  // created again) replaces the old one, whose logs are dropped.
  Status ApplyReplicated(metadata::StreamMeta meta);
  // Cluster mode: forgets a stream the owner deleted, and drops its logs.
  Status RemoveReplicated(std::string_view key);
  // Every stream's catalog key (StreamMeta::Key), in order.
  std::vector<std::string> StreamKeys() const;

  // Quotas, for DescribeLimits and the quota checks. Open shards count as
  // Stream::QuotaShardCount says (pending reshards included).
  uint32_t OpenShardCount(const Caller& caller) const;
  uint32_t OnDemandStreamCount(const Caller& caller) const;
  // Over every account and region (the recovery summary at start).
  struct Totals {
    size_t streams = 0;
    size_t shards = 0;  // open and closed
    size_t open_shards = 0;
  };
  Totals CountAll() const;

  // Appends the entries (routing each to its shard; one batch per shard) and
  // calls done once all are durable or failed. done runs on a storage thread
  // or the caller's, never under the registry's lock. The stream must be
  // ACTIVE or UPDATING, else the whole call fails with kNotFound. An entry
  // over its shard's write quota fails alone with kThroughputExceeded.
  // `entry_fault`, if set, runs once per entry after routing, before
  // metering (PutRecords' injected faults: AWS fails such calls record by
  // record): its error fails that entry alone, a kThroughputExceeded one as
  // the shard's rate error. The StreamRef form looks the stream up first.
  //
  // With `stamp` (the exactly-once extension, docs/exactly-once.md; the
  // caller checked its epoch): each shard's part of the request is appended
  // whole (with a control record in front) or fails whole; a part the shard
  // appended before under the same stamp is answered with its original
  // sequence numbers and not appended again. A shard's first stamped put
  // since start waits for its table to be rebuilt from the log on the
  // recovery thread (never the caller's), which then makes the call and may
  // run done.
  //
  // `received_ns` (the registry clock's MonotonicNs when the request was
  // decoded; 0: unknown) starts the storage's "admit" stage
  // (storage::AppendOptions::received_ns).
  void Put(const StreamHandle& stream, std::vector<PutEntry> entries, PutCallback done,
           const StreamCheck& entry_fault = {}, const dedup::ProducerStamp* stamp = nullptr, int64_t received_ns = 0);
  void Put(const StreamRef& ref, std::vector<PutEntry> entries, PutCallback done, const StreamCheck& entry_fault = {});

  // A new shard iterator at `offset` of the shard.
  std::string MakeIterator(const Stream& stream, model::ShardIndex shard, model::LogOffset offset) const;
  // Reads from a shard iterator. kInvalidArgument for a garbage iterator,
  // kExpiredIterator past its lifetime, kNotFound for a vanished shard.
  // `authorize`, if set, runs on the iterator's stream under the shared lock
  // before anything is read; its error is returned as is. `read_fault`, if
  // set, runs once the shard is found, before the read is metered
  // (GetRecords' injected faults); a kThroughputExceeded error becomes the
  // shard's rate error.
  Result<GetRecordsOutcome> GetRecords(std::string_view iterator, size_t limit, const StreamCheck& authorize = {},
                                       const StreamCheck& read_fault = {}) const;

  // The end of a shard's log that reads may serve: its acknowledged end,
  // bounded in cluster mode by what a majority of its replicas holds
  // (Replicator::CommittedEnd), so that no record read can vanish in a
  // failover. GetRecords and fan-out read below it only.
  model::LogOffset ReadableEnd(const StreamRef& stream, model::ShardIndex shard, const storage::ShardLog& log) const;

  // Applies due state transitions, on-demand scaling and retention now (the
  // maintenance thread calls this; tests may too).
  void RunMaintenance();

  // Resharding (provisioned streams, ACTIVE only; the stream goes UPDATING
  // for the state delay). Each is checked now and recorded as the stream's
  // pending reshard; as on AWS the shard map (listing, routing, reads) stays
  // as it was until the stream turns ACTIVE, when the maintenance pass
  // applies it (at once with a state delay of 0). Applying closes the
  // parents atomically with respect to Put: every record accepted before is
  // below the parent's end, every record accepted after goes to a child.
  // Errors as AWS words them.
  Status SplitShard(const StreamRef& ref, std::string_view shard_id, std::string_view new_starting_hash_key);
  Status MergeShards(const StreamRef& ref, std::string_view shard_id, std::string_view adjacent_shard_id);
  // UNIFORM_SCALING to `target` open shards (at most double, at least half,
  // within the shard quota). Returns the open shard count before.
  Result<uint32_t> UpdateShardCount(const StreamRef& ref, uint32_t target);
  // Switches the capacity mode (ACTIVE only; UPDATING for the state delay).
  // A warm throughput (MiB/s, ON_DEMAND only) is set as
  // UpdateStreamWarmThroughput sets it; -1: none given.
  Status UpdateStreamMode(const StreamRef& ref, metadata::StreamMode mode, int64_t warm_mibps = -1);
  // UpdateStreamWarmThroughput: an ACTIVE on-demand stream of an account with
  // the minimum throughput billing commitment gets `mibps` as its warm
  // throughput target and goes UPDATING; if its open shards write less than
  // that (kOnDemandShardWriteMiBps each) it is scaled up to enough shards
  // when it turns ACTIVE again (a pending UNIFORM_SCALING). Errors as AWS's.
  Status UpdateStreamWarmThroughput(const StreamRef& ref, int64_t mibps);
  // The open shards a warm throughput of `mibps` needs.
  static uint32_t ShardsForWarmThroughput(int64_t mibps);
  // kInvalidArgument / kLimitExceeded unless `mibps` may be asked of
  // `caller`'s on-demand streams now (commitment enabled, at most
  // kMaxWarmThroughputMiBps).
  Status CheckWarmThroughput(const Caller& caller, std::string_view stream_name, int64_t mibps) const;

  // Data Streams settings of the caller's account and region as of now (a
  // scheduled end of the billing commitment that has passed is applied).
  Result<metadata::AccountSettings> AccountSettingsOf(const Caller& caller) const;
  // UpdateAccountSettings: the commitment's Status ENABLED (enable) or
  // DISABLED, applied now and in the catalog before this returns.
  Result<metadata::AccountSettings> UpdateAccountSettings(const Caller& caller, bool enable);

  // The Data Streams metric families (for the fan-out's consumer metrics).
  StreamsMetrics& metrics() { return metrics_; }

  // The control-plane rate limiter and the injected faults (--inject-fault),
  // applied at the api edge: per call in api/admission.cc, per record and
  // per shard read through the checks given to Put and GetRecords.
  ControlPlaneLimiter& control_plane() { return control_plane_; }
  FaultInjector& faults() const { return faults_; }
  // Per-shard GetShardIterator rate (5 per second).
  Status AdmitShardIterator(const Stream& stream, model::ShardIndex shard) const;

  // The AWS "Stream X under account Y not found." error.
  static Status StreamNotFound(const StreamRef& ref);

 private:
  static std::string MapKey(std::string_view account, std::string_view region, std::string_view name);
  // MapKey(ref...) in a per-thread buffer, valid until the thread's next call.
  static const std::string& LookupKey(const StreamRef& ref);
  // Opens the log and meter of every shard of stream->meta() that has none,
  // then rebuilds the routes.
  Status OpenLogs(Stream* stream);
  // Opens the log and meter of every shard of `meta` (the stream's record to
  // be) that has none; routes are left as they are. A log opened for a
  // record that is then not written is harmless: it stays empty and is
  // reopened by the shard that gets its index.
  Status OpenShardLogs(Stream* stream, const metadata::StreamMeta& meta);
  // Resolves the stream's metric handles for its current meta_ (shard-level
  // ones follow the visible shard map); after every change of meta_.
  void ResolveMetrics(Stream* stream);
  // Runs plan on a copy of the stream's record under the exclusive lock,
  // persists it and opens the new shards' logs (resharder.cc).
  Status Reshard(const StreamRef& ref, const std::function<Status(Resharder&)>& plan);
  void ScaleOnDemandStreams();
  // Makes a CREATING or UPDATING stream ACTIVE, applying its pending reshard
  // (maintenance.cc). Under mu_ held exclusively.
  void ActivateStream(Stream& s, int64_t now);
  // Removes streams_[key] (the maintenance pass's deletion and
  // RemoveReplicated): its catalog record and metrics; its storage group is
  // added to drop_groups. Under mu_ held exclusively.
  Status RemoveLocked(std::map<std::string, std::shared_ptr<Stream>>::iterator it,
                      std::vector<std::string>* drop_groups);
  bool OwnsCatalog() const { return !options_.owns_catalog || options_.owns_catalog(); }

  // The shard's table of stamped requests (stamped_puts.cc), made on first
  // use; Put uses it only once it is recovered.
  std::shared_ptr<dedup::ShardDedup> DedupTable(const std::string& storage_group, model::ShardIndex shard) const;
  // Rebuilds `table` from the control records of `log`'s tail (at most
  // options_.dedup_recovery_records records) unless it was already; on
  // dedup_recovery_ only: the scan may read hundreds of MiB.
  Status RecoverDedupTable(dedup::ShardDedup* table, const storage::ShardLog& log) const;

  const RegistryOptions options_;
  std::unique_ptr<metrics::Registry> own_metrics_;  // when options_.metrics is null
  StreamsMetrics metrics_;
  metadata::Catalog* const catalog_;
  storage::LogStore* const logs_;
  util::Clock* const clock_;
  std::unique_ptr<TokenCodec> tokens_;
  ControlPlaneLimiter control_plane_;
  mutable FaultInjector faults_;
  AppendObserver append_observer_;  // set before Start(), then read-only

  // Serializes read-modify-write of account settings (catalog entries).
  mutable std::mutex account_mu_;

  mutable std::shared_mutex mu_;
  // By MapKey; guarded by mu_. Shared with the StreamHandles of requests in
  // flight, which may outlive an entry.
  std::map<std::string, std::shared_ptr<Stream>> streams_;

  // The last stream epoch handed out (catalog setting "stream-epoch"); under
  // mu_ held exclusively.
  uint32_t last_epoch_ = 0;

  // Tables of stamped requests by (storage group, shard): created on a
  // shard's first stamped put; guarded by dedup_mu_.
  mutable std::mutex dedup_mu_;
  mutable std::map<std::pair<std::string, uint32_t>, std::shared_ptr<dedup::ShardDedup>> dedup_;

  MaintenanceThread maintenance_;
  int64_t last_retention_ms_ = 0;  // maintenance thread only
  // Runs the dedup tables' recovery scans, then the stamped puts that
  // waited for them, so that no I/O thread ever runs a scan (Put).
  TaskThread dedup_recovery_;
};

}  // namespace spate::streams
