#include "server/api_dispatcher.h"

#include <chrono>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "protocol/cbor_codec.h"
#include "protocol/errors.h"
#include "protocol/json_codec.h"
#include "protocol/service_model.h"
#include "server/request_id.h"
#include "service/peer_auth.h"
#include "util/hmac.h"

namespace spate::server {
namespace {

using http::HeaderList;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;
using http::ResponseStream;
using protocol::Value;
using protocol::WireFormat;

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";
constexpr std::string_view kEventStreamContentType = "application/vnd.amazon.eventstream";
constexpr int kMaxNestingDepth = 64;
// The longest X-Amz-Target quoted back in an UnknownOperationException.
constexpr size_t kMaxQuotedTarget = 128;
// Above any Unix time in milliseconds a peer signs (year 2286); guards the
// parse from overflow.
constexpr int64_t kMaxPeerTimeMs = 9'999'999'999'999;

// UnknownOperationException naming what was asked for. AWS's own carries no
// message at all (SDKs then print "null"); the operation's name tells a user
// at once whether it was misspelt or is one this server does not serve.
// The target is quoted as printable ASCII (other bytes as '?'), cut at
// kMaxQuotedTarget bytes, so the answer stays well-formed and short.
Status UnknownOperation(std::string_view target, bool in_model) {
  if (target.empty()) {
    return Status(ErrorCode::kUnknownOperation, "The request names no operation: the X-Amz-Target header is missing.");
  }
  std::string quoted;
  for (char c : target.substr(0, kMaxQuotedTarget)) quoted.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (target.size() > kMaxQuotedTarget) quoted += "...";
  if (in_model) {
    return Status(ErrorCode::kUnknownOperation, "Operation " + quoted + " is not implemented by this server.");
  }
  return Status(ErrorCode::kUnknownOperation, "Unknown operation " + quoted + ".");
}

// One request's access-log entry while it is answered; shared by the
// copies of its ResponseShape, submitted once by Finish().
struct AccessRecord {
  AccessLog* log = nullptr;
  std::chrono::steady_clock::time_point start;
  AccessLogEntry entry;
  bool finished = false;  // a request is logged once

  static std::shared_ptr<AccessRecord> Start(AccessLog* log, const HttpRequest& req) {
    auto r = std::make_shared<AccessRecord>();
    r->log = log;
    r->start = std::chrono::steady_clock::now();
    r->entry.time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    r->entry.request_bytes = req.body.size();
    return r;
  }

  // Called where the response is built (a transport thread).
  void Finish(const HttpResponse& r) {
    if (finished) return;
    finished = true;
    entry.status = r.status;
    entry.response_bytes = r.body.size();
    for (const auto& [name, value] : r.headers) {
      if (name == "x-amzn-ErrorType") entry.error_type = value;
    }
    entry.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    log->Submit(std::move(entry));
  }
};

// How to shape the answer to one request: copied into the task that
// encodes it on the transport thread, so that task owns neither the
// responder nor, through it, the event loop.
struct ResponseShape {
  WireFormat format = WireFormat::kJson;
  std::string request_id;
  bool cors = false;
  bool has_output = true;
  // Set when the access log is on.
  std::shared_ptr<AccessRecord> access;

  // `r`, after logging it when the access log is on.
  HttpResponse Logged(HttpResponse r) const {
    if (access != nullptr) access->Finish(r);
    return r;
  }

  HeaderList BaseHeaders() const {
    HeaderList h;
    h.reserve(cors ? 5 : 4);  // and room for x-amzn-ErrorType
    h.emplace_back("x-amzn-RequestId", request_id);
    h.emplace_back("x-amz-id-2", RandomId2());
    h.emplace_back("Content-Type", std::string(format == WireFormat::kCbor ? kCborContentType : kJsonContentType));
    if (cors) {
      h.emplace_back("Access-Control-Allow-Origin", "*");
      h.emplace_back("Access-Control-Expose-Headers",
                     "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date");
    }
    return h;
  }

