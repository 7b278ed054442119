#pragma once

#include <memory>

#include "server/http_types.h"
#include "server/sigv4.h"
#include "streams/fan_out.h"
#include "streams/registry.h"

namespace spate::server {

// The AWS JSON-1.1 / CBOR-1.1 front door: turns an HTTP request into an
// operation call and its result into a response.
//
// Per request, in AWS's order of checks: method and path, X-Amz-Target ->
// service and operation (UnknownOperationException), the SigV4 signature
// (SigV4Verifier: presence, then, unless in development mode, the signature
// itself), which gives the caller's account and region, body decoding in the
// request's encoding (SerializationException), service-model validation
// (SerializationException / ValidationException), then the handler. The
// response is encoded in the request's encoding, errors included, and every
// response carries x-amzn-RequestId.
//
// Thread-safe; Handle() never blocks (handlers complete asynchronously).
class ApiDispatcher final : public RequestHandler {
 public:
  // `verifier` (may be null: development mode with the system clock) must
  // outlive this. `fan_out` serves SubscribeToShard (event-stream
  // responses); may be null.
  explicit ApiDispatcher(streams::Registry* registry, const SigV4Verifier* verifier = nullptr,
                         streams::FanOut* fan_out = nullptr);
  ~ApiDispatcher() override;

  void Handle(HttpRequest request, std::unique_ptr<Responder> responder) override;
  // A request refused by the transport's memory budgets: an AWS error that
  // every SDK retries with backoff, in the request's encoding:
  // ProvisionedThroughputExceededException for the data plane (PutRecord,
  // PutRecords, GetRecords, SubscribeToShard: what producers and the KCL
  // already back off on), LimitExceededException (the control-plane rate
  // limit error) for every other operation. HTTP 400 as AWS sends them.
  HttpResponse Overloaded(const HttpRequest& head) override;

 private:
  streams::Registry* registry_;
  std::unique_ptr<SigV4Verifier> owned_verifier_;  // development mode when none is given
  const SigV4Verifier* verifier_;
  streams::FanOut* fan_out_;
};

}  // namespace spate::server
