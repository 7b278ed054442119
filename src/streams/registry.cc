#include "streams/registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>

#include "base/log.h"
#include "streams/consumers.h"

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

std::shared_ptr<ShardThroughput> Stream::Meter(model::ShardIndex index) const {
  auto it = meters_.find(index.value);
  return it == meters_.end() ? nullptr : it->second;
}

Status ShardRateExceeded(const StreamMeta& meta, model::ShardIndex shard) {
  return Status(ErrorCode::kThroughputExceeded, "Rate exceeded for shard " + model::ShardIdName(shard) +
                                                    " in stream " + meta.name + " under account " + meta.account +
                                                    ".");
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

Status Registry::StreamNotFound(const StreamRef& ref) {
  return Status(ErrorCode::kNotFound, "Stream " + ref.name + " under account " + ref.account + " not found.");
}

Status Registry::OpenLogs(Stream* stream) {
  for (const ShardMeta& s : stream->meta_.shards) {
    if (stream->logs_.count(s.index.value) != 0) continue;
    auto log = logs_->OpenShard(stream->meta_.storage_group, s.index.value);
    if (!log.ok()) return log.status();
    stream->logs_[s.index.value] = std::move(log).value();
    stream->meters_[s.index.value] = std::make_shared<ShardThroughput>(options_.throughput, clock_);
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
      if (StreamMeta next = m; AdvanceConsumers(&next, now, options_.state_delay_ms)) {
        Status st = catalog_->PutStream(next);
        if (st.ok()) {
          m = std::move(next);
        } else {
          SPATE_LOG_ERROR("cannot update consumers of stream " + m.name + ": " + st.ToString());
        }
      }
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
  ScaleOnDemandStreams();
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
  auto it = streams_.find(LookupKey(ref));
  if (it == streams_.end()) return StreamNotFound(ref);
  return fn(*it->second);
}

Status Registry::UpdateStream(const StreamRef& ref, const std::function<Status(StreamMeta&)>& fn) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
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

// Closing a shard (resharding) versus Put. Put routes its entries and
// calls ShardLog::Append for every batch while holding mu_ shared; Append
// assigns the batch's offsets before it returns. Reshard() holds mu_
// exclusively while it reads each parent's AssignedEndOffset() and swaps
// the routes. So every Put either finished its Appends before the reshard
// took the lock (its offsets, acknowledged or still queued in the storage
// writer, are below the parent's end offset) or routes after it (to the
// children, never to a closed shard). A disk-full rewind can only lower a
// closed log's assigned end, so the parent's tail above it stays empty;
// GetRecords treats a closed shard whose log has settled as fully read.
void Registry::Put(const StreamRef& ref, std::vector<PutEntry> entries, PutCallback done,
                   std::string_view fault_operation) {
  struct Batch {
    model::ShardIndex shard;
    std::shared_ptr<storage::ShardLog> log;
    std::vector<size_t> entry_positions;
    std::string storage_group;
  };
  struct Pending {
    std::vector<PutEntry> entries;
    std::vector<PutOutcome> outcomes;
    // Batches in flight plus one for the issuing call, so done never runs
    // while Put still holds mu_ (Append may complete inline).
    std::atomic<size_t> remaining{1};
    PutCallback done;
    void Release() {
      if (remaining.fetch_sub(1) == 1) done(std::move(outcomes));
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->entries = std::move(entries);
  pending->outcomes.resize(pending->entries.size());
  pending->done = std::move(done);

  Status st;
  std::string key_id;  // non-empty: the stream is encrypted (StartStreamEncryption)
  {
    std::shared_lock lock(mu_);
    auto it = streams_.find(LookupKey(ref));
    const Stream* s = it == streams_.end() ? nullptr : it->second.get();
    if (s == nullptr ||
        (s->meta().status != StreamStatus::kActive && s->meta().status != StreamStatus::kUpdating)) {
      st = StreamNotFound(ref);
    } else if (s->meta().encryption_type == "KMS") {
      key_id = s->meta().key_id;
    }
    std::vector<Batch> batches;
    for (size_t i = 0; st.ok() && i < pending->entries.size(); ++i) {
      const PutEntry& e = pending->entries[i];
      model::uint128 hash = e.explicit_hash_key ? *e.explicit_hash_key : util::PartitionKeyHash(e.partition_key);
      const ShardMeta* shard = s->Route(hash);
      if (shard == nullptr) {
        st = Status(ErrorCode::kInternal, "no open shard holds hash key");
        break;
      }
      PutOutcome& o = pending->outcomes[i];
      o.shard = shard->index;
      if (!fault_operation.empty()) {
        o.status = faults_.Draw(fault_operation, ref.name, ref.account);
        if (o.status.code() == ErrorCode::kThroughputExceeded) o.status = ShardRateExceeded(s->meta(), shard->index);
        if (!o.status.ok()) continue;
      }
      if (!s->Meter(shard->index)->AdmitWrite(e.data.size() + e.partition_key.size())) {
        o.status = ShardRateExceeded(s->meta(), shard->index);
        continue;
      }
      auto b = std::find_if(batches.begin(), batches.end(), [&](const Batch& x) { return x.shard == shard->index; });
      if (b == batches.end()) {
        batches.push_back(Batch{shard->index, s->Log(shard->index), {}, s->meta().storage_group});
        b = batches.end() - 1;
      }
      b->entry_positions.push_back(i);
    }
    if (st.ok()) {
      pending->remaining += batches.size();
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
                      [this, pending, shard, encrypted, group = std::move(b.storage_group),
                       positions = std::move(b.entry_positions)](Result<storage::AppendResult> r) {
                        // Wake enhanced fan-out: the batch is durable now.
                        if (r.ok() && append_observer_) append_observer_(group, shard);
                        for (size_t j = 0; j < positions.size(); ++j) {
                          PutOutcome& o = pending->outcomes[positions[j]];
                          o.encrypted = encrypted;
                          if (r.ok()) {
                            o.sequence = model::SequenceNumber{shard, r->base_offset + j};
                          } else {
                            o.status = r.status();
                          }
                        }
                        pending->Release();
                      });
      }
    }
  }
  if (!st.ok()) {
    // Nothing was appended: no batch holds a reference.
    pending->done(st);
    return;
  }
  pending->Release();
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

Result<GetRecordsOutcome> Registry::GetRecords(std::string_view iterator, size_t limit,
                                               const std::function<Status(const Stream&)>& authorize) const {
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
  std::shared_ptr<ShardThroughput> meter;
  std::optional<uint64_t> end_offset;
  std::vector<ShardMeta> children;
  Status authorized;
  Status st = WithStream(ref, [&](const Stream& s) {
    if (authorize) {
      authorized = authorize(s);
      if (!authorized.ok()) return authorized;
    }
    const ShardMeta* meta = s.FindShard(shard);
    if (s.meta().created_ms != state->stream_created_ms || meta == nullptr) return shard_missing();
    Status injected = faults_.Draw("GetRecords", ref.name, ref.account);
    if (injected.code() == ErrorCode::kThroughputExceeded) return ShardRateExceeded(s.meta(), shard);
    SPATE_TRY(injected);
    meter = s.Meter(shard);
    if (!meter->AdmitRead()) return ShardRateExceeded(s.meta(), shard);
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
  if (!authorized.ok()) return authorized;
  if (st.code() == ErrorCode::kNotFound) return shard_missing();
  SPATE_TRY(st);

  storage::ReadLimits limits;
  limits.max_records = limit;
  GetRecordsOutcome out;
  out.shard = shard;
  uint64_t from = std::max<uint64_t>(state->offset, log->StartOffset());
  uint64_t tip = log->EndOffset();
  // Read even at the tip: a log that failed verification reports it there
  // (InternalFailure) instead of looking empty.
  auto read = log->Read(from, limits);
  if (!read.ok()) return read.status();
  out.records = std::move(read->records);
  uint64_t next = std::max(from, read->next_offset);
  if (next < tip && !out.records.empty()) {
    out.millis_behind_latest = std::max<int64_t>(0, now - out.records.back().arrival_ms);
  }
  uint64_t response_bytes = 0;
  for (const storage::StoredRecord& r : out.records) response_bytes += r.data.size() + r.partition_key.size();
  meter->ChargeRead(response_bytes);
  // A closed shard is fully read at its end offset, or at its settled tip
  // when a disk-full rewind failed its last queued batches (see Put). Read
  // the tip before the assigned end: after closing, the tip only grows and
  // the assigned end only shrinks, so equality means nothing is in flight.
  bool at_end = false;
  if (end_offset) {
    uint64_t acked = log->EndOffset();
    at_end = next >= *end_offset || (next >= acked && log->AssignedEndOffset() == acked);
  }
  if (at_end) {
    out.children = std::move(children);
  } else {
    IteratorState it = *state;
    it.issued_ms = now;
    it.offset = next;
    out.next_iterator = EncodeIterator(*tokens_, it);
  }
  return out;
}

// ------------------------------------------------------------ Resharding

// Edits a copy of one stream's record under the exclusive lock. Closing a
// shard records its log's assigned end (see the comment above Put). Shards
// created and closed by the same plan (UpdateShardCount's short-lived
// ones) have no log yet: they close empty, at offset 0.
class Registry::Resharder {
 public:
  Resharder(const Stream& stream, StreamMeta* meta, int64_t now) : stream_(stream), meta_(*meta), now_(now) {}

  StreamMeta& meta() { return meta_; }
  int64_t now() const { return now_; }

  ShardMeta* Find(model::ShardIndex index) {
    for (ShardMeta& s : meta_.shards) {
      if (s.index == index) return &s;
    }
    return nullptr;
  }

  // Open shards, by range start.
  std::vector<model::ShardIndex> OpenByRange() const {
    std::vector<const ShardMeta*> open;
    for (const ShardMeta& s : meta_.shards) {
      if (!s.closed()) open.push_back(&s);
    }
    std::sort(open.begin(), open.end(),
              [](const ShardMeta* a, const ShardMeta* b) { return a->range.start < b->range.start; });
    std::vector<model::ShardIndex> out;
    for (const ShardMeta* s : open) out.push_back(s->index);
    return out;
  }

  // Splits open shard `index` so the second child starts at `key`
  // (range.start < key <= range.end). Returns the children.
  std::pair<model::ShardIndex, model::ShardIndex> Split(model::ShardIndex index, model::uint128 key) {
    model::HashKeyRange r = Find(index)->range;
    Close(index);
    model::ShardIndex a = Add({r.start, key - 1}, index, std::nullopt);
    model::ShardIndex b = Add({key, r.end}, index, std::nullopt);
    return {a, b};
  }

  // Merges open shard `low` with the open shard `high` right above it.
  model::ShardIndex Merge(model::ShardIndex low, model::ShardIndex high) {
    model::HashKeyRange r{Find(low)->range.start, Find(high)->range.end};
    Close(low);
    Close(high);
    return Add(r, low, high);
  }

 private:
  void Close(model::ShardIndex index) {
    std::shared_ptr<storage::ShardLog> log = stream_.Log(index);
    ShardMeta* s = Find(index);
    s->end_offset = log ? log->AssignedEndOffset() : s->starting_offset;
    s->closed_ms = now_;
  }

  model::ShardIndex Add(model::HashKeyRange range, model::ShardIndex parent,
                        std::optional<model::ShardIndex> adjacent) {
    ShardMeta c;
    c.index = model::ShardIndex{meta_.next_shard_index++};
    c.range = range;
    c.parent = parent;
    c.adjacent_parent = adjacent;
    c.created_ms = now_;
    meta_.shards.push_back(c);
    return c.index;
  }

  const Stream& stream_;
  StreamMeta& meta_;
  int64_t now_;
};

Status Registry::Reshard(const StreamRef& ref, const std::function<Status(Resharder&)>& plan) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
  if (it == streams_.end()) return StreamNotFound(ref);
  Stream& s = *it->second;
  StreamMeta copy = s.meta_;
  Resharder r(s, &copy, clock_->NowMs());
  SPATE_TRY(plan(r));
  SPATE_TRY(catalog_->PutStream(copy));
  s.meta_ = std::move(copy);
  // Opens the children's logs and routes new records to them (RebuildRoutes
  // skips closed shards) before mu_ is released.
  return OpenLogs(&s);
}

Status Registry::ShardLimitError(const StreamRef& ref, uint32_t open, uint32_t additional) const {
  return Status(ErrorCode::kLimitExceeded,
                "This request would exceed the shard limit for the account " + ref.account + " in " + ref.region +
                    ". Current shard count for the account: " + std::to_string(open) +
                    ". Limit: " + std::to_string(options_.shard_limit) +
                    ". Number of additional shards that would have resulted from this request: " +
                    std::to_string(additional) +
                    ". Refer to the AWS Service Limits page "
                    "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
                    "how to request higher limits.");
}

namespace {

Status RequireProvisioned(const StreamMeta& m) {
  if (m.mode != StreamMode::kOnDemand) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "Request is invalid. Stream " + m.name + " under account " + m.account + " is in On-Demand mode.");
}

Status RequireActiveStream(const StreamMeta& m) {
  if (m.status == StreamStatus::kActive) return Status::Ok();
  return Status(ErrorCode::kResourceInUse, "Stream " + m.name + " under account " + m.account +
                                               " not ACTIVE, instead in state " +
                                               std::string(metadata::StreamStatusName(m.status)));
}

void StartUpdating(StreamMeta& m, int64_t now) {
  m.status = StreamStatus::kUpdating;
  m.status_since_ms = now;
}

}  // namespace

Status Registry::SplitShard(const StreamRef& ref, std::string_view shard_id, std::string_view new_starting_hash_key) {
  uint32_t account_open = OpenShardCount(Caller{ref.account, ref.region});
  return Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActiveStream(m));
    auto index = model::ParseShardId(shard_id);
    ShardMeta* shard = index ? r.Find(*index) : nullptr;
    if (shard == nullptr) {
      return Status(ErrorCode::kNotFound, "Could not find shard " + std::string(shard_id) + " in stream " + m.name +
                                              " under account " + m.account + ".");
    }
    std::string name = model::ShardIdName(shard->index);
    if (shard->closed()) {
      return Status(ErrorCode::kInvalidArgument, "Shard " + name + " in stream " + m.name + " under account " +
                                                     m.account +
                                                     " has already been merged or split, and thus is not eligible for "
                                                     "merging or splitting.");
    }
    auto key = util::ParseDecimal128(new_starting_hash_key);
    model::HashKeyRange range = shard->range;
    if (!key || *key <= range.start + 1 || *key >= range.end) {
      return Status(ErrorCode::kInvalidArgument,
                    "NewStartingHashKey " + std::string(new_starting_hash_key) + " used in SplitShard() on shard " +
                        name + " in stream " + m.name + " under account " + m.account +
                        " is not both greater than one plus the shard's StartingHashKey " +
                        util::ToDecimal(range.start) + " and less than the shard's EndingHashKey " +
                        util::ToDecimal(range.end) + ".");
    }
    if (account_open + 1 > options_.shard_limit) return ShardLimitError(ref, account_open, 1);
    r.Split(shard->index, *key);
    StartUpdating(m, r.now());
    return Status::Ok();
  });
}

