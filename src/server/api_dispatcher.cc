#include "server/api_dispatcher.h"

#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "protocol/cbor_codec.h"
#include "protocol/errors.h"
#include "protocol/json_codec.h"
#include "protocol/service_model.h"
#include "server/sigv4.h"
#include "streams/api/operation.h"
#include "util/base64.h"

namespace spate::server {
namespace {

using protocol::Value;
using protocol::WireFormat;

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";
constexpr std::string_view kEventStreamContentType = "application/vnd.amazon.eventstream";
constexpr int kMaxNestingDepth = 64;

// Request ids need uniqueness, not secrecy: one xoshiro256** generator per
// thread (Blackman and Vigna), seeded from the system's entropy. Eleven
// words a request; mt19937_64 cost three times as much.
uint64_t NextRandom() {
  struct State {
    uint64_t s[4];
    State() {
      std::random_device rd;
      for (uint64_t& w : s) w = (static_cast<uint64_t>(rd()) << 32) ^ rd();
      if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;  // the one state it must not start from
    }
  };
  thread_local State st;
  uint64_t* s = st.s;
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

std::string RandomRequestId() {
  uint64_t a = NextRandom(), b = NextRandom();
  // UUID version 4 layout: 8-4-4-4-12 hex digits.
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the dashes
    uint64_t word = i < 8 ? a : b;
    unsigned byte = static_cast<unsigned>(word >> (56 - 8 * (i % 8))) & 0xFF;
    id[pos++] = kHex[byte >> 4];
    id[pos++] = kHex[byte & 15];
  }
  return id;
}

std::string RandomId2() {
  char bytes[72];
  for (size_t i = 0; i < sizeof bytes; i += 8) {
    uint64_t r = NextRandom();
    std::memcpy(bytes + i, &r, 8);
  }
  return util::Base64Encode(std::string_view(bytes, sizeof bytes));
}

// How to shape the answer to one request: copied into the task that
// encodes it on the transport thread, so that task owns neither the
// responder nor, through it, the event loop.
struct ResponseShape {
  WireFormat format = WireFormat::kJson;
  std::string request_id;
  bool cors = false;
  bool has_output = true;

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

  void SendError(const Status& st) { responder->Send(ErrorResponse(st)); }

  // A body the handler encoded itself (PutRecord, PutRecords, GetRecords),
  // possibly on the storage writer's thread: the headers are built on the
  // connection's thread, like SendResult's.
  static void SendEncoded(const std::shared_ptr<Exchange>& ex, std::string body) {
    ex->responder->SendBuilt([shape = static_cast<const ResponseShape&>(*ex), body = std::move(body)]() mutable {
      return shape.OkResponse(std::move(body));
    });
  }

  // The handler's answer, from whatever thread it completes on: the
  // response is encoded on the connection's transport thread, so a put
  // acknowledged by the storage writer costs that thread no encoding.
  static void SendResult(const std::shared_ptr<Exchange>& ex, Result<Value> result) {
    ex->responder->SendBuilt([shape = static_cast<const ResponseShape&>(*ex), result = std::move(result)] {
      return shape.ResultResponse(result);
    });
  }
};

// A SubscribeToShard response body as the streams layer sees it.
class ResponseStreamSink final : public streams::EventSink {
 public:
  explicit ResponseStreamSink(std::shared_ptr<ResponseStream> stream) : stream_(std::move(stream)) {}
  bool Write(std::string bytes) override { return stream_->Write(std::move(bytes)); }
  size_t Buffered() const override { return stream_->Buffered(); }
  void End() override { stream_->End(); }
  void OnClose(std::function<void()> cb) override { stream_->OnClose(std::move(cb)); }

