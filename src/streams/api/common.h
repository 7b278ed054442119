#pragma once

// Shapes and checks shared by several Data Streams handlers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/value.h"
#include "streams/api/operation.h"
#include "streams/stream_errors.h"
#include "streams/stream_handle.h"
#include "streams/stream_ref.h"

// Declarations only: a handler includes what it uses (streams/registry.h,
// metadata/stream_meta.h, storage/shard_log.h), so that a change to one of
// those rebuilds only the handlers that use it.
namespace spate::metadata {
struct StreamMeta;
enum class StreamMode : uint8_t;
}  // namespace spate::metadata

namespace spate::streams {
struct PutEntry;
}  // namespace spate::streams

namespace spate::dedup {
struct ProducerStamp;
}  // namespace spate::dedup

namespace spate::streams::api {

// The stream a request names through StreamName and/or StreamARN, once the
// caller is authorized for the operation on it (streams/access.h): a stream
// of another account needs its resource policy to allow the call, else
// kAccessDenied (also when that stream does not exist).
Result<StreamRef> StreamFromInput(const Context& ctx, const protocol::Value& in);

// Ok if the caller may perform ctx.operation on the stream; see above.
Status AuthorizeStream(const Context& ctx, const StreamRef& ref);
Status AuthorizeStream(const Context& ctx, const StreamHandle& stream);

// StreamFromInput for handlers that use the stream more than once: the
// stream is looked up once, here, and the handle serves the rest of the
// request. A handle without a stream is not an error here (after the
// authorization check); the handler reports it where AWS does, usually
// through the registry call it makes with the handle.
Result<StreamHandle> FindStreamFromInput(const Context& ctx, const protocol::Value& in);

// {"StreamMode": "..."}
protocol::Value StreamModeDetailsValue(metadata::StreamMode mode);

// [{"ShardLevelMetrics": [...]}]
protocol::Value EnhancedMonitoringValue(const metadata::StreamMeta& meta);

// Input members as the validator left them (absent members read as 0/empty).
int64_t IntMember(const protocol::Value& in, std::string_view name, int64_t fallback);

// Completes `done` with a plain status (ok -> empty response body).
void Finish(const Done& done, Status st);

// The check that draws ctx.operation's injected faults (--inject-fault) on
// a stream, for the calls that fail record by record or shard by shard
// (Registry::Put, Registry::GetRecords); empty when no rule is set.
StreamCheck InjectedFaults(const Context& ctx);

}  // namespace spate::streams::api

namespace spate::streams::api {

// Pagination tokens (ListStreams, ListShards, ListStreamConsumers): sealed by
// the registry's token codec, tagged with their kind and issue time, valid for
// 300 s like AWS's.
// Plaintext layout and fields per kind: docs/formats/iterator.md.
std::string SealNextToken(const Context& ctx, std::string_view kind, const std::vector<std::string>& fields);
// kInvalidArgument for a token that is not ours or not of this kind,
// kExpiredNextToken once it is older than 300 s.
Result<std::vector<std::string>> OpenNextToken(const Context& ctx, std::string_view kind, std::string_view token);
// A decimal field of an opened token, all of `field` (no sign, no spaces),
// within T's range; kInvalidArgument "Invalid NextToken." otherwise. Tokens
// are sealed, so only a bug or a stolen key yields a bad field, but a request
// must never reach an exception for it.
Result<int64_t> TokenInt(std::string_view field);
Result<uint64_t> TokenUint(std::string_view field);

}  // namespace spate::streams::api

namespace spate::streams::api {

// Builds a PutEntry from a PutRecord input or a PutRecords entry, checking
// what the model cannot: ExplicitHashKey in [0, 2^128-1] and data plus key
// within the stream's record size. Moves Data and PartitionKey out of *in
// (no copy of the record's bytes). `record_number` names the member in
// messages: 0 for PutRecord ("data"), else the 1-based position in a
// PutRecords call ("records.3.member.data").
Status MakePutEntry(protocol::Value* in, size_t max_record_bytes, size_t record_number, PutEntry* out);

// MakePutEntry's size check: a record of `bytes` (data plus partition key)
// within `max_record_bytes`, else AWS's ValidationException naming it.
Status CheckRecordSize(size_t bytes, size_t max_record_bytes, size_t record_number);

// The stream's record size limit in bytes; kNotFound if there is no stream.
Result<size_t> MaxRecordBytes(const Context& ctx, const StreamHandle& stream);

}  // namespace spate::streams::api

namespace spate::streams::api {

inline constexpr size_t kMaxTagsPerStream = 50;

// AWS's rules for the text of tag keys and values: Unicode letters and
// digits, white space of \p{Z} (not tab or newline) and _ . : / = + - @;
// no key may begin with "aws:" (in any case), a prefix AWS reserves.
// InvalidArgumentException as AWS words it; `action` ("add tags to",
// "remove tags from") and `stream`'s name and account are quoted in it.
Status CheckTagText(std::string_view action, const metadata::StreamMeta& stream,
                    const std::vector<std::string_view>& keys, const std::vector<std::string_view>& values);
// CheckTagText for the TagKeys of RemoveTagsFromStream / UntagResource.
Status CheckTagKeysToRemove(const metadata::StreamMeta& stream, const protocol::Value& tag_keys);

// Adds or overwrites tags, enforcing AWS's character rules (CheckTagText)
// and the per-stream count.
Status AddTags(metadata::StreamMeta& meta, const protocol::Value& tags);

// The stream an ARN-based tagging call names (a stream ARN), authorized as
// StreamFromInput.
Result<StreamRef> StreamFromResourceArn(const Context& ctx, std::string_view arn);

}  // namespace spate::streams::api

namespace spate::streams::api {

inline constexpr int32_t kMinRetentionHours = 24;
inline constexpr int32_t kMaxRetentionHours = 8760;

// AWS's bounds check for Increase/DecreaseStreamRetentionPeriod.
Status CheckRetentionBounds(int64_t hours);

}  // namespace spate::streams::api

namespace spate::streams::api {

// Enable/DisableEnhancedMonitoring share everything but the set operation.
void ChangeShardLevelMetrics(const Context& ctx, const protocol::Value& in, bool enable, const Done& done);

}  // namespace spate::streams::api

namespace spate::streams::api {

// The AT_TIMESTAMP rules GetShardIterator and SubscribeToShard share: a
// Timestamp is required and may not lie in the future (AWS's messages).
Status CheckAtTimestamp(const protocol::Value* timestamp, int64_t now_ms);

}  // namespace spate::streams::api

namespace spate::streams::api {

// The WarmThroughputObject of an on-demand stream: TargetMiBps as set
// (0: none), CurrentMiBps the write capacity of its open shards.
protocol::Value WarmThroughputValue(const Stream& stream);

// The members DescribeStream and DescribeStreamSummary share: name, ARN,
// status, mode, retention, creation time, enhanced monitoring, encryption.
void SetStreamDescriptionCommon(const Stream& stream, protocol::Value* description);

// PutRecords (api/put_records.cc) with the exactly-once extension's stamp
// (null: Kinesis' PutRecords exactly). The caller checked the stamp's epoch.
void PutRecordsStamped(const Context& ctx, protocol::Value in, service::Done done, const dedup::ProducerStamp* stamp);

// PutRecords with an input from DecodePutRecordsJson (api/put_records_json.h).
struct PutRecordsInput;
void PutRecordsDecoded(const Context& ctx, PutRecordsInput in, service::Done done);

}  // namespace spate::streams::api
