#pragma once

#include <memory>
#include <vector>

#include "http/http_types.h"
#include "server/access_log.h"
#include "server/sigv4.h"
#include "service/service.h"

namespace spate::server {

// The AWS JSON-1.1 / CBOR-1.1 front door: turns an HTTP request into a call
// of one of the registered services (service/service.h) and its result into
// a response. It knows no service by name.
//
// Per request, in AWS's order of checks: method (anything but POST gets
// AWS's AccessDenied XML), X-Amz-Target -> the service whose target prefix
// it names and the operation (UnknownOperationException for an unknown
// prefix or operation, or one the service does not serve), the SigV4
// signature (SigV4Verifier, scope checked against the service's signing
// name), which gives the caller's account and region, body decoding in the
// request's encoding (SerializationException), validation against the
// service's model (SerializationException / ValidationException), the
// service's admission, then the service. The response is encoded in the
// request's encoding, errors included, and every response carries
// x-amzn-RequestId; responses to requests with an Origin carry CORS headers.
//
// Services are added before the server starts; afterwards the dispatcher is
// immutable and thread-safe. Handle() never blocks (services complete
// asynchronously).
class ApiDispatcher final : public http::RequestHandler {
 public:
  // `verifier` (may be null: development mode with the system clock) must
  // outlive this.
  explicit ApiDispatcher(const SigV4Verifier* verifier = nullptr);
  ~ApiDispatcher() override;

  // Serves `service`'s target prefix from now on; `service` must outlive
  // this. Two services may not share a target prefix (asserted).
  void AddService(service::Service* service);
  // Logs every answered request to `log` (null: none; the default). Set
  // before the server starts; `log` must outlive this.
  void SetAccessLog(AccessLog* log) { access_log_ = log; }
  // Cluster mode: accepts requests forwarded by a peer that signed them with
  // `secret` (service/peer_auth.h). Without it (the default) a request
  // carrying the peer headers is refused. Set before the server starts.
  void SetPeerSecret(std::string secret) { peer_secret_ = std::move(secret); }

  void Handle(http::HttpRequest&& request, std::unique_ptr<http::Responder> responder) override;
  // A request refused by the transport's memory budgets: the error its
  // service chooses (Service::OverloadError; LimitExceededException when the
  // target names no service), in the request's encoding, HTTP 400 as AWS
  // sends throttling errors; every SDK retries it with backoff.
  http::HttpResponse Overloaded(const http::HttpRequest& head) override;

 private:
  // The service X-Amz-Target names and the operation part, or nullptr.
  service::Service* Route(std::string_view target, std::string_view* operation) const;
  // The caller a peer-forwarded request acts for, once its signature holds.
  Result<iam::Caller> VerifyPeer(const http::HttpRequest& req, std::string_view target) const;
  // Sets call->caller (and call->forwarded) from the request's signature: a
  // cluster peer's, else SigV4 against `service`'s signing name.
  Status Authenticate(const http::HttpRequest& req, std::string_view target, const service::Service* service,
                      service::Call* call) const;

  std::unique_ptr<SigV4Verifier> owned_verifier_;  // development mode when none is given
  const SigV4Verifier* verifier_;
  std::vector<service::Service*> services_;
  AccessLog* access_log_ = nullptr;
  std::string peer_secret_;  // empty: no cluster peers
};

}  // namespace spate::server
