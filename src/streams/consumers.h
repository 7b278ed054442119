#pragma once

// Registered (enhanced fan-out) consumers: ARNs and life-cycle rules shared
// by the consumer handlers, SubscribeToShard and the registry's maintenance.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "metadata/stream_meta.h"
#include "streams/stream_ref.h"

namespace spate::streams {

inline constexpr size_t kMaxConsumersPerStream = 20;
inline constexpr size_t kMaxConsumersCreating = 5;

// arn:aws:kinesis:<region>:<account>:stream/<name>/consumer/<consumer>:<created epoch seconds>
std::string ConsumerArn(const metadata::StreamMeta& stream, const metadata::ConsumerMeta& consumer);

// What a consumer ARN names.
struct ConsumerRef {
  StreamRef stream;
  std::string name;
  int64_t created_s = 0;
};

// kInvalidArgument for a string that is not a consumer ARN.
Result<ConsumerRef> ParseConsumerArn(std::string_view arn);
bool LooksLikeConsumerArn(std::string_view arn);

// The consumer `ref` names in `stream`, or null: same name and, for a ref
// from an ARN, the same creation second (a re-registered consumer is a
// different consumer).
const metadata::ConsumerMeta* FindConsumer(const metadata::StreamMeta& stream, const ConsumerRef& ref);
metadata::ConsumerMeta* FindConsumer(metadata::StreamMeta& stream, const ConsumerRef& ref);

// The consumer a request names: by ConsumerARN, or by StreamARN plus
// ConsumerName (then created_s is 0: any creation time). kInvalidArgument
// when neither form is complete or the two disagree.
Result<ConsumerRef> ResolveConsumer(std::string_view consumer_arn, std::string_view stream_arn,
                                    std::string_view consumer_name);

// AWS's not-found error for a consumer.
Status ConsumerNotFound(const ConsumerRef& ref);

// Applies due consumer transitions (CREATING -> ACTIVE, DELETING -> gone)
// to `meta`. Returns true if anything changed.
bool AdvanceConsumers(metadata::StreamMeta* meta, int64_t now_ms, int64_t state_delay_ms);

}  // namespace spate::streams
