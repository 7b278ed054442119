#include "streams/registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>

#include "base/log.h"

namespace spate::streams {
namespace {

using metadata::ShardMeta;
using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

constexpr std::string_view kIteratorKeySetting = "token-key";

// "Thu Jan 22 01:22:02 UTC 2015", the Java Date form AWS uses in messages.
std::string AmzUtcString(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

std::string StorageGroupFor(const StreamRef& ref, int64_t created_ms) {
  return ref.account + "." + ref.region + "." + ref.name + "." + std::to_string(created_ms);
}

}  // namespace

Result<StreamRef> ResolveStream(const Caller& caller, std::string_view name, std::string_view arn) {
  StreamRef ref{caller.account, caller.region, std::string(name)};
  if (arn.empty()) {
    if (name.empty()) {
      return Status(ErrorCode::kInvalidArgument, "Either StreamName or StreamARN should be provided.");
    }
    return ref;
  }
  // arn:<partition>:kinesis:<region>:<account>:stream/<name>
  std::vector<std::string_view> parts;
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', pos);
    if (colon == std::string_view::npos) break;
    parts.push_back(arn.substr(pos, colon - pos));
    pos = colon + 1;
  }
  std::string_view resource = pos <= arn.size() ? arn.substr(pos) : std::string_view();
  constexpr std::string_view kStream = "stream/";
  if (parts.size() != 5 || parts[0] != "arn" || parts[2] != "kinesis" || resource.substr(0, kStream.size()) != kStream ||
      resource.size() == kStream.size() || resource.find('/', kStream.size()) != std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument, "Invalid StreamARN " + std::string(arn) + ".");
  }
  std::string_view arn_name = resource.substr(kStream.size());
  if (!name.empty() && name != arn_name) {
    return Status(ErrorCode::kInvalidArgument, "StreamName " + std::string(name) + " and StreamARN " +
                                                   std::string(arn) + " do not refer to the same stream.");
  }
  ref.region = std::string(parts[3]);
  ref.account = std::string(parts[4]);
  ref.name = std::string(arn_name);
  return ref;
}

std::string StreamArn(const StreamMeta& meta) {
  return "arn:aws:kinesis:" + meta.region + ":" + meta.account + ":stream/" + meta.name;
}

// ---------------------------------------------------------------- Stream

const ShardMeta* Stream::FindShard(model::ShardIndex index) const {
  for (const ShardMeta& s : meta_.shards) {
    if (s.index == index) return &s;
  }
  return nullptr;
}

