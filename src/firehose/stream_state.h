#pragma once

// Private to src/firehose/: the in-memory state of one delivery stream.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>

#include "firehose/deliverer.h"
#include "firehose/delivery_streams.h"
#include "firehose/source_poller.h"
#include "storage/shard_log.h"

namespace spate::firehose {

// The catalog namespace of delivery stream records (key: account/region/name).
inline constexpr std::string_view kDeliveryStreamNamespace = "firehose";

// Token buckets refilled per second with a one-second burst: AWS's DirectPut
// quotas of a delivery stream (requests, records and bytes per second).
class DeliveryStreams::RateLimiter {
 public:
  RateLimiter(double requests, double records, double bytes)
      : rates_{requests, records, bytes}, tokens_{requests, records, bytes} {}

  // Takes one request and `records`/`bytes` if all three fit; false otherwise
  // (nothing taken).
  bool Take(int64_t now_ms, double records, double bytes) {
    std::lock_guard<std::mutex> l(mu_);
    double elapsed = last_ms_ == 0 ? 0 : static_cast<double>(std::max<int64_t>(0, now_ms - last_ms_)) / 1000.0;
    last_ms_ = now_ms;
    for (int i = 0; i < 3; ++i) tokens_[i] = std::min(rates_[i], tokens_[i] + rates_[i] * elapsed);
    if (tokens_[0] < 1 || tokens_[1] < records || tokens_[2] < bytes) return false;
    tokens_[0] -= 1;
    tokens_[1] -= records;
    tokens_[2] -= bytes;
    return true;
  }

 private:
  std::mutex mu_;
  double rates_[3];
  double tokens_[3];
  int64_t last_ms_ = 0;
};

struct DeliveryStreams::Stream {
  // Guarded by DeliveryStreams::mu_ (shared to read, exclusive to change).
  DeliveryStreamMeta meta;
  std::shared_ptr<storage::ShardLog> log;
  // Trims `log` to what both deliverers have delivered: reader 0 is the
  // destination's deliverer, reader 1 the S3 backup's.
  std::unique_ptr<LogTrimmer> trimmer;
  std::unique_ptr<Deliverer> deliverer;
  // The S3 backup's deliverer, once S3BackupMode is Enabled (it cannot be
  // disabled again). Set under backup_mu, which Notify takes: an
  // UpdateDestination may add it while the log's writer thread notifies.
  std::mutex backup_mu;
  std::unique_ptr<Deliverer> backup;

  // New records are in the log: wake both deliverers. Callable from the
  // log's writer thread.
  void Notify() {
    deliverer->Notify();
    std::lock_guard<std::mutex> l(backup_mu);
    if (backup) backup->Notify();
  }
  std::unique_ptr<SourcePoller> poller;  // KinesisStreamAsSource only
  std::unique_ptr<RateLimiter> limiter;  // null without --limits=aws
  std::shared_ptr<DeliveryStreamMetrics> metrics;
};

}  // namespace spate::firehose
