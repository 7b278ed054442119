#include "storage/key_store.h"
#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// StopStreamEncryption: back to EncryptionType NONE (same parameters as
// StartStreamEncryption). The stream goes UPDATING, then ACTIVE. Records
// already written stay encrypted and readable (keys are never deleted).
void StopStreamEncryption(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  std::string type(in.GetString("EncryptionType"));
  if (type != "KMS") {
    return done(Status(ErrorCode::kInvalidArgument,
                       "EncryptionType " + type + " is not supported by StopStreamEncryption; use KMS."));
  }
  if (auto canonical = storage::KeyStore::CanonicalKeyId(in.GetString("KeyId")); !canonical.ok()) {
    return done(Status(ErrorCode::kInvalidArgument, canonical.status().message()));
  }
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequireActive(m));
    m.encryption_type = "NONE";
    m.key_id.clear();
    m.status = metadata::StreamStatus::kUpdating;
    m.status_since_ms = ctx.registry->clock()->NowMs();
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
