#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/caller.h"
#include "protocol/service_model.h"
#include "protocol/value.h"
#include "service/event_sink.h"

namespace spate::service {

// The contract between the AWS front door (src/server/) and a service that
// sits behind it (Data Streams, Firehose, Analytics). The front door knows
// no service by name: it routes a request to the service whose model's
// target prefix begins its X-Amz-Target, and does, in AWS's order:
//
//   1. operation lookup in the service's model, then Serves()
//      (UnknownOperationException when either fails);
//   2. SigV4, with the credential scope checked against signing_name();
//   3. body decoding and validation against model() (SerializationException,
//      ValidationException);
//   4. Admit() (rate limits, fault injection);
//   5. Invoke(), whose Done or Call::done_encoded answers.
//
// A request refused by the transport's memory budgets never reaches the
// service: the front door answers it with OverloadError(operation).
//
// A service is registered once at start-up and must outlive the front door.
// Every method may be called concurrently from the transport's threads and
// must not block.

// Completes a call: the response document, or an error. Callable from any
// thread, exactly once.
using Done = std::function<void(Result<protocol::Value>)>;

// What a service receives with each call besides its input.
struct Call {
  iam::Caller caller;
  // The operation's name ("GetRecords"), as in the service's model.
  std::string_view operation;
  // The request's wire format: what a handler that encodes its own response
  // must write.
  protocol::WireFormat format = protocol::WireFormat::kJson;
  // Completes the call with a 200 response whose body is already encoded in
  // `format`, instead of a document through Done (for responses too large to
  // build as a Value tree first). A handler calls at most one of this and
  // Done, once; errors still go through Done. Always set.
  std::function<void(std::string body)> done_encoded;
  // Set only for operations whose output is an event stream (the model marks
  // the shape `eventstream`): starts the streaming response. A handler that
  // calls it answers through the returned sink and never calls Done.
  EventSinkOpener open_event_stream;
  // Forwarded by a cluster peer (peer_auth.h): runs on this node, never
  // forwarded again.
  bool forwarded = false;
};

// A request body a service decoded itself (Service::DecodeJsonFast) instead
// of the front door's document tree and model validation.
struct DecodedInput {
  virtual ~DecodedInput() = default;
  // The members Admit() and ResourceName() read (the stream's name), as the
  // validated document would hold them.
  protocol::Value summary;
};

class Service {
 public:
  virtual ~Service() = default;

  // The service's model: its target prefix ("Kinesis_20131202"), operations
  // and input shapes. Must live for the life of the process.
  virtual const protocol::ServiceModel& model() const = 0;
  // The service name a SigV4 credential scope must carry ("kinesis",
  // "firehose", "kinesisanalytics"): the model's endpoint prefix.
  virtual std::string_view signing_name() const { return model().endpoint_prefix(); }

  // Whether the service has a handler for `op`, an operation of model().
  virtual bool Serves(const protocol::OperationInfo& op) const = 0;

  // Admission of a validated call before its handler runs: ok, or the error
  // to answer instead (throttling, injected faults).
  virtual Status Admit(const Call& call, const protocol::Value& input) {
    (void)call;
    (void)input;
    return Status::Ok();
  }

  // The error for a call of `operation` refused because the server is at
  // its in-flight memory limit: one every SDK retries with backoff.
  virtual ErrorCode OverloadError(std::string_view operation) const {
    (void)operation;
    return ErrorCode::kLimitExceeded;
  }

  // The resource a validated call names, for the access log: a stream's
  // name or ARN; empty when it names none. Called only when the access log
  // is on.
  virtual std::string ResourceName(const protocol::OperationInfo& op, const protocol::Value& input) const {
    (void)op;
    (void)input;
    return std::string();
  }

  // Runs `op` (Serves(op) is true) with a validated input. Must not block;
  // completes through `done`, call.done_encoded or call.open_event_stream.
  virtual void Invoke(const protocol::OperationInfo& op, Call call, protocol::Value input, Done done) = 0;

  // Optional, for an operation whose bodies are large and regular
  // (PutRecords): decodes a JSON body straight into the service's own
  // structures, skipping the document tree and the generic validation,
  // which cost more than the rest of such a call. Returns null for any body
  // it does not fully understand, which then takes the generic path: so a
  // non-null result must be exactly an input the generic path accepts
  // (decoded and validated alike), and every error is the generic path's.
  // Called before authentication, which follows as for any request.
  virtual std::unique_ptr<DecodedInput> DecodeJsonFast(const protocol::OperationInfo& op, std::string_view body) {
    (void)op;
    (void)body;
    return nullptr;
  }

  // Runs `op` with what DecodeJsonFast(op, ...) returned, as Invoke does.
  virtual void InvokeDecoded(const protocol::OperationInfo& op, Call call, std::unique_ptr<DecodedInput> input,
                             Done done) {
    (void)op;
    (void)call;
    (void)input;
    done(Status(ErrorCode::kInternal, "InvokeDecoded without DecodeJsonFast"));
  }
};

}  // namespace spate::service