std::shared_ptr<storage::ShardLog> Stream::Log(model::ShardIndex index) const {
  auto it = logs_.find(index.value);
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
    : options_(options), catalog_(catalog), logs_(logs), clock_(clock) {}

Registry::~Registry() { Stop(); }

std::string Registry::MapKey(std::string_view account, std::string_view region, std::string_view name) {
  return StreamMeta::MakeKey(account, region, name);
}

Status Registry::StreamNotFound(const StreamRef& ref) {
  return Status(ErrorCode::kNotFound, "Stream " + ref.name + " under account " + ref.account + " not found.");
}

Status Registry::OpenLogs(Stream* stream) {
  for (const ShardMeta& s : stream->meta_.shards) {
    if (stream->logs_.count(s.index.value) != 0) continue;
    auto log = logs_->OpenShard(stream->meta_.storage_group, s.index.value);
    if (!log.ok()) return log.status();
    stream->logs_[s.index.value] = std::move(log).value();
  }
  stream->RebuildRoutes();
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
    SPATE_TRY(catalog_->PutSetting(kIteratorKeySetting, std::string_view(reinterpret_cast<const char*>(k.data()), k.size())));
  }
  tokens_ = std::make_unique<TokenCodec>(k);

  auto loaded = catalog_->LoadStreams();
  if (!loaded.ok()) return loaded.status();
  {
    std::unique_lock lock(mu_);
    for (StreamMeta& meta : *loaded) {
      auto stream = std::make_unique<Stream>();
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
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  return Status::Ok();
}

void Registry::Stop() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

void Registry::MaintenanceLoop() {
  // Transitions are due state_delay_ms after they start; poll at a fraction
  // of that so a 500 ms delay is honoured within ~25 ms.
  int64_t tick_ms = std::clamp<int64_t>(options_.state_delay_ms / 20, 5, 100);
  std::unique_lock<std::mutex> lock(maintenance_mu_);
  while (!stopping_) {
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(tick_ms));
    if (stopping_) break;
    lock.unlock();
    RunMaintenance();
    lock.lock();
  }
}

void Registry::RunMaintenance() {
  int64_t now = clock_->NowMs();
  std::vector<std::string> drop_groups;
  {
    std::unique_lock lock(mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      Stream& s = *it->second;
      StreamMeta& m = s.meta_;
      bool due = m.status != StreamStatus::kActive && now - m.status_since_ms >= options_.state_delay_ms;
      if (!due) {
        ++it;
        continue;
      }
      if (m.status == StreamStatus::kDeleting) {
        Status st = catalog_->DeleteStream(m.Key());
        if (!st.ok()) {
          SPATE_LOG_ERROR("cannot delete stream " + m.name + " from the catalog: " + st.ToString());
          ++it;
          continue;
        }
        drop_groups.push_back(m.storage_group);
        it = streams_.erase(it);
        continue;
      }
      StreamMeta next = m;
      next.status = StreamStatus::kActive;
      next.status_since_ms = now;
      Status st = catalog_->PutStream(next);
      if (st.ok()) {
        m = std::move(next);
        s.RebuildRoutes();
      } else {
        SPATE_LOG_ERROR("cannot activate stream " + m.name + ": " + st.ToString());
      }
      ++it;
    }
  }
  for (const std::string& g : drop_groups) {
    Status st = logs_->DropGroup(g);
    if (!st.ok()) SPATE_LOG_ERROR("cannot remove data of " + g + ": " + st.ToString());
  }

  if (now - last_retention_ms_ >= options_.retention_check_ms) {
    last_retention_ms_ = now;
    std::vector<std::pair<std::shared_ptr<storage::ShardLog>, int64_t>> work;
    {
      std::shared_lock lock(mu_);
      for (const auto& [k, s] : streams_) {
        int64_t cutoff = now - static_cast<int64_t>(s->meta_.retention_hours) * 3'600'000;
        for (const auto& [idx, log] : s->logs_) work.emplace_back(log, cutoff);
      }
    }
    for (auto& [log, cutoff] : work) {
      Status st = log->DropBefore(cutoff);
      if (!st.ok()) SPATE_LOG_WARN("retention: " + st.ToString());
    }
  }
}

Status Registry::WithStream(const StreamRef& ref, const std::function<Status(const Stream&)>& fn) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(MapKey(ref.account, ref.region, ref.name));
  if (it == streams_.end()) return StreamNotFound(ref);
  return fn(*it->second);
}

Status Registry::UpdateStream(const StreamRef& ref, const std::function<Status(StreamMeta&)>& fn) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(MapKey(ref.account, ref.region, ref.name));
  if (it == streams_.end()) return StreamNotFound(ref);
  Stream& s = *it->second;
  StreamMeta copy = s.meta_;
  SPATE_TRY(fn(copy));
  SPATE_TRY(catalog_->PutStream(copy));
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

uint32_t Registry::OpenShardCount(const Caller& caller) const {
  uint32_t n = 0;
  ForEachStream(caller, [&](const Stream& s) { n += s.OpenShardCount(); });
  return n;
}

uint32_t Registry::OnDemandStreamCount(const Caller& caller) const {
  uint32_t n = 0;
  ForEachStream(caller, [&](const Stream& s) { n += s.meta().mode == StreamMode::kOnDemand ? 1 : 0; });
  return n;
}

