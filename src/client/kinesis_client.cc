// KinesisClient over net::HttpClient: SigV4-signed JSON 1.1 POSTs to one endpoint,
// easy handles pooled so that their connections are reused between calls.

#include "spate/kinesis_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "client/api_error.h"
#include "client/config_resolver.h"
#include "client/subscription_reader.h"
#include "net/http_client.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/base64.h"
#include "util/hmac.h"
#include "util/sigv4_signer.h"

namespace spate {
namespace {

using protocol::Value;

constexpr std::string_view kKinesisPrefix = "Kinesis_20131202.";
constexpr std::string_view kProducersPrefix = "SpateProducers_20261207.";  // docs/exactly-once.md
constexpr std::string_view kKinesisSigningName = "kinesis";
constexpr std::string_view kContentType = "application/x-amz-json-1.1";
constexpr std::string_view kUserAgent = "spate-client/0.1";
constexpr int64_t kMillisPerSecond = 1000;

ApiError NetworkError(std::string message) { return ApiError{"NetworkError", std::move(message), 0}; }
ApiError InvalidResponse(std::string message, int status) {
  return ApiError{"InvalidResponse", std::move(message), status};
}

// The header naming an error answer's type (JSON 1.1 protocol), lowercased
// as net::HttpResponse keeps header names.
constexpr std::string_view kErrorTypeHeader = "x-amzn-errortype";

// "<url>: <why>" of a request that got no answer (Send says
// "<method> <url>: <why>").
std::string Detail(const Status& st, const net::HttpRequest& req) {
  const std::string& message = st.message();
  return message.substr(std::min(message.size(), req.method.size() + 1));
}

// The host[:port] of an endpoint Resolve() accepted, as the Host header
// carries it.
std::string HostOf(std::string_view endpoint) {
  endpoint.remove_prefix(endpoint.find("://") + 3);
  return std::string(endpoint);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Value StreamRef(std::string_view stream) {
  Value v = Value::MakeObject();
  v.Set(stream.starts_with("arn:") ? "StreamARN" : "StreamName", Value::String(std::string(stream)));
  return v;
}

std::string Encode(const Value& v) {
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

// An answer's JSON object; an empty body (CreateStream, DeleteStream) is {}.
Outcome<Value> Decode(const std::string& body) {
  if (body.empty()) return Value::MakeObject();
  auto parsed = protocol::ParseJson(body);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return InvalidResponse("the answer is not a JSON object: " + body.substr(0, 200), 200);
  }
  return std::move(parsed).value();
}

std::string Str(const Value& v, std::string_view key) { return std::string(v.GetString(key)); }

// An epoch-seconds number (AWS JSON timestamps: 1506440188.749) as ms.
int64_t TimestampMs(const Value& v, std::string_view key) {
  const Value* t = v.Find(key);
  if (t == nullptr || !t->is_number()) return 0;
  return std::llround(t->as_number() * kMillisPerSecond);
}

const Value::Array& ArrayOf(const Value& v, std::string_view key) {
  static const Value::Array kEmpty;
  const Value* a = v.Find(key);
  return a != nullptr && a->is_array() ? a->as_array() : kEmpty;
}

Shard ShardFrom(const Value& s) {
  Shard shard;
  shard.shard_id = Str(s, "ShardId");
  shard.parent_shard_id = Str(s, "ParentShardId");
  shard.adjacent_parent_shard_id = Str(s, "AdjacentParentShardId");
  if (const Value* r = s.Find("HashKeyRange"); r != nullptr) {
    shard.hash_key_range = {Str(*r, "StartingHashKey"), Str(*r, "EndingHashKey")};
  }
  if (const Value* r = s.Find("SequenceNumberRange"); r != nullptr) {
    shard.starting_sequence_number = Str(*r, "StartingSequenceNumber");
    shard.ending_sequence_number = Str(*r, "EndingSequenceNumber");
  }
  return shard;
}

// A StartingPosition shape (SubscribeToShard).
Value StartingPosition(const IteratorPosition& position) {
  Value p = Value::MakeObject();
  switch (position.type) {
    case IteratorPosition::Type::kTrimHorizon: p.Set("Type", Value::String("TRIM_HORIZON")); break;
    case IteratorPosition::Type::kLatest: p.Set("Type", Value::String("LATEST")); break;
    case IteratorPosition::Type::kAtSequenceNumber:
      p.Set("Type", Value::String("AT_SEQUENCE_NUMBER"));
      p.Set("SequenceNumber", Value::String(position.sequence_number));
      break;
    case IteratorPosition::Type::kAfterSequenceNumber:
      p.Set("Type", Value::String("AFTER_SEQUENCE_NUMBER"));
      p.Set("SequenceNumber", Value::String(position.sequence_number));
      break;
    case IteratorPosition::Type::kAtTimestamp:
      p.Set("Type", Value::String("AT_TIMESTAMP"));
      p.Set("Timestamp", Value::TimestampMs(position.timestamp_ms));
      break;
  }
  return p;
}

class CurlKinesisClient final : public KinesisClient {
 public:
  explicit CurlKinesisClient(ClientConfig config)
      : config_(std::move(config)), host_(HostOf(config_.endpoint)), url_(config_.endpoint + "/") {}

  const ClientConfig& config() const override { return config_; }

  Outcome<std::string> CallJson(std::string_view target, std::string_view signing_name,
                                std::string_view body) override {
    net::HttpRequest req = BaseRequest(target, signing_name, body);
    req.timeout_ms = config_.request_timeout.count();
    req.max_response_bytes = std::numeric_limits<size_t>::max();
    Result<net::HttpResponse> resp = http_.Send(req, nullptr);
    if (!resp.ok()) return NetworkError(std::string(target) + " to " + Detail(resp.status(), req));
    if (resp->status >= 200 && resp->status <= 299) return std::move(resp->body);
    return client::ParseErrorResponse(static_cast<int>(resp->status), resp->body, resp->Header(kErrorTypeHeader));
  }

  Outcome<Done> CreateStream(std::string_view stream, int shard_count) override {
    Value in = StreamRef(stream);
    if (shard_count > 0) {
      in.Set("ShardCount", Value::Int(shard_count));
    } else {
      Value mode = Value::MakeObject();
      mode.Set("StreamMode", Value::String("ON_DEMAND"));
      in.Set("StreamModeDetails", std::move(mode));
    }
    return Empty(Call("CreateStream", in));
  }

  Outcome<Done> DeleteStream(std::string_view stream, bool enforce_consumer_deletion) override {
    Value in = StreamRef(stream);
    if (enforce_consumer_deletion) in.Set("EnforceConsumerDeletion", Value::Bool(true));
    return Empty(Call("DeleteStream", in));
  }

  Outcome<StreamSummary> DescribeStreamSummary(std::string_view stream) override {
    Outcome<Value> out = Call("DescribeStreamSummary", StreamRef(stream));
    if (!out.ok()) return out.error();
    const Value* d = out.value().Find("StreamDescriptionSummary");
    if (d == nullptr || !d->is_object()) return InvalidResponse("no StreamDescriptionSummary", 200);
    StreamSummary s;
    s.stream_name = Str(*d, "StreamName");
    s.stream_arn = Str(*d, "StreamARN");
    s.stream_status = Str(*d, "StreamStatus");
    if (const Value* m = d->Find("StreamModeDetails"); m != nullptr) s.stream_mode = Str(*m, "StreamMode");
    s.retention_period_hours = static_cast<int>(d->GetInt("RetentionPeriodHours", 24));
    s.open_shard_count = static_cast<int>(d->GetInt("OpenShardCount"));
    s.consumer_count = static_cast<int>(d->GetInt("ConsumerCount"));
    s.encryption_type = Str(*d, "EncryptionType");
    s.creation_timestamp_ms = TimestampMs(*d, "StreamCreationTimestamp");
    return s;
  }

  Outcome<std::vector<std::string>> ListStreams() override {
    std::vector<std::string> names;
    std::string next_token;
    while (true) {
      Value in = Value::MakeObject();
      if (!next_token.empty()) {
        in.Set("NextToken", Value::String(next_token));
      } else if (!names.empty()) {
        in.Set("ExclusiveStartStreamName", Value::String(names.back()));
      }
      Outcome<Value> out = Call("ListStreams", in);
      if (!out.ok()) return out.error();
      const Value::Array& page = ArrayOf(out.value(), "StreamNames");
      for (const Value& n : page) {
        if (n.is_string()) names.push_back(n.as_string());
      }
      const Value* more = out.value().Find("HasMoreStreams");
      if (more == nullptr || !more->is_bool() || !more->as_bool() || page.empty()) return names;
      next_token = Str(out.value(), "NextToken");
    }
  }

  Outcome<std::vector<Shard>> ListShards(std::string_view stream) override {
    std::vector<Shard> shards;
    std::string next_token;
    while (true) {
      Value in = Value::MakeObject();
      if (next_token.empty()) {
        in = StreamRef(stream);
      } else {
        in.Set("NextToken", Value::String(next_token));
      }
      Outcome<Value> out = Call("ListShards", in);
      if (!out.ok()) return out.error();
      for (const Value& s : ArrayOf(out.value(), "Shards")) shards.push_back(ShardFrom(s));
      next_token = Str(out.value(), "NextToken");
      if (next_token.empty()) return shards;
    }
  }

  Outcome<Done> UpdateShardCount(std::string_view stream, int target_shard_count) override {
    Value in = StreamRef(stream);
    in.Set("TargetShardCount", Value::Int(target_shard_count));
    in.Set("ScalingType", Value::String("UNIFORM_SCALING"));
    return Empty(Call("UpdateShardCount", in));
  }

  Outcome<PutRecordResult> PutRecord(std::string_view stream, const PutRecordsEntry& entry) override {
    Value in = StreamRef(stream);
    in.Set("Data", Value::Blob(entry.data));
    in.Set("PartitionKey", Value::String(entry.partition_key));
    if (!entry.explicit_hash_key.empty()) in.Set("ExplicitHashKey", Value::String(entry.explicit_hash_key));
    Outcome<Value> out = Call("PutRecord", in);
    if (!out.ok()) return out.error();
    return PutRecordResult{Str(out.value(), "ShardId"), Str(out.value(), "SequenceNumber")};
  }

  Outcome<PutRecordsResult> PutRecords(std::string_view stream, const std::vector<PutRecordsEntry>& entries) override {
    return PutRecordsCall(kKinesisPrefix, stream, entries, nullptr);
  }

  Outcome<PutRecordsResult> PutRecordsStamped(std::string_view stream, const std::vector<PutRecordsEntry>& entries,
                                              const ProducerStamp& stamp) override {
    return PutRecordsCall(kProducersPrefix, stream, entries, &stamp);
  }

  Outcome<ProducerIdentity> InitProducer(std::string_view producer_id) override {
    Value in = Value::MakeObject();
    if (!producer_id.empty()) in.Set("ProducerId", Value::String(std::string(producer_id)));
    Outcome<Value> out = CallTarget(std::string(kProducersPrefix) + "InitProducer", in);
    if (!out.ok()) return out.error();
    ProducerIdentity id{Str(out.value(), "ProducerId"), out.value().GetInt("ProducerEpoch")};
    if (id.producer_id.empty() || id.epoch < 1) return InvalidResponse("InitProducer answered no identity", 200);
    return id;
  }

  Outcome<PutRecordsResult> PutRecordsCall(std::string_view prefix, std::string_view stream,
                                           const std::vector<PutRecordsEntry>& entries, const ProducerStamp* stamp) {
    Value in = StreamRef(stream);
    if (stamp != nullptr) {
      in.Set("ProducerId", Value::String(stamp->producer_id));
      in.Set("ProducerEpoch", Value::Int(stamp->epoch));
      in.Set("ProducerSequence", Value::Int(stamp->sequence));
    }
    Value records = Value::MakeArray();
    for (const PutRecordsEntry& e : entries) {
      Value r = Value::MakeObject();
      r.Set("Data", Value::Blob(e.data));
      r.Set("PartitionKey", Value::String(e.partition_key));
      if (!e.explicit_hash_key.empty()) r.Set("ExplicitHashKey", Value::String(e.explicit_hash_key));
      records.Append(std::move(r));
    }
    in.Set("Records", std::move(records));
    Outcome<Value> out = CallTarget(std::string(prefix) + "PutRecords", in);
    if (!out.ok()) return out.error();
    PutRecordsResult result;
    result.failed_record_count = static_cast<int>(out.value().GetInt("FailedRecordCount"));
    for (const Value& r : ArrayOf(out.value(), "Records")) {
      result.records.push_back(
          {Str(r, "ShardId"), Str(r, "SequenceNumber"), Str(r, "ErrorCode"), Str(r, "ErrorMessage")});
    }
    if (result.records.size() != entries.size()) {
      return InvalidResponse("PutRecords answered " + std::to_string(result.records.size()) + " results for " +
                                 std::to_string(entries.size()) + " records",
                             200);
    }
    return result;
  }

  Outcome<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                        const IteratorPosition& position) override {
    Value in = StreamRef(stream);
    in.Set("ShardId", Value::String(std::string(shard_id)));
    switch (position.type) {
      case IteratorPosition::Type::kTrimHorizon: in.Set("ShardIteratorType", Value::String("TRIM_HORIZON")); break;
      case IteratorPosition::Type::kLatest: in.Set("ShardIteratorType", Value::String("LATEST")); break;
      case IteratorPosition::Type::kAtSequenceNumber:
        in.Set("ShardIteratorType", Value::String("AT_SEQUENCE_NUMBER"));
        in.Set("StartingSequenceNumber", Value::String(position.sequence_number));
        break;
      case IteratorPosition::Type::kAfterSequenceNumber:
        in.Set("ShardIteratorType", Value::String("AFTER_SEQUENCE_NUMBER"));
        in.Set("StartingSequenceNumber", Value::String(position.sequence_number));
        break;
      case IteratorPosition::Type::kAtTimestamp:
        in.Set("ShardIteratorType", Value::String("AT_TIMESTAMP"));
        in.Set("Timestamp", Value::TimestampMs(position.timestamp_ms));
        break;
    }
    Outcome<Value> out = Call("GetShardIterator", in);
    if (!out.ok()) return out.error();
    std::string iterator = Str(out.value(), "ShardIterator");
    if (iterator.empty()) return InvalidResponse("GetShardIterator answered no ShardIterator", 200);
    return iterator;
  }

  Outcome<GetRecordsResult> GetRecords(std::string_view shard_iterator, int limit) override {
    Value in = Value::MakeObject();
    in.Set("ShardIterator", Value::String(std::string(shard_iterator)));
    if (limit > 0) in.Set("Limit", Value::Int(limit));
    Outcome<Value> out = Call("GetRecords", in);
    if (!out.ok()) return out.error();
    const Value& v = out.value();
    GetRecordsResult result;
    result.next_shard_iterator = Str(v, "NextShardIterator");
    result.millis_behind_latest = v.GetInt("MillisBehindLatest");
    for (const Value& c : ArrayOf(v, "ChildShards")) result.child_shards.push_back(Str(c, "ShardId"));
    const Value::Array& records = ArrayOf(v, "Records");
    result.records.reserve(records.size());
    std::string error;
    for (const Value& r : records) {
      Record rec;
      if (!client::DecodeRecord(r, &rec, &error)) {
        return InvalidResponse("GetRecords: a record's Data is not base64: " + error, 200);
      }
      result.records.push_back(std::move(rec));
    }
    return result;
  }

  Outcome<StreamConsumer> RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name) override {
    std::string arn(stream);
    if (!stream.starts_with("arn:")) {
      Outcome<StreamSummary> summary = DescribeStreamSummary(stream);
      if (!summary.ok()) return summary.error();
      arn = summary.value().stream_arn;
    }
    Value in = Value::MakeObject();
    in.Set("StreamARN", Value::String(arn));
    in.Set("ConsumerName", Value::String(std::string(consumer_name)));
    Outcome<Value> out = Call("RegisterStreamConsumer", in);
    if (out.ok()) return ConsumerFrom(out.value(), "Consumer");
    if (out.error().type != "ResourceInUseException") return out.error();
    // Registered already (by this worker earlier or by another): describe it.
    Value describe = Value::MakeObject();
    describe.Set("StreamARN", Value::String(arn));
    describe.Set("ConsumerName", Value::String(std::string(consumer_name)));
    Outcome<Value> d = Call("DescribeStreamConsumer", describe);
    if (!d.ok()) return d.error();
    return ConsumerFrom(d.value(), "ConsumerDescription");
  }