Status Registry::MergeShards(const StreamRef& ref, std::string_view shard_id, std::string_view adjacent_shard_id) {
  return Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActiveStream(m));
    ShardMeta* shards[2] = {nullptr, nullptr};
    std::string_view ids[2] = {shard_id, adjacent_shard_id};
    for (int i = 0; i < 2; ++i) {
      auto index = model::ParseShardId(ids[i]);
      shards[i] = index ? r.Find(*index) : nullptr;
      if (shards[i] == nullptr) {
        return Status(ErrorCode::kNotFound, "Could not find shard " + std::string(ids[i]) + " in stream " + m.name +
                                                " under account " + m.account + ".");
      }
    }
    for (ShardMeta* s : shards) {
      if (s->closed()) {
        return Status(ErrorCode::kInvalidArgument,
                      "Shard " + model::ShardIdName(s->index) + " in stream " + m.name + " under account " +
                          m.account + " has already been merged or split, and thus is not eligible for merging or "
                          "splitting.");
      }
    }
    // ShardToMerge must be the lower range, AdjacentShardToMerge directly
    // above it (AWS rejects the inverted pair too).
    if (shards[0]->index == shards[1]->index || shards[0]->range.end == model::uint128(~model::uint128(0)) ||
        shards[0]->range.end + 1 != shards[1]->range.start) {
      return Status(ErrorCode::kInvalidArgument,
                    "Shards " + model::ShardIdName(shards[0]->index) + " and " + model::ShardIdName(shards[1]->index) +
                        " in stream " + m.name + " under account " + m.account +
                        " are not an adjacent pair of shards eligible for merging");
    }
    r.Merge(shards[0]->index, shards[1]->index);
    StartUpdating(m, r.now());
    return Status::Ok();
  });
}

