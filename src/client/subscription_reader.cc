#include "client/subscription_reader.h"

#include <cmath>
#include <optional>
#include <utility>

#include "protocol/event_stream.h"
#include "protocol/json_codec.h"
#include "util/base64.h"

namespace spate::client {
namespace {

namespace es = protocol::event_stream;
using protocol::Value;

constexpr std::string_view kEventType = "SubscribeToShardEvent";
constexpr int64_t kMillisPerSecond = 1000;

ApiError Invalid(std::string message) { return ApiError{"InvalidResponse", std::move(message), 200}; }

std::string Str(const Value& v, std::string_view key) { return std::string(v.GetString(key)); }

}  // namespace

bool DecodeRecord(const Value& v, Record* out, std::string* error) {
  out->sequence_number = Str(v, "SequenceNumber");
  out->partition_key = Str(v, "PartitionKey");
  out->data.clear();
  if (!util::Base64Decode(v.GetString("Data"), &out->data, error)) return false;
  const Value* t = v.Find("ApproximateArrivalTimestamp");
  out->approximate_arrival_timestamp_ms =
      t != nullptr && t->is_number() ? std::llround(t->as_number() * kMillisPerSecond) : 0;
  out->encryption_type = Str(v, "EncryptionType");
  if (out->encryption_type.empty()) out->encryption_type = "NONE";
  return true;
}

Outcome<SubscribeToShardEvent> ParseSubscribeToShardEvent(std::string_view json) {
  auto parsed = protocol::ParseJson(json);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return Invalid("a SubscribeToShardEvent is not a JSON object: " + std::string(json.substr(0, 200)));
  }
  const Value& v = parsed.value();
  SubscribeToShardEvent ev;
  ev.continuation_sequence_number = Str(v, "ContinuationSequenceNumber");
  ev.millis_behind_latest = v.GetInt("MillisBehindLatest");
  const Value* children = v.Find("ChildShards");
  if (children != nullptr && children->is_array()) {
    ev.shard_ended = true;
    for (const Value& c : children->as_array()) ev.child_shards.push_back(Str(c, "ShardId"));
  }
  if (ev.continuation_sequence_number.empty()) ev.shard_ended = true;
  if (const Value* records = v.Find("Records"); records != nullptr && records->is_array()) {
    ev.records.reserve(records->as_array().size());
    std::string error;
    for (const Value& r : records->as_array()) {
      Record rec;
      if (!DecodeRecord(r, &rec, &error)) return Invalid("a fan-out record's Data is not base64: " + error);
      ev.records.push_back(std::move(rec));
    }
  }
  return ev;
}

Outcome<Done> SubscriptionReader::Feed(std::string_view bytes, std::vector<SubscribeToShardEvent>* events) {
  buffer_.append(bytes);
  std::string_view in(buffer_);
  std::string error;
  Outcome<Done> result = Done{};
  while (result.ok()) {
    std::optional<es::Message> m = es::Decode(&in, &error);
    if (!m) {
      if (!error.empty()) result = Invalid("event stream: " + error);
      break;
    }
    const std::string_view message_type = m->HeaderValue(":message-type").value_or("");
    if (message_type == "exception" || message_type == "error") {
      std::string type(m->HeaderValue(":exception-type").value_or(m->HeaderValue(":error-code").value_or("")));
      std::string message;
      if (auto p = protocol::ParseJson(m->payload); p.ok() && p.value().is_object()) {
        message = Str(p.value(), "message");
        if (message.empty()) message = Str(p.value(), "Message");
      }
      if (message.empty()) message = std::string(m->HeaderValue(":error-message").value_or(""));
      result = ApiError{type.empty() ? "InvalidResponse" : type, message, 200};
      break;
    }
    if (message_type != "event" || m->HeaderValue(":event-type").value_or("") != kEventType) continue;
    Outcome<SubscribeToShardEvent> ev = ParseSubscribeToShardEvent(m->payload);
    if (!ev.ok()) {
      result = ev.error();
      break;
    }
    events->push_back(std::move(ev).value());
  }
  buffer_.erase(0, buffer_.size() - in.size());
  return result;
}

}  // namespace spate::client
