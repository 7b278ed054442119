#pragma once

// Fakes for the consumer's unit tests: an in-memory lease table with the
// server's compare-and-set semantics (docs/leases.md), and a KinesisClient
// holding a few shards of records. The integration tests
// (tests/integration/test_consumer.py) use the real client and spated.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "consumer/lease_store.h"
#include "spate/kinesis_client.h"

namespace spate::consumer::testing {

class MemoryLeaseStore final : public LeaseStore {
 public:
  Outcome<std::vector<LeaseRecord>> List() override {
    std::lock_guard lock(mu_);
    ++lists;
    std::vector<LeaseRecord> out;
    for (const auto& [shard, l] : leases_) out.push_back(l);
    return out;
  }
  Outcome<LeaseRecord> Create(const std::string& shard_id, const std::string& checkpoint,
                              const std::vector<std::string>& parents) override {
    std::lock_guard lock(mu_);
    if (leases_.count(shard_id) != 0) return ApiError{"ResourceInUseException", "exists", 400};
    LeaseRecord l;
    l.shard_id = shard_id;
    l.checkpoint = checkpoint;
    l.parent_shard_ids = parents;
    leases_[shard_id] = l;
    return l;
  }
  Outcome<LeaseRecord> Update(const LeaseUpdate& u) override {
    std::lock_guard lock(mu_);
    auto it = leases_.find(u.shard_id);
    if (it == leases_.end()) return ApiError{"ResourceNotFoundException", "no lease", 400};
    LeaseRecord& l = it->second;
    if (l.counter != u.expected_counter || (u.expected_owner && *u.expected_owner != l.owner)) {
      return ApiError{std::string(kConcurrentModification), "condition failed", 400};
    }
    ++l.counter;
    if (u.owner) l.owner = *u.owner;
    if (u.checkpoint) {
      l.checkpoint = *u.checkpoint;
      l.checkpoint_sub_sequence = u.checkpoint_sub_sequence;
    }
    return l;
  }
  Outcome<Done> Delete(const std::string& shard_id, int64_t expected_counter) override {
    std::lock_guard lock(mu_);
    auto it = leases_.find(shard_id);
    if (it == leases_.end()) return ApiError{"ResourceNotFoundException", "no lease", 400};
    if (it->second.counter != expected_counter) {
      return ApiError{std::string(kConcurrentModification), "condition failed", 400};
    }
    leases_.erase(it);
    return Done{};
  }
  bool Has(const std::string& shard_id) {
    std::lock_guard lock(mu_);
    return leases_.count(shard_id) != 0;
  }
  LeaseRecord Get(const std::string& shard_id) {
    std::lock_guard lock(mu_);
    return leases_.at(shard_id);
  }
  int lists = 0;

 private:
  std::mutex mu_;
  std::map<std::string, LeaseRecord> leases_;
};

// Shards of records; iterators are "<shard>/<index>".
class FakeStream final : public KinesisClient {
 public:
  struct FakeShard {
    Shard shard;
    std::vector<Record> records;
    bool closed = false;
  };

  void AddShard(const std::string& id, const std::string& parent = {}) {
    std::lock_guard lock(mu_);
    FakeShard s;
    s.shard.shard_id = id;
    s.shard.parent_shard_id = parent;
    shards_[id] = s;
  }
  void Put(const std::string& shard, std::string data, std::string partition_key = "pk") {
    std::lock_guard lock(mu_);
    Record r;
    r.sequence_number = std::to_string(100 + ++sequence_);
    r.partition_key = std::move(partition_key);
    r.data = std::move(data);
    r.approximate_arrival_timestamp_ms = 0;
    shards_.at(shard).records.push_back(std::move(r));
  }
  void Close(const std::string& shard) {
    std::lock_guard lock(mu_);
    shards_.at(shard).closed = true;
    shards_.at(shard).shard.ending_sequence_number = std::to_string(100 + sequence_);
  }
  std::string SequenceOf(const std::string& shard, size_t index) {
    std::lock_guard lock(mu_);
    return shards_.at(shard).records.at(index).sequence_number;
  }
  int expire_next_get_records = 0;

