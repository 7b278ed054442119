// The registry's life cycle (Start/Stop, CreateStream/DeleteStream) and
// stream lookup. Puts and reads are in registry_io.cc, resharding in
// resharder.cc, capacity modes and on-demand scaling in on_demand.cc,
// the maintenance pass in maintenance.cc.

#include "streams/registry.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "metadata/catalog.h"
#include "storage/log_store.h"
#include "streams/lifecycle_log.h"
#include "streams/stream_errors.h"
#include "streams/token_codec.h"

namespace spate::streams {
namespace {

using metadata::ShardMeta;
using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

constexpr std::string_view kIteratorKeySetting = "token-key";
// The last stream epoch handed out, in decimal (docs/formats/sequence_number.md).
constexpr std::string_view kStreamEpochSetting = "stream-epoch";

// The "stream-epoch" setting's value; 0 when absent, unparsable or out of range.
uint32_t ParseStreamEpoch(const std::optional<std::string>& setting) {
  if (!setting.has_value()) return 0;
  const std::string& text = *setting;
  uint64_t v = 0;
  bool valid = !text.empty() && text.size() <= 8;
  for (char c : text) {
    if (c < '0' || c > '9') valid = false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return valid && v <= model::kMaxStreamEpoch ? static_cast<uint32_t>(v) : 0;
}

std::string StorageGroupFor(const StreamRef& ref, int64_t created_ms) {
  return ref.account + "." + ref.region + "." + ref.name + "." + std::to_string(created_ms);
}

}  // namespace

// ---------------------------------------------------------------- Stream

const ShardMeta* Stream::FindShard(model::ShardIndex index) const {
  for (const ShardMeta& s : meta_.shards) {
    if (s.index == index) return &s;
  }
  return nullptr;
}

std::shared_ptr<storage::ShardLog> Stream::Log(model::ShardIndex index) const {
  auto it = logs_.find(index);
  return it == logs_.end() ? nullptr : it->second;
}

const ShardMeta* Stream::Route(model::uint128 hash) const {
  // routes_ is sorted by range start and the open ranges tile [0, 2^128-1].
  auto it = std::upper_bound(routes_.begin(), routes_.end(), hash,
                             [this](model::uint128 h, size_t pos) { return h < meta_.shards[pos].range.start; });
  if (it == routes_.begin()) return nullptr;
  const ShardMeta* s = &meta_.shards[*(it - 1)];
  return s->range.Contains(hash) ? s : nullptr;
}

uint32_t Stream::OpenShardCount() const { return static_cast<uint32_t>(routes_.size()); }

uint32_t Stream::QuotaShardCount() const {
  const uint32_t open = OpenShardCount();
  const metadata::PendingReshard& p = meta_.pending_reshard;
  switch (p.kind) {
    case metadata::ReshardKind::kSplit: return open + 1;
    case metadata::ReshardKind::kUniformScaling: return std::max(open, p.target_shard_count);
    case metadata::ReshardKind::kMerge:
    case metadata::ReshardKind::kNone: return open;
  }
  return open;
}

std::shared_ptr<ShardThroughput> Stream::Meter(model::ShardIndex index) const {
  auto it = meters_.find(index);
  return it == meters_.end() ? nullptr : it->second;
}

void Stream::RebuildRoutes() {
  routes_.clear();
  for (size_t i = 0; i < meta_.shards.size(); ++i) {
    if (!meta_.shards[i].closed()) routes_.push_back(i);
  }
  std::sort(routes_.begin(), routes_.end(),
            [this](size_t a, size_t b) { return meta_.shards[a].range.start < meta_.shards[b].range.start; });
}

// -------------------------------------------------------------- Registry

Registry::Registry(RegistryOptions options, metadata::Catalog* catalog, storage::LogStore* logs, util::Clock* clock)
    : options_(options),
      own_metrics_(options.metrics == nullptr ? std::make_unique<metrics::Registry>() : nullptr),
      metrics_(options.metrics != nullptr ? options.metrics : own_metrics_.get()),
      catalog_(catalog),
      logs_(logs),
      clock_(clock),
      control_plane_(options.throughput, clock),
      faults_(options.faults) {}

Registry::~Registry() { Stop(); }

std::string Registry::MapKey(std::string_view account, std::string_view region, std::string_view name) {
  return StreamMeta::MakeKey(account, region, name);
}

const std::string& Registry::LookupKey(const StreamRef& ref) {
  // Every put looks its stream up; the key is longer than the short-string
  // buffer, so it is built in a per-thread buffer instead of a new string.
  thread_local std::string key;
  StreamMeta::AssignKey(ref.account, ref.region, ref.name, &key);
  return key;
}

Status Registry::StreamNotFound(const StreamRef& ref) { return streams::StreamNotFound(ref); }

Status Registry::OpenLogs(Stream* stream) {
  SPATE_TRY(OpenShardLogs(stream, stream->meta_));
  stream->RebuildRoutes();
  ResolveMetrics(stream);
  return Status::Ok();
}

void Registry::ResolveMetrics(Stream* stream) {
  if (stream->metrics_ == nullptr) stream->metrics_ = metrics_.ForStream(stream->meta_);
  stream->shard_metrics_ = metrics_.ForShards(stream->meta_);
}

Status Registry::OpenShardLogs(Stream* stream, const StreamMeta& meta) {
  for (const ShardMeta& s : meta.shards) {
    if (stream->logs_.count(s.index) != 0) continue;
    auto log = logs_->OpenShard(stream->meta_.storage_group, s.index);
    if (!log.ok()) return log.status();
    stream->logs_[s.index] = std::move(log).value();
    stream->meters_[s.index] = std::make_shared<ShardThroughput>(options_.throughput, clock_);
  }
  return Status::Ok();
}

Status Registry::Start() {
  auto key = catalog_->GetSetting(kIteratorKeySetting);
  if (!key.ok()) return key.status();
  TokenCodec::Key k;
  if (key->has_value() && (*key)->size() == k.size()) {
    std::copy((*key)->begin(), (*key)->end(), k.begin());
  } else {
    k = TokenCodec::RandomKey();
    SPATE_TRY(
        catalog_->PutSetting(kIteratorKeySetting, std::string_view(reinterpret_cast<const char*>(k.data()), k.size())));
    // A catalog shared by a cluster keeps the first key any node wrote:
    // read back the one in force.
    SPATE_ASSIGN_OR_RETURN(std::optional<std::string> stored, catalog_->GetSetting(kIteratorKeySetting));
    if (stored.has_value() && stored->size() == k.size()) std::copy(stored->begin(), stored->end(), k.begin());
  }
  tokens_ = std::make_unique<TokenCodec>(k);

  auto loaded = catalog_->LoadStreams();
  if (!loaded.ok()) return loaded.status();
  auto epoch_setting = catalog_->GetSetting(kStreamEpochSetting);
  if (!epoch_setting.ok()) return epoch_setting.status();
  {
    std::unique_lock lock(mu_);
    // Unparsable or out of range: fall back to the loaded streams' epochs.
    last_epoch_ = ParseStreamEpoch(*epoch_setting);
    for (StreamMeta& meta : *loaded) {
      last_epoch_ = std::max(last_epoch_, meta.epoch);
      auto stream = std::make_shared<Stream>();
      stream->meta_ = std::move(meta);
      SPATE_TRY(OpenLogs(stream.get()));
      std::string key_str = stream->meta_.Key();
      streams_[key_str] = std::move(stream);
    }
  }
  std::set<std::string> groups;
  {
    std::shared_lock lock(mu_);
    for (const auto& [k, s] : streams_) groups.insert(s->meta_.storage_group);
  }
  // A crash between a stream's deletion from the catalog and the removal of
  // its files leaves an orphaned group: finish the deletion.
  auto on_disk = logs_->ListGroups();
  if (!on_disk.ok()) return on_disk.status();
  for (const std::string& g : *on_disk) {
    if (groups.count(g) == 0) {
      SPATE_LOG_INFO("removing data of deleted stream instance " + g);
      logs_->DropGroup(g).IgnoreError();
    }
  }
  RunMaintenance();
  // Transitions are due state_delay_ms after they start; poll at a fraction
  // of that so a 500 ms delay is honoured within ~25 ms.
  maintenance_.Start(std::clamp<int64_t>(options_.state_delay_ms / 20, 5, 100), [this] { RunMaintenance(); });
  return Status::Ok();
}

void Registry::Stop() {
  maintenance_.Stop();
  dedup_recovery_.Stop();
}

Status Registry::WithStream(const StreamRef& ref, const std::function<Status(const Stream&)>& fn) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
  if (it == streams_.end()) return StreamNotFound(ref);
  return fn(*it->second);
}

Status Registry::WithStream(const StreamHandle& stream, const std::function<Status(const Stream&)>& fn) const {
  std::shared_lock lock(mu_);
  if (stream.stream == nullptr || stream.stream->removed_) return StreamNotFound(stream.ref);
  return fn(*stream.stream);
}

StreamHandle Registry::Find(StreamRef ref) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
  std::shared_ptr<const Stream> stream = it == streams_.end() ? nullptr : it->second;
  return StreamHandle{std::move(ref), std::move(stream)};
}

