#pragma once

#include <functional>
#include <string_view>

#include "base/status.h"
#include "protocol/value.h"
#include "streams/event_sink.h"
#include "streams/fan_out.h"
#include "streams/registry.h"

namespace spate::streams::api {

// What every Data Streams operation handler receives besides its input.
struct Context {
  Caller caller;
  Registry* registry = nullptr;
  // Enhanced fan-out; null when the server runs without it.
  FanOut* fan_out = nullptr;
  // SubscribeToShard only: starts the event-stream response. A handler that
  // calls it answers through the returned sink and never calls Done.
  EventSinkOpener open_event_stream;
};

// Completes an operation: the response document, or an error. May be called
// from any thread, exactly once.
using Done = std::function<void(Result<protocol::Value>)>;

// One handler per operation, each in its own file of this folder. The input
// has already been type-coerced and validated against the service model.
// A handler must not block (storage completions arrive through Done).
using Handler = void (*)(const Context& ctx, protocol::Value input, Done done);

// The handler of a Data Streams operation, or nullptr if Spate does not
// serve it (yet).
Handler FindHandler(std::string_view operation);

}  // namespace spate::streams::api
