#include <algorithm>

#include "storage/shard_log.h"
#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// GetShardIterator: a position in one shard, sealed into an opaque token
// that expires after 300 s. Messages follow AWS's.
void GetShardIterator(const Context& ctx, Value in, Done done) {
  auto stream = FindStreamFromInput(ctx, in);
  if (!stream.ok()) return done(stream.status());
  const StreamRef* ref = &stream->ref;
  std::string_view shard_id = in.GetString("ShardId");
  std::string_view type = in.GetString("ShardIteratorType");
  std::string_view start_seq = in.GetString("StartingSequenceNumber");
  const Value* ts = in.Find("Timestamp");
  auto index = model::ParseShardId(shard_id);
  if (!index) {
    return done(Status(ErrorCode::kNotFound, "Could not find shard " + std::string(shard_id) + " in stream " +
                                                 ref->name + " under account " + ref->account + "."));
  }
  std::string shard_name = model::ShardIdName(*index);
  auto shard_missing = [&] {
    return Status(ErrorCode::kNotFound, "Shard " + shard_name + " in stream " + ref->name + " under account " +
                                            ref->account + " does not exist");
  };
  bool by_seq = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (by_seq != !start_seq.empty() && type != "AT_TIMESTAMP") {
    return done(Status(ErrorCode::kInvalidArgument,
                       "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
                       "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified " +
                           std::string(type) + (start_seq.empty() ? " and no" : " and also a") +
                           " StartingSequenceNumber."));
  }
  int64_t now = ctx.registry->clock()->NowMs();
  if (type == "AT_TIMESTAMP") {
    if (Status st = CheckAtTimestamp(ts, now); !st.ok()) return done(st);
  }
  std::string iterator;
  Status st = ctx.registry->WithStream(*stream, [&](const Stream& s) -> Status {
    const metadata::ShardMeta* shard = s.FindShard(*index);
    if (shard == nullptr || s.meta().status == metadata::StreamStatus::kCreating) return shard_missing();
    SPATE_TRY(ctx.registry->AdmitShardIterator(s, *index));
    auto log = s.Log(*index);
    // Cluster mode: LATEST and AT_TIMESTAMP never point past what may be
    // read (the committed end, on the leader and on a follower serving
    // during a failover): a position in an uncommitted tail could skip
    // records a new leader writes at those offsets instead.
    const model::LogOffset readable =
        ctx.registry->ReadableEnd(StreamRef{s.meta().account, s.meta().region, s.meta().name}, *index, *log);
    // A node that knows no committed end of a shard holding records (a
    // replica just restarted, a leader before its first commit) cannot
    // place them: the caller retries (InternalFailure).
    if ((type == "LATEST" || type == "AT_TIMESTAMP") && readable.value() == 0 && log->EndOffset().value() > 0) {
      return Status(ErrorCode::kUnavailable,
                    "Shard " + model::ShardIdName(*index) + " is not readable on this node yet.");
    }
    model::LogOffset offset;
    if (type == "TRIM_HORIZON") {
      offset = log->StartOffset();
    } else if (type == "LATEST") {
      offset = readable;
    } else if (type == "AT_TIMESTAMP") {
      auto at = log->OffsetForTime(ts->as_timestamp_ms());
      if (!at.ok()) return at.status();
      offset = std::min(*at, readable);
    } else {
      auto seq = model::SequenceNumber::Parse(start_seq);
      // A number of another incarnation of the stream is as invalid as garbage.
      if (!seq || seq->epoch != s.meta().epoch) {
        return Status(ErrorCode::kInvalidArgument,
                      "StartingSequenceNumber " + std::string(start_seq) + " used in GetShardIterator on shard " +
                          shard_name + " in stream " + ref->name + " under account " + ref->account + " is invalid.");
      }
      if (seq->shard != *index) {
        return Status(ErrorCode::kInvalidArgument, "Invalid StartingSequenceNumber. It encodes " +
                                                       model::ShardIdName(seq->shard) +
                                                       ", while it was used in a call to a shard with " + shard_name);
      }
      offset = type == "AT_SEQUENCE_NUMBER" ? seq->AtOffset() : seq->AfterOffset();
    }
    iterator = ctx.registry->MakeIterator(s, *index, offset);
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kNotFound) st = shard_missing();
  if (!st.ok()) return done(st);
  Value out = Value::MakeObject();
  out.Set("ShardIterator", Value::String(std::move(iterator)));
  done(std::move(out));
}

}  // namespace spate::streams::api
