#include <algorithm>

#include "storage/shard_log.h"
#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/fan_out.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// SubscribeToShard: checks the consumer (ACTIVE), the shard and the starting
// position, then hands the subscription to the fan-out hub, which starts the
// event-stream response (initial-response first) and pushes
// SubscribeToShardEvents as records become durable. Errors found before the
// stream starts are ordinary error responses; later ones are exception
// frames (see FanOut). Event payloads are JSON whatever the request's
// encoding (docs/formats/event_stream.md).
void SubscribeToShard(const Context& ctx, Value in, Done done) {
  if (ctx.fan_out == nullptr || !ctx.open_event_stream) {
    return done(Status(ErrorCode::kInternal, "SubscribeToShard without a fan-out hub"));
  }
  auto ref = ParseConsumerArn(in.GetString("ConsumerARN"));
  if (!ref.ok()) return done(ref.status());
  std::string_view shard_id = in.GetString("ShardId");
  const Value* position = in.Find("StartingPosition");
  std::string_view type = position->GetString("Type");
  std::string_view start_seq = position->GetString("SequenceNumber");
  const Value* ts = position->Find("Timestamp");
  auto index = model::ParseShardId(shard_id);
  auto shard_missing = [&] {
    return Status(ErrorCode::kNotFound, "Shard " + std::string(shard_id) + " in stream " + ref->stream.name +
                                            " under account " + ref->stream.account + " does not exist");
  };
  if (!index) return done(shard_missing());
  bool by_seq = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (by_seq && start_seq.empty()) {
    return done(Status(ErrorCode::kInvalidArgument,
                       "StartingPosition of type " + std::string(type) + " requires a SequenceNumber."));
  }
  if (!by_seq && !start_seq.empty()) {
    return done(Status(ErrorCode::kInvalidArgument,
                       "StartingPosition of type " + std::string(type) + " must not have a SequenceNumber."));
  }
  int64_t now = ctx.registry->clock()->NowMs();
  if (type == "AT_TIMESTAMP") {
    if (Status st = CheckAtTimestamp(ts, now); !st.ok()) return done(st);
  } else if (ts != nullptr) {
    return done(Status(ErrorCode::kInvalidArgument,
                       "StartingPosition of type " + std::string(type) + " must not have a Timestamp."));
  }

  SubscribeRequest req;
  req.stream = ref->stream;
  req.consumer_arn = std::string(in.GetString("ConsumerARN"));
  req.consumer_name = ref->name;
  req.shard = *index;
  Status st = ctx.registry->WithStream(ref->stream, [&](const Stream& s) -> Status {
    const metadata::ConsumerMeta* c = FindConsumer(s.meta(), *ref);
    if (c == nullptr) return ConsumerNotFound(*ref);
    if (c->status != metadata::ConsumerStatus::kActive) {
      return Status(ErrorCode::kResourceInUse, "Consumer " + req.consumer_arn + " is not ACTIVE, instead in state " +
                                                   std::string(metadata::ConsumerStatusName(c->status)) + ".");
    }
    req.consumer_created_ms = c->created_ms;
    req.storage_group = s.meta().storage_group;
    req.epoch = s.meta().epoch;
    const metadata::ShardMeta* shard = s.FindShard(*index);
    if (shard == nullptr) return shard_missing();
    req.log = s.Log(*index);
    // Cluster mode: LATEST and AT_TIMESTAMP never start past what may be
    // read (the committed end): a position in an uncommitted tail could
    // point into records a new leader writes differently.
    const model::LogOffset readable =
        ctx.registry->ReadableEnd(StreamRef{s.meta().account, s.meta().region, s.meta().name}, *index, *req.log);
    // A node that knows no committed end of a shard holding records (a
    // replica just restarted, a leader before its first commit) cannot
    // place them: the caller retries (InternalFailure).
    if ((type == "LATEST" || type == "AT_TIMESTAMP") && readable.value() == 0 && req.log->EndOffset().value() > 0) {
      return Status(ErrorCode::kUnavailable,
                    "Shard " + model::ShardIdName(*index) + " is not readable on this node yet.");
    }
    if (type == "TRIM_HORIZON") {
      req.start_offset = req.log->StartOffset();
    } else if (type == "LATEST") {
      req.start_offset = readable;
    } else if (type == "AT_TIMESTAMP") {
      auto at = req.log->OffsetForTime(ts->as_timestamp_ms());
      if (!at.ok()) return at.status();
      req.start_offset = std::min(*at, readable);
    } else {
      auto seq = model::SequenceNumber::Parse(start_seq);
      // A number of another incarnation of the stream is as invalid as garbage.
      if (!seq || seq->epoch != s.meta().epoch) {
        return Status(ErrorCode::kInvalidArgument, "StartingSequenceNumber " + std::string(start_seq) +
                                                       " used in SubscribeToShard on shard " + std::string(shard_id) +
                                                       " in stream " + ref->stream.name + " under account " +
                                                       ref->stream.account + " is invalid.");
      }
      if (seq->shard != *index) {
        return Status(ErrorCode::kInvalidArgument,
                      "Invalid StartingSequenceNumber. It encodes " + model::ShardIdName(seq->shard) +
                          ", while it was used in a call to a shard with " + model::ShardIdName(*index));
      }
      req.start_offset = type == "AT_SEQUENCE_NUMBER" ? seq->AtOffset() : seq->AfterOffset();
    }
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kNotFound && st.message().rfind("Stream ", 0) == 0) st = ConsumerNotFound(*ref);
  if (!st.ok()) return done(st);
  st = ctx.fan_out->Subscribe(std::move(req), ctx.open_event_stream);
  if (!st.ok()) return done(st);
}

}  // namespace spate::streams::api
