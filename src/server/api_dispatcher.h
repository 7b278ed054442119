#pragma once

#include <memory>

#include "server/http_types.h"
#include "streams/fan_out.h"
#include "streams/registry.h"

namespace spate::server {

// The AWS JSON-1.1 / CBOR-1.1 front door: turns an HTTP request into an
// operation call and its result into a response.
//
// Per request, in AWS's order of checks: method and path, X-Amz-Target ->
// service and operation (UnknownOperationException), authorization header
// presence (MissingAuthenticationTokenException), body decoding in the
// request's encoding (SerializationException), service-model validation
// (SerializationException / ValidationException), then the handler. The
// response is encoded in the request's encoding, errors included, and every
// response carries x-amzn-RequestId.
//
// Thread-safe; Handle() never blocks (handlers complete asynchronously).
class ApiDispatcher final : public RequestHandler {
 public:
  // `fan_out` serves SubscribeToShard (event-stream responses); may be null.
  explicit ApiDispatcher(streams::Registry* registry, streams::FanOut* fan_out = nullptr);
  ~ApiDispatcher() override;

  void Handle(HttpRequest request, std::unique_ptr<Responder> responder) override;

 private:
  streams::Registry* registry_;
  streams::FanOut* fan_out_;
};

}  // namespace spate::server