  Outcome<StreamConsumer> DescribeStreamConsumer(std::string_view consumer_arn) override {
    Value in = Value::MakeObject();
    in.Set("ConsumerARN", Value::String(std::string(consumer_arn)));
    Outcome<Value> out = Call("DescribeStreamConsumer", in);
    if (!out.ok()) return out.error();
    return ConsumerFrom(out.value(), "ConsumerDescription");
  }

  Outcome<Done> SubscribeToShard(std::string_view consumer_arn, std::string_view shard_id,
                                 const IteratorPosition& position, const SubscribeToShardHandler& handler) override;

 private:
  static Outcome<StreamConsumer> ConsumerFrom(const Value& out, std::string_view member) {
    const Value* c = out.Find(member);
    if (c == nullptr || !c->is_object()) return InvalidResponse("no " + std::string(member), 200);
    return StreamConsumer{Str(*c, "ConsumerName"), Str(*c, "ConsumerARN"), Str(*c, "ConsumerStatus")};
  }

  // One JSON call to the endpoint, signed (SigV4 over `body`): the caller
  // sets its timeouts.
  net::HttpRequest BaseRequest(std::string_view target, std::string_view signing_name, std::string_view body) const;

  Outcome<Value> Call(std::string_view operation, const Value& in) {
    return CallTarget(std::string(kKinesisPrefix) + std::string(operation), in);
  }

