#pragma once

// The body of a SubscribeToShard answer: an AWS event stream
// (docs/formats/event_stream.md) of an `initial-response` event, then
// `SubscribeToShardEvent`s (JSON payloads), or an exception message.
// Internal to spate_client.

#include <string>
#include <string_view>
#include <vector>

#include "protocol/value.h"
#include "spate/kinesis_client.h"

namespace spate::client {

// A Kinesis Record shape (GetRecords, SubscribeToShardEvent) as a Record;
// false with `*error` set when its Data is not base64.
bool DecodeRecord(const protocol::Value& v, Record* out, std::string* error);

// A SubscribeToShardEvent's JSON payload. A shard has ended when the event
// carries ChildShards (AWS sends them, with a null ContinuationSequenceNumber,
// on the last event of a closed shard) or no continuation.
Outcome<SubscribeToShardEvent> ParseSubscribeToShardEvent(std::string_view json);

// Incremental decoder: bytes in as they arrive, whole events out. Not
// thread-safe (one subscription, one thread).
class SubscriptionReader {
 public:
  // Appends `bytes` and moves every whole event decoded so far to `*events`
  // (initial-response and other event types are skipped). Fails with the
  // service's exception (its :exception-type, the payload's message) or
  // "InvalidResponse" (bad framing, checksums or JSON); the reader is then
  // unusable.
  Outcome<Done> Feed(std::string_view bytes, std::vector<SubscribeToShardEvent>* events);
  // Bytes received that do not yet form a whole message.
  size_t pending_bytes() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

}  // namespace spate::client