Status Registry::CreateStream(const StreamRef& ref, uint32_t shard_count, StreamMode mode,
                              std::map<std::string, std::string> tags) {
  Caller caller{ref.account, ref.region};
  uint32_t open = OpenShardCount(caller);
  if (open + shard_count > options_.shard_limit) {
    return Status(ErrorCode::kLimitExceeded,
                  "This request would exceed the shard limit for the account " + ref.account + " in " + ref.region +
                      ". Current shard count for the account: " + std::to_string(open) +
                      ". Limit: " + std::to_string(options_.shard_limit) +
                      ". Number of additional shards that would have resulted from this request: " +
                      std::to_string(shard_count) +
                      ". Refer to the AWS Service Limits page "
                      "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
                      "how to request higher limits.");
  }
  if (mode == StreamMode::kOnDemand && OnDemandStreamCount(caller) >= options_.on_demand_stream_limit) {
    return Status(ErrorCode::kLimitExceeded,
                  "This request would exceed the limit of " + std::to_string(options_.on_demand_stream_limit) +
                      " on-demand streams for the account " + ref.account + " in " + ref.region + ".");
  }
  int64_t now = clock_->NowMs();
  auto stream = std::make_unique<Stream>();
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
  auto ranges = model::EvenHashKeyRanges(shard_count);
  for (uint32_t i = 0; i < shard_count; ++i) {
    ShardMeta s;
    s.index = model::ShardIndex{i};
    s.range = ranges[i];
    s.created_ms = now;
    m.shards.push_back(s);
  }
  m.next_shard_index = shard_count;

  std::unique_lock lock(mu_);
  std::string key = m.Key();
  if (streams_.count(key) != 0) {
    return Status(ErrorCode::kAlreadyExists,
                  "Stream " + ref.name + " under account " + ref.account + " already exists.");
  }
  SPATE_TRY(OpenLogs(stream.get()));
  Status st = catalog_->PutStream(m);
  if (!st.ok()) {
    logs_->DropGroup(m.storage_group).IgnoreError();
    return st;
  }
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

void Registry::Put(const StreamRef& ref, std::vector<PutEntry> entries, PutCallback done) {
  struct Batch {
    model::ShardIndex shard;
    std::shared_ptr<storage::ShardLog> log;
    std::vector<size_t> entry_positions;
  };
  struct Pending {
    std::vector<PutEntry> entries;
    std::vector<PutOutcome> outcomes;
    std::atomic<size_t> remaining{0};
    PutCallback done;
  };
  auto pending = std::make_shared<Pending>();
  pending->entries = std::move(entries);
  pending->outcomes.resize(pending->entries.size());
  pending->done = std::move(done);

  std::vector<Batch> batches;
  std::string key_id;  // non-empty: the stream is encrypted (StartStreamEncryption)
  Status st = WithStream(ref, [&](const Stream& s) {
    if (s.meta().status != StreamStatus::kActive && s.meta().status != StreamStatus::kUpdating) {
      return StreamNotFound(ref);
    }
    if (s.meta().encryption_type == "KMS") key_id = s.meta().key_id;
    for (size_t i = 0; i < pending->entries.size(); ++i) {
      const PutEntry& e = pending->entries[i];
      model::uint128 hash = e.explicit_hash_key ? *e.explicit_hash_key : util::PartitionKeyHash(e.partition_key);
      const ShardMeta* shard = s.Route(hash);
      if (shard == nullptr) return Status(ErrorCode::kInternal, "no open shard holds hash key");
      auto b = std::find_if(batches.begin(), batches.end(), [&](const Batch& x) { return x.shard == shard->index; });
      if (b == batches.end()) {
        batches.push_back(Batch{shard->index, s.Log(shard->index), {}});
        b = batches.end() - 1;
      }
      b->entry_positions.push_back(i);
    }
    return Status::Ok();
  });
  if (!st.ok()) {
    pending->done(st);
    return;
  }
  if (batches.empty()) {
    pending->done(std::move(pending->outcomes));
    return;
  }
  pending->remaining = batches.size();
  int64_t arrival = clock_->NowMs();
  storage::AppendOptions append_options;
  append_options.encryption_key_id = key_id;
  const bool encrypted = !key_id.empty();
  for (Batch& b : batches) {
    std::vector<storage::RecordInput> records;
    records.reserve(b.entry_positions.size());
    for (size_t pos : b.entry_positions) {
      records.push_back({pending->entries[pos].partition_key, pending->entries[pos].data});
    }
    model::ShardIndex shard = b.shard;
    b.log->Append(records, arrival, append_options,
                  [pending, shard, encrypted, positions = std::move(b.entry_positions)](Result<storage::AppendResult> r) {
                    for (size_t j = 0; j < positions.size(); ++j) {
                      PutOutcome& o = pending->outcomes[positions[j]];
                      o.shard = shard;
                      o.encrypted = encrypted;
                      if (r.ok()) {
                        o.sequence = model::SequenceNumber{shard, r->base_offset + j};
                      } else {
                        o.status = r.status();
                      }
                    }
                    if (pending->remaining.fetch_sub(1) == 1) pending->done(std::move(pending->outcomes));
                  });
  }
}

std::string Registry::MakeIterator(const Stream& stream, model::ShardIndex shard, uint64_t offset) const {
  IteratorState it;
  it.issued_ms = clock_->NowMs();
  it.stream_created_ms = stream.meta().created_ms;
  it.shard_index = shard.value;
  it.offset = offset;
  it.account = stream.meta().account;
  it.region = stream.meta().region;
  it.stream_name = stream.meta().name;
  return EncodeIterator(*tokens_, it);
}

Result<GetRecordsOutcome> Registry::GetRecords(std::string_view iterator, size_t limit) const {
  auto state = DecodeIterator(*tokens_, iterator);
  if (!state) return Status(ErrorCode::kInvalidArgument, "Invalid ShardIterator.");
  int64_t now = clock_->NowMs();
  if (now - state->issued_ms > options_.iterator_ttl_ms) {
    return Status(ErrorCode::kExpiredIterator,
                  "Iterator expired. The iterator was created at time " + AmzUtcString(state->issued_ms) +
                      " while right now it is " + AmzUtcString(now) +
                      " which is further in the future than the tolerated delay of " +
                      std::to_string(options_.iterator_ttl_ms) + " milliseconds.");
  }
  model::ShardIndex shard{state->shard_index};
  StreamRef ref{state->account, state->region, state->stream_name};
  auto shard_missing = [&] {
    return Status(ErrorCode::kNotFound, "Shard " + model::ShardIdName(shard) + " in stream " + ref.name +
                                            " under account " + ref.account + " does not exist");
  };
  std::shared_ptr<storage::ShardLog> log;
  std::optional<uint64_t> end_offset;
  std::vector<ShardMeta> children;
  Status st = WithStream(ref, [&](const Stream& s) {
    const ShardMeta* meta = s.FindShard(shard);
    if (s.meta().created_ms != state->stream_created_ms || meta == nullptr) return shard_missing();
    log = s.Log(shard);
    end_offset = meta->end_offset;
    if (end_offset) {
      for (const ShardMeta& c : s.meta().shards) {
        if ((c.parent && *c.parent == shard) || (c.adjacent_parent && *c.adjacent_parent == shard)) {
          children.push_back(c);
        }
      }
    }
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kNotFound) return shard_missing();
  SPATE_TRY(st);

  storage::ReadLimits limits;
  limits.max_records = limit;
  GetRecordsOutcome out;
  out.shard = shard;
  uint64_t from = std::max<uint64_t>(state->offset, log->StartOffset());
  uint64_t tip = log->EndOffset();
  uint64_t next = from;
  if (from < tip) {
    auto read = log->Read(from, limits);
    if (!read.ok()) return read.status();
    out.records = std::move(read->records);
    next = read->next_offset;
  }
  if (next < tip && !out.records.empty()) {
    out.millis_behind_latest = std::max<int64_t>(0, now - out.records.back().arrival_ms);
  }
  if (end_offset && next >= *end_offset) {
    out.children = std::move(children);
  } else {
    IteratorState it = *state;
    it.issued_ms = now;
    it.offset = next;
    out.next_iterator = EncodeIterator(*tokens_, it);
  }
  return out;
}

}  // namespace spate::streams