// UNIFORM_SCALING, as AWS does it, by splits and merges: first split every
// open shard that a target boundary (i * floor(2^128 / N)) cuts, then merge
// the pieces inside each target range from left to right. Every step has
// AWS's lineage (one parent per split child, parent + adjacent parent per
// merge child); pieces that a later merge consumes are short-lived shards,
// closed empty at once, as AWS's are (4 -> 5 shards leaves 15 shards in all,
// as AWS does). The open shards end with exactly EvenHashKeyRanges(N).
Result<uint32_t> Registry::UpdateShardCount(const StreamRef& ref, uint32_t target) {
  uint32_t account_open = OpenShardCount(Caller{ref.account, ref.region});
  uint32_t current = 0;
  Status st = Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActiveStream(m));
    std::vector<model::ShardIndex> open = r.OpenByRange();
    current = static_cast<uint32_t>(open.size());
    auto counts = [&] {
      return ". Current open shard count: " + std::to_string(current) +
             " Target shard count: " + std::to_string(target);
    };
    if (target > 2 * static_cast<uint64_t>(current)) {
      return Status(ErrorCode::kLimitExceeded,
                    "UpdateShardCount cannot scale up over double your current open shard count" + counts());
    }
    if (2 * static_cast<uint64_t>(target) < current) {
      return Status(ErrorCode::kLimitExceeded,
                    "UpdateShardCount cannot scale down below half your current open shard count" + counts());
    }
    if (static_cast<uint64_t>(account_open) - current + target > options_.shard_limit) {
      return Status(ErrorCode::kLimitExceeded, "Target shard count or number of open shards cannot be greater than " +
                                                   std::to_string(options_.shard_limit) + counts());
    }
    std::vector<model::HashKeyRange> goal = model::EvenHashKeyRanges(target);
    // 1. Split where a target range starts inside an open shard.
    size_t next_goal = 1;
    std::vector<model::ShardIndex> pieces;
    for (model::ShardIndex idx : open) {
      model::ShardIndex cur = idx;
      while (next_goal < goal.size() && goal[next_goal].start <= r.Find(cur)->range.end) {
        model::uint128 key = goal[next_goal++].start;
        if (key == r.Find(cur)->range.start) continue;  // already a boundary
        auto [low, high] = r.Split(cur, key);
        pieces.push_back(low);
        cur = high;
      }
      pieces.push_back(cur);
    }
    // 2. Merge the pieces of each target range.
    size_t p = 0;
    for (const model::HashKeyRange& g : goal) {
      model::ShardIndex acc = pieces[p++];
      while (r.Find(acc)->range.end < g.end) acc = r.Merge(acc, pieces[p++]);
    }
    SPATE_ASSERT(p == pieces.size(), "UpdateShardCount pieces must tile the target ranges");
    StartUpdating(m, r.now());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return current;
}

