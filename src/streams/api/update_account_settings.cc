#include "streams/api/account_settings_common.h"
#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// UpdateAccountSettings: MinimumThroughputBillingCommitment Status ENABLED
// starts a commitment (earliest end 24 hours on); DISABLED ends it, or, within
// its first 24 hours, schedules its end then (ENABLED_UNTIL_EARLIEST_ALLOWED_END,
// as AWS documents); ENABLED before that end cancels it. Synchronous: the
// answer is the updated settings, already in the catalog.
void UpdateAccountSettings(const Context& ctx, Value in, Done done) {
  const Value* commitment = in.Find("MinimumThroughputBillingCommitment");
  // Required, and Status one of ENABLED | DISABLED (the model's, already checked).
  bool enable = commitment != nullptr && commitment->GetString("Status") == "ENABLED";
  auto settings = ctx.registry->UpdateAccountSettings(ctx.caller, enable);
  if (!settings.ok()) return done(settings.status());
  Value out = Value::MakeObject();
  out.Set("MinimumThroughputBillingCommitment", CommitmentValue(*settings));
  done(std::move(out));
}

}  // namespace spate::streams::api
