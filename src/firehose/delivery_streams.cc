#include "firehose/delivery_streams.h"

#include <algorithm>
#include <set>
#include <vector>

#include "base/log.h"
#include "firehose/stream_state.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// Firehose keeps one log per delivery stream: shard 0 of its group.
constexpr model::ShardIndex kShard{0};

// AWS's DirectPut quotas per delivery stream (FH-DG limits): the three
// largest regions get 2,000 requests, 500,000 records and 5 MiB a second,
// the others 1,000, 100,000 and 1 MiB.
std::unique_ptr<DeliveryStreams::RateLimiter> NewLimiter(const std::string& region) {
  bool large = region == "us-east-1" || region == "us-west-2" || region == "eu-west-1";
  return large ? std::make_unique<DeliveryStreams::RateLimiter>(2000, 500000, 5.0 * (1 << 20))
               : std::make_unique<DeliveryStreams::RateLimiter>(1000, 100000, 1.0 * (1 << 20));
}

// The sink of a destination that cannot be built: every attempt fails with
// the reason, and nothing expires (the records wait in the log).
class UnavailableSink final : public Sink {
 public:
  explicit UnavailableSink(Status why) : why_(std::move(why)) {}
  BufferingHints Buffering() const override { return {}; }
  int64_t RetryWindowMs() const override { return INT64_MAX; }
  int64_t RetryBackoffMs() const override { return 30'000; }
  Status Deliver(const Batch&, SinkCounts*, const std::atomic<bool>*) override { return why_; }
  Status Expire(const Batch&, const Status&, SinkCounts*, const std::atomic<bool>*) override { return why_; }
  std::string Describe() const override { return "an unavailable destination"; }

 private:
  const Status why_;
};

}  // namespace

DeliveryStreams::DeliveryStreams(FirehoseOptions options, metadata::Catalog* catalog, storage::LogStore* logs,
                                 ObjectStore* objects, util::Clock* clock)
    : options_(options), catalog_(catalog), logs_(logs), objects_(objects), clock_(clock), metrics_(options.metrics) {}

DeliveryStreams::~DeliveryStreams() { Stop(); }

SinkContext DeliveryStreams::ContextOf(const DeliveryStreamMeta& meta, std::string deliverer_id) const {
  SinkContext ctx;
  ctx.stream_name = meta.name;
  ctx.stream_arn = meta.Arn();
  ctx.version_id = meta.version_id;
  ctx.deliverer_id = std::move(deliverer_id);
  ctx.objects = objects_;
  ctx.error_output = options_.delivery.error_output;
  ctx.s3_retry_window_ms = options_.delivery.retry_window_ms;
  ctx.clock = clock_;
  ctx.catalog = catalog_;
  ctx.lambda = options_.lambda;
  ctx.glue_schema_dir = options_.glue_schema_dir;
  return ctx;
}

Result<DeliveryTarget> DeliveryStreams::TargetOf(const DeliveryStreamMeta& meta,
                                                 const std::shared_ptr<DeliveryStreamMetrics>& metrics) const {
  const DestinationKind* kind = DestinationKindOf(meta.destination);
  if (kind == nullptr) return Internal("delivery stream " + meta.name + " has no destination this server delivers to");
  const Value& cfg = *meta.destination.Find(std::string(kind->Name()) + "DestinationConfiguration");
  SinkContext ctx = ContextOf(meta, meta.log_group);
  ctx.metrics = metrics;
  DeliveryTarget t;
  t.stream_name = meta.name;
  t.version_id = meta.version_id;
  SPATE_ASSIGN_OR_RETURN(t.sink, kind->NewSink(cfg, ctx));
  SPATE_ASSIGN_OR_RETURN(t.processor, kind->NewProcessor(cfg, ctx));
  return t;
}

Result<std::optional<DeliveryTarget>> DeliveryStreams::BackupTargetOf(const DeliveryStreamMeta& meta) const {
  const DestinationKind* kind = DestinationKindOf(meta.destination);
  if (kind == nullptr) return std::optional<DeliveryTarget>();
  std::optional<Value> backup =
      kind->SourceBackup(*meta.destination.Find(std::string(kind->Name()) + "DestinationConfiguration"));
  if (!backup) return std::optional<DeliveryTarget>();
  DeliveryTarget t;
  t.stream_name = meta.name;
  t.version_id = meta.version_id;
  SPATE_ASSIGN_OR_RETURN(t.sink,
                         NewS3Sink(*backup, ContextOf(meta, meta.log_group + std::string(Deliverer::kBackupSuffix))));
  return std::optional<DeliveryTarget>(std::move(t));
}

