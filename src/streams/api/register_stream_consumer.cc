#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// RegisterStreamConsumer: a new consumer in CREATING; ACTIVE after the state
// delay. At most 20 per stream and 5 CREATING at once; names are unique per
// stream.
void RegisterStreamConsumer(const Context& ctx, Value in, Done done) {
  auto ref = ResolveStream(ctx.caller, {}, in.GetString("StreamARN"));
  if (!ref.ok()) return done(ref.status());
  std::string name(in.GetString("ConsumerName"));
  Value out = Value::MakeObject();
  Status st = ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    if (m.status != metadata::StreamStatus::kActive && m.status != metadata::StreamStatus::kUpdating) {
      return RequireActive(m);
    }
    if (m.FindConsumer(name) != nullptr) {
      return Status(ErrorCode::kResourceInUse,
                    "Consumer " + name + " under stream " + m.name + " already exists for account " + m.account + ".");
    }
    if (m.consumers.size() >= kMaxConsumersPerStream) {
      return Status(ErrorCode::kLimitExceeded, "Consumer limit of " + std::to_string(kMaxConsumersPerStream) +
                                                   " has been reached for stream " + m.name + " under account " +
                                                   m.account + ".");
    }
    size_t creating = 0;
    for (const metadata::ConsumerMeta& c : m.consumers) creating += c.status == metadata::ConsumerStatus::kCreating;
    if (creating >= kMaxConsumersCreating) {
      return Status(ErrorCode::kLimitExceeded, "Rate exceeded for stream " + m.name + " under account " + m.account +
                                                   ": at most " + std::to_string(kMaxConsumersCreating) +
                                                   " consumers can be in CREATING at once.");
    }
    metadata::ConsumerMeta c;
    c.name = name;
    c.created_ms = ctx.registry->clock()->NowMs();
    c.status = metadata::ConsumerStatus::kCreating;
    c.status_since_ms = c.created_ms;
    if (const Value* tags = in.Find("Tags")) SPATE_TRY(AddConsumerTags(m, &c, *tags));
    out.Set("Consumer", ConsumerValue(m, c));
    m.consumers.push_back(std::move(c));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