Status Registry::UpdateStream(const StreamRef& ref, const std::function<Status(StreamMeta&)>& fn) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
  if (it == streams_.end()) return StreamNotFound(ref);
  Stream& s = *it->second;
  StreamMeta copy = s.meta_;
  SPATE_TRY(fn(copy));
  SPATE_TRY(catalog_->PutStream(copy));
  LogStreamChanges(&s.meta_, &copy);
  s.meta_ = std::move(copy);
  return OpenLogs(&s);
}

void Registry::ForEachStream(const Caller& caller, const std::function<void(const Stream&)>& fn) const {
  std::shared_lock lock(mu_);
  std::string prefix = MapKey(caller.account, caller.region, "");
  for (auto it = streams_.lower_bound(prefix); it != streams_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    fn(*it->second);
  }
}

Registry::Totals Registry::CountAll() const {
  std::shared_lock lock(mu_);
  Totals t;
  for (const auto& [k, s] : streams_) {
    ++t.streams;
    t.shards += s->meta_.shards.size();
    t.open_shards += s->OpenShardCount();
  }
  return t;
}

uint32_t Registry::OpenShardCount(const Caller& caller) const {
  uint32_t n = 0;
  ForEachStream(caller, [&](const Stream& s) { n += s.QuotaShardCount(); });
  return n;
}

