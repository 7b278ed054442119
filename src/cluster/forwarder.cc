#include "cluster/forwarder.h"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>

#include "base/log.h"
#include "cluster/read_routing.h"
#include "model/types.h"
#include "protocol/cbor_codec.h"
#include "protocol/errors.h"
#include "protocol/json_codec.h"
#include "service/peer_auth.h"
#include "streams/registry.h"
#include "streams/stream_ref.h"
#include "streams/token_codec.h"
#include "util/hash_key.h"
#include "util/hmac.h"

namespace spate::cluster {
namespace {

using protocol::Value;
using protocol::WireFormat;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr int kMaxNestingDepth = 64;

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

bool IsDataPlane(std::string_view op) {
  return op == "PutRecord" || op == "PutRecords" || op == "GetShardIterator" || op == "GetRecords";
}

// The ErrorCode whose wire type is `type` (the inverse of protocol::ToWireError).
ErrorCode CodeOfWireType(std::string_view type) {
  for (int c = 1; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    auto code = static_cast<ErrorCode>(c);
    if (protocol::ToWireError(code).type == type) return code;
  }
  return ErrorCode::kInternal;
}

Result<Value> Decode(WireFormat format, std::string_view body) {
  return format == WireFormat::kCbor ? protocol::ParseCbor(body, kMaxNestingDepth)
                                     : protocol::ParseJson(body, kMaxNestingDepth);
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status PeerErrorOf(WireFormat format, int http_status, std::string_view body) {
  auto v = Decode(format, body);
  if (!v.ok() || !v->is_object()) {
    return Status(ErrorCode::kInternal, "a peer answered " + std::to_string(http_status) + " with no AWS error");
  }
  std::string_view type = v->GetString("__type");
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  std::string_view message = v->GetString("message", v->GetString("Message"));
  return Status(CodeOfWireType(type), std::string(message));
}

Forwarder::Forwarder(streams::Registry* registry, const Coordinator* coordinator, ForwarderOptions options)
    : registry_(registry), coordinator_(coordinator), options_(std::move(options)) {
  for (size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Work(); });
}

Forwarder::~Forwarder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  // Relays see the flag within a second (curl's progress callback) and end
  // their subscriptions.
  relays_stopping_ = true;
  std::unique_lock<std::mutex> lock(relay_mu_);
  relay_cv_.wait(lock, [this] { return relays_ == 0; });
}

void Forwarder::SlistDeleter::operator()(curl_slist* l) const { curl_slist_free_all(l); }

bool Forwarder::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queued) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void Forwarder::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to answer
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

Result<Forwarder::PeerPost> Forwarder::Prepare(const service::Call& call, std::string_view node_id,
                                               const Value& input) const {
  auto addr = coordinator_->AddressOf(node_id);
  if (!addr.has_value()) return Status(ErrorCode::kUnavailable, "node " + std::string(node_id) + " is not live");
  PeerPost post;
  post.address = *addr;
  post.url = "http://" + *addr + "/";
  if (call.format == WireFormat::kCbor) {
    protocol::WriteCbor(input, &post.body);
  } else {
    protocol::WriteJson(input, &post.body);
  }
  std::string target = std::string(kTargetPrefix) + std::string(call.operation);
  std::string caller = call.caller.account + "/" + call.caller.region + "/" + std::to_string(UnixMs());
  std::string signature =
      util::HmacSha256Hex(options_.secret, service::PeerStringToSign(target, caller, util::Sha256Hex(post.body)));
  curl_slist* list = nullptr;
  list = curl_slist_append(list, call.format == WireFormat::kCbor ? "Content-Type: application/x-amz-cbor-1.1"
                                                                  : "Content-Type: application/x-amz-json-1.1");
  list = curl_slist_append(list, ("X-Amz-Target: " + target).c_str());
  list = curl_slist_append(list, (std::string(service::kPeerCallerHeader) + ": " + caller).c_str());
  list = curl_slist_append(list, (std::string(service::kPeerSignatureHeader) + ": " + signature).c_str());
  list = curl_slist_append(list, "Expect:");
  post.headers.reset(list);
  return post;
}

