#include "streams/throughput.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace spate::streams {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kNsPerMs = 1'000'000;

}  // namespace

// ------------------------------------------------------------ TokenBucket

TokenBucket::TokenBucket(double rate, double capacity, int64_t now_ns)
    : rate_(rate), capacity_(capacity), tokens_(capacity), last_ns_(now_ns) {}

void TokenBucket::Refill(int64_t now_ns) {
  if (now_ns <= last_ns_) return;
  tokens_ = std::min(capacity_, tokens_ + rate_ * static_cast<double>(now_ns - last_ns_) / kNsPerSec);
  last_ns_ = now_ns;
}

bool TokenBucket::CanTake(double n, int64_t now_ns) {
  Refill(now_ns);
  return tokens_ >= n || tokens_ >= capacity_;
}

bool TokenBucket::TryTake(double n, int64_t now_ns) {
  if (!CanTake(n, now_ns)) return false;
  tokens_ -= n;
  return true;
}

void TokenBucket::Take(double n, int64_t now_ns) {
  Refill(now_ns);
  tokens_ -= n;
}

double TokenBucket::Tokens(int64_t now_ns) {
  Refill(now_ns);
  return tokens_;
}

// -------------------------------------------------------- ShardThroughput

ShardThroughput::ShardThroughput(const ThroughputOptions& options, util::Clock* clock)
    : options_(options),
      clock_(clock),
      write_bytes_(kShardWriteBytesPerSec, kShardWriteBytesPerSec * options.burst_seconds, clock->MonotonicNs()),
      write_records_(kShardWriteRecordsPerSec, kShardWriteRecordsPerSec * options.burst_seconds, clock->MonotonicNs()),
      read_bytes_(kShardReadBytesPerSec, kShardReadBytesPerSec * options.burst_seconds, clock->MonotonicNs()),
      read_calls_(kShardReadCallsPerSec, kShardReadCallsPerSec * options.burst_seconds, clock->MonotonicNs()),
      iterator_calls_(kShardIteratorCallsPerSec, kShardIteratorCallsPerSec * options.burst_seconds,
                      clock->MonotonicNs()),
      window_start_ns_(clock->MonotonicNs()) {}

void ShardThroughput::RollWindow(int64_t now_ns) {
  if (now_ns - window_start_ns_ < kNsPerSec) return;
  bool over = static_cast<double>(window_bytes_) > kShardWriteBytesPerSec ||
              static_cast<double>(window_records_) > kShardWriteRecordsPerSec;
  int64_t elapsed_windows = (now_ns - window_start_ns_) / kNsPerSec;
  if (over && elapsed_windows == 1) {
    if (hot_since_ns_ < 0) hot_since_ns_ = window_start_ns_;
  } else {
    // Under capacity, or idle seconds after the window: the run ends.
    hot_since_ns_ = -1;
  }
  window_start_ns_ += elapsed_windows * kNsPerSec;
  window_bytes_ = 0;
  window_records_ = 0;
}

bool ShardThroughput::AdmitWrite(uint64_t bytes) {
  bool admitted = false;
  AdmitWrites(std::span<const uint64_t>(&bytes, 1), std::span<bool>(&admitted, 1));
  return admitted;
}

void ShardThroughput::AdmitWrites(std::span<const uint64_t> bytes, std::span<bool> admitted) {
  const int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  RollWindow(now);
  for (size_t i = 0; i < bytes.size(); ++i) {
    window_bytes_ += bytes[i];
    window_records_ += 1;
    admitted[i] = true;
    if (!options_.enabled) continue;
    const double b = static_cast<double>(bytes[i]);
    if (!write_bytes_.CanTake(b, now) || !write_records_.CanTake(1, now)) {
      admitted[i] = false;
      continue;
    }
    write_bytes_.Take(b, now);
    write_records_.Take(1, now);
  }
}

bool ShardThroughput::AdmitRead() {
  if (!options_.enabled) return true;
  int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  if (now < read_blocked_until_ns_) return false;
  if (read_bytes_.Tokens(now) < 0) return false;
  return read_calls_.TryTake(1, now);
}

void ShardThroughput::ChargeRead(uint64_t bytes) {
  if (!options_.enabled) return;
  int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  read_bytes_.Take(static_cast<double>(bytes), now);
  if (bytes >= kLargeReadBytes) read_blocked_until_ns_ = now + kLargeReadPenaltyMs * kNsPerMs;
}

bool ShardThroughput::AdmitIterator() {
  if (!options_.enabled) return true;
  int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  return iterator_calls_.TryTake(1, now);
}

