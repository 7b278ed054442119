#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "protocol/value.h"
#include "service/service.h"
#include "streams/caller.h"

namespace spate::streams {
class FanOut;    // streams/fan_out.h
class Registry;  // streams/registry.h
}  // namespace spate::streams

namespace spate::streams::api {

// What every Data Streams operation handler receives besides its input:
// the front door's Call (caller, operation name, wire format, done_encoded,
// open_event_stream; service/service.h) and the service's own state.
struct Context : service::Call {
  Registry* registry = nullptr;
  // Enhanced fan-out; null when the server runs without it.
  FanOut* fan_out = nullptr;

  // The operation's IAM action: "kinesis:" + its name.
  std::string Action() const { return "kinesis:" + std::string(operation); }
};

// Completes an operation: the response document, or an error. May be called
// from any thread, exactly once.
using Done = service::Done;

// One handler per operation, each in its own file of this folder. The input
// has already been type-coerced and validated against the service model.
// A handler must not block (storage completions arrive through Done).
using Handler = void (*)(const Context& ctx, protocol::Value input, Done done);

// The handler of a Data Streams operation, or nullptr if Spate does not
// serve it (yet).
Handler FindHandler(std::string_view operation);

// Admission of one call before its handler runs: control-plane rate limits
// (LimitExceededException) and whole-request fault injection, keyed by the
// stream the input names (StreamName, StreamARN or ResourceARN), if any.
Status AdmitCall(Registry* registry, const Caller& caller, std::string_view operation, const protocol::Value& input);

}  // namespace spate::streams::api
