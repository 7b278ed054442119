#include "storage/key_store.h"
#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// StartStreamEncryption: EncryptionType KMS with a KeyId (key id, key ARN,
// alias or alias ARN). The stream goes UPDATING, then ACTIVE after the state
// delay. Records written from this call on are stored encrypted (already
// while UPDATING: stricter than AWS, which starts within seconds after
// ACTIVE); older records stay in plaintext and report no EncryptionType.
// The KeyId's master key is created in the key store now, so a store that
// cannot be written fails this call rather than later puts.
void StartStreamEncryption(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  std::string type(in.GetString("EncryptionType"));
  std::string key_id(in.GetString("KeyId"));
  if (type != "KMS") {
    return done(Status(ErrorCode::kInvalidArgument,
                       "EncryptionType " + type + " is not supported by StartStreamEncryption; use KMS."));
  }
  if (auto canonical = storage::KeyStore::CanonicalKeyId(key_id); !canonical.ok()) {
    return done(Status(ErrorCode::kInvalidArgument, canonical.status().message()));
  }
  storage::KeyStore* keys = ctx.registry->options().key_store;
  if (keys == nullptr) return done(Unavailable("server-side encryption needs a key store"));
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequireActive(m));
    SPATE_TRY(keys->RefFor(key_id).status());
    m.encryption_type = "KMS";
    m.key_id = key_id;
    m.status = metadata::StreamStatus::kUpdating;
    m.status_since_ms = ctx.registry->clock()->NowMs();
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
