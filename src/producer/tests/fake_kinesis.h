#pragma once

// A fake of our own KinesisClient interface for the producer's unit tests:
// a stream of N shards splitting the hash-key space evenly, that routes and
// stores what PutRecords sends, and whose answers a test can script. The
// integration tests (tests/integration/test_producer.py) use the real client
// against a real spated.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spate/kinesis_client.h"
#include "util/hash_key.h"

namespace spate::producer::testing {

inline std::string ShardIdOf(int i) {
  std::string n = std::to_string(i);
  return "shardId-" + std::string(12 - n.size(), '0') + n;
}

// The open shards of an evenly split stream.
inline std::vector<Shard> EvenShards(int count, int first_index = 0) {
  std::vector<Shard> shards;
  const util::uint128 step = util::kMaxHashKey / static_cast<util::uint128>(count);
  for (int i = 0; i < count; ++i) {
    Shard s;
    s.shard_id = ShardIdOf(first_index + i);
    const util::uint128 start = step * static_cast<util::uint128>(i);
    const util::uint128 end = i == count - 1 ? util::kMaxHashKey : start + step - 1;
    s.hash_key_range = {util::ToDecimal(start), util::ToDecimal(end)};
    s.starting_sequence_number = "0";
    shards.push_back(s);
  }
  return shards;
}

// A Kinesis record as the fake stored it.
struct Stored {
  std::string shard_id;
  std::string sequence_number;
  PutRecordsEntry entry;
};

class FakeKinesis final : public KinesisClient {
 public:
  explicit FakeKinesis(int shard_count) : shards_(EvenShards(shard_count)) {}

  // Scripts PutRecords: return an ApiError for the whole call, or nullopt to
  // store; `entry_error` may fail single entries (return an error code).
  std::function<std::optional<ApiError>(int call)> call_error;
  std::function<std::string(int call, size_t index)> entry_error;
  std::function<void()> before_put;  // runs at the start of each PutRecords (e.g. a gate)

  void SetShards(std::vector<Shard> shards) {
    std::lock_guard lk(mu_);
    shards_ = std::move(shards);
  }
  std::vector<Stored> stored() const {
    std::lock_guard lk(mu_);
    return stored_;
  }
  int put_calls() const {
    std::lock_guard lk(mu_);
    return put_calls_;
  }
  int list_calls() const {
    std::lock_guard lk(mu_);
    return list_calls_;
  }

  const ClientConfig& config() const override { return config_; }
  Outcome<std::string> CallJson(std::string_view, std::string_view, std::string_view) override {
    return ApiError{"UnknownOperationException", "the fake serves only ListShards and PutRecords", 400};
  }
  Outcome<Done> CreateStream(std::string_view, int) override { return Unsupported(); }
  Outcome<Done> DeleteStream(std::string_view, bool) override { return Unsupported(); }
  Outcome<StreamSummary> DescribeStreamSummary(std::string_view) override { return Unsupported(); }
  Outcome<std::vector<std::string>> ListStreams() override { return Unsupported(); }
  Outcome<Done> UpdateShardCount(std::string_view, int) override { return Unsupported(); }
  Outcome<PutRecordResult> PutRecord(std::string_view, const PutRecordsEntry&) override { return Unsupported(); }
  Outcome<std::string> GetShardIterator(std::string_view, std::string_view, const IteratorPosition&) override {
    return Unsupported();
  }
  Outcome<GetRecordsResult> GetRecords(std::string_view, int) override { return Unsupported(); }

  // Exactly-once appends: InitProducer hands out growing epochs (one id
  // space); PutRecordsStamped refuses an older epoch, answers a stamp whose
  // records it stored with the first answer (as spated does), and records
  // every stamp it is sent. `lose_answer(call)`: store, then fail the call
  // as if its answer was lost (a 500).
  std::function<bool(int call)> lose_answer;
  std::vector<ProducerStamp> stamps() const {
    std::lock_guard lk(mu_);
    return stamps_;
  }
  int init_calls() const {
    std::lock_guard lk(mu_);
    return init_calls_;
  }
  Outcome<ProducerIdentity> InitProducer(std::string_view producer_id) override {
    std::lock_guard lk(mu_);
    ++init_calls_;
    return ProducerIdentity{producer_id.empty() ? "generated" : std::string(producer_id), ++epoch_};
  }
  Outcome<PutRecordsResult> PutRecordsStamped(std::string_view stream, const std::vector<PutRecordsEntry>& entries,
                                              const ProducerStamp& stamp) override {
    int call = 0;
    {
      std::lock_guard lk(mu_);
      call = static_cast<int>(stamps_.size());
      stamps_.push_back(stamp);
      if (stamp.epoch < epoch_) return ApiError{"ConcurrentModificationException", "fenced", 400};
      if (auto it = answered_.find(stamp.sequence); it != answered_.end()) return it->second;
    }
    Outcome<PutRecordsResult> r = PutRecords(stream, entries);
    std::lock_guard lk(mu_);
    if (r.ok() && r.value().failed_record_count == 0) answered_[stamp.sequence] = r.value();
    if (r.ok() && lose_answer && lose_answer(call)) return ApiError{"InternalFailure", "answer lost", 500};
    return r;
  }

  Outcome<std::vector<Shard>> ListShards(std::string_view) override {
    std::lock_guard lk(mu_);
    ++list_calls_;
    return shards_;
  }

  Outcome<PutRecordsResult> PutRecords(std::string_view, const std::vector<PutRecordsEntry>& entries) override {
    if (before_put) before_put();
    std::lock_guard lk(mu_);
    const int call = put_calls_++;
    if (call_error) {
      if (std::optional<ApiError> e = call_error(call)) return *e;
    }
    PutRecordsResult result;
    for (size_t i = 0; i < entries.size(); ++i) {
      PutRecordsResultEntry r;
      const std::string code = entry_error ? entry_error(call, i) : std::string();
      if (!code.empty()) {
        r.error_code = code;
        r.error_message = "scripted";
        ++result.failed_record_count;
      } else {
        const PutRecordsEntry& e = entries[i];
        const util::uint128 h = e.explicit_hash_key.empty() ? util::PartitionKeyHash(e.partition_key)
                                                            : *util::ParseDecimal128(e.explicit_hash_key);
        r.shard_id = Route(h);
        r.sequence_number = std::to_string(++sequence_);
        stored_.push_back(Stored{r.shard_id, r.sequence_number, e});
      }
      result.records.push_back(r);
    }
    return result;
  }

 private:
  static ApiError Unsupported() { return ApiError{"UnknownOperationException", "not served by the fake", 400}; }
  std::string Route(util::uint128 h) const {
    for (const Shard& s : shards_) {
      if (s.open() && h >= *util::ParseDecimal128(s.hash_key_range.starting_hash_key) &&
          h <= *util::ParseDecimal128(s.hash_key_range.ending_hash_key)) {
        return s.shard_id;
      }
    }
    return "none";
  }

  ClientConfig config_;
  mutable std::mutex mu_;
  std::vector<Shard> shards_;
  std::vector<Stored> stored_;
  int put_calls_ = 0;
  int list_calls_ = 0;
  uint64_t sequence_ = 0;
  int64_t epoch_ = 0;
  int init_calls_ = 0;
  std::vector<ProducerStamp> stamps_;
  std::map<int64_t, PutRecordsResult> answered_;  // by ProducerSequence
};

}  // namespace spate::producer::testing
