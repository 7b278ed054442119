#include "cluster/etcd_client.h"

#include <charconv>

#include "net/http_client.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/base64.h"

namespace spate::cluster {
namespace {

using protocol::Value;

// A gateway reply longer than this is cut (and then fails to parse): far
// above any range of the cluster's keys.
constexpr size_t kMaxReplyBytes = 64u << 20;

// A silent watch stream (nothing changes) notices a dead member or a
// partition only through TCP keep-alive probes: the first after this long.
constexpr int64_t kWatchKeepAliveIdleS = 2;

// etcd's gateway writes int64 fields as JSON strings ("revision": "5") and
// leaves out fields at their zero value.
int64_t Int64Of(const Value& obj, std::string_view name) {
  const Value* v = obj.Find(name);
  if (v == nullptr) return 0;
  if (v->is_int()) return v->as_int();
  if (v->is_string()) {
    int64_t out = 0;
    const std::string& s = v->as_string();
    std::from_chars(s.data(), s.data() + s.size(), out);
    return out;
  }
  return 0;
}

std::string B64(std::string_view bytes) { return util::Base64Encode(bytes); }

Result<std::string> UnB64(const Value& obj, std::string_view name) {
  std::string_view text = obj.GetString(name);
  std::string out;
  std::string error;
  if (!util::Base64Decode(text, &out, &error)) return Internal("etcd sent a bad base64 " + std::string(name));
  return out;
}

Result<KeyValue> KeyValueOf(const Value& v) {
  KeyValue kv;
  SPATE_ASSIGN_OR_RETURN(kv.key, UnB64(v, "key"));
  SPATE_ASSIGN_OR_RETURN(kv.value, UnB64(v, "value"));
  kv.create_revision = Int64Of(v, "create_revision");
  kv.mod_revision = Int64Of(v, "mod_revision");
  kv.version = Int64Of(v, "version");
  kv.lease = Int64Of(v, "lease");
  return kv;
}

Result<std::vector<KeyValue>> KvsOf(const Value& v) {
  std::vector<KeyValue> out;
  const Value* kvs = v.Find("kvs");
  if (kvs == nullptr || !kvs->is_array()) return out;
  for (const Value& item : kvs->as_array()) {
    SPATE_ASSIGN_OR_RETURN(KeyValue kv, KeyValueOf(item));
    out.push_back(std::move(kv));
  }
  return out;
}

int64_t HeaderRevision(const Value& v) {
  const Value* header = v.Find("header");
  return header == nullptr ? 0 : Int64Of(*header, "revision");
}

std::string Json(const Value& v) {
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

// Every etcd gateway body is an object; an error is {"error": ..., "code": n,
// "message": ...}.
Result<Value> ParseReply(std::string_view body) {
  auto parsed = protocol::ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Internal("etcd sent a body that is not a JSON object: " + std::string(body.substr(0, 200)));
  }
  if (parsed->Has("error") || (parsed->Has("code") && parsed->Has("message"))) {
    std::string message(parsed->GetString("message", parsed->GetString("error")));
    if (message.find("requested lease not found") != std::string::npos) return NotFound("etcd: " + message);
    return Internal("etcd: " + message);
  }
  return std::move(parsed).value();
}

Value OpValue(const TxnOp& op) {
  Value inner = Value::MakeObject();
  inner.Set("key", Value::String(B64(op.key)));
  switch (op.kind) {
    case TxnOp::Kind::kPut: {
      inner.Set("value", Value::String(B64(op.value)));
      if (op.lease != 0) inner.Set("lease", Value::String(std::to_string(op.lease)));
      Value out = Value::MakeObject();
      out.Set("request_put", std::move(inner));
      return out;
    }
    case TxnOp::Kind::kDelete: {
      if (!op.range_end.empty()) inner.Set("range_end", Value::String(B64(op.range_end)));
      Value out = Value::MakeObject();
      out.Set("request_delete_range", std::move(inner));
      return out;
    }
    case TxnOp::Kind::kRange: {
      if (!op.range_end.empty()) inner.Set("range_end", Value::String(B64(op.range_end)));
      Value out = Value::MakeObject();
      out.Set("request_range", std::move(inner));
      return out;
    }
  }
  return Value::MakeObject();
}

Value CompareValue(const Compare& c) {
  static constexpr std::string_view kTargets[] = {"CREATE", "MOD", "VERSION", "VALUE", "LEASE"};
  static constexpr std::string_view kOps[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
  Value out = Value::MakeObject();
  out.Set("key", Value::String(B64(c.key)));
  out.Set("target", Value::String(std::string(kTargets[static_cast<int>(c.target)])));
  out.Set("result", Value::String(std::string(kOps[static_cast<int>(c.op)])));
  switch (c.target) {
    case Compare::Target::kCreateRevision: out.Set("create_revision", Value::String(std::to_string(c.number))); break;
    case Compare::Target::kModRevision: out.Set("mod_revision", Value::String(std::to_string(c.number))); break;
    case Compare::Target::kVersion: out.Set("version", Value::String(std::to_string(c.number))); break;
    case Compare::Target::kValue: out.Set("value", Value::String(B64(c.value))); break;
    case Compare::Target::kLease: out.Set("lease", Value::String(std::to_string(c.number))); break;
  }
  return out;
}

// The watch stream's state, fed by the HTTP client's on_body.
struct WatchState {
  const std::function<bool(const std::vector<WatchEvent>&, int64_t)>* on_events = nullptr;
  std::string pending;    // bytes of an incomplete line
  Status error;           // why the stream was abandoned
  bool finished = false;  // on_events returned false
  bool created = false;
};

// One line of the watch stream: {"result": WatchResponse} or {"error": ...}.
bool HandleWatchLine(WatchState* w, std::string_view line) {
  auto reply = ParseReply(line);
  if (!reply.ok()) {
    w->error = reply.status();
    return false;
  }
  const Value* result = reply->Find("result");
  if (result == nullptr || !result->is_object()) return true;
  if (int64_t compacted = Int64Of(*result, "compact_revision"); compacted != 0) {
    w->error = InvalidArgument("etcd compacted the watched revisions up to " + std::to_string(compacted));
    return false;
  }
  if (const Value* canceled = result->Find("canceled");
      canceled != nullptr && canceled->is_bool() && canceled->as_bool()) {
    w->error = Unavailable("etcd canceled the watch: " + std::string(result->GetString("cancel_reason")));
    return false;
  }
  if (const Value* created = result->Find("created"); created != nullptr && created->is_bool()) w->created = true;
  const Value* events = result->Find("events");
  if (events == nullptr || !events->is_array() || events->as_array().empty()) return true;
  std::vector<WatchEvent> out;
  for (const Value& e : events->as_array()) {
    WatchEvent ev;
    ev.type = e.GetString("type") == "DELETE" ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    const Value* kv = e.Find("kv");
    if (kv == nullptr) continue;
    auto parsed = KeyValueOf(*kv);
    if (!parsed.ok()) {
      w->error = parsed.status();
      return false;
    }
    ev.kv = std::move(parsed).value();
    out.push_back(std::move(ev));
  }
  if (!(*w->on_events)(out, HeaderRevision(*result))) {
    w->finished = true;
    return false;
  }
  return true;
}

// A piece of the watch stream: handles each whole line; false ends the stream.
bool WatchBytes(WatchState* w, std::string_view bytes) {
  w->pending.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = w->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(w->pending.data() + start, nl - start);
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    if (!HandleWatchLine(w, line)) return false;
  }
  w->pending.erase(0, start);
  return true;
}

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key (etcd's "\0" range end)
}

Result<std::vector<std::string>> EtcdClient::ParseClusterUrl(std::string_view url) {
  constexpr std::string_view kScheme = "etcd://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("--cluster must be etcd://host:port[,host:port...], not " + std::string(url));
  }
  url.remove_prefix(kScheme.size());
  std::vector<std::string> out;
  while (!url.empty()) {
    size_t comma = url.find(',');
    std::string_view member = url.substr(0, comma);
    size_t colon = member.rfind(':');
    if (member.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == member.size() ||
        member.find('/') != std::string_view::npos) {
      return InvalidArgument("--cluster member \"" + std::string(member) + "\" is not host:port");
    }
    out.push_back("http://" + std::string(member));
    if (comma == std::string_view::npos) break;
    url.remove_prefix(comma + 1);
  }
  if (out.empty()) return InvalidArgument("--cluster names no etcd member");
  return out;
}

EtcdClient::EtcdClient(EtcdOptions options) : options_(std::move(options)) {}
EtcdClient::~EtcdClient() = default;

Result<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdOptions options) {
  SPATE_TRY(net::HttpClient::Init());
  if (options.endpoints.empty()) return InvalidArgument("no etcd endpoint");
  for (const std::string& e : options.endpoints) {
    if (e.rfind("http://", 0) != 0) return InvalidArgument("etcd endpoint is not http://host:port: " + e);
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options)));
}

