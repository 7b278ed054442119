#include <optional>

#include "streams/api/common.h"
#include "streams/api/control_plane_rates.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

Status AdmitCall(const Context& ctx, std::string_view operation, const Value& in) {
  // PutRecords and GetRecords draw faults per record / per shard, where the
  // shard is known (InjectedFaults in their handlers).
  FaultInjector& faults = ctx.registry->faults();
  const bool draw_fault = !faults.empty() && operation != "PutRecords" && operation != "GetRecords";
  const std::optional<CallRate> rate = ControlPlaneRate(operation);
  if (!draw_fault && !rate) return Status::Ok();  // nothing is keyed by the stream
  std::string stream(in.GetString("StreamName"));
  if (stream.empty()) {
    std::string_view arn = in.GetString("StreamARN");
    if (arn.empty()) arn = in.GetString("ResourceARN");
    if (!arn.empty()) {
      auto ref = ResolveStream(ctx.caller, {}, arn);
      if (ref.ok()) stream = ref->name;
    }
  }
  if (draw_fault) SPATE_TRY(faults.Draw(operation, stream, ctx.caller.account));
  if (!rate) return Status::Ok();
  return ctx.registry->control_plane().Admit(ctx.caller.account, ctx.caller.region, *rate, stream);
}

}  // namespace spate::streams::api
