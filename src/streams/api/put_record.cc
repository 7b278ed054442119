#include "protocol/stream_writer.h"
#include "streams/api/common.h"
#include "streams/registry.h"
#include "util/hash_key.h"

namespace spate::streams::api {

using protocol::Value;

namespace {

// {ShardId, SequenceNumber, EncryptionType}, straight into its wire encoding:
// no Value tree on the storage writer's thread, which runs this callback.
std::string EncodeOutput(const PutOutcome& o, protocol::WireFormat format) {
  std::string body;
  body.reserve(128);
  protocol::StreamWriter w(format, &body);
  char shard_id[model::kShardIdNameBytes];
  char seq[util::kMaxDecimal128Digits];
  w.BeginObject(3);
  w.Key("ShardId");
  w.PlainString(model::FormatShardIdName(o.shard, shard_id));
  w.Key("SequenceNumber");
  w.PlainString({seq, util::FormatDecimal128(o.sequence.ToUint128(), seq)});
  w.Key("EncryptionType");
  w.String(o.encrypted ? "KMS" : "NONE");
  w.EndObject();
  return body;
}

}  // namespace

// PutRecord: one record, acknowledged once durable; the response is encoded
// here (Context::done_encoded).
void PutRecord(const Context& ctx, Value in, Done done) {
  if (!ctx.done_encoded) return done(Status(ErrorCode::kInternal, "PutRecord needs Context::done_encoded"));
  const int64_t start_ns = ctx.registry->clock()->MonotonicNs();  // PutRecord.Latency
  // The stream is looked up once: the handle serves authorization, the
  // record size limit and the put.
  auto stream = FindStreamFromInput(ctx, in);
  if (!stream.ok()) return done(stream.status());
  auto max_bytes = MaxRecordBytes(ctx, *stream);
  if (!max_bytes.ok()) return done(max_bytes.status());
  std::vector<PutEntry> entries(1);
  if (Status st = MakePutEntry(&in, *max_bytes, 0, &entries[0]); !st.ok()) return done(st);
  if (std::string_view ordering = in.GetString("SequenceNumberForOrdering"); !ordering.empty()) {
    // Sequence numbers are assigned in arrival order per shard, so a
    // client's consecutive puts are already ordered; the value must still
    // be one of ours, of this incarnation of the stream.
    auto seq = model::SequenceNumber::Parse(ordering);
    bool ours = seq.has_value() && ctx.registry
                                       ->WithStream(*stream,
                                                    [&](const Stream& s) {
                                                      return seq->epoch == s.meta().epoch
                                                                 ? Status::Ok()
                                                                 : Status(ErrorCode::kInvalidArgument, "other epoch");
                                                    })
                                       .ok();
    if (!ours) {
      return done(Status(ErrorCode::kInvalidArgument, "ExclusiveMinimumSequenceNumber " + std::string(ordering) +
                                                          " used in PutRecord on stream " + stream->ref.name +
                                                          " under account " + stream->ref.account + " is invalid."));
    }
  }
  // PutRecord.Latency and .Success (a stream that does not exist has none).
  std::shared_ptr<const StreamMetrics> metrics = stream->stream ? stream->stream->metrics() : nullptr;
  ctx.registry->Put(
      *stream, std::move(entries),
      [done = std::move(done), done_encoded = ctx.done_encoded, format = ctx.format, metrics = std::move(metrics),
       clock = ctx.registry->clock(), start_ns](Result<std::vector<PutOutcome>> r) {
        bool ok = r.ok() && (*r)[0].status.ok();
        if (metrics != nullptr) {
          metrics->put_record_latency->Observe(static_cast<uint64_t>(clock->MonotonicNs() - start_ns) / 1000);
          if (ok) metrics->put_record_success->Add();
        }
        if (!r.ok()) return done(r.status());
        const PutOutcome& o = (*r)[0];
        if (!o.status.ok()) return done(o.status);
        done_encoded(EncodeOutput(o, format));
      },
      {}, nullptr, start_ns);
}

}  // namespace spate::streams::api
