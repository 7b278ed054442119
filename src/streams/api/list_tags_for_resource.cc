#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
Value TagList(const std::map<std::string, std::string>& tags) {
  Value list = Value::MakeArray();
  for (const auto& [k, v] : tags) {
    Value t = Value::MakeObject();
    t.Set("Key", Value::String(k));
    t.Set("Value", Value::String(v));
    list.Append(std::move(t));
  }
  return list;
}
}  // namespace

// ListTagsForResource: every tag of the resource (stream or consumer), in
// key order.
void ListTagsForResource(const Context& ctx, Value in, Done done) {
  std::string_view arn = in.GetString("ResourceARN");
  Value out = Value::MakeObject();
  if (LooksLikeConsumerArn(arn)) {
    auto ref = ParseConsumerArn(arn);
    if (!ref.ok()) return done(ref.status());
    Status st = ctx.registry->WithStream(ref->stream, [&](const Stream& s) {
      const metadata::ConsumerMeta* c = FindConsumer(s.meta(), *ref);
      if (c == nullptr) return ConsumerNotFound(*ref);
      out.Set("Tags", TagList(c->tags));
      return Status::Ok();
    });
    if (st.code() == ErrorCode::kNotFound) st = ConsumerNotFound(*ref);
    if (!st.ok()) return done(st);
    return done(std::move(out));
  }
  auto ref = StreamFromResourceArn(ctx, arn);
  if (!ref.ok()) return done(ref.status());
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    out.Set("Tags", TagList(s.meta().tags));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
