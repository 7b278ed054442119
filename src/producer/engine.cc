#include "producer/engine.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_set>
#include <utility>

#include "base/assert.h"

namespace spate::producer {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

bool OneOf(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

bool IsThrottlingError(std::string_view type) {
  return OneOf(type, {"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException",
                      "KMSThrottlingException", "ServiceUnavailableException", "ServiceUnavailable", "SlowDown"});
}

bool IsRetryableCallError(const ApiError& error) {
  return IsThrottlingError(error.type) ||
         OneOf(error.type, {"InternalFailure", "InternalFailureException", "NetworkError", "InvalidResponse"}) ||
         error.http_status >= 500 || error.http_status == 429;
}

bool IsRetryableEntryError(std::string_view error_code) {
  return IsThrottlingError(error_code) || OneOf(error_code, {"InternalFailure", "InternalFailureException"});
}

Engine::Engine(const ProducerConfig& config, uint64_t seed)
    : config_(config),
      bytes_rate_(static_cast<double>(kShardBytesPerSecondLimit) * config.rate_limit_percent / 100.0),
      records_rate_(static_cast<double>(kShardRecordsPerSecondLimit) * config.rate_limit_percent / 100.0),
      rng_(static_cast<std::minstd_rand::result_type>(seed)) {}

Engine::ShardState& Engine::ShardFor(StreamState& s, const std::string& shard_id, int64_t now_ns) {
  auto it = s.shards.find(shard_id);
  if (it == s.shards.end()) it = s.shards.try_emplace(shard_id, bytes_rate_, records_rate_, now_ns).first;
  return it->second;
}

bool Engine::Enqueue(const std::string& stream, RecordPtr record) {
  SPATE_ASSERT(record->id > last_id_, "records are enqueued in id order");
  last_id_ = record->id;
  ++buffered_records_;
  StreamState& s = streams_[stream];
  const std::string* shard_id = s.map ? s.map->Find(record->hash) : nullptr;
  if (shard_id == nullptr || !s.unrouted.empty()) {
    if (s.map && shard_id == nullptr) s.map_stale = true;
    s.unrouted.push_back(std::move(record));
    return s.unrouted.size() == 1 || (s.map_stale && !s.map_requested);
  }
  ShardState& shard = ShardFor(s, *shard_id, record->put_ns);
  shard.pending_bytes += record->buffered_bytes();
  shard.pending.push_back(std::move(record));
  return shard.pending.size() == 1 || !config_.aggregation_enabled ||
         shard.pending_bytes >= config_.aggregation_max_size || shard.pending.size() >= config_.aggregation_max_count;
}

void Engine::Fail(RecordPtr record, ApiError error, std::vector<Completion>* done) {
  --buffered_records_;
  done->push_back(Completion{std::move(record), PutOutcome(std::move(error))});
}

void Engine::ExpireFront(std::deque<RecordPtr>& q, size_t* bytes, int64_t now_ns, std::vector<Completion>* done) {
  while (!q.empty() && q.front()->deadline_ns <= now_ns) {
    RecordPtr r = std::move(q.front());
    q.pop_front();
    if (bytes != nullptr) *bytes -= r->buffered_bytes();
    ApiError error =
        r->last_error ? *r->last_error : ApiError{"RecordExpired", "the record was not put within its TTL", 0};
    error.message += " (record TTL expired after " + std::to_string(r->attempts) + " attempts)";
    Fail(std::move(r), std::move(error), done);
  }
}

int64_t Engine::Backoff(int failures) {
  const int64_t min_ns = config_.min_backoff.count() * kNsPerMs;
  const int64_t max_ns = config_.max_backoff.count() * kNsPerMs;
  int64_t ns = min_ns;
  for (int i = 1; i < failures && ns < max_ns; ++i) ns *= 2;
  ns = std::min(ns, max_ns);
  // Jitter in [ns/2, ns], so producers throttled together do not retry together.
  std::uniform_int_distribution<int64_t> jitter(ns / 2, std::max(ns / 2, ns));
  return jitter(rng_);
}

bool Engine::Ready(const ShardState& shard, int64_t now_ns) const {
  if (shard.in_flight || shard.pending.empty()) return false;
  if (now_ns < shard.retry_at_ns || now_ns < shard.rate_at_ns) return false;
  const UserRecordState& front = *shard.pending.front();
  if (front.id <= flush_upto_ || front.attempts > 0) return true;
  if (!config_.aggregation_enabled) return true;
  if (shard.pending_bytes >= config_.aggregation_max_size || shard.pending.size() >= config_.aggregation_max_count) {
    return true;
  }
  return now_ns >= front.put_ns + config_.record_max_buffered_time.count() * kNsPerMs;
}

std::vector<Work> Engine::Poll(int64_t now_ns, std::vector<Completion>* done) {
  std::vector<Work> works;
  for (auto& [name, s] : streams_) {
    ExpireFront(s.unrouted, nullptr, now_ns, done);
    if (s.map_stale && !s.map_requested && now_ns >= s.map_retry_at_ns) {
      Work w;
      w.kind = Work::Kind::kListShards;
      w.stream = name;
      w.map_version = s.map_version;
      w.sent_ns = now_ns;
      works.push_back(std::move(w));
      s.map_requested = true;
      ++counters_.list_shards_calls;
      ++in_flight_calls_;
    }
    if (!s.map) continue;
    // After a new map, nothing of the stream is sent until the calls built
    // on the old one are answered: a retry of theirs must not land behind
    // newer records of its partition key.
    const bool old_in_flight = std::any_of(s.in_flight_by_version.begin(), s.in_flight_by_version.end(),
                                           [&](const auto& kv) { return kv.first != s.map_version && kv.second > 0; });
    size_t current = works.size();  // the PutRecords call being filled; == works.size(): none yet
    size_t current_size = 0;
    for (auto& [shard_id, shard] : s.shards) {
      if (shard.in_flight) continue;
      ExpireFront(shard.pending, &shard.pending_bytes, now_ns, done);
      if (old_in_flight || !Ready(shard, now_ns)) continue;

      // Adds one entry to the call being filled, or to a new call when it
      // is full (only for a shard's first entry: a shard has at most one
      // call in flight).
      auto call_has_room = [&](size_t kinesis_bytes) {
        return current != works.size() && works[current].entries.size() < config_.collection_max_count &&
               current_size + kinesis_bytes <= config_.collection_max_size;
      };
      auto add_entry = [&](PutRecordsEntry entry, Work::Sent sent) {
        if (!call_has_room(sent.kinesis_bytes)) {
          current = works.size();
          current_size = 0;
          Work w;
          w.kind = Work::Kind::kPutRecords;
          w.stream = name;
          w.map_version = s.map_version;
          w.sent_ns = now_ns;
          works.push_back(std::move(w));
          ++s.in_flight_by_version[s.map_version];
          ++counters_.put_records_calls;
          ++in_flight_calls_;
        }
        for (const RecordPtr& r : sent.records) {
          shard.pending_bytes -= r->buffered_bytes();
          if (r->attempts > 0) ++counters_.retries;
          ++r->attempts;
        }
        current_size += sent.kinesis_bytes;
        works[current].entries.push_back(std::move(entry));
        works[current].sent.push_back(std::move(sent));
        shard.in_flight = true;
      };
      // Whether the shard's rate limiters admit one more Kinesis record of
      // `kinesis_bytes` now (taking the tokens), else when they will.
      auto admit = [&](size_t kinesis_bytes) {
        const auto kb = static_cast<double>(kinesis_bytes);
        if (!shard.bytes.CanTake(kb, now_ns) || !shard.records.CanTake(1, now_ns)) {
          if (!shard.in_flight) {
            shard.rate_at_ns = now_ns + std::max(shard.bytes.WaitNs(kb, now_ns), shard.records.WaitNs(1, now_ns));
            ++counters_.rate_limited_waits;
          }
          return false;
        }
        shard.bytes.Take(kb, now_ns);
        shard.records.Take(1, now_ns);
        return true;
      };

      if (config_.aggregation_enabled) {
        Work::Sent sent;
        sent.shard_id = shard_id;
        PutRecordsEntry entry;
        Aggregator agg(config_.aggregation_max_size, config_.aggregation_max_count);
        while (!shard.pending.empty()) {
          const UserRecordState& r = *shard.pending.front();
          if (!agg.Add(r.partition_key, r.data, r.explicit_hash_key)) break;
          sent.records.push_back(std::move(shard.pending.front()));
          shard.pending.pop_front();
        }
        EncodedRecord enc = agg.Finish();
        sent.aggregated = enc.user_record_count > 1;
        entry.data = std::move(enc.data);
        entry.partition_key = std::move(enc.partition_key);
        entry.explicit_hash_key = std::move(enc.explicit_hash_key);
        sent.kinesis_bytes = entry.data.size() + entry.partition_key.size();
        if (!admit(sent.kinesis_bytes)) {
          for (auto it = sent.records.rbegin(); it != sent.records.rend(); ++it) {
            shard.pending.push_front(std::move(*it));
          }
          continue;
        }
        add_entry(std::move(entry), std::move(sent));
        continue;
      }
      // Plain records: as many of the shard's records as the call has room
      // for, one entry each, but each partition key at most once per call
      // (one entry in flight per key keeps each key's order across retries:
      // a failed entry is sent again before the key's next record). Stops at
      // the first record whose key the call already carries.
      std::unordered_set<std::string_view> keys;
      while (!shard.pending.empty()) {
        const UserRecordState& r = *shard.pending.front();
        const size_t kinesis_bytes = r.data.size() + r.partition_key.size();
        if (shard.in_flight && !call_has_room(kinesis_bytes)) break;
        if (!keys.insert(r.partition_key).second) break;
        if (!admit(kinesis_bytes)) break;
        Work::Sent sent;
        sent.shard_id = shard_id;
        sent.kinesis_bytes = kinesis_bytes;
        PutRecordsEntry entry;
        entry.data = r.data;
        entry.partition_key = r.partition_key;
        entry.explicit_hash_key = r.explicit_hash_key;
        sent.records.push_back(std::move(shard.pending.front()));
        shard.pending.pop_front();
        add_entry(std::move(entry), std::move(sent));
      }
    }
  }
  return works;
}

void Engine::Reroute(StreamState& s, int64_t now_ns) {
  std::vector<RecordPtr> all;
  for (RecordPtr& r : s.unrouted) all.push_back(std::move(r));
  s.unrouted.clear();
  for (auto& [id, shard] : s.shards) {
    for (RecordPtr& r : shard.pending) all.push_back(std::move(r));
    shard.pending.clear();
    shard.pending_bytes = 0;
  }
  std::erase_if(s.shards, [&](const auto& kv) { return !kv.second.in_flight && !s.map->Contains(kv.first); });
  std::sort(all.begin(), all.end(), [](const RecordPtr& a, const RecordPtr& b) { return a->id < b->id; });
  for (RecordPtr& r : all) {
    const std::string* shard_id = s.map->Find(r->hash);
    if (shard_id == nullptr || !s.unrouted.empty()) {
      s.map_stale = true;
      s.unrouted.push_back(std::move(r));
      continue;
    }
    ShardState& shard = ShardFor(s, *shard_id, now_ns);
    shard.pending_bytes += r->buffered_bytes();
    shard.pending.push_back(std::move(r));
  }
}

void Engine::CompleteListShards(Work work, Outcome<std::vector<Shard>> result, int64_t now_ns,
                                std::vector<Completion>* done) {
  --in_flight_calls_;
  StreamState& s = streams_[work.stream];
  s.map_requested = false;
  std::optional<ApiError> error;
  if (result.ok()) {
    std::optional<ShardMap> map = ShardMap::Build(result.value());
    if (map && map->size() > 0) {
      s.map = std::move(map);
      ++s.map_version;
      s.map_stale = false;
      s.map_failures = 0;
      Reroute(s, now_ns);
      return;
    }
    error = ApiError{"InvalidShardMap", "ListShards answered no usable open shards for stream " + work.stream, 0};
  } else {
    error = result.error();
  }
  ++s.map_failures;
  s.map_stale = true;
  s.map_retry_at_ns = now_ns + Backoff(s.map_failures);
  const bool retryable = IsRetryableCallError(*error) || error->type == "InvalidShardMap";
  std::deque<RecordPtr> unrouted = std::move(s.unrouted);
  s.unrouted.clear();
  for (RecordPtr& r : unrouted) {
    if (retryable) {
      r->last_error = *error;
      s.unrouted.push_back(std::move(r));
    } else {
      Fail(std::move(r), *error, done);
    }
  }
}

void Engine::Requeue(StreamState& s, Work::Sent sent, const ApiError& error, uint64_t map_version, int64_t now_ns,
                     bool back_off, std::vector<Completion>* done) {
  std::vector<RecordPtr> keep;
  for (RecordPtr& r : sent.records) {
    r->last_error = error;
    if (r->deadline_ns <= now_ns) {
      ApiError final_error = error;
      final_error.message += " (record TTL expired after " + std::to_string(r->attempts) + " attempts)";
      Fail(std::move(r), std::move(final_error), done);
    } else {
      keep.push_back(std::move(r));
    }
  }
  auto it = s.shards.find(sent.shard_id);
  if (map_version == s.map_version && it != s.shards.end()) {
    ShardState& shard = it->second;
    for (auto r = keep.rbegin(); r != keep.rend(); ++r) {
      shard.pending_bytes += (*r)->buffered_bytes();
      shard.pending.push_front(std::move(*r));
    }
    if (back_off) {
      ++shard.failures;
      shard.retry_at_ns = now_ns + Backoff(shard.failures);
    }
    return;
  }
  // The map changed while the call was out: route them again, in id order.
  for (RecordPtr& r : keep) s.unrouted.push_back(std::move(r));
  if (s.map) Reroute(s, now_ns);
}

void Engine::CompletePutRecords(Work work, Outcome<PutRecordsResult> result, int64_t now_ns,
                                std::vector<Completion>* done) {
  --in_flight_calls_;
  StreamState& s = streams_[work.stream];
  if (--s.in_flight_by_version[work.map_version] <= 0) s.in_flight_by_version.erase(work.map_version);
  for (const Work::Sent& sent : work.sent) {
    if (auto it = s.shards.find(sent.shard_id); it != s.shards.end()) it->second.in_flight = false;
  }
  // Entries to send again, in call order; requeued last to first, each at the
  // front of its shard, so a shard's entries keep their order; each shard
  // backs off once per call.
  std::vector<std::pair<size_t, ApiError>> retry;
  std::optional<ApiError> call_error;
  if (!result.ok()) {
    call_error = result.error();
  } else if (result.value().records.size() != work.entries.size()) {
    call_error = ApiError{"InvalidResponse",
                          "PutRecords answered " + std::to_string(result.value().records.size()) + " results for " +
                              std::to_string(work.entries.size()) + " records",
                          0};
  }
  if (call_error) {
    if (IsThrottlingError(call_error->type)) ++counters_.throttled;
    if (IsRetryableCallError(*call_error)) {
      for (size_t i = 0; i < work.sent.size(); ++i) retry.emplace_back(i, *call_error);
    } else {
      for (Work::Sent& sent : work.sent) {
        for (RecordPtr& r : sent.records) Fail(std::move(r), *call_error, done);
      }
    }
  } else {
    const std::vector<PutRecordsResultEntry>& results = result.value().records;
    for (size_t i = 0; i < results.size(); ++i) {
      const PutRecordsResultEntry& res = results[i];
      Work::Sent& sent = work.sent[i];
      if (res.ok()) {
        ++counters_.kinesis_records_put;
        counters_.kinesis_bytes_put += sent.kinesis_bytes;
        if (auto it = s.shards.find(sent.shard_id); it != s.shards.end()) it->second.failures = 0;
        // Landed elsewhere than the map predicted: the map is out of date.
        if (res.shard_id != sent.shard_id) s.map_stale = true;
        for (size_t j = 0; j < sent.records.size(); ++j) {
          RecordPtr& r = sent.records[j];
          PutResult put{res.shard_id, res.sequence_number, sent.aggregated ? j : 0, sent.aggregated, r->attempts};
          --buffered_records_;
          done->push_back(Completion{std::move(r), PutOutcome(std::move(put))});
        }
        continue;
      }
      ApiError error{res.error_code, res.error_message, 200};
      if (IsThrottlingError(res.error_code)) ++counters_.throttled;
      if (IsRetryableEntryError(res.error_code)) {
        retry.emplace_back(i, std::move(error));
      } else {
        for (RecordPtr& r : sent.records) Fail(std::move(r), error, done);
      }
    }
  }
  std::set<std::string> backed_off;
  for (auto it = retry.rbegin(); it != retry.rend(); ++it) {
    Work::Sent& sent = work.sent[it->first];
    const bool first_of_shard = backed_off.insert(sent.shard_id).second;
    Requeue(s, std::move(sent), it->second, work.map_version, now_ns, first_of_shard, done);
  }
  if (s.map) {
    std::erase_if(s.shards, [&](const auto& kv) {
      return !kv.second.in_flight && kv.second.pending.empty() && !s.map->Contains(kv.first);
    });
  }
}

void Engine::AbortBuffered(const ApiError& error, std::vector<Completion>* done) {
  for (auto& [name, s] : streams_) {
    for (RecordPtr& r : s.unrouted) Fail(std::move(r), error, done);
    s.unrouted.clear();
    for (auto& [id, shard] : s.shards) {
      for (RecordPtr& r : shard.pending) Fail(std::move(r), error, done);
      shard.pending.clear();
      shard.pending_bytes = 0;
    }
  }
}

int64_t Engine::NextWakeNs() const {
  int64_t wake = kNever;
  const int64_t buffered_ns = config_.record_max_buffered_time.count() * kNsPerMs;
  for (auto& [name, s] : streams_) {
    if (s.map_stale && !s.map_requested) wake = std::min(wake, s.map_retry_at_ns);
    if (!s.unrouted.empty()) wake = std::min(wake, s.unrouted.front()->deadline_ns);
    if (!s.map) continue;
    for (auto& [id, shard] : s.shards) {
      if (shard.in_flight || shard.pending.empty()) continue;
      const UserRecordState& front = *shard.pending.front();
      const bool due_now = front.id <= flush_upto_ || front.attempts > 0 || !config_.aggregation_enabled ||
                           shard.pending_bytes >= config_.aggregation_max_size ||
                           shard.pending.size() >= config_.aggregation_max_count;
      int64_t t = due_now ? 0 : front.put_ns + buffered_ns;
      t = std::max({t, shard.retry_at_ns, shard.rate_at_ns});
      wake = std::min({wake, t, front.deadline_ns});
    }
  }
  return wake;
}

}  // namespace spate::producer
