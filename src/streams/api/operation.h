#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "protocol/service_model.h"  // WireFormat
#include "protocol/value.h"
#include "streams/caller.h"
#include "streams/event_sink.h"

namespace spate::streams {
class FanOut;    // streams/fan_out.h
class Registry;  // streams/registry.h
}  // namespace spate::streams

namespace spate::streams::api {

// What every Data Streams operation handler receives besides its input.
struct Context {
  Caller caller;
  // The operation's name ("GetRecords"); its IAM action is "kinesis:" + it.
  std::string_view operation;
  Registry* registry = nullptr;

  std::string Action() const { return "kinesis:" + std::string(operation); }
  // Enhanced fan-out; null when the server runs without it.
  FanOut* fan_out = nullptr;
  // SubscribeToShard only: starts the event-stream response. A handler that
  // calls it answers through the returned sink and never calls Done.
  EventSinkOpener open_event_stream;
  // The request's wire format: what a handler that encodes its own response
  // must write.
  protocol::WireFormat format = protocol::WireFormat::kJson;
  // Completes the operation with a 200 response whose body is already encoded
  // in `format`, instead of calling Done with a document (for responses too
  // large to build as a Value tree first: GetRecords). A handler calls at
  // most one of this and Done, once; errors still go through Done. Set by the
  // dispatcher for every operation.
  std::function<void(std::string body)> done_encoded;
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

// Admission of one call before its handler runs: control-plane rate limits
// (LimitExceededException) and whole-request fault injection, keyed by the
// stream the input names (StreamName, StreamARN or ResourceARN), if any.
Status AdmitCall(const Context& ctx, std::string_view operation, const protocol::Value& input);

}  // namespace spate::streams::api
