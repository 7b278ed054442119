#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kDefaultLimit = 100;
constexpr std::string_view kTokenKind = "ListStreams";
}  // namespace

// ListStreams: names in order after ExclusiveStartStreamName (or after the
// NextToken's position), at most Limit, with summaries.
void ListStreams(const Context& ctx, Value in, Done done) {
  int64_t limit = IntMember(in, "Limit", kDefaultLimit);
  std::string after(in.GetString("ExclusiveStartStreamName"));
  if (std::string_view token = in.GetString("NextToken"); !token.empty()) {
    auto fields = OpenNextToken(ctx, kTokenKind, token);
    if (!fields.ok()) return done(fields.status());
    if (fields->size() != 1) return done(Status(ErrorCode::kInvalidArgument, "Invalid NextToken."));
    after = (*fields)[0];
  }
  Value names = Value::MakeArray();
  Value summaries = Value::MakeArray();
  bool more = false;
  std::string last;
  ctx.registry->ForEachStream(ctx.caller, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    if (more || (!after.empty() && m.name <= after)) return;
    if (static_cast<int64_t>(names.as_array().size()) == limit) {
      more = true;
      return;
    }
    names.Append(Value::String(m.name));
    Value sum = Value::MakeObject();
    sum.Set("StreamName", Value::String(m.name));
    sum.Set("StreamARN", Value::String(s.Arn()));
    sum.Set("StreamStatus", Value::String(std::string(metadata::StreamStatusName(m.status))));
    sum.Set("StreamModeDetails", StreamModeDetailsValue(m.mode));
    sum.Set("StreamCreationTimestamp", Value::TimestampMs(m.created_ms));
    summaries.Append(std::move(sum));
    last = m.name;
  });
  Value out = Value::MakeObject();
  out.Set("StreamNames", std::move(names));
  out.Set("HasMoreStreams", Value::Bool(more));
  if (more) out.Set("NextToken", Value::String(SealNextToken(ctx, kTokenKind, {last})));
  out.Set("StreamSummaries", std::move(summaries));
  done(std::move(out));
}

}  // namespace spate::streams::api