Status Registry::UpdateStreamMode(const StreamRef& ref, StreamMode mode) {
  uint32_t on_demand = OnDemandStreamCount(Caller{ref.account, ref.region});
  return UpdateStream(ref, [&](StreamMeta& m) -> Status {
    SPATE_TRY(RequireActiveStream(m));
    if (mode == StreamMode::kOnDemand && m.mode != StreamMode::kOnDemand &&
        on_demand >= options_.on_demand_stream_limit) {
      return Status(ErrorCode::kLimitExceeded,
                    "This request would exceed the limit of " + std::to_string(options_.on_demand_stream_limit) +
                        " on-demand streams for the account " + ref.account + " in " + ref.region + ".");
    }
    m.mode = mode;
    StartUpdating(m, clock_->NowMs());
    return Status::Ok();
  });
}

// On-demand scaling rule: a shard of an ACTIVE on-demand stream whose
// offered write load (accepted or throttled records) stayed above its write
// capacity in every second for on_demand_scale_after_ms is split at the
// middle of its hash-key range, within the shard quota. The stream stays
// ACTIVE (AWS scales on-demand streams without UPDATING); the children
// start with fresh meters, so a still-hot key range splits again later.
void Registry::ScaleOnDemandStreams() {
  struct Candidate {
    StreamRef ref;
    model::ShardIndex shard;
  };
  std::vector<Candidate> hot;
  std::map<std::string, uint32_t> account_open;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, s] : streams_) {
      const StreamMeta& m = s->meta_;
      account_open[m.account + "/" + m.region] += s->OpenShardCount();
      if (m.mode != StreamMode::kOnDemand || m.status != StreamStatus::kActive) continue;
      for (size_t pos : s->routes_) {
        const ShardMeta& shard = m.shards[pos];
        if (shard.range.end - shard.range.start < 4) continue;  // too narrow to split
        if (s->Meter(shard.index)->HotForMs() >= options_.on_demand_scale_after_ms) {
          hot.push_back({StreamRef{m.account, m.region, m.name}, shard.index});
        }
      }
    }
  }
  for (const Candidate& c : hot) {
    uint32_t& open = account_open[c.ref.account + "/" + c.ref.region];
    if (open + 1 > options_.shard_limit) continue;
    Status st = Reshard(c.ref, [&](Resharder& r) -> Status {
      const ShardMeta* shard = r.Find(c.shard);
      if (r.meta().mode != StreamMode::kOnDemand || shard == nullptr || shard->closed()) {
        return Status(ErrorCode::kResourceInUse, "changed since");
      }
      model::HashKeyRange range = shard->range;
      r.Split(c.shard, range.start + (range.end - range.start) / 2 + 1);
      return Status::Ok();
    });
    if (st.ok()) {
      ++open;
      SPATE_LOG_INFO("on-demand stream " + c.ref.name + ": split hot shard " + model::ShardIdName(c.shard));
    } else if (st.code() != ErrorCode::kResourceInUse) {
      SPATE_LOG_WARN("on-demand stream " + c.ref.name + ": cannot split " + model::ShardIdName(c.shard) + ": " +
                     st.ToString());
    }
  }
}

Status Registry::AdmitCall(const Caller& caller, std::string_view operation, std::string_view stream_name) {
  // PutRecords and GetRecords draw faults per record / per shard in Put and
  // GetRecords, where the shard is known.
  if (operation != "PutRecords" && operation != "GetRecords") {
    SPATE_TRY(faults_.Draw(operation, stream_name, caller.account));
  }
  return control_plane_.Admit(caller.account, caller.region, operation, stream_name);
}

Status Registry::AdmitShardIterator(const Stream& stream, model::ShardIndex shard) const {
  std::shared_ptr<ShardThroughput> meter = stream.Meter(shard);
  if (meter != nullptr && !meter->AdmitIterator()) return ShardRateExceeded(stream.meta(), shard);
  return Status::Ok();
}

}  // namespace spate::streams