  Outcome<Value> CallTarget(const std::string& target, const Value& in) {
    Outcome<std::string> body = CallJson(target, kKinesisSigningName, Encode(in));
    if (!body.ok()) return body.error();
    return Decode(body.value());
  }

  static Outcome<Done> Empty(const Outcome<Value>& out) {
    if (!out.ok()) return out.error();
    return Done{};
  }

  const ClientConfig config_;
  const std::string host_;  // host[:port] of config_.endpoint
  const std::string url_;   // config_.endpoint + "/"
  const net::HttpClient http_{std::string(kUserAgent)};
};

net::HttpRequest CurlKinesisClient::BaseRequest(std::string_view target, std::string_view signing_name,
                                                std::string_view body) const {
  std::string amz_date = util::AmzDate(NowMs());
  util::SigV4Request sig_req;
  sig_req.method = "POST";
  sig_req.headers = {{"Content-Type", std::string(kContentType)},
                     {"Host", host_},
                     {"X-Amz-Date", amz_date},
                     {"X-Amz-Target", std::string(target)}};
  const Credentials& creds = *config_.credentials;
  if (!creds.session_token.empty()) sig_req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  sig_req.payload_sha256 = util::Sha256Hex(body);
  util::SigV4Signature sig =
      util::SignSigV4(sig_req, creds.access_key_id, creds.secret_access_key, config_.region, signing_name, amz_date);

  net::HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers = std::move(sig_req.headers);
  req.headers.emplace_back("Authorization", sig.authorization);
  req.body = body;
  req.connect_timeout_ms = config_.connect_timeout.count();
  req.verify_tls = config_.verify_tls;
  req.ca_file = config_.ca_file;
  return req;
}

// One subscription's state, shared by the body and cancel callbacks (both
// on the calling thread).
struct Subscription {
  const SubscribeToShardHandler* handler = nullptr;
  client::SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  std::optional<ApiError> failed;  // the stream's exception or a decoding failure
  bool stopped = false;            // the handler ended it (shard end, false, cancelled)

