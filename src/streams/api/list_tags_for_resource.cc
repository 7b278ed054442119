#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

// ListTagsForResource: every tag of the resource, in key order.
void ListTagsForResource(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromResourceArn(ctx, in.GetString("ResourceARN"));
  if (!ref.ok()) return done(ref.status());
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    Value tags = Value::MakeArray();
    for (const auto& [k, v] : s.meta().tags) {
      Value t = Value::MakeObject();
      t.Set("Key", Value::String(k));
      t.Set("Value", Value::String(v));
      tags.Append(std::move(t));
    }
    out.Set("Tags", std::move(tags));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