int64_t ShardThroughput::HotForMs() {
  int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  RollWindow(now);
  if (hot_since_ns_ < 0) return 0;
  return (window_start_ns_ - hot_since_ns_) / kNsPerMs;
}

// ----------------------------------------------------- ControlPlaneLimiter

ControlPlaneLimiter::ControlPlaneLimiter(const ThroughputOptions& options, util::Clock* clock)
    : options_(options), clock_(clock) {}

Status ControlPlaneLimiter::Admit(std::string_view account, std::string_view region, const CallRate& rate,
                                  std::string_view stream) {
  if (!options_.enabled) return Status::Ok();
  std::string key = std::string(account) + "/" + std::string(region) + "/" + std::to_string(rate.id);
  if (rate.per_stream) key += "/" + std::string(stream);
  int64_t now = clock_->MonotonicNs();
  std::lock_guard<std::mutex> l(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    it = buckets_.emplace(key, TokenBucket(rate.per_second, rate.per_second * options_.burst_seconds, now)).first;
  }
  if (it->second.TryTake(1, now)) return Status::Ok();
  std::string what = stream.empty() ? "account " + std::string(account)
                                    : "stream " + std::string(stream) + " under account " + std::string(account);
  return Status(ErrorCode::kLimitExceeded, "Rate exceeded for " + what + ".");
}

// ---------------------------------------------------------- FaultInjector

Result<FaultRule> ParseFaultRule(std::string_view text) {
  FaultRule rule;
  auto bad = [&](std::string_view why) {
    return Status(ErrorCode::kInvalidArgument, "fault rule '" + std::string(text) + "': " + std::string(why));
  };
  bool has_error = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view part = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return bad("expected key=value, got '" + std::string(part) + "'");
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    const char* end = value.data() + value.size();
    if (key == "operation") {
      rule.operation = std::string(value);
    } else if (key == "stream") {
      rule.stream = std::string(value);
    } else if (key == "error") {
      if (value == "ProvisionedThroughputExceededException") {
        rule.error = ErrorCode::kThroughputExceeded;
      } else if (value == "InternalFailure") {
        rule.error = ErrorCode::kInternal;
      } else {
        return bad("error must be ProvisionedThroughputExceededException or InternalFailure");
      }
      has_error = true;
    } else if (key == "rate") {
      auto [p, ec] = std::from_chars(value.data(), end, rule.rate);
      if (ec != std::errc() || p != end || !(rule.rate > 0 && rule.rate <= 1)) return bad("rate must be in (0, 1]");
    } else if (key == "count") {
      auto [p, ec] = std::from_chars(value.data(), end, rule.count);
      if (ec != std::errc() || p != end || rule.count < 1) return bad("count must be a positive integer");
    } else if (key == "seed") {
      auto [p, ec] = std::from_chars(value.data(), end, rule.seed);
      if (ec != std::errc() || p != end) return bad("seed must be a non-negative integer");
    } else {
      return bad("unknown key '" + std::string(key) + "'");
    }
  }
  if (rule.operation.empty()) return bad("operation= is required");
  if (!has_error) return bad("error= is required");
  return rule;
}

FaultInjector::FaultInjector(std::vector<FaultRule> rules) {
  for (FaultRule& r : rules) {
    Active a;
    a.rng.seed(r.seed);
    a.rule = std::move(r);
    rules_.push_back(std::move(a));
  }
}

Status FaultInjector::Draw(std::string_view operation, std::string_view stream, std::string_view account) {
  if (rules_.empty()) return Status::Ok();
  std::lock_guard<std::mutex> l(mu_);
  for (Active& a : rules_) {
    if (a.rule.operation != operation) continue;
    if (!a.rule.stream.empty() && a.rule.stream != stream) continue;
    if (a.rule.count >= 0 && a.injected >= a.rule.count) continue;
    // 53 random bits -> [0, 1): the same value on every platform.
    double u = static_cast<double>(a.rng() >> 11) * 0x1.0p-53;
    if (u >= a.rule.rate) continue;
    ++a.injected;
    if (a.rule.error == ErrorCode::kInternal) return Status(ErrorCode::kInternal, "injected InternalFailure");
    std::string what = stream.empty() ? "account " + std::string(account)
                                      : "stream " + std::string(stream) + " under account " + std::string(account);
    return Status(ErrorCode::kThroughputExceeded, "Rate exceeded for " + what + ".");
  }
  return Status::Ok();
}

}  // namespace spate::streams
