#pragma once

#include <optional>
#include <string_view>

#include "streams/throughput.h"

namespace spate::streams::api {

// The control-plane rate AWS allows `operation` (kinesis-api.md 2.1), for
// ControlPlaneLimiter; nullopt when it is not limited there (the data plane
// is metered per shard; operations AWS documents no rate for pass).
std::optional<CallRate> ControlPlaneRate(std::string_view operation);

}  // namespace spate::streams::api
