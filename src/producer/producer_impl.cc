#include "producer/producer_impl.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <limits>
#include <utility>

namespace spate {

Outcome<std::unique_ptr<Producer>> Producer::Create(std::shared_ptr<KinesisClient> client, ProducerConfig config) {
  if (client == nullptr) return ApiError{"InvalidConfiguration", "Producer::Create needs a client", 0};
  if (std::optional<ApiError> error = producer::ValidateConfig(config)) return *error;
  std::optional<ProducerIdentity> identity;
  if (config.exactly_once) {
    Outcome<ProducerIdentity> id = client->InitProducer(config.producer_id);
    if (!id.ok()) return id.error();
    identity = id.value();
  }
  return std::unique_ptr<Producer>(
      std::make_unique<producer::ProducerImpl>(std::move(client), config, util::SystemClock(), std::move(identity)));
}

namespace producer {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

ApiError ShutdownError() { return ApiError{"ProducerShutdown", "the producer shut down before the record was put", 0}; }

// Characters of UTF-8 text (bytes that do not continue a sequence).
size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::optional<ApiError> ValidateRecord(std::string_view stream, std::string_view partition_key, std::string_view data,
                                       std::string_view explicit_hash_key) {
  auto invalid = [](std::string m) { return ApiError{"ValidationException", std::move(m), 0}; };
  if (stream.empty()) return invalid("the stream name is empty");
  const size_t pk_chars = Utf8Length(partition_key);
  if (pk_chars < 1 || pk_chars > kMaxPartitionKeyLength) {
    return invalid("the partition key must have 1 to 256 characters; it has " + std::to_string(pk_chars));
  }
  if (data.size() + partition_key.size() > kMaxRecordSize) {
    return invalid("data plus partition key is " + std::to_string(data.size() + partition_key.size()) +
                   " bytes, above the 1 MiB record limit");
  }
  if (!explicit_hash_key.empty() && !util::ParseDecimal128(explicit_hash_key)) {
    return invalid("the explicit hash key is not a decimal integer in [0, 2^128 - 1]");
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> ValidateConfig(const ProducerConfig& c) {
  auto bad = [](std::string option, std::string range) {
    return ApiError{"InvalidConfiguration", "ProducerConfig::" + option + " must be " + range, 0};
  };
  if (c.record_max_buffered_time.count() < 0) return bad("record_max_buffered_time", ">= 0");
  if (c.aggregation_max_size < 64 || c.aggregation_max_size > kMaxRecordSize) {
    return bad("aggregation_max_size", "in [64, 1048576]");
  }
  if (c.aggregation_max_count < 1) return bad("aggregation_max_count", ">= 1");
  if (c.collection_max_count < 1 || c.collection_max_count > kPutRecordsMaxCount) {
    return bad("collection_max_count", "in [1, 500]");
  }
  if (c.collection_max_size < 1 || c.collection_max_size > kPutRecordsMaxSize) {
    return bad("collection_max_size", "in [1, 5242880]");
  }
  if (c.record_ttl.count() <= 0) return bad("record_ttl", "> 0");
  if (c.rate_limit_percent < 1 || c.rate_limit_percent > 1'000'000) return bad("rate_limit_percent", ">= 1");
  if (c.max_connections < 1 || c.max_connections > 256) return bad("max_connections", "in [1, 256]");
  if (c.min_backoff.count() <= 0 || c.max_backoff < c.min_backoff) {
    return bad("min_backoff/max_backoff", "positive, max >= min");
  }
  if (c.max_buffered_bytes < 1) return bad("max_buffered_bytes", ">= 1");
  if (c.shutdown_timeout.count() < 0) return bad("shutdown_timeout", ">= 0");
  return std::nullopt;
}

void LatencyHistogram::Record(int64_t ns) {
  const uint64_t us = static_cast<uint64_t>(std::max<int64_t>(ns, 0) / 1000);
  int b;
  if (us < 4) {
    b = static_cast<int>(us);
  } else {
    const int e = std::bit_width(us) - 1;  // >= 2
    b = e * 4 + static_cast<int>((us >> (e - 2)) & 3);
  }
  ++counts_[std::min(b, kBuckets - 1)];
  ++count_;
  const double ms = static_cast<double>(ns) / 1e6;
  sum_ms_ += ms;
  max_ms_ = std::max(max_ms_, ms);
}

void LatencyHistogram::Fill(ProducerMetrics* m) const {
  if (count_ == 0) return;
  m->latency_ms_mean = sum_ms_ / static_cast<double>(count_);
  m->latency_ms_max = max_ms_;
  // A bucket's middle, in milliseconds.
  auto value = [](int b) -> double {
    if (b < 4) return b / 1000.0;
    const int e = b / 4;
    const double low = static_cast<double>((4 + b % 4)) * std::ldexp(1.0, e - 2);
    const double high = low + std::ldexp(1.0, e - 2);
    return (low + high) / 2 / 1000.0;
  };
  auto quantile = [&](double q) {
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= rank) return std::min(value(b), max_ms_);
    }
    return max_ms_;
  };
  m->latency_ms_p50 = quantile(0.50);
  m->latency_ms_p99 = quantile(0.99);
}

ProducerImpl::ProducerImpl(std::shared_ptr<KinesisClient> client, const ProducerConfig& config, util::Clock* clock,
                           std::optional<ProducerIdentity> identity)
    : client_(std::move(client)), config_(config), clock_(clock), identity_(std::move(identity)), engine_(config) {
  pump_ = std::thread([this] { PumpLoop(); });
  senders_.reserve(static_cast<size_t>(config_.max_connections));
  for (int i = 0; i < config_.max_connections; ++i) senders_.emplace_back([this] { SenderLoop(); });
}

ProducerImpl::~ProducerImpl() {
  std::vector<Completion> done;
  {
    std::unique_lock lk(mu_);
    engine_.FlushAll();
    wake_ = true;
    pump_cv_.notify_one();
    room_cv_.wait_for(lk, config_.shutdown_timeout, [&] { return engine_.buffered_records() == 0; });
    stop_pump_ = true;
  }
  pump_cv_.notify_all();
  pump_.join();
  {
    std::unique_lock lk(mu_);
    // Calls not yet made are not made; their records fail.
    const int64_t now = clock_->MonotonicNs();
    while (!work_.empty()) {
      Work w = std::move(work_.front());
      work_.pop_front();
      if (w.kind == Work::Kind::kListShards) {
        engine_.CompleteListShards(std::move(w), ShutdownError(), now, &done);
      } else {
        engine_.CompletePutRecords(std::move(w), ShutdownError(), now, &done);
      }
    }
    engine_.AbortBuffered(ShutdownError(), &done);
    stop_senders_ = true;
  }
  sender_cv_.notify_all();
  room_cv_.notify_all();
  Finish(std::move(done));
  done.clear();
  for (std::thread& t : senders_) t.join();
  // Records of calls answered with a retryable error while stopping.
  {
    std::lock_guard lk(mu_);
    engine_.AbortBuffered(ShutdownError(), &done);
  }
  Finish(std::move(done));
}

std::future<PutOutcome> ProducerImpl::Put(std::string_view stream, std::string_view partition_key,
                                          std::string_view data, std::string_view explicit_hash_key) {
  auto record = std::make_unique<UserRecordState>();
  std::future<PutOutcome> future = record->promise.get_future();
  if (std::optional<ApiError> error = ValidateRecord(stream, partition_key, data, explicit_hash_key)) {
    record->promise.set_value(*error);
    return future;
  }
  record->partition_key = partition_key;
  record->explicit_hash_key = explicit_hash_key;
  record->data = data;
  record->hash =
      explicit_hash_key.empty() ? util::PartitionKeyHash(partition_key) : *util::ParseDecimal128(explicit_hash_key);
  const size_t bytes = record->buffered_bytes();
  bool wake;
  {
    std::unique_lock lk(mu_);
    while (!stop_pump_ && buffered_bytes_ > 0 && buffered_bytes_ + bytes > config_.max_buffered_bytes) {
      if (!config_.block_when_full) {
        lk.unlock();
        record->promise.set_value(ApiError{"ProducerBufferFull",
                                           "the producer buffers " + std::to_string(config_.max_buffered_bytes) +
                                               " bytes already (ProducerConfig::max_buffered_bytes)",
                                           0});
        return future;
      }
      room_cv_.wait(lk);
    }
    if (stop_pump_) {
      lk.unlock();
      record->promise.set_value(ShutdownError());
      return future;
    }
    buffered_bytes_ += bytes;
    record->id = next_id_++;
    record->put_ns = clock_->MonotonicNs();
    record->deadline_ns = record->put_ns + config_.record_ttl.count() * 1'000'000;
    wake = engine_.Enqueue(std::string(stream), std::move(record));
    if (wake) wake_ = true;
  }
  if (wake) pump_cv_.notify_one();
  return future;
}

void ProducerImpl::Flush() {
  {
    std::lock_guard lk(mu_);
    engine_.FlushAll();
    wake_ = true;
  }
  pump_cv_.notify_one();
}

bool ProducerImpl::FlushAndWait(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const uint64_t target = next_id_ - 1;
  engine_.FlushAll();
  wake_ = true;
  pump_cv_.notify_one();
  return room_cv_.wait_for(lk, timeout, [&] { return completed_upto_ >= target; });
}

void ProducerImpl::Wake() {
  {
    std::lock_guard lk(mu_);
    wake_ = true;
  }
  pump_cv_.notify_one();
}

ProducerMetrics ProducerImpl::metrics() const {
  std::lock_guard lk(mu_);
  ProducerMetrics m;
  const EngineCounters& c = engine_.counters();
  m.user_records_put = user_records_put_;
  m.user_records_failed = user_records_failed_;
  m.user_bytes_put = user_bytes_put_;
  m.kinesis_records_put = c.kinesis_records_put;
  m.kinesis_bytes_put = c.kinesis_bytes_put;
  m.put_records_calls = c.put_records_calls;
  m.list_shards_calls = c.list_shards_calls;
  m.retries = c.retries;
  m.throttled = c.throttled;
  m.rate_limited_waits = c.rate_limited_waits;
  m.buffered_records = engine_.buffered_records();
  m.buffered_bytes = buffered_bytes_;
  latency_.Fill(&m);
  return m;
}

void ProducerImpl::Finish(std::vector<Completion> done) {
  if (done.empty()) return;
  {
    std::lock_guard lk(mu_);
    const int64_t now = clock_->MonotonicNs();
    for (Completion& c : done) {
      buffered_bytes_ -= c.record->buffered_bytes();
      if (c.outcome.ok()) {
        ++user_records_put_;
        user_bytes_put_ += c.record->data.size();
        latency_.Record(now - c.record->put_ns);
      } else {
        ++user_records_failed_;
      }
      completed_ids_.push_back(c.record->id);
      std::push_heap(completed_ids_.begin(), completed_ids_.end(), std::greater<>());
    }
    while (!completed_ids_.empty() && completed_ids_.front() == completed_upto_ + 1) {
      std::pop_heap(completed_ids_.begin(), completed_ids_.end(), std::greater<>());
      completed_ids_.pop_back();
      ++completed_upto_;
    }
  }
  room_cv_.notify_all();
  for (Completion& c : done) c.record->promise.set_value(std::move(c.outcome));
}

void ProducerImpl::PumpLoop() {
  std::unique_lock lk(mu_);
  while (!stop_pump_) {
    wake_ = false;
    std::vector<Completion> done;
    const int64_t now = clock_->MonotonicNs();
    std::vector<Work> works = engine_.Poll(now, &done);
    for (Work& w : works) work_.push_back(std::move(w));
    if (!works.empty()) sender_cv_.notify_all();
    if (!done.empty()) {
      lk.unlock();
      Finish(std::move(done));
      lk.lock();
      continue;
    }
    const int64_t wake_ns = engine_.NextWakeNs();
    auto woken = [&] { return wake_ || stop_pump_; };
    if (wake_ns == kNever) {
      pump_cv_.wait(lk, woken);
    } else if (wake_ns > now) {
      pump_cv_.wait_for(lk, std::chrono::nanoseconds(wake_ns - now), woken);
    }
  }
}

Outcome<PutRecordsResult> ProducerImpl::PutRecordsOnce(const std::string& stream,
                                                       const std::vector<PutRecordsEntry>& entries) {
  ProducerStamp stamp{identity_->producer_id, identity_->epoch, next_sequence_.fetch_add(1)};
  // Resent unchanged while the outcome is unknown: the server answers the
  // shard parts it appended with their sequence numbers and appends the rest.
  // Wall time (not clock_): this thread really sleeps.
  const auto deadline = std::chrono::steady_clock::now() + config_.record_ttl;
  auto backoff = config_.min_backoff;
  while (true) {
    Outcome<PutRecordsResult> result = client_->PutRecordsStamped(stream, entries, stamp);
    bool unknown = false;
    if (!result.ok()) {
      // A refusal the server answered itself (a 4xx throttle) appended
      // nothing: the engine retries those records in a later call. Anything
      // else retryable (no answer, a 5xx of any type) may have been appended.
      const ApiError& e = result.error();
      unknown = IsRetryableCallError(e) && (e.http_status >= 500 || e.http_status == 0 || !IsThrottlingError(e.type));
    } else {
      for (const PutRecordsResultEntry& e : result.value().records) {
        if (!e.ok() && !IsThrottlingError(e.error_code)) unknown = unknown || IsRetryableEntryError(e.error_code);
      }
    }
    if (!unknown || std::chrono::steady_clock::now() + backoff > deadline) return result;
    {
      std::unique_lock lk(mu_);
      if (stop_senders_) return result;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, config_.max_backoff);
  }
}

void ProducerImpl::SenderLoop() {
  std::unique_lock lk(mu_);
  while (true) {
    sender_cv_.wait(lk, [&] { return stop_senders_ || !work_.empty(); });
    if (work_.empty()) break;  // stopping, and nothing left
    Work w = std::move(work_.front());
    work_.pop_front();
    lk.unlock();
    std::vector<Completion> done;
    if (w.kind == Work::Kind::kListShards) {
      Outcome<std::vector<Shard>> result = client_->ListShards(w.stream);
      lk.lock();
      engine_.CompleteListShards(std::move(w), std::move(result), clock_->MonotonicNs(), &done);
    } else {
      Outcome<PutRecordsResult> result =
          identity_ ? PutRecordsOnce(w.stream, w.entries) : client_->PutRecords(w.stream, w.entries);
      lk.lock();
      engine_.CompletePutRecords(std::move(w), std::move(result), clock_->MonotonicNs(), &done);
    }
    wake_ = true;
    pump_cv_.notify_one();
    if (!done.empty()) {
      lk.unlock();
      Finish(std::move(done));
      lk.lock();
    }
  }
}

}  // namespace producer
}  // namespace spate
