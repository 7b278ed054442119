#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// UpdateMaxRecordSize: the largest record PutRecord and PutRecords accept
// from now on, 1024 .. 10240 KiB (the model's range, checked before this
// runs; outside it is AWS's ValidationException). The stream must be
// ACTIVE; the new limit is in the catalog before the call is acknowledged.
void UpdateMaxRecordSize(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t kib = IntMember(in, "MaxRecordSizeInKiB", metadata::kDefaultMaxRecordSizeKiB);
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequireActive(m));
    m.max_record_size_kib = static_cast<int32_t>(kib);
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
