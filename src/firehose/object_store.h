#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::util {
class Clock;
}  // namespace spate::util

namespace spate::firehose {

// Where a delivery stream's objects go: an S3-compatible server, or (the
// embedded default) a directory per bucket under the data directory. The
// deliverer calls it from its own threads, one object at a time per
// delivery stream; implementations must be thread-safe and may block.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Writes the whole object `key` of `bucket`, replacing any object of that
  // key (a retried delivery rewrites the same key: exactly-once objects).
  // Ok only once the object is stored for good (visible to readers and,
  // for the local directory, fsync'ed). Errors: kUnavailable for anything
  // worth retrying (connection refused, timeout, 5xx, throttling),
  // kNotFound when the bucket does not exist, kAccessDenied for a refused
  // signature, kInvalidArgument for a refused request. The caller retries
  // every error until its retry window ends.
  //
  // `cancel` (not owned, may be null): once it reads true, the call gives up
  // as soon as it can (within about a second, even while the server sits on
  // a request) and returns kUnavailable "cancelled"; what was written may or
  // may not be stored, as after any failure.
  virtual Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                           const std::atomic<bool>* cancel) = 0;
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body) {
    return PutObject(bucket, key, body, nullptr);
  }

  // For logs and DescribeDeliveryStream diagnostics: "local directory
  // /data/s3" or "S3 at http://127.0.0.1:4569".
  virtual std::string Describe() const = 0;
};

// The embedded default: bucket B is the directory <root>/B/ and each object a
// file at its key below it (directories made as needed). A write goes to a
// temporary file in the same directory, is fsync'ed, renamed over the key
// and the directory fsync'ed, so a reader sees the old object or the new,
// never a part. Buckets are created on first write.
std::unique_ptr<ObjectStore> NewLocalObjectStore(std::string root);

// An S3-compatible server reached over HTTP(S) with SigV4 (service "s3").
struct S3Options {
  std::string endpoint;  // "http://127.0.0.1:4569" or "https://s3.us-east-1.amazonaws.com"
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (x-amz-security-token)
  // Path-style addressing (http://host/bucket/key), the default for
  // self-hosted servers; false: virtual-host style (http://bucket.host/key).
  bool path_style = true;
  // Objects larger than this go up by multipart upload in parts of
  // part_bytes (S3's minimum part is 5 MiB except the last).
  uint64_t multipart_threshold_bytes = 16u << 20;
  uint64_t part_bytes = 8u << 20;
  int64_t timeout_ms = 30000;  // per HTTP request
  // Wall time for x-amz-date; nullptr: the system clock. Not owned.
  util::Clock* clock = nullptr;
};

Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(S3Options options);

}  // namespace spate::firehose
