#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::firehose {

enum class DeliveryStatus : uint8_t { kCreating, kActive, kDeleting };
std::string_view DeliveryStatusName(DeliveryStatus s);

// Server-side encryption of a delivery stream's buffer (Start/Stop
// DeliveryStreamEncryption): the records are stored encrypted in its log
// under a master key of the key store named by the key's ARN, or by
// "aws-owned" for AWS_OWNED_CMK.
struct EncryptionState {
  std::string status = "DISABLED";  // ENABLED | ENABLING | DISABLED | DISABLING
  std::string key_type;             // AWS_OWNED_CMK | CUSTOMER_MANAGED_CMK
  std::string key_arn;
  int64_t status_since_ms = 0;
  bool enabled() const { return status == "ENABLED" || status == "ENABLING"; }
};

// The S3 destination of a delivery stream, read from its
// ExtendedS3DestinationConfiguration (or the older S3DestinationConfiguration,
// which is its subset) with AWS's defaults filled in.
struct S3Destination {
  std::string bucket;  // from BucketARN "arn:aws:s3:::<bucket>"
  std::optional<std::string> prefix;
  std::optional<std::string> error_output_prefix;
  uint64_t buffer_bytes = 5u << 20;      // BufferingHints.SizeInMBs (default 5)
  int64_t buffer_interval_ms = 300'000;  // BufferingHints.IntervalInSeconds (default 300; 0 = no buffering)
  std::string compression = "UNCOMPRESSED";
  std::optional<std::string> file_extension;
  std::string time_zone = "UTC";  // CustomTimeZone
};

// What the catalog keeps of one delivery stream (namespace "firehose", key
// Key()): a JSON document, so a later version can add members and still
// read what an earlier one wrote (src/firehose/README.md).
struct DeliveryStreamMeta {
  std::string account;
  std::string region;
  std::string name;
  std::string type = "DirectPut";  // DirectPut | KinesisStreamAsSource
  DeliveryStatus status = DeliveryStatus::kCreating;
  int64_t status_since_ms = 0;
  int64_t create_ms = 0;
  int64_t last_update_ms = 0;  // 0: never updated
  int64_t version_id = 1;
  // This instance's log group and name-based-UUID namespace: unique even
  // when a stream is deleted and created again under the same name.
  std::string log_group;
  // The destination as configured: {"ExtendedS3DestinationConfiguration": {...}}
  // with every member the caller gave (the description echoes them).
  protocol::Value destination;
  // KinesisStreamSourceConfiguration, for KinesisStreamAsSource.
  protocol::Value source;
  std::vector<std::pair<std::string, std::string>> tags;  // in the order added
  EncryptionState encryption;

  std::string Key() const { return account + "/" + region + "/" + name; }
  std::string Arn() const { return "arn:aws:firehose:" + region + ":" + account + ":deliverystream/" + name; }
};

std::string EncodeDeliveryStreamMeta(const DeliveryStreamMeta& meta);
// kCorruption for a document this version cannot read.
Result<DeliveryStreamMeta> DecodeDeliveryStreamMeta(std::string_view bytes);

// An S3 configuration object (ExtendedS3DestinationConfiguration or its
// S3DestinationConfiguration subset, as a destination, a backup or a
// staging area) with AWS's defaults filled in; kInvalidArgument for a bad
// BucketARN.
Result<S3Destination> ParseS3Configuration(const protocol::Value& cfg);

// The S3 destination of `destination` (the member of DeliveryStreamMeta):
// kInvalidArgument, with AWS's message, for a configuration AWS refuses.
Result<S3Destination> ParseS3Destination(const protocol::Value& destination);

// The S3 backup of `destination` when its ExtendedS3DestinationConfiguration
// has S3BackupMode Enabled (its S3BackupConfiguration; source records are
// backed up as they arrived), nullopt when backup is off; kInvalidArgument
// for a configuration AWS refuses.
Result<std::optional<S3Destination>> ParseS3Backup(const protocol::Value& destination);

// "arn:aws:s3:::<bucket>" -> "<bucket>"; kInvalidArgument otherwise.
Result<std::string> BucketFromArn(std::string_view bucket_arn);

}  // namespace spate::firehose
