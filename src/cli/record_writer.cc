#include "cli/record_writer.h"

#include <deque>
#include <future>

namespace spate::cli {
namespace {

// An error that every later record of the stream would meet too: the call
// is refused for the stream itself (no such stream, no permission, a KMS key
// unusable), not for the record (ValidationException: too large, bad key)
// nor for the moment (throttling, a 5xx, a lost connection: retryable, and
// the producer already retried until the TTL).
bool StreamWide(const ApiError& e) {
  if (e.type == "ValidationException" || e.type == "ProducerBufferFull" || e.type == "ProducerShutdown") return false;
  if (e.retryable()) return false;
  return e.message.find("record TTL expired") == std::string::npos;
}

class ProducerWriter final : public RecordWriter {
 public:
  ProducerWriter(std::unique_ptr<Producer> producer, std::string stream)
      : producer_(std::move(producer)), stream_(std::move(stream)) {}

  void Add(PutRecordsEntry entry) override {
    Harvest();
    if (broken_) {
      ++report_.failed;
      return;
    }
    while (outstanding_.size() >= kMaxOutstandingRecords) Take(outstanding_.front().get());
    outstanding_.push_back(producer_->Put(stream_, entry.partition_key, entry.data, entry.explicit_hash_key));
  }

  void Flush() override {
    producer_->Flush();
    while (!outstanding_.empty()) Take(outstanding_.front().get());
  }

  Report report() const override {
    Report r = report_;
    ProducerMetrics m = producer_->metrics();
    r.kinesis_records = m.kinesis_records_put;
    r.put_records_calls = m.put_records_calls;
    return r;
  }

 private:
  // Takes the answers already in, oldest first.
  void Harvest() {
    while (!outstanding_.empty() &&
           outstanding_.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      Take(outstanding_.front().get());
    }
  }

  // Counts the oldest record's outcome and forgets its future.
  void Take(PutOutcome outcome) {
    outstanding_.pop_front();
    if (outcome.ok()) {
      ++report_.put;
      return;
    }
    ++report_.failed;
    report_.last_error = outcome.error().ToString();
    if (StreamWide(outcome.error())) broken_ = true;
  }

  std::unique_ptr<Producer> producer_;
  const std::string stream_;
  std::deque<std::future<PutOutcome>> outstanding_;  // in Add order
  bool broken_ = false;
  Report report_;
};

}  // namespace

ProducerConfig CliProducerConfig(bool aggregate) {
  ProducerConfig c;
  c.aggregation_enabled = aggregate;
  c.max_buffered_bytes = 16 * 1024 * 1024;
  c.record_ttl = std::chrono::minutes(2);
  c.block_when_full = true;
  return c;
}

Outcome<std::unique_ptr<RecordWriter>> MakeRecordWriter(std::shared_ptr<KinesisClient> client, std::string stream,
                                                        ProducerConfig config) {
  Outcome<std::unique_ptr<Producer>> producer = Producer::Create(std::move(client), config);
  if (!producer.ok()) return producer.error();
  return std::unique_ptr<RecordWriter>(
      std::make_unique<ProducerWriter>(std::move(producer).value(), std::move(stream)));
}

}  // namespace spate::cli
