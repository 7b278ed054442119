#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

Status AdmitCall(Registry* registry, const Caller& caller, std::string_view operation, const Value& in) {
  std::string stream(in.GetString("StreamName"));
  if (stream.empty()) {
    std::string_view arn = in.GetString("StreamARN");
    if (arn.empty()) arn = in.GetString("ResourceARN");
    if (!arn.empty()) {
      auto ref = ResolveStream(caller, {}, arn);
      if (ref.ok()) stream = ref->name;
    }
  }
  return registry->AdmitCall(caller, operation, stream);
}

}  // namespace spate::streams::api