Status DeliveryStreams::StartBackup(Stream* s) {
  SPATE_ASSIGN_OR_RETURN(std::optional<DeliveryTarget> target, BackupTargetOf(s->meta));
  if (!target) return Status::Ok();
  {
    std::lock_guard<std::mutex> l(s->backup_mu);
    if (s->backup) {
      s->backup->Update(std::move(*target));
      return Status::Ok();
    }
  }
  // Hold the log from where the backup starts before anything can trim it.
  s->trimmer->Delivered(/*reader=*/1, s->log->StartOffset());
  auto backup = std::make_unique<Deliverer>(
      options_.delivery, s->log, catalog_, clock_, s->meta.log_group, std::move(*target),
      s->meta.log_group + std::string(Deliverer::kBackupSuffix), s->trimmer.get(), /*reader=*/1);
  SPATE_TRY(backup->Start());
  std::lock_guard<std::mutex> l(s->backup_mu);
  s->backup = std::move(backup);
  return Status::Ok();
}

Status DeliveryStreams::OpenStream(Stream* s) {
  SPATE_ASSIGN_OR_RETURN(s->log, logs_->OpenShard(s->meta.log_group, kShard));
  if (options_.limits) s->limiter = NewLimiter(s->meta.region);
  s->metrics = metrics_.ForStream(s->meta.account, s->meta.region, s->meta.name);
  s->trimmer =
      std::make_unique<LogTrimmer>(s->log, s->meta.log_group, /*readers=*/2, clock_, s->metrics->hold_expired_records);
  // Without backup, reader 1 holds nothing back; a backup enabled later
  // starts from the log's start (StartBackup).
  SPATE_ASSIGN_OR_RETURN(std::optional<DeliveryTarget> backup, BackupTargetOf(s->meta));
  if (!backup) s->trimmer->Absent(1);
  Result<DeliveryTarget> target = TargetOf(s->meta, s->metrics);
  if (!target.ok()) {
    // A destination this build cannot deliver to (a configuration it now
    // refuses, say) must not keep spated from starting: the records stay in
    // the log, each attempt fails with the reason, and an UpdateDestination
    // that fixes the configuration delivers them.
    SPATE_LOG_ERROR("delivery stream " + s->meta.name +
                    ": cannot deliver to its destination: " + target.status().ToString());
    DeliveryTarget unavailable;
    unavailable.stream_name = s->meta.name;
    unavailable.version_id = s->meta.version_id;
    unavailable.sink = std::make_shared<UnavailableSink>(target.status());
    target = std::move(unavailable);
  }
  s->deliverer = std::make_unique<Deliverer>(options_.delivery, s->log, catalog_, clock_, s->meta.log_group,
                                             std::move(*target), s->meta.log_group, s->trimmer.get(), /*reader=*/0);
  s->deliverer->SetMetrics(s->metrics);
  SPATE_TRY(s->deliverer->Start());
  if (Status st = StartBackup(s); !st.ok()) {
    s->deliverer->Stop();
    return st;
  }
  if (s->meta.type == "KinesisStreamAsSource") {
    if (options_.kinesis == nullptr) return Internal("no Kinesis source for " + s->meta.name);
    iam::Caller owner;
    owner.account = s->meta.account;
    owner.region = s->meta.region;
    s->poller = std::make_unique<SourcePoller>(options_.source, options_.kinesis, owner,
                                               std::string(s->meta.source.GetString("KinesisStreamARN")), s->log,
                                               catalog_, s->meta.log_group, [s] { s->Notify(); });
    Status st = s->poller->Start();
    if (!st.ok()) {
      s->deliverer->Stop();
      StopBackup(s);
      return st;
    }
  }
  return Status::Ok();
}

Status DeliveryStreams::Start() {
  SPATE_ASSIGN_OR_RETURN(auto entries, catalog_->LoadEntries(kDeliveryStreamNamespace));
  std::set<std::string> groups;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, value] : entries) {
      auto meta = DecodeDeliveryStreamMeta(value);
      if (!meta.ok()) return meta.status();
      auto s = std::make_shared<Stream>();
      s->meta = std::move(*meta);
      SPATE_TRY(OpenStream(s.get()));
      groups.insert(s->meta.log_group);
      streams_[s->meta.Key()] = std::move(s);
    }
  }
  // A crash between a deletion's catalog write and the removal of its log
  // leaves an orphaned group (and maybe a checkpoint): finish the deletion.
  SPATE_ASSIGN_OR_RETURN(auto on_disk, logs_->ListGroups());
  for (const std::string& g : on_disk) {
    if (groups.count(g) == 0) {
      SPATE_LOG_INFO("removing the buffer of deleted delivery stream instance " + g);
      logs_->DropGroup(g).IgnoreError();
    }
  }
  SPATE_ASSIGN_OR_RETURN(auto checkpoints, catalog_->LoadEntries(Deliverer::kCheckpointNamespace));
  for (const auto& [id, value] : checkpoints) {
    std::string group = id;  // "<group>" or "<group>/backup"
    if (size_t slash = group.find('/'); slash != std::string::npos) group.resize(slash);
    if (groups.count(group) == 0) catalog_->DeleteEntry(Deliverer::kCheckpointNamespace, id).IgnoreError();
  }
  SPATE_ASSIGN_OR_RETURN(auto positions, catalog_->LoadEntries(SourcePoller::kPositionNamespace));
  for (const auto& [group, value] : positions) {
    if (groups.count(group) == 0) catalog_->DeleteEntry(SourcePoller::kPositionNamespace, group).IgnoreError();
  }
  state_thread_ = std::thread([this] { RunStateMachine(); });
  return Status::Ok();
}

