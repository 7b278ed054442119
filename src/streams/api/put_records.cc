#include <string>

#include "protocol/errors.h"
#include "protocol/stream_writer.h"
#include "streams/api/common.h"
#include "streams/api/put_records_json.h"
#include "streams/registry.h"
#include "util/hash_key.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr size_t kMaxRequestBytes = 5u << 20;  // data + partition keys of one call

// Writes the PutRecords output
//   {FailedRecordCount, Records: [{SequenceNumber, ShardId} |
//                                 {ErrorCode, ErrorMessage}...], EncryptionType}
// straight into its wire encoding (500 entries: no Value tree, sequence
// numbers and shard ids formatted on the stack). `stamped`: the exactly-once
// extension's PutRecords, whose entries may also fail with the errors of its
// stamps (Kinesis' PutRecords answers exactly as before).
std::string EncodeOutput(const std::vector<PutOutcome>& outcomes, protocol::WireFormat format, bool stamped) {
  int64_t failed = 0;
  for (const PutOutcome& o : outcomes) failed += o.status.ok() ? 0 : 1;
  std::string body;
  body.reserve(96 + outcomes.size() * 96);
  protocol::StreamWriter w(format, &body);
  w.BeginObject(3);
  w.Key("FailedRecordCount");
  w.Int(failed);
  w.Key("Records");
  w.BeginArray(outcomes.size());
  char seq[util::kMaxDecimal128Digits];
  char shard_id[model::kShardIdNameBytes];
  for (const PutOutcome& o : outcomes) {
    if (o.status.ok()) {
      w.PlainStringObject({{"SequenceNumber", {seq, util::FormatDecimal128(o.sequence.ToUint128(), seq)}},
                           {"ShardId", model::FormatShardIdName(o.shard, shard_id)}});
      continue;
    }
    w.BeginObject(2);
    if (o.status.code() == ErrorCode::kThroughputExceeded) {
      w.Key("ErrorCode");
      w.String("ProvisionedThroughputExceededException");
      w.Key("ErrorMessage");
      w.String(o.status.message());
    } else if (stamped && (o.status.code() == ErrorCode::kInvalidArgument ||
                           o.status.code() == ErrorCode::kConcurrentModification)) {
      // A resend that does not match its original, or a producer fenced
      // meanwhile (docs/exactly-once.md).
      w.Key("ErrorCode");
      w.String(protocol::ToWireError(o.status.code()).type);
      w.Key("ErrorMessage");
      w.String(o.status.message());
    } else {
      w.Key("ErrorCode");
      w.String("InternalFailure");
      w.Key("ErrorMessage");
      w.String("Internal service failure.");
    }
    w.EndObject();
  }
  w.EndArray();
  bool encrypted = !outcomes.empty() && outcomes.front().encrypted;  // one stream state for the whole call
  w.Key("EncryptionType");
  w.String(encrypted ? "KMS" : "NONE");
  w.EndObject();
  return body;
}

// PutRecords.Latency, .Success, .TotalRecords, .SuccessfulRecords,
// .FailedRecords, .ThrottledRecords and .Bytes of one call.
void CountPutRecords(const StreamMetrics& m, const Result<std::vector<PutOutcome>>& r, int64_t elapsed_ns) {
  m.put_records_latency->Observe(static_cast<uint64_t>(elapsed_ns) / 1000);
  if (!r.ok()) return;
  uint64_t ok = 0, throttled = 0, failed = 0, bytes = 0;
  for (const PutOutcome& o : *r) {
    if (o.status.ok()) {
      ++ok;
      bytes += o.bytes;
    } else if (o.status.code() == ErrorCode::kThroughputExceeded) {
      ++throttled;
    } else {
      ++failed;
    }
  }
  m.put_records_total_records->Add(r->size());
  m.put_records_successful_records->Add(ok);
  if (throttled > 0) m.put_records_throttled_records->Add(throttled);
  if (failed > 0) m.put_records_failed_records->Add(failed);
  m.put_records_bytes->Add(bytes);
  if (ok > 0) m.put_records_success->Add();
}