Result<std::string> EtcdClient::Post(std::string_view path, const std::string& body) const {
  const size_t n = options_.endpoints.size();
  const size_t first = preferred_.load();
  Status last = Unavailable("no etcd endpoint answered");
  for (size_t i = 0; i < n; ++i) {
    size_t index = (first + i) % n;
    net::HttpRequest req;
    req.url = options_.endpoints[index] + std::string(path);
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    req.timeout_ms = options_.request_timeout_ms;
    req.connect_timeout_ms = options_.connect_timeout_ms;
    req.max_response_bytes = kMaxReplyBytes;
    auto reply = http_.Send(req, nullptr);
    if (!reply.ok()) {
      last = Unavailable("etcd " + options_.endpoints[index] + ": " + reply.status().message());
      continue;
    }
    // etcd's errors come as JSON bodies with gRPC's HTTP mapping (a lease
    // not found is 404, a failed precondition 400), read by ParseReply; only
    // an unavailable member (503: no leader, say) sends us to the next one.
    if (reply->status > 500) {
      last = Unavailable("etcd " + options_.endpoints[index] + " answered HTTP " + std::to_string(reply->status));
      continue;
    }
    preferred_.store(index);
    return std::move(reply->body);
  }
  return last;
}

Result<RangeResult> EtcdClient::Range(std::string_view key, std::string_view range_end) const {
  Value req = Value::MakeObject();
  req.Set("key", Value::String(B64(key)));
  if (!range_end.empty()) req.Set("range_end", Value::String(B64(range_end)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/range", Json(req)));
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(body));
  RangeResult out;
  out.revision = HeaderRevision(reply);
  SPATE_ASSIGN_OR_RETURN(out.kvs, KvsOf(reply));
  return out;
}

Result<int64_t> EtcdClient::Put(std::string_view key, std::string_view value, int64_t lease) const {
  Value req = Value::MakeObject();
  req.Set("key", Value::String(B64(key)));
  req.Set("value", Value::String(B64(value)));
  if (lease != 0) req.Set("lease", Value::String(std::to_string(lease)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/put", Json(req)));
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(body));
  return HeaderRevision(reply);
}

Result<int64_t> EtcdClient::Delete(std::string_view key, std::string_view range_end) const {
  Value req = Value::MakeObject();
  req.Set("key", Value::String(B64(key)));
  if (!range_end.empty()) req.Set("range_end", Value::String(B64(range_end)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/deleterange", Json(req)));
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(body));
  return HeaderRevision(reply);
}

Result<TxnResult> EtcdClient::Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                  const std::vector<TxnOp>& failure) const {
  Value req = Value::MakeObject();
  Value& cmp = req.Set("compare", Value::MakeArray());
  for (const Compare& c : compares) cmp.Append(CompareValue(c));
  Value& ok = req.Set("success", Value::MakeArray());
  for (const TxnOp& op : success) ok.Append(OpValue(op));
  Value& fail = req.Set("failure", Value::MakeArray());
  for (const TxnOp& op : failure) fail.Append(OpValue(op));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/txn", Json(req)));
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(body));
  TxnResult out;
  const Value* succeeded = reply.Find("succeeded");
  out.succeeded = succeeded != nullptr && succeeded->is_bool() && succeeded->as_bool();
  out.revision = HeaderRevision(reply);
  if (const Value* responses = reply.Find("responses"); responses != nullptr && responses->is_array()) {
    for (const Value& r : responses->as_array()) {
      if (const Value* range = r.Find("response_range"); range != nullptr) {
        SPATE_ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, KvsOf(*range));
        out.ranges.push_back(std::move(kvs));
      }
    }
  }
  return out;
}