  void Encode(const Value& v, std::string* out) const {
    if (format == WireFormat::kCbor) {
      protocol::WriteCbor(v, out);
    } else {
      protocol::WriteJson(v, out);
    }
  }

  HttpResponse ErrorResponse(const Status& st) const {
    protocol::WireError w = protocol::ToWireError(st.code());
    Value body = Value::MakeObject();
    body.Set("__type", Value::String(std::string(w.type)));
    std::string_view message = protocol::WireMessage(st);
    if (!message.empty()) {
      // AWS spells it "Message" for SerializationException only.
      body.Set(st.code() == ErrorCode::kSerialization ? "Message" : "message", Value::String(std::string(message)));
    }
    HttpResponse r;
    r.status = w.http_status;
    r.headers = BaseHeaders();
    r.headers.emplace_back("x-amzn-ErrorType", std::string(w.type));
    Encode(body, &r.body);
    return r;
  }

  // 200 with the base headers and `body` (already encoded).
  HttpResponse OkResponse(std::string body) const {
    HttpResponse r;
    r.status = 200;
    r.headers = BaseHeaders();
    r.body = std::move(body);
    return r;
  }

  HttpResponse ResultResponse(const Result<Value>& result) const {
    if (!result.ok()) return ErrorResponse(result.status());
    std::string body;
    if (has_output) Encode(*result, &body);
    return OkResponse(std::move(body));
  }
};

// Everything needed to answer, whatever thread the answer comes from.
struct Exchange : ResponseShape {
  std::unique_ptr<Responder> responder;

  void SendError(const Status& st) { responder->Send(Logged(ErrorResponse(st))); }

  // A body the handler encoded itself (PutRecord, PutRecords, GetRecords),
  // possibly on the storage writer's thread: the headers are built on the
  // connection's thread, like SendResult's.
  static void SendEncoded(const std::shared_ptr<Exchange>& ex, std::string body) {
    ex->responder->SendBuilt([shape = static_cast<const ResponseShape&>(*ex), body = std::move(body)]() mutable {
      return shape.Logged(shape.OkResponse(std::move(body)));
    });
  }

  // The handler's answer, from whatever thread it completes on: the
  // response is encoded on the connection's transport thread, so a put
  // acknowledged by the storage writer costs that thread no encoding.
  static void SendResult(const std::shared_ptr<Exchange>& ex, Result<Value> result) {
    ex->responder->SendBuilt([shape = static_cast<const ResponseShape&>(*ex), result = std::move(result)] {
      return shape.Logged(shape.ResultResponse(result));
    });
  }
};

// An event-stream response body as a service sees it.
class ResponseStreamSink final : public service::EventSink {
 public:
  explicit ResponseStreamSink(std::shared_ptr<ResponseStream> stream) : stream_(std::move(stream)) {}
  bool Write(std::string bytes) override { return stream_->Write(std::move(bytes)); }
  size_t Buffered() const override { return stream_->Buffered(); }
  void End() override { stream_->End(); }
  void OnClose(std::function<void()> cb) override { stream_->OnClose(std::move(cb)); }