uint32_t Registry::OnDemandStreamCount(const Caller& caller) const {
  uint32_t n = 0;
  ForEachStream(caller, [&](const Stream& s) { n += s.meta().mode == StreamMode::kOnDemand ? 1 : 0; });
  return n;
}

Status Registry::CreateStream(const StreamRef& ref, uint32_t shard_count, StreamMode mode,
                              std::map<std::string, std::string> tags, int32_t max_record_size_kib,
                              int32_t warm_mibps) {
  Caller caller{ref.account, ref.region};
  uint32_t open = OpenShardCount(caller);
  if (open + shard_count > options_.shard_limit) {
    return ShardLimitExceeded(ref, open, shard_count, options_.shard_limit);
  }
  if (mode == StreamMode::kOnDemand && OnDemandStreamCount(caller) >= options_.on_demand_stream_limit) {
    return Status(ErrorCode::kLimitExceeded,
                  "This request would exceed the limit of " + std::to_string(options_.on_demand_stream_limit) +
                      " on-demand streams for the account " + ref.account + " in " + ref.region + ".");
  }
  // The catalog's counter may be ahead of last_epoch_ (cluster mode: an
  // earlier catalog owner handed out epochs of streams since deleted, which
  // this node never mirrored); read before the lock, it may be a network call.
  SPATE_ASSIGN_OR_RETURN(std::optional<std::string> epoch_setting, catalog_->GetSetting(kStreamEpochSetting));
  int64_t now = clock_->NowMs();
  auto stream = std::make_shared<Stream>();
  StreamMeta& m = stream->meta_;
  m.account = ref.account;
  m.region = ref.region;
  m.name = ref.name;
  m.created_ms = now;
  m.storage_group = StorageGroupFor(ref, now);
  m.status = StreamStatus::kCreating;
  m.status_since_ms = now;
  m.mode = mode;
  m.tags = std::move(tags);
  m.max_record_size_kib = max_record_size_kib;
  m.warm_throughput_mibps = warm_mibps;
  auto ranges = model::EvenHashKeyRanges(shard_count);
  for (uint32_t i = 0; i < shard_count; ++i) {
    ShardMeta s;
    s.index = model::ShardIndex{i};
    s.range = ranges[i];
    s.created_ms = now;
    m.shards.push_back(s);
  }
  m.next_shard_index = model::ShardIndex{shard_count};

  std::unique_lock lock(mu_);
  std::string key = m.Key();
  if (streams_.count(key) != 0) {
    return Status(ErrorCode::kAlreadyExists,
                  "Stream " + ref.name + " under account " + ref.account + " already exists.");
  }
  last_epoch_ = std::max(last_epoch_, ParseStreamEpoch(epoch_setting));
  // A new epoch for this incarnation, durable before any number uses it.
  // From kFirstExactEpoch up, so every new stream numbers its shards' first
  // records after their starting numbers (model::SequenceNumber).
  const uint32_t epoch = last_epoch_ >= model::kMaxStreamEpoch ? model::kFirstExactEpoch
                                                               : std::max(last_epoch_ + 1, model::kFirstExactEpoch);
  SPATE_TRY(catalog_->PutSetting(kStreamEpochSetting, std::to_string(epoch)));
  last_epoch_ = epoch;
  m.epoch = epoch;
  SPATE_TRY(OpenLogs(stream.get()));
  Status st = catalog_->PutStream(m);
  if (!st.ok()) {
    metrics_.DropStream(m);
    logs_->DropGroup(m.storage_group).IgnoreError();
    return st;
  }
  LogStreamChanges(nullptr, &stream->meta_);
  streams_[key] = std::move(stream);
  return Status::Ok();
}

Status Registry::DeleteStream(const StreamRef& ref) {
  return UpdateStream(ref, [&](StreamMeta& m) {
    if (m.status == StreamStatus::kDeleting) return Status::Ok();
    m.status = StreamStatus::kDeleting;
    m.status_since_ms = clock_->NowMs();
    return Status::Ok();
  });
}

}  // namespace spate::streams
