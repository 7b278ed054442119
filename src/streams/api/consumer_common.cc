#include "streams/api/consumer_common.h"

#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

Value ConsumerValue(const metadata::StreamMeta& stream, const metadata::ConsumerMeta& c) {
  Value v = Value::MakeObject();
  v.Set("ConsumerName", Value::String(c.name));
  v.Set("ConsumerARN", Value::String(ConsumerArn(stream, c)));
  v.Set("ConsumerStatus", Value::String(std::string(metadata::ConsumerStatusName(c.status))));
  v.Set("ConsumerCreationTimestamp", Value::TimestampMs(c.created_ms));
  return v;
}

Result<ConsumerRef> ConsumerFromInput(const Value& in) {
  return ResolveConsumer(in.GetString("ConsumerARN"), in.GetString("StreamARN"), in.GetString("ConsumerName"));
}

Status AddConsumerTags(const metadata::StreamMeta& stream, metadata::ConsumerMeta* consumer, const Value& tags) {
  // The stream rules (characters, 50 per resource) checked on a stand-in.
  metadata::StreamMeta stand_in;
  stand_in.name = stream.name;
  stand_in.account = stream.account;
  stand_in.tags = consumer->tags;
  SPATE_TRY(AddTags(stand_in, tags));
  consumer->tags = std::move(stand_in.tags);
  return Status::Ok();
}

}  // namespace spate::streams::api