 private:
  std::shared_ptr<ResponseStream> stream_;
};

}  // namespace

ApiDispatcher::ApiDispatcher(const SigV4Verifier* verifier) {
  if (verifier == nullptr) {
    owned_verifier_ = std::make_unique<SigV4Verifier>(nullptr, util::SystemClock());
    verifier = owned_verifier_.get();
  }
  verifier_ = verifier;
}

ApiDispatcher::~ApiDispatcher() = default;

void ApiDispatcher::AddService(service::Service* service) {
  for (const service::Service* s : services_) {
    SPATE_ASSERT(s->model().target_prefix() != service->model().target_prefix(), "two services, one target prefix");
  }
  services_.push_back(service);
}

service::Service* ApiDispatcher::Route(std::string_view target, std::string_view* operation) const {
  // X-Amz-Target: <TargetPrefix>.<Operation>
  size_t dot = target.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  std::string_view prefix = target.substr(0, dot);
  *operation = target.substr(dot + 1);
  for (service::Service* s : services_) {
    if (s->model().target_prefix() == prefix) return s;
  }
  return nullptr;
}

HttpResponse ApiDispatcher::Overloaded(const HttpRequest& head) {
  std::string_view op;
  service::Service* service = Route(head.Header("x-amz-target"), &op);
  ErrorCode code = service != nullptr ? service->OverloadError(op) : ErrorCode::kLimitExceeded;
  ResponseShape shape;
  shape.request_id = RandomRequestId();
  shape.cors = !head.Header("origin").empty();
  if (head.Header("content-type").find("cbor") != std::string_view::npos) shape.format = WireFormat::kCbor;
  if (access_log_ != nullptr) {
    shape.access = AccessRecord::Start(access_log_, head);
    shape.access->entry.request_id = shape.request_id;
    shape.access->entry.operation = std::string(op);
  }
  return shape.Logged(
      shape.ErrorResponse(Status(code, "Rate exceeded: the server is at its in-flight request memory limit; retry.")));
}

Result<iam::Caller> ApiDispatcher::VerifyPeer(const HttpRequest& req, std::string_view target) const {
  const Status refused(ErrorCode::kUnrecognizedClient, "The security token included in the request is invalid.");
  if (peer_secret_.empty()) return refused;
  std::string_view caller = req.Header(service::kPeerCallerHeader);
  std::string expected =
      util::HmacSha256Hex(peer_secret_, service::PeerStringToSign(target, caller, util::Sha256Hex(req.body)));
  if (!util::ConstantTimeEqual(expected, req.Header(service::kPeerSignatureHeader))) return refused;
  // <account>/<region>/<unix ms>
  size_t a = caller.find('/');
  size_t b = a == std::string_view::npos ? a : caller.find('/', a + 1);
  if (b == std::string_view::npos) return refused;
  int64_t signed_ms = 0;
  for (char c : caller.substr(b + 1)) {
    if (c < '0' || c > '9' || signed_ms > kMaxPeerTimeMs) return refused;
    signed_ms = signed_ms * 10 + (c - '0');
  }
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (signed_ms < now_ms - service::kPeerMaxSkewMs || signed_ms > now_ms + service::kPeerMaxSkewMs) return refused;
  iam::Caller out;
  out.account = std::string(caller.substr(0, a));
  out.region = std::string(caller.substr(a + 1, b - a - 1));
  return out;
}

Status ApiDispatcher::Authenticate(const HttpRequest& req, std::string_view target, const service::Service* service,
                                   service::Call* call) const {
  if (!req.Header(service::kPeerCallerHeader).empty()) {
    auto peer = VerifyPeer(req, target);
    if (!peer.ok()) return peer.status();
    call->caller = std::move(peer).value();
    call->forwarded = true;
    return Status::Ok();
  }
  auto auth = verifier_->Verify(req, service->signing_name());
  if (!auth.ok()) return auth.status();
  call->caller.account = std::move(auth->account);
  call->caller.region = std::move(auth->region);
  return Status::Ok();
}

void ApiDispatcher::Handle(HttpRequest&& req, std::unique_ptr<Responder> responder) {
  std::shared_ptr<AccessRecord> access;
  if (access_log_ != nullptr) access = AccessRecord::Start(access_log_, req);
  if (req.method != "POST") {
    HttpResponse r;
    r.status = 403;
    r.headers.emplace_back("x-amzn-RequestId", RandomRequestId());
    r.headers.emplace_back("Content-Type", "application/xml");
    r.body =
        "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
        "authorized</Message>\n</AccessDeniedException>\n";
    if (access != nullptr) {
      access->entry.request_id = r.headers.front().second;
      access->entry.error_type = "AccessDeniedException";
      access->Finish(r);
    }
    return responder->Send(std::move(r));
  }

  auto ex = std::make_shared<Exchange>();
  ex->responder = std::move(responder);
  ex->request_id = RandomRequestId();
  ex->cors = !req.Header("origin").empty();
  std::string_view content_type = req.Header("content-type");
  if (content_type.find("cbor") != std::string_view::npos) ex->format = WireFormat::kCbor;

  std::string_view op_name;
  std::string_view target = req.Header("x-amz-target");
  service::Service* service = Route(target, &op_name);
  if (access != nullptr) {
    access->entry.request_id = ex->request_id;
    access->entry.operation = std::string(op_name);
    ex->access = std::move(access);
  }
  const protocol::ServiceModel* model = service != nullptr ? &service->model() : nullptr;
  const protocol::OperationInfo* op = model != nullptr ? model->FindOperation(op_name) : nullptr;
  if (op == nullptr || !service->Serves(*op)) return ex->SendError(UnknownOperation(target, op != nullptr));
  ex->has_output = !op->output_shape().empty();

  // AWS's order: the body is decoded before the signature is looked at, so
  // an empty or malformed body is a SerializationException whatever the
  // authentication (an empty one with no message at all, as AWS's).
  if (req.body.empty()) return ex->SendError(Status(ErrorCode::kSerialization, ""));
  service::Call call;
  if (ex->format == WireFormat::kJson) {
    // A body the service decodes itself is one the generic path would
    // accept: the same steps follow, without the document tree.
    if (std::unique_ptr<service::DecodedInput> decoded = service->DecodeJsonFast(*op, req.body)) {
      if (Status st = Authenticate(req, target, service, &call); !st.ok()) return ex->SendError(st);
      if (ex->access != nullptr) {
        ex->access->entry.account = call.caller.account;
        ex->access->entry.stream = service->ResourceName(*op, decoded->summary);
      }
      call.operation = op->name();
      call.format = ex->format;
      if (Status st = service->Admit(call, decoded->summary); !st.ok()) return ex->SendError(st);
      call.done_encoded = [ex](std::string body) { Exchange::SendEncoded(ex, std::move(body)); };
      return service->InvokeDecoded(*op, std::move(call), std::move(decoded),
                                    [ex](Result<Value> result) { Exchange::SendResult(ex, std::move(result)); });
    }
  }
  Result<Value> input = Status(ErrorCode::kSerialization, "");
  if (ex->format == WireFormat::kCbor) {
    input = protocol::ParseCbor(req.body, kMaxNestingDepth);
  } else {
    input = protocol::ParseJson(req.body, kMaxNestingDepth, req.body.capacity() - req.body.size());
  }
  if (!input.ok()) return ex->SendError(input.status());
  if (!input->is_object()) {
    return ex->SendError(Status(ErrorCode::kSerialization, "Start of structure or map found where not expected."));
  }

  if (Status st = Authenticate(req, target, service, &call); !st.ok()) return ex->SendError(st);
  if (ex->access != nullptr) ex->access->entry.account = call.caller.account;
  if (Status st = model->ValidateInput(*op, &*input, ex->format); !st.ok()) return ex->SendError(st);
  if (ex->access != nullptr) ex->access->entry.stream = service->ResourceName(*op, *input);

  call.operation = op->name();
  call.format = ex->format;
  if (Status st = service->Admit(call, *input); !st.ok()) return ex->SendError(st);
  call.done_encoded = [ex](std::string body) { Exchange::SendEncoded(ex, std::move(body)); };
  if (op->event_stream_output()) {
    // 200 and headers now, then event-stream messages (JSON payloads even
    // for CBOR callers).
    call.open_event_stream = [ex]() -> std::shared_ptr<service::EventSink> {
      HeaderList h = ex->BaseHeaders();
      for (auto& [name, value] : h) {
        if (name == "Content-Type") value = std::string(kEventStreamContentType);
      }
      if (ex->access != nullptr) {
        HttpResponse head;
        head.status = 200;
        ex->access->Finish(head);
      }
      return std::make_shared<ResponseStreamSink>(ex->responder->StartStream(200, std::move(h)));
    };
  }
  service->Invoke(*op, std::move(call), std::move(*input),
                  [ex](Result<Value> result) { Exchange::SendResult(ex, std::move(result)); });
}

}  // namespace spate::server