Result<Forwarder::Reply> Forwarder::Send(const service::Call& call, std::string_view node_id,
                                         const Value& input) const {
  SPATE_ASSIGN_OR_RETURN(PeerPost post, Prepare(call, node_id, input));
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Status(ErrorCode::kInternal, "curl_easy_init failed");
  Reply reply;
  curl_easy_setopt(curl.get(), CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, post.headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(post.body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return Status(ErrorCode::kUnavailable, "cannot forward to node " + std::string(node_id) + " at " + post.address +
                                               ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

std::string Forwarder::DataPlaneShardKey(const service::Call& call, const Value& input) const {
  std::string shard_key;
  if (call.operation == "GetRecords") {
    auto it = streams::DecodeIterator(registry_->tokens(), input.GetString("ShardIterator"));
    if (!it.has_value()) return {};
    shard_key = ShardKey(it->account, it->region, it->stream_name, model::ShardIdName(it->shard));
  } else {
    auto ref = streams::ResolveStream(call.caller, input.GetString("StreamName"), input.GetString("StreamARN"));
    if (!ref.ok()) return {};
    if (call.operation == "GetShardIterator") {
      auto shard = model::ParseShardId(input.GetString("ShardId"));
      if (!shard.has_value()) return {};
      shard_key = ShardKey(ref->account, ref->region, ref->name, model::ShardIdName(*shard));
    } else {  // PutRecord
      std::optional<model::uint128> hash;
      if (std::string_view explicit_key = input.GetString("ExplicitHashKey"); !explicit_key.empty()) {
        hash = util::ParseDecimal128(explicit_key);
      } else {
        hash = util::PartitionKeyHash(input.GetString("PartitionKey"));
      }
      if (!hash.has_value()) return {};
      Status st = registry_->WithStream(*ref, [&](const streams::Stream& s) {
        if (const metadata::ShardMeta* shard = s.Route(*hash); shard != nullptr) {
          shard_key = ShardKey(ref->account, ref->region, ref->name, model::ShardIdName(shard->index));
        }
        return Status::Ok();
      });
      if (!st.ok()) return {};
    }
  }
  return shard_key;
}

std::string Forwarder::DataPlaneTarget(const service::Call& call, const Value& input) const {
  std::string shard_key = DataPlaneShardKey(call, input);
  if (shard_key.empty()) return {};
  auto leader = coordinator_->LeaderOf(shard_key);
  if (!leader.has_value() || *leader == coordinator_->SelfId()) return {};
  return *leader;
}

bool Forwarder::Forward(service::Call& call, Value& input, service::Done& done) {
  if (call.operation == "SubscribeToShard") {
    std::string leader = SubscriptionTarget(call, input);
    if (leader.empty()) return false;
    return RelaySubscription(call, input, done, std::move(leader));
  }
  if (call.operation == "PutRecords") return ForwardPutRecords(call, input, done);
  if (call.operation == "GetShardIterator" || call.operation == "GetRecords") {
    // The leader while it is live; a replica's own log (up to the committed
    // end it knows) while the shard has no reachable leader (read_routing.h).
    std::string shard_key = DataPlaneShardKey(call, input);
    if (shard_key.empty()) return false;
    ReadRoute route =
        RouteRead(coordinator_->SelfId(), coordinator_->LeaderOf(shard_key), coordinator_->ReplicaNodesOf(shard_key),
                  [this](std::string_view node) { return coordinator_->AddressOf(node).has_value(); });
    if (route.refuse) {
      done(Status(ErrorCode::kUnavailable, "no replica of shard " + shard_key + " is live at the moment"));
      return true;
    }
    if (route.nodes.empty()) return false;
    return ForwardWhole(call, input, done, std::move(route.nodes));
  }
  if (IsDataPlane(call.operation)) {
    std::string leader = DataPlaneTarget(call, input);
    if (leader.empty()) return false;
    return ForwardWhole(call, input, done, {std::move(leader)});
  }
  auto owner = coordinator_->CatalogOwner();
  if (owner.has_value() && *owner == coordinator_->SelfId()) return false;
  if (!owner.has_value()) {
    done(Status(ErrorCode::kUnavailable, "the cluster has no stream catalog owner at the moment"));
    return true;
  }
  return ForwardWhole(call, input, done, {*owner});
}

bool Forwarder::ForwardWhole(service::Call& call, Value& input, service::Done& done, std::vector<std::string> nodes) {
  struct Job {
    service::Call call;
    Value input;
    service::Done done;
    std::vector<std::string> nodes;
  };
  auto job = std::make_shared<Job>(Job{std::move(call), std::move(input), std::move(done), std::move(nodes)});
  bool queued = Submit([this, job] {
    Result<Reply> reply = Status(ErrorCode::kUnavailable, "no node to forward to");
    // The next node only when this one cannot be reached (reads).
    for (const std::string& node : job->nodes) {
      reply = Send(job->call, node, job->input);
      if (reply.ok()) break;
    }
    if (!reply.ok()) return job->done(reply.status());
    if (reply->status == 200) return job->call.done_encoded(std::move(reply->body));
    job->done(PeerErrorOf(job->call.format, reply->status, reply->body));
  });
  if (!queued) job->done(Status(ErrorCode::kUnavailable, "too many requests are being forwarded"));
  return true;
}

bool Forwarder::ForwardPutRecords(service::Call& call, Value& input, service::Done& done) {
  const Value* records = input.Find("Records");
  if (records == nullptr || !records->is_array()) return false;
  auto ref = streams::ResolveStream(call.caller, input.GetString("StreamName"), input.GetString("StreamARN"));
  if (!ref.ok()) return false;
  // The leader of each record's shard; self for those that run here.
  const std::string& self = coordinator_->SelfId();
  std::map<std::string, std::vector<size_t>> groups;
  Status st = registry_->WithStream(*ref, [&](const streams::Stream& s) {
    const auto& list = records->as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      std::optional<model::uint128> hash;
      if (std::string_view k = list[i].GetString("ExplicitHashKey"); !k.empty()) {
        hash = util::ParseDecimal128(k);
      } else {
        hash = util::PartitionKeyHash(list[i].GetString("PartitionKey"));
      }
      std::string leader = self;
      if (const metadata::ShardMeta* shard = hash ? s.Route(*hash) : nullptr; shard != nullptr) {
        auto l =
            coordinator_->LeaderOf(ShardKey(ref->account, ref->region, ref->name, model::ShardIdName(shard->index)));
        if (l.has_value()) leader = *l;
      }
      groups[leader].push_back(i);
    }
    return Status::Ok();
  });
  if (!st.ok() || groups.empty() || (groups.size() == 1 && groups.begin()->first == self)) return false;

  // Each part is a PutRecords of its records, sent to its leader (this
  // node's own part too, as a forwarded call, so that every part runs the
  // same way); the answers are merged in request order.
  struct Merge {
    std::mutex mu;
    size_t remaining = 0;
    std::vector<Value> results;
    int64_t failed = 0;
    std::string encryption_type;
    Status fatal;  // an error no record can succeed past (the stream is gone, ...)
    service::Done done;
  };
  auto merge = std::make_shared<Merge>();
  merge->remaining = groups.size();
  merge->results.resize(records->as_array().size());
  merge->done = std::move(done);
  auto finish_part = [merge](const std::vector<size_t>& positions, Result<Value> answer) {
    std::lock_guard<std::mutex> lock(merge->mu);
    const Value* got = answer.ok() ? answer->Find("Records") : nullptr;
    if (got != nullptr && got->is_array() && got->as_array().size() == positions.size()) {
      for (size_t j = 0; j < positions.size(); ++j) merge->results[positions[j]] = got->as_array()[j];
      if (const Value* f = answer->Find("FailedRecordCount"); f != nullptr && f->is_int()) merge->failed += f->as_int();
      if (std::string_view e = answer->GetString("EncryptionType"); !e.empty()) merge->encryption_type = e;
    } else {
      Status why =
          answer.ok() ? Status(ErrorCode::kInternal, "a peer's PutRecords answer does not match") : answer.status();
      ErrorCode c = why.code();
      if (c != ErrorCode::kUnavailable && c != ErrorCode::kInternal && c != ErrorCode::kThroughputExceeded &&
          merge->fatal.ok()) {
        merge->fatal = why;
      }
      for (size_t pos : positions) {
        Value r = Value::MakeObject();
        r.Set("ErrorCode", Value::String("InternalFailure"));
        r.Set("ErrorMessage", Value::String("Internal service failure."));
        merge->results[pos] = std::move(r);
      }
      merge->failed += static_cast<int64_t>(positions.size());
    }
    if (--merge->remaining != 0) return;
    if (!merge->fatal.ok()) return merge->done(merge->fatal);
    Value out = Value::MakeObject();
    out.Set("FailedRecordCount", Value::Int(merge->failed));
    Value list = Value::MakeArray();
    for (Value& r : merge->results) list.Append(std::move(r));
    out.Set("Records", std::move(list));
    if (!merge->encryption_type.empty()) out.Set("EncryptionType", Value::String(merge->encryption_type));
    merge->done(std::move(out));
  };
  const service::Call base = call;
  for (auto& [node, positions] : groups) {
    Value part = input;
    Value subset = Value::MakeArray();
    for (size_t pos : positions) subset.Append(records->as_array()[pos]);
    part.Set("Records", std::move(subset));
    auto job = [this, base, node = node, positions = positions, part = std::move(part), finish_part] {
      auto reply = Send(base, node, part);
      if (!reply.ok()) return finish_part(positions, reply.status());
      if (reply->status != 200) return finish_part(positions, PeerErrorOf(base.format, reply->status, reply->body));
      finish_part(positions, Decode(base.format, reply->body));
    };
    if (!Submit(job)) finish_part(positions, Status(ErrorCode::kUnavailable, "too many requests are being forwarded"));
  }
  return true;
}

}  // namespace spate::cluster