  // Feeds bytes of the event stream; false ends the subscription.
  bool OnBytes(std::string_view bytes) {
    Outcome<Done> fed = reader.Feed(bytes, &events);
    for (SubscribeToShardEvent& ev : events) {
      if (stopped) break;
      const bool ended = ev.shard_ended;
      if (!handler->on_event(ev) || ended) stopped = true;
    }
    events.clear();
    if (!fed.ok() && !stopped) failed = fed.error();
    return !stopped && !failed;
  }

  bool Cancelled() {
    if (handler->cancelled && handler->cancelled()) stopped = true;
    return stopped;
  }
};

Outcome<Done> CurlKinesisClient::SubscribeToShard(std::string_view consumer_arn, std::string_view shard_id,
                                                  const IteratorPosition& position,
                                                  const SubscribeToShardHandler& handler) {
  Value in = Value::MakeObject();
  in.Set("ConsumerARN", Value::String(std::string(consumer_arn)));
  in.Set("ShardId", Value::String(std::string(shard_id)));
  in.Set("StartingPosition", StartingPosition(position));
  const std::string body = Encode(in);
  const std::string target = std::string(kKinesisPrefix) + "SubscribeToShard";
  Subscription sub;
  sub.handler = &handler;
  net::HttpRequest req = BaseRequest(target, kKinesisSigningName, body);
  // HTTP/2 (h2c with prior knowledge on http://, ALPN h2 on https://) on a
  // connection of its own, not a pooled one: the subscription is long-lived.
  req.version = net::HttpVersion::kHttp2;
  req.fresh_connection = true;
  // No overall deadline (the service ends a subscription after 5 minutes);
  // a connection silent for longer than the request timeout is dead (the
  // service sends an event at least every few seconds).
  req.timeout_ms = 0;
  req.stall_timeout_ms = config_.request_timeout.count();
  req.max_response_bytes = std::numeric_limits<size_t>::max();
  req.on_body = [&sub](std::string_view bytes) { return sub.OnBytes(bytes); };
  req.cancelled = [&sub] { return sub.Cancelled(); };
  Result<net::HttpResponse> resp = http_.Send(req, nullptr);
  if (sub.failed) return *sub.failed;
  if (sub.stopped) return Done{};
  if (!resp.ok()) return NetworkError("SubscribeToShard to " + Detail(resp.status(), req));
  if (resp->status != 200) {
    return client::ParseErrorResponse(static_cast<int>(resp->status), resp->body, resp->Header(kErrorTypeHeader));
  }
  if (sub.reader.pending_bytes() != 0)
    return InvalidResponse("SubscribeToShard: the event stream ends mid-message", 200);
  return Done{};  // the service ended the subscription (its lifetime): subscribe again
}

}  // namespace

