#pragma once

// Shapes shared by the consumer handlers (Register/Deregister/Describe/
// ListStreamConsumers) and SubscribeToShard.

#include "metadata/stream_meta.h"
#include "protocol/value.h"
#include "streams/api/operation.h"
#include "streams/consumers.h"

namespace spate::streams::api {

// The Consumer structure (ListStreamConsumers, RegisterStreamConsumer).
protocol::Value ConsumerValue(const metadata::StreamMeta& stream, const metadata::ConsumerMeta& consumer);

// The consumer named by ConsumerARN, or StreamARN + ConsumerName.
Result<ConsumerRef> ConsumerFromInput(const protocol::Value& in);

// Adds or overwrites a consumer's tags with the same rules as a stream's.
Status AddConsumerTags(const metadata::StreamMeta& stream, metadata::ConsumerMeta* consumer,
                       const protocol::Value& tags);

}  // namespace spate::streams::api