Result<LeaseGrant> EtcdClient::GrantLease(int64_t ttl_s) const {
  Value req = Value::MakeObject();
  req.Set("TTL", Value::String(std::to_string(ttl_s)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/grant", Json(req)));
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(body));
  LeaseGrant out{Int64Of(reply, "ID"), Int64Of(reply, "TTL")};
  if (out.id == 0) return Internal("etcd granted no lease: " + std::string(reply.GetString("error")));
  return out;
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease_id) const {
  // The gateway serves the keep-alive stream as one request, one response
  // line: {"result": {"ID": ..., "TTL": ...}}; a TTL of 0 (left out) means
  // the lease is gone.
  Value req = Value::MakeObject();
  req.Set("ID", Value::String(std::to_string(lease_id)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/keepalive", Json(req)));
  size_t nl = body.find('\n');
  SPATE_ASSIGN_OR_RETURN(Value reply, ParseReply(std::string_view(body).substr(0, nl)));
  const Value* result = reply.Find("result");
  if (result == nullptr) return Internal("etcd sent a keep-alive reply without a result");
  int64_t ttl = Int64Of(*result, "TTL");
  if (ttl <= 0) return NotFound("etcd lease " + std::to_string(lease_id) + " has expired");
  return ttl;
}

Status EtcdClient::RevokeLease(int64_t lease_id) const {
  Value req = Value::MakeObject();
  req.Set("ID", Value::String(std::to_string(lease_id)));
  SPATE_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/revoke", Json(req)));
  return ParseReply(body).status();
}

Status EtcdClient::Watch(std::string_view prefix, int64_t start_revision,
                         const std::function<bool(const std::vector<WatchEvent>&, int64_t)>& on_events,
                         const std::atomic<bool>& stop) const {
  Value create = Value::MakeObject();
  create.Set("key", Value::String(B64(prefix)));
  create.Set("range_end", Value::String(B64(PrefixEnd(prefix))));
  if (start_revision > 0) create.Set("start_revision", Value::String(std::to_string(start_revision)));
  Value req = Value::MakeObject();
  req.Set("create_request", std::move(create));
  std::string body = Json(req);

  const size_t n = options_.endpoints.size();
  size_t index = preferred_.load() % n;
  WatchState state;
  state.on_events = &on_events;
  net::HttpRequest http;
  http.url = options_.endpoints[index] + "/v3/watch";
  http.headers = {{"Content-Type", "application/json"}};
  http.body = body;
  http.timeout_ms = 0;  // for as long as it lasts
  http.connect_timeout_ms = options_.connect_timeout_ms;
  http.max_response_bytes = kMaxReplyBytes;  // a refusal's body
  http.fresh_connection = true;              // held for the stream's life: not a pooled one
  http.tcp_keepalive_s = kWatchKeepAliveIdleS;
  http.on_body = [&state, &stop](std::string_view bytes) { return !stop.load() && WatchBytes(&state, bytes); };
  auto reply = http_.Send(http, &stop);
  if (stop.load() || state.finished) return Status::Ok();
  if (!state.error.ok()) return state.error;
  if (!reply.ok()) {
    preferred_.store((index + 1) % n);  // the next watch tries another member
    return Unavailable("etcd watch on " + options_.endpoints[index] + ": " + reply.status().message());
  }
  if (reply->status != 200) {
    return Unavailable("etcd " + options_.endpoints[index] + " refused the watch: HTTP " +
                       std::to_string(reply->status) + " " + reply->body.substr(0, 200));
  }
  return Unavailable("etcd closed the watch stream");
}

}  // namespace spate::cluster