  const ClientConfig& config() const override { return config_; }
  Outcome<std::string> CallJson(std::string_view, std::string_view, std::string_view) override { return No(); }
  Outcome<Done> CreateStream(std::string_view, int) override { return No(); }
  Outcome<Done> DeleteStream(std::string_view, bool) override { return No(); }
  Outcome<StreamSummary> DescribeStreamSummary(std::string_view) override { return No(); }
  Outcome<std::vector<std::string>> ListStreams() override { return No(); }
  Outcome<Done> UpdateShardCount(std::string_view, int) override { return No(); }
  Outcome<PutRecordResult> PutRecord(std::string_view, const PutRecordsEntry&) override { return No(); }
  Outcome<PutRecordsResult> PutRecords(std::string_view, const std::vector<PutRecordsEntry>&) override { return No(); }
  Outcome<std::vector<Shard>> ListShards(std::string_view) override {
    std::lock_guard lock(mu_);
    std::vector<Shard> out;
    for (const auto& [id, s] : shards_) out.push_back(s.shard);
    return out;
  }
  Outcome<std::string> GetShardIterator(std::string_view, std::string_view shard_id,
                                        const IteratorPosition& position) override {
    std::lock_guard lock(mu_);
    const FakeShard& s = shards_.at(std::string(shard_id));
    size_t index = 0;
    if (position.type == IteratorPosition::Type::kLatest) index = s.records.size();
    if (position.type == IteratorPosition::Type::kAtSequenceNumber) {
      while (index < s.records.size() && s.records[index].sequence_number != position.sequence_number) ++index;
    }
    ++get_iterator_calls;
    return std::string(shard_id) + "/" + std::to_string(index);
  }
  Outcome<GetRecordsResult> GetRecords(std::string_view iterator, int limit) override {
    std::lock_guard lock(mu_);
    if (expire_next_get_records > 0) {
      --expire_next_get_records;
      return ApiError{"ExpiredIteratorException", "expired", 400};
    }
    const size_t slash = iterator.find('/');
    const std::string shard(iterator.substr(0, slash));
    size_t index = std::stoul(std::string(iterator.substr(slash + 1)));
    const FakeShard& s = shards_.at(shard);
    GetRecordsResult out;
    while (index < s.records.size() && out.records.size() < static_cast<size_t>(limit)) {
      out.records.push_back(s.records[index++]);
    }
    if (!(s.closed && index == s.records.size())) out.next_shard_iterator = shard + "/" + std::to_string(index);
    return out;
  }
  int get_iterator_calls = 0;

  // Fan-out, as spated pushes: each subscription first sends an empty event
  // whose continuation is the sequence number before its start (for the
  // first record: that record's own, as spated does), then events of up to
  // `records_per_event` records, and ends after `events_per_subscription`
  // events; the last event of a closed shard read to its end carries
  // ChildShards (none here) and ends the shard.
  size_t records_per_event = 2;
  int events_per_subscription = 3;
  std::vector<IteratorPosition> subscriptions;  // each subscription's start
  Outcome<Done> SubscribeToShard(std::string_view, std::string_view shard_id, const IteratorPosition& position,
                                 const SubscribeToShardHandler& handler) override {
    std::vector<SubscribeToShardEvent> events;
    {
      std::lock_guard lock(mu_);
      subscriptions.push_back(position);
      const FakeShard& s = shards_.at(std::string(shard_id));
      size_t index = 0;
      if (position.type == IteratorPosition::Type::kLatest) index = s.records.size();
      for (size_t i = 0; i < s.records.size(); ++i) {
        const std::string& seq = s.records[i].sequence_number;
        if (position.type == IteratorPosition::Type::kAtSequenceNumber && seq == position.sequence_number) index = i;
        if (position.type == IteratorPosition::Type::kAfterSequenceNumber && seq == position.sequence_number) {
          index = i + 1;
        }
      }
      SubscribeToShardEvent heartbeat;
      if (!s.records.empty())
        heartbeat.continuation_sequence_number = s.records[index > 0 ? index - 1 : 0].sequence_number;
      if (heartbeat.continuation_sequence_number.empty()) heartbeat.continuation_sequence_number = "100";
      events.push_back(heartbeat);
      while (static_cast<int>(events.size()) < events_per_subscription) {
        SubscribeToShardEvent ev;
        while (index < s.records.size() && ev.records.size() < records_per_event)
          ev.records.push_back(s.records[index++]);
        ev.continuation_sequence_number = events.back().continuation_sequence_number;
        if (!ev.records.empty()) ev.continuation_sequence_number = ev.records.back().sequence_number;
        if (s.closed && index == s.records.size()) {
          ev.shard_ended = true;
          ev.continuation_sequence_number.clear();
          events.push_back(ev);
          break;
        }
        if (ev.records.empty()) break;
        events.push_back(ev);
      }
    }
    for (SubscribeToShardEvent& ev : events) {
      if (!handler.on_event(ev) || ev.shard_ended) break;
    }
    return Done{};
  }

 private:
  static ApiError No() { return ApiError{"UnknownOperationException", "not in the fake", 400}; }
  ClientConfig config_;
  std::mutex mu_;
  std::map<std::string, FakeShard> shards_;
  int sequence_ = 0;
};

}  // namespace spate::consumer::testing
