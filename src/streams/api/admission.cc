#include <optional>

#include "streams/api/common.h"
#include "streams/api/control_plane_rates.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

Status AdmitCall(Registry* registry, const Caller& caller, std::string_view operation, const Value& in) {
  // PutRecords and GetRecords draw faults per record / per shard, where the
  // shard is known (InjectedFaults in their handlers).
  FaultInjector& faults = registry->faults();
  const bool draw_fault = !faults.empty() && operation != "PutRecords" && operation != "GetRecords";
  const std::optional<CallRate> rate = ControlPlaneRate(operation);
  if (!draw_fault && !rate) return Status::Ok();  // nothing is keyed by the stream
  std::string stream(in.GetString("StreamName"));
  if (stream.empty()) {
    std::string_view arn = in.GetString("StreamARN");
    if (arn.empty()) arn = in.GetString("ResourceARN");
    if (!arn.empty()) {
      auto ref = ResolveStream(caller, {}, arn);
      if (ref.ok()) stream = ref->name;
    }
  }
  if (draw_fault) SPATE_TRY(faults.Draw(operation, stream, caller.account));
  if (!rate) return Status::Ok();
  return registry->control_plane().Admit(caller.account, caller.region, *rate, stream);
}

}  // namespace spate::streams::api
