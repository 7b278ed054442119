#include <string>

#include "protocol/stream_writer.h"
#include "streams/access.h"
#include "streams/api/common.h"
#include "streams/read_outcome.h"
#include "streams/registry.h"
#include "streams/shard_shapes.h"
#include "util/hash_key.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kMaxRecordsPerCall = 10000;

// Upper bound of the encoded size of one record beyond its data and key:
// member names, the 38-39-digit sequence number, the timestamp, punctuation.
constexpr size_t kRecordOverhead = 160;

// Writes the GetRecords output straight from the storage records: the bytes
// WriteJson / WriteCbor would produce for the document
//   {Records: [{SequenceNumber, ApproximateArrivalTimestamp, Data,
//               PartitionKey[, EncryptionType: "KMS"]}...],
//    NextShardIterator | (absent), MillisBehindLatest,
//    (absent) | ChildShards: [...]}
// without building it: one allocation for the whole body, base64 written in
// place, sequence numbers formatted on the stack.
std::string EncodeOutput(const GetRecordsOutcome& r, protocol::WireFormat format) {
  size_t estimate = 256 + (r.next_iterator ? r.next_iterator->size() : 0);
  for (const storage::RecordView& rec : r.records) {
    estimate += (rec.data.size() + 2) / 3 * 4 + rec.partition_key.size() + kRecordOverhead;
  }
  std::string body;
  body.reserve(estimate);
  protocol::StreamWriter w(format, &body);
  w.BeginObject(3);
  w.Key("Records");
  w.BeginArray(r.records.size());
  char seq[util::kMaxDecimal128Digits];
  for (const storage::RecordView& rec : r.records) {
    w.BeginObject(rec.encrypted ? 5 : 4);
    w.Key("SequenceNumber");
    w.PlainString(
        {seq, util::FormatDecimal128(model::SequenceNumber::OfRecord(r.shard, r.epoch, rec.offset).ToUint128(), seq)});
    w.Key("ApproximateArrivalTimestamp");
    w.TimestampMs(rec.arrival_ms);
    w.Key("Data");
    w.Blob(rec.data);
    w.Key("PartitionKey");
    w.String(rec.partition_key);
    if (rec.encrypted) {
      w.Key("EncryptionType");
      w.String("KMS");
    }
    w.EndObject();
  }
  w.EndArray();
  if (r.next_iterator) {
    w.Key("NextShardIterator");
    w.String(*r.next_iterator);
  }
  w.Key("MillisBehindLatest");
  w.Int(r.millis_behind_latest);
  if (!r.next_iterator) {
    w.Key("ChildShards");
    w.BeginArray(r.children.size());
    for (const metadata::ShardMeta& c : r.children) w.Embed(ChildShardValue(c));
    w.EndArray();
  }
  w.EndObject();
  return body;
}

}  // namespace

// GetRecords: records after the iterator's position (at most Limit and
// 10 MiB), the next iterator, and, at the end of a closed shard, its
// children instead of a next iterator. The response is encoded here
// (Context::done_encoded), not built as a Value tree.
void GetRecords(const Context& ctx, Value in, Done done) {
  if (!ctx.done_encoded) return done(Status(ErrorCode::kInternal, "GetRecords needs Context::done_encoded"));
  const int64_t start_ns = ctx.registry->clock()->MonotonicNs();
  int64_t limit = IntMember(in, "Limit", kMaxRecordsPerCall);
  // An iterator names its stream's account: another account's iterator is
  // honoured only as far as that stream's resource policy allows GetRecords
  // (and a stream that is gone reads as denied, like one never shared).
  auto authorize = [&ctx](const Stream& s) { return Authorize(ctx.caller, ctx.Action(), s.meta(), s.Arn()); };
  auto r = ctx.registry->GetRecords(in.GetString("ShardIterator"), static_cast<size_t>(limit), authorize,
                                    InjectedFaults(ctx));
  if (!r.ok()) return done(r.status());
  std::string body = EncodeOutput(*r, ctx.format);
  // GetRecords.Success and .Latency (the registry counted records, bytes and iterator age).
  r->metrics->get_records_success->Add();
  r->metrics->get_records_latency->Observe(static_cast<uint64_t>(ctx.registry->clock()->MonotonicNs() - start_ns) /
                                           1000);
  ctx.done_encoded(std::move(body));
}

}  // namespace spate::streams::api