 private:
  std::shared_ptr<ResponseStream> stream_;
};

void SendPlain(Responder& responder, int status, std::string content_type, std::string body, HeaderList extra = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(extra);
  r.headers.emplace_back("x-amzn-RequestId", RandomRequestId());
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  responder.Send(std::move(r));
}

}  // namespace

ApiDispatcher::ApiDispatcher(streams::Registry* registry, const SigV4Verifier* verifier,
                             streams::FanOut* fan_out)
    : registry_(registry), fan_out_(fan_out) {
  if (verifier == nullptr) {
    owned_verifier_ = std::make_unique<SigV4Verifier>(nullptr, util::SystemClock());
    verifier = owned_verifier_.get();
  }
  verifier_ = verifier;
}

HttpResponse ApiDispatcher::Overloaded(const HttpRequest& head) {
  std::string_view target = head.Header("x-amz-target");
  std::string_view op = target.substr(target.rfind('.') == std::string_view::npos ? target.size() : target.rfind('.') + 1);
  bool data_plane = op == "PutRecord" || op == "PutRecords" || op == "GetRecords" || op == "SubscribeToShard";
  ErrorCode code = data_plane ? ErrorCode::kThroughputExceeded : ErrorCode::kLimitExceeded;
  protocol::WireError w = protocol::ToWireError(code);
  Exchange ex;
  ex.request_id = RandomRequestId();
  ex.cors = !head.Header("origin").empty();
  if (head.Header("content-type").find("cbor") != std::string_view::npos) ex.format = WireFormat::kCbor;
  Value body = Value::MakeObject();
  body.Set("__type", Value::String(std::string(w.type)));
  body.Set("message", Value::String("Rate exceeded: the server is at its in-flight request memory limit; retry."));
  HttpResponse r;
  r.status = w.http_status;
  r.headers = ex.BaseHeaders();
  r.headers.emplace_back("x-amzn-ErrorType", std::string(w.type));
  ex.Encode(body, &r.body);
  return r;
}
ApiDispatcher::~ApiDispatcher() = default;

void ApiDispatcher::Handle(HttpRequest req, std::unique_ptr<Responder> responder) {
  bool cors = !req.Header("origin").empty();
  if (req.method == "OPTIONS" && cors) {
    HeaderList h = {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Max-Age", "172800"}};
    if (auto v = req.Header("access-control-request-headers"); !v.empty()) {
      h.emplace_back("Access-Control-Allow-Headers", std::string(v));
    }
    if (auto v = req.Header("access-control-request-method"); !v.empty()) {
      h.emplace_back("Access-Control-Allow-Methods", std::string(v));
    }
    return SendPlain(*responder, 200, "", "", std::move(h));
  }
  if (req.method == "GET" && (req.target == "/healthcheck" || req.target == "/health")) {
    return SendPlain(*responder, 200, "application/json", "{\"status\":\"ok\"}");
  }
  if (req.method != "POST") {
    return SendPlain(*responder, 403, "application/xml",
                     "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
                     "authorized</Message>\n</AccessDeniedException>\n");
  }

  auto ex = std::make_shared<Exchange>();
  ex->responder = std::move(responder);
  ex->request_id = RandomRequestId();
  ex->cors = cors;
  std::string_view content_type = req.Header("content-type");
  if (content_type.find("cbor") != std::string_view::npos) ex->format = WireFormat::kCbor;

  // X-Amz-Target: <TargetPrefix>.<Operation>
  const protocol::ServiceModel& model = protocol::ServiceModel::Kinesis();
  std::string_view target = req.Header("x-amz-target");
  size_t dot = target.rfind('.');
  std::string_view prefix = dot == std::string_view::npos ? std::string_view() : target.substr(0, dot);
  std::string_view op_name = dot == std::string_view::npos ? std::string_view() : target.substr(dot + 1);
  const protocol::OperationInfo* op = prefix == model.target_prefix() ? model.FindOperation(op_name) : nullptr;
  streams::api::Handler handler = op != nullptr ? streams::api::FindHandler(op_name) : nullptr;
  if (handler == nullptr) {
    return ex->SendError(Status(ErrorCode::kUnknownOperation, ""));
  }
  ex->has_output = !op->output_shape().empty();

  auto auth = verifier_->Verify(req);
  if (!auth.ok()) return ex->SendError(auth.status());

  Result<Value> input = Status(ErrorCode::kSerialization, "");
  if (ex->format == WireFormat::kCbor) {
    input = protocol::ParseCbor(req.body, kMaxNestingDepth);
  } else {
    input = protocol::ParseJson(req.body, kMaxNestingDepth);
  }
  if (!input.ok()) return ex->SendError(input.status());
  if (!input->is_object()) {
    return ex->SendError(Status(ErrorCode::kSerialization, "Start of structure or map found where not expected."));
  }
  if (Status st = model.ValidateInput(*op, &*input, ex->format); !st.ok()) return ex->SendError(st);

  streams::api::Context ctx;
  ctx.caller.account = auth->account;
  ctx.caller.region = auth->region;
  ctx.operation = op->name();
  ctx.registry = registry_;
  if (Status st = streams::api::AdmitCall(ctx, op_name, *input); !st.ok()) return ex->SendError(st);
  ctx.fan_out = fan_out_;
  ctx.format = ex->format;
  ctx.done_encoded = [ex](std::string body) { Exchange::SendEncoded(ex, std::move(body)); };
  if (op_name == "SubscribeToShard") {
    // The one operation whose output is an event stream: 200 and headers
    // now, then event-stream messages (JSON payloads even for CBOR callers).
    ctx.open_event_stream = [ex]() -> std::shared_ptr<streams::EventSink> {
      HeaderList h = ex->BaseHeaders();
      for (auto& [name, value] : h) {
        if (name == "Content-Type") value = std::string(kEventStreamContentType);
      }
      return std::make_shared<ResponseStreamSink>(ex->responder->StartStream(200, std::move(h)));
    };
  }
  handler(ctx, std::move(*input), [ex](Result<Value> result) { Exchange::SendResult(ex, std::move(result)); });
}

}  // namespace spate::server
