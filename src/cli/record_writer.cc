#include "cli/record_writer.h"

#include <algorithm>
#include <deque>
#include <random>
#include <unordered_set>

#include "cli/context.h"

namespace spate::cli {
namespace {

// PutRecords' limits (kinesis-api.md): 500 records and 5 MiB per call, the
// size of a record being its data plus its partition key.
constexpr size_t kMaxRecordsPerCall = 500;
constexpr size_t kMaxBytesPerCall = 5 * 1024 * 1024;
// Retry budget: a record is given up on after this many failed attempts
// (with the backoff below, about a minute of throttling).
constexpr int kMaxAttempts = 30;
constexpr int64_t kBaseBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 2000;

bool RetryableEntryError(const std::string& code) {
  return code == "ProvisionedThroughputExceededException" || code == "InternalFailure" ||
         code == "KMSThrottlingException" || code == "ServiceUnavailable" || code == "ServiceUnavailableException";
}

size_t Size(const PutRecordsEntry& e) { return e.data.size() + e.partition_key.size(); }

class BatchingWriter final : public RecordWriter {
 public:
  BatchingWriter(KinesisClient& client, std::string stream, std::function<void(int64_t)> sleep)
      : client_(client), stream_(std::move(stream)), sleep_(std::move(sleep)), rng_(std::random_device{}()) {}

  void Add(PutRecordsEntry entry) override {
    if (broken_) {
      ++report_.failed;
      return;
    }
    pending_bytes_ += Size(entry);
    pending_.push_back({std::move(entry), 0});
    while (!pending_.empty() && (pending_.size() >= kMaxRecordsPerCall || pending_bytes_ >= kMaxBytesPerCall)) {
      SendOnce();
    }
  }

  void Flush() override {
    while (!pending_.empty()) SendOnce();
  }

  bool has_pending() const override { return !pending_.empty(); }
  const Report& report() const override { return report_; }

 private:
  struct Item {
    PutRecordsEntry entry;
    int attempts;
  };

  // One PutRecords call over the oldest eligible records, then the backoff
  // its failures ask for. Precondition: !pending_.empty().
  void SendOnce() {
    // Choose: oldest first; a key already in the call, or held back behind
    // an earlier record of its key, waits for a later call.
    std::vector<size_t> chosen;
    std::vector<PutRecordsEntry> batch;
    std::unordered_set<std::string_view> keys;
    std::unordered_set<std::string_view> held;
    size_t bytes = 0;
    for (size_t i = 0; i < pending_.size() && chosen.size() < kMaxRecordsPerCall; ++i) {
      const PutRecordsEntry& e = pending_[i].entry;
      if (keys.contains(e.partition_key) || held.contains(e.partition_key)) {
        held.insert(e.partition_key);
        continue;
      }
      if (!chosen.empty() && bytes + Size(e) > kMaxBytesPerCall) break;
      bytes += Size(e);
      keys.insert(e.partition_key);
      chosen.push_back(i);
      batch.push_back(e);
    }

    Outcome<PutRecordsResult> result = client_.PutRecords(stream_, batch);
    std::vector<bool> done(pending_.size(), false);
    size_t progressed = 0;
    bool failures = false;
    if (!result.ok()) {
      report_.last_error = result.error().ToString();
      failures = true;
      if (!result.error().retryable()) {
        // The call itself is refused (no such stream, no permission): every
        // queued and later record fails the same way.
        report_.failed += static_cast<int64_t>(pending_.size());
        pending_.clear();
        pending_bytes_ = 0;
        broken_ = true;
        return;
      }
      for (size_t i : chosen) done[i] = GiveUpAfterFailure(pending_[i]);
    } else {
      const std::vector<PutRecordsResultEntry>& entries = result.value().records;
      for (size_t k = 0; k < chosen.size(); ++k) {
        size_t i = chosen[k];
        if (entries[k].ok()) {
          ++report_.put;
          ++progressed;
          done[i] = true;
          continue;
        }
        failures = true;
        report_.last_error = entries[k].error_code + ": " + entries[k].error_message;
        done[i] = !RetryableEntryError(entries[k].error_code) ? Fail() : GiveUpAfterFailure(pending_[i]);
      }
    }
    std::deque<Item> kept;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (done[i]) {
        pending_bytes_ -= Size(pending_[i].entry);
      } else {
        kept.push_back(std::move(pending_[i]));
      }
    }
    pending_.swap(kept);

    if (!failures) {
      stalled_calls_ = 0;
      return;
    }
    // Throttled: back off, exponentially while no record gets through.
    stalled_calls_ = progressed > 0 ? 0 : std::min(stalled_calls_ + 1, 16);
    int64_t delay = std::min(kMaxBackoffMs, kBaseBackoffMs << stalled_calls_);
    sleep_(std::uniform_int_distribution<int64_t>(delay / 2, delay)(rng_));
  }

  // Counts a failed attempt of `item`; answers true (and counts the record
  // failed) when its budget is spent.
  bool GiveUpAfterFailure(Item& item) {
    if (++item.attempts < kMaxAttempts) return false;
    return Fail();
  }

  bool Fail() {
    ++report_.failed;
    return true;
  }

  KinesisClient& client_;
  const std::string stream_;
  const std::function<void(int64_t)> sleep_;
  std::deque<Item> pending_;  // in Add order
  size_t pending_bytes_ = 0;
  int stalled_calls_ = 0;  // consecutive calls that put nothing
  bool broken_ = false;
  Report report_;
  std::minstd_rand rng_;
};

}  // namespace

std::unique_ptr<RecordWriter> MakeRecordWriter(KinesisClient& client, std::string stream,
                                               std::function<void(int64_t ms)> sleep) {
  return std::make_unique<BatchingWriter>(client, std::move(stream), std::move(sleep));
}

}  // namespace spate::cli
