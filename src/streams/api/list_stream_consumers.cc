#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kDefaultMaxResults = 100;
constexpr std::string_view kTokenKind = "consumers";
}  // namespace

// ListStreamConsumers: the stream's consumers in registration order, paged
// by a sealed NextToken (stream key + position) valid for 300 s.
void ListStreamConsumers(const Context& ctx, Value in, Done done) {
  auto ref = ResolveStream(ctx.caller, {}, in.GetString("StreamARN"));
  if (!ref.ok()) return done(ref.status());
  size_t max_results = static_cast<size_t>(IntMember(in, "MaxResults", kDefaultMaxResults));
  size_t start = 0;
  std::string key = metadata::StreamMeta::MakeKey(ref->account, ref->region, ref->name);
  if (std::string_view token = in.GetString("NextToken"); !token.empty()) {
    auto fields = OpenNextToken(ctx, kTokenKind, token);
    if (!fields.ok()) return done(fields.status());
    if (fields->size() != 2 || (*fields)[0] != key) {
      return done(Status(ErrorCode::kInvalidArgument, "Invalid NextToken."));
    }
    auto position = TokenUint((*fields)[1]);
    if (!position.ok()) return done(position.status());
    start = static_cast<size_t>(*position);
  }
  Value out = Value::MakeObject();
  std::optional<std::string> next;
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    if (const Value* ts = in.Find("StreamCreationTimestamp");
        ts != nullptr && ts->as_timestamp_ms() / 1000 != m.created_ms / 1000) {
      return Registry::StreamNotFound(*ref);
    }
    Value list = Value::MakeArray();
    size_t end = std::min(m.consumers.size(), start + max_results);
    for (size_t i = start; i < end; ++i) list.Append(ConsumerValue(m, m.consumers[i]));
    if (end < m.consumers.size()) next = std::to_string(end);
    out.Set("Consumers", std::move(list));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  if (next) out.Set("NextToken", Value::String(SealNextToken(ctx, kTokenKind, {key, *next})));
  done(std::move(out));
}

}  // namespace spate::streams::api
