#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
constexpr int64_t kDefaultLimit = 50;
}

// ListTagsForStream: tags in key order after ExclusiveStartTagKey.
void ListTagsForStream(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t limit = IntMember(in, "Limit", kDefaultLimit);
  std::string after(in.GetString("ExclusiveStartTagKey"));
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    Value tags = Value::MakeArray();
    bool more = false;
    for (auto it = s.meta().tags.upper_bound(after); it != s.meta().tags.end(); ++it) {
      if (static_cast<int64_t>(tags.as_array().size()) == limit) {
        more = true;
        break;
      }
      Value t = Value::MakeObject();
      t.Set("Key", Value::String(it->first));
      t.Set("Value", Value::String(it->second));
      tags.Append(std::move(t));
    }
    out.Set("Tags", std::move(tags));
    out.Set("HasMoreTags", Value::Bool(more));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