namespace {
ApiError Unsupported(std::string_view operation) {
  return ApiError{"UnsupportedOperation", "this KinesisClient does not implement " + std::string(operation), 0};
}
}  // namespace

Outcome<ProducerIdentity> KinesisClient::InitProducer(std::string_view) { return Unsupported("InitProducer"); }
Outcome<PutRecordsResult> KinesisClient::PutRecordsStamped(std::string_view, const std::vector<PutRecordsEntry>&,
                                                           const ProducerStamp&) {
  return Unsupported("PutRecordsStamped");
}
Outcome<StreamConsumer> KinesisClient::RegisterStreamConsumer(std::string_view, std::string_view) {
  return Unsupported("RegisterStreamConsumer");
}
Outcome<StreamConsumer> KinesisClient::DescribeStreamConsumer(std::string_view) {
  return Unsupported("DescribeStreamConsumer");
}
Outcome<Done> KinesisClient::SubscribeToShard(std::string_view, std::string_view, const IteratorPosition&,
                                              const SubscribeToShardHandler&) {
  return Unsupported("SubscribeToShard");
}

Outcome<ClientConfig> ClientConfig::Resolve(ClientConfig partial) {
  return client::ResolveConfig(std::move(partial), client::ProcessEnvironment());
}

Outcome<std::unique_ptr<KinesisClient>> KinesisClient::Create(ClientConfig config) {
  Outcome<ClientConfig> resolved = ClientConfig::Resolve(std::move(config));
  if (!resolved.ok()) return resolved.error();
  if (Status init = net::HttpClient::Init(); !init.ok()) return ApiError{"InvalidConfiguration", init.message(), 0};
  return std::unique_ptr<KinesisClient>(std::make_unique<CurlKinesisClient>(std::move(resolved).value()));
}

}  // namespace spate
