#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "firehose/time_zone.h"

namespace spate::firehose {

// S3 object keys as Firehose names them: <evaluated prefix><suffix>, the
// suffix being <stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>.
// Prefixes are templates with !{namespace:value} expressions (AWS's "Custom
// Prefixes for Amazon S3 Objects"). Everything here is a pure function of its
// arguments and safe to call from any thread.

// Longest evaluated Prefix or ErrorOutputPrefix AWS allows.
inline constexpr size_t kMaxEvaluatedPrefixChars = 512;
// Length of a !{firehose:random-string}.
inline constexpr size_t kRandomStringChars = 11;

// Why records went to the error output; !{firehose:error-output-type}.
enum class ErrorOutputType {
  kProcessingFailed,
  kAmazonOpenSearchServiceFailed,
  kSplunkFailed,
  kFormatConversionFailed,
  kHttpEndpointFailed,
};
// The wire (and key) name: "processing-failed", "AmazonOpenSearchService-failed", ...
std::string_view ErrorOutputTypeName(ErrorOutputType type);

// Checks a destination's Prefix and ErrorOutputPrefix (unset and "" are the
// same) as CreateDeliveryStream and UpdateDestination do: every "!{" opens a
// !{namespace:value} expression of a known namespace (timestamp, firehose,
// partitionKeyFromQuery, partitionKeyFromLambda) with a valid value (a
// supported Java DateTimeFormatter pattern; random-string or
// error-output-type; a key name); error-output-type only in, and at least
// once in, a set ErrorOutputPrefix; ErrorOutputPrefix set when Prefix holds
// expressions; partitionKeyFrom* only with dynamic partitioning, never in
// ErrorOutputPrefix, and at least one of them in Prefix when dynamic
// partitioning is on. Error: kInvalidArgument with AWS's message
// (InvalidArgumentException). The service-model checks (length <= 1024) are
// the front door's.
Status ValidatePrefixes(const std::optional<std::string>& prefix, const std::optional<std::string>& error_output_prefix,
                        bool dynamic_partitioning);

// What one object's prefix is evaluated with.
struct KeyContext {
  // The instant of the timestamp namespace and of the object name: the
  // approximate arrival of the oldest record in the object, epoch ms.
  int64_t epoch_ms = 0;
  TimeZone time_zone;  // CustomTimeZone; UTC by default
  // Why the object goes to the error output; required to evaluate an error
  // output prefix, unused otherwise.
  std::optional<ErrorOutputType> error_output_type;
  // The object's dynamic partitioning keys, by key name.
  std::map<std::string, std::string, std::less<>> partition_keys_from_query;
  std::map<std::string, std::string, std::less<>> partition_keys_from_lambda;
  // Returns a fresh kRandomStringChars-character string per call, one call per
  // !{firehose:random-string} occurrence. Unset: RandomString() below.
  std::function<std::string()> random_string;
};

// kRandomStringChars random lowercase hexadecimal digits (0-9a-f), from a
// per-thread generator seeded by the OS.
std::string RandomString();

// The key prefix of a delivered object. Unset or "" Prefix: the default
// yyyy/MM/dd/HH/. A Prefix with neither a timestamp nor a partition key
// expression gets !{timestamp:yyyy/MM/dd/HH/} appended as is, with no '/'
// inserted ("logs" -> "logs2018/08/27/10/"). All timestamp expressions
// evaluate the one instant ctx.epoch_ms. Errors (kInvalidArgument): a
// prefix ValidatePrefixes refuses, a partition key the context lacks, a
// result longer than kMaxEvaluatedPrefixChars.
Result<std::string> EvaluatePrefix(const std::optional<std::string>& prefix, const KeyContext& ctx);

// The key prefix of an object of failed records (ctx.error_output_type must be
// set). A set ErrorOutputPrefix is evaluated as it stands; unset, it is
// <Prefix>!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/} (Prefix
// then holds no expressions: ValidatePrefixes requires it). Errors as
// EvaluatePrefix.
Result<std::string> EvaluateErrorOutputPrefix(const std::optional<std::string>& prefix,
                                              const std::optional<std::string>& error_output_prefix,
                                              const KeyContext& ctx);

// The object name after the prefix:
// <delivery stream name>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>,
// the time being epoch_ms in `zone`.
std::string ObjectName(std::string_view delivery_stream_name, int64_t version_id, int64_t epoch_ms,
                       const TimeZone& zone, std::string_view uuid, std::string_view extension);

// RFC 4122 name-based UUID, version 5 (SHA-1): lowercase 8-4-4-4-12.
// `namespace_uuid` must be a UUID in that textual form (asserted).
std::string NameBasedUuid(std::string_view namespace_uuid, std::string_view name);

}  // namespace spate::firehose
