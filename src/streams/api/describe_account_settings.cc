#include "streams/api/account_settings_common.h"
#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DescribeAccountSettings: the caller's account's minimum throughput billing
// commitment in its region (DISABLED with no times until first enabled).
void DescribeAccountSettings(const Context& ctx, Value /*in*/, Done done) {
  auto settings = ctx.registry->AccountSettingsOf(ctx.caller);
  if (!settings.ok()) return done(settings.status());
  Value out = Value::MakeObject();
  out.Set("MinimumThroughputBillingCommitment", CommitmentValue(*settings));
  done(std::move(out));
}

}  // namespace spate::streams::api