// The rest of a PutRecords call once its entries are made and each is
// within the record size: the request size check, the put, the answer.
void PutEntries(const Context& ctx, const StreamHandle& stream, size_t max_bytes, std::vector<PutEntry> entries,
                Done done, const dedup::ProducerStamp* stamp, int64_t start_ns) {
  size_t total = 0;
  for (const PutEntry& e : entries) total += e.data.size() + e.partition_key.size();
  if (total > std::max(kMaxRequestBytes, max_bytes)) {
    return done(Status(ErrorCode::kInvalidArgument, "Records size exceeds 5 MB limit"));
  }
  std::shared_ptr<const StreamMetrics> metrics = stream.stream ? stream.stream->metrics() : nullptr;
  ctx.registry->Put(
      stream, std::move(entries),
      [done = std::move(done), done_encoded = ctx.done_encoded, format = ctx.format, metrics = std::move(metrics),
       clock = ctx.registry->clock(), start_ns, stamped = stamp != nullptr](Result<std::vector<PutOutcome>> r) {
        if (metrics != nullptr) CountPutRecords(*metrics, r, clock->MonotonicNs() - start_ns);
        if (!r.ok()) return done(r.status());
        done_encoded(EncodeOutput(*r, format, stamped));
      },
      InjectedFaults(ctx), stamp, start_ns);
}

}  // namespace

// PutRecords: up to 500 records; each succeeds or fails on its own, results
// in request order. All records bound for one shard form one batch. The
// record bytes are moved, not copied, from the input into the batch; the
// response is encoded here (Context::done_encoded).
void PutRecords(const Context& ctx, Value in, Done done) {
  PutRecordsStamped(ctx, std::move(in), std::move(done), nullptr);
}

void PutRecordsStamped(const Context& ctx, Value in, Done done, const dedup::ProducerStamp* stamp) {
  if (!ctx.done_encoded) return done(Status(ErrorCode::kInternal, "PutRecords needs Context::done_encoded"));
  const int64_t start_ns = ctx.registry->clock()->MonotonicNs();  // PutRecords.Latency
  // The stream is looked up once: the handle serves authorization, the
  // record size limit and the put.
  auto stream = FindStreamFromInput(ctx, in);
  if (!stream.ok()) return done(stream.status());
  auto max_bytes = MaxRecordBytes(ctx, *stream);
  if (!max_bytes.ok()) return done(max_bytes.status());
  Value::Array& records = in.FindMutable("Records")->mutable_array();
  std::vector<PutEntry> entries(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (Status st = MakePutEntry(&records[i], *max_bytes, i + 1, &entries[i]); !st.ok()) return done(st);
  }
  PutEntries(ctx, *stream, *max_bytes, std::move(entries), std::move(done), stamp, start_ns);
}

void PutRecordsDecoded(const Context& ctx, PutRecordsInput in, Done done) {
  if (!ctx.done_encoded) return done(Status(ErrorCode::kInternal, "PutRecords needs Context::done_encoded"));
  const int64_t start_ns = ctx.registry->clock()->MonotonicNs();  // PutRecords.Latency
  // The same checks, in the same order, as PutRecordsStamped's: the decoder
  // has made the model's and MakePutEntry's hash key checks.
  auto stream = FindStreamFromInput(ctx, in.summary);
  if (!stream.ok()) return done(stream.status());
  auto max_bytes = MaxRecordBytes(ctx, *stream);
  if (!max_bytes.ok()) return done(max_bytes.status());
  for (size_t i = 0; i < in.entries.size(); ++i) {
    const PutEntry& e = in.entries[i];
    if (Status st = CheckRecordSize(e.data.size() + e.partition_key.size(), *max_bytes, i + 1); !st.ok()) {
      return done(st);
    }
  }
  PutEntries(ctx, *stream, *max_bytes, std::move(in.entries), std::move(done), nullptr, start_ns);
}

}  // namespace spate::streams::api