size_t DeliveryStreams::Count() const {
  std::shared_lock lock(mu_);
  return streams_.size();
}

void DeliveryStreams::Stop() {
  {
    std::lock_guard<std::mutex> l(state_mu_);
    stopping_ = true;
  }
  state_cv_.notify_all();
  if (state_thread_.joinable()) state_thread_.join();
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [k, s] : streams_) all.push_back(s);
  }
  for (const auto& s : all) {
    if (s->poller) s->poller->Stop();
    if (s->deliverer) s->deliverer->Stop();
    StopBackup(s.get());
  }
}

void DeliveryStreams::StopBackup(Stream* s) {
  std::unique_ptr<Deliverer> backup;
  {
    std::lock_guard<std::mutex> l(s->backup_mu);
    backup = std::move(s->backup);
  }
  if (backup) backup->Stop();
}

std::shared_ptr<DeliveryStreams::Stream> DeliveryStreams::Find(const iam::Caller& caller, std::string_view name) const {
  auto it = streams_.find(caller.account + "/" + caller.region + "/" + std::string(name));
  return it == streams_.end() ? nullptr : it->second;
}

Status DeliveryStreams::NotFound(const iam::Caller& caller, std::string_view name) const {
  return Status(ErrorCode::kNotFound,
                "Firehose " + std::string(name) + " under account " + caller.account + " not found.");
}

Status DeliveryStreams::Commit(Stream* s, DeliveryStreamMeta next) {
  SPATE_TRY(catalog_->PutEntry(kDeliveryStreamNamespace, next.Key(), EncodeDeliveryStreamMeta(next)));
  s->meta = std::move(next);
  return Status::Ok();
}

Result<DeliveryStats> DeliveryStreams::Stats(const iam::Caller& caller, std::string_view name) const {
  std::shared_lock lock(mu_);
  auto s = Find(caller, name);
  if (!s) return NotFound(caller, name);
  return s->deliverer->Stats();
}

void DeliveryStreams::RunStateMachine() {
  int64_t poll_ms = std::clamp<int64_t>(options_.state_delay_ms / 20, 5, 100);
  for (;;) {
    {
      std::unique_lock<std::mutex> l(state_mu_);
      state_cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [this] { return stopping_; });
      if (stopping_) return;
    }
    int64_t now = clock_->NowMs();
    std::vector<std::shared_ptr<Stream>> doomed;
    {
      std::unique_lock lock(mu_);
      for (auto it = streams_.begin(); it != streams_.end();) {
        Stream& s = *it->second;
        if (now - s.meta.status_since_ms < options_.state_delay_ms) {
          ++it;
          continue;
        }
        if (s.meta.status == DeliveryStatus::kDeleting) {
          Status st = catalog_->DeleteEntry(kDeliveryStreamNamespace, s.meta.Key());
          if (!st.ok()) {
            SPATE_LOG_ERROR("cannot delete delivery stream " + s.meta.name + ": " + st.ToString());
            ++it;
            continue;
          }
          // Its series go when it does: a scrape after DescribeDeliveryStream
          // says not found never shows it.
          metrics_.Remove(s.meta.account, s.meta.region, s.meta.name);
          doomed.push_back(it->second);
          it = streams_.erase(it);
          continue;
        }
        DeliveryStreamMeta next = s.meta;
        bool changed = false;
        if (next.status == DeliveryStatus::kCreating) {
          next.status = DeliveryStatus::kActive;
          next.status_since_ms = now;
          changed = true;
        }
        if (now - next.encryption.status_since_ms >= options_.state_delay_ms) {
          if (next.encryption.status == "ENABLING") next.encryption.status = "ENABLED", changed = true;
          if (next.encryption.status == "DISABLING") next.encryption.status = "DISABLED", changed = true;
        }
        if (changed) {
          Status st = Commit(&s, std::move(next));
          if (!st.ok()) SPATE_LOG_ERROR("cannot update delivery stream " + s.meta.name + ": " + st.ToString());
        }
        ++it;
      }
    }
    for (const auto& s : doomed) {
      if (s->poller) s->poller->Stop();
      s->deliverer->Stop();
      StopBackup(s.get());
      Status st = logs_->DropGroup(s->meta.log_group);
      if (!st.ok()) SPATE_LOG_ERROR("cannot remove the buffer of " + s->meta.log_group + ": " + st.ToString());
      catalog_->DeleteEntry(Deliverer::kCheckpointNamespace, s->meta.log_group).IgnoreError();
      catalog_->DeleteEntry(Deliverer::kCheckpointNamespace, s->meta.log_group + std::string(Deliverer::kBackupSuffix))
          .IgnoreError();
      catalog_->DeleteEntry(SourcePoller::kPositionNamespace, s->meta.log_group).IgnoreError();
      SPATE_LOG_INFO("delivery stream " + s->meta.name + " deleted");
    }
  }
}

}  // namespace spate::firehose
