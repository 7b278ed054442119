#include "cluster/forwarder.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>

#include "base/log.h"
#include "cluster/membership.h"
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

// A peer's answer longer than this is cut (and then fails to decode): above
// the largest Data Streams answer (a GetRecords of 10 MiB, base64).
constexpr size_t kMaxAnswerBytes = 16u << 20;

bool IsRead(std::string_view op) { return op == "GetShardIterator" || op == "GetRecords"; }

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
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
  watcher_ = std::thread([this] { Watch(); });
}

Forwarder::~Forwarder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  {
    // Requests under way give up (within about a second) and are answered
    // kUnavailable; queued ones are answered without being sent.
    std::lock_guard<std::mutex> lock(flights_mu_);
    for (auto& [id, flight] : flights_) flight->cancel = true;
  }
  for (std::thread& t : threads_) t.join();
  {
    std::lock_guard<std::mutex> lock(flights_mu_);
    watcher_stopping_ = true;
  }
  flights_cv_.notify_all();
  watcher_.join();
  // Relays see the flag within a second (the HTTP client's cancellation) and end
  // their subscriptions.
  relays_stopping_ = true;
  std::unique_lock<std::mutex> lock(relay_mu_);
  relay_cv_.wait(lock, [this] { return relays_ == 0; });
}

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

std::shared_ptr<Forwarder::Flight> Forwarder::TakeOff(std::string node_id) {
  auto flight = std::make_shared<Flight>();
  auto kv = coordinator_->view().Get(std::string(kNodesPrefix) + node_id);
  flight->node_revision = kv.has_value() ? kv->create_revision : 0;
  flight->node_id = std::move(node_id);
  {
    std::lock_guard<std::mutex> lock(flights_mu_);
    flight->id = next_flight_++;
    flights_.emplace(flight->id, flight);
  }
  flights_cv_.notify_all();
  return flight;
}

void Forwarder::Land(const std::shared_ptr<Flight>& flight) {
  std::lock_guard<std::mutex> lock(flights_mu_);
  flights_.erase(flight->id);
}

void Forwarder::Watch() {
  std::unique_lock<std::mutex> lock(flights_mu_);
  for (;;) {
    if (flights_.empty()) {
      flights_cv_.wait(lock, [this] { return watcher_stopping_ || !flights_.empty(); });
    } else {
      flights_cv_.wait_for(lock, std::chrono::milliseconds(options_.check_interval_ms),
                           [this] { return watcher_stopping_; });
    }
    if (watcher_stopping_) return;
    std::vector<std::shared_ptr<Flight>> lost;
    const int64_t now = SteadyMs();
    for (auto it = flights_.begin(); it != flights_.end();) {
      Flight& f = *it->second;
      auto kv = coordinator_->view().Get(std::string(kNodesPrefix) + f.node_id);
      if (kv.has_value() && kv->create_revision == f.node_revision) {
        f.lost_at_ms = 0;  // live again under the same lease: only a view that lagged
        ++it;
        continue;
      }
      if (f.lost_at_ms == 0) f.lost_at_ms = now;
      if (now - f.lost_at_ms < options_.abandon_grace_ms) {
        ++it;
        continue;
      }
      lost.push_back(it->second);
      it = flights_.erase(it);
    }
    if (lost.empty()) continue;
    lock.unlock();
    for (const auto& f : lost) {
      f->cancel = true;
      if (f->settled.exchange(true)) continue;  // its answer came first
      f->abandon(Status(ErrorCode::kUnavailable, "node " + f->node_id +
                                                     " stopped answering: its cluster lease lapsed while the call "
                                                     "was forwarded to it"));
    }
    lock.lock();
  }
}

Result<Forwarder::PeerPost> Forwarder::Prepare(const service::Call& call, std::string_view node_id,
                                               const Value& input) const {
  auto addr = coordinator_->AddressOf(node_id);
  if (!addr.has_value()) return Status(ErrorCode::kUnavailable, "node " + std::string(node_id) + " is not live");
  PeerPost post;
  post.address = *addr;
  if (call.format == WireFormat::kCbor) {
    protocol::WriteCbor(input, &post.body);
  } else {
    protocol::WriteJson(input, &post.body);
  }
  std::string target = std::string(kTargetPrefix) + std::string(call.operation);
  std::string caller = call.caller.account + "/" + call.caller.region + "/" + std::to_string(UnixMs());
  std::string signature =
      util::HmacSha256Hex(options_.secret, service::PeerStringToSign(target, caller, util::Sha256Hex(post.body)));
  net::HttpRequest& req = post.request;
  req.url = "http://" + *addr + "/";
  req.headers = {
      {"Content-Type", call.format == WireFormat::kCbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1"},
      {"X-Amz-Target", std::move(target)},
      {std::string(service::kPeerCallerHeader), std::move(caller)},
      {std::string(service::kPeerSignatureHeader), std::move(signature)},
  };
  req.timeout_ms = options_.timeout_ms;
  req.connect_timeout_ms = std::min(options_.connect_timeout_ms, options_.timeout_ms);
  req.max_response_bytes = kMaxAnswerBytes;
  return post;
}

Result<Forwarder::Reply> Forwarder::Send(const service::Call& call, std::string_view node_id, const Value& input,
                                         const std::atomic<bool>* cancel) const {
  SPATE_ASSIGN_OR_RETURN(PeerPost post, Prepare(call, node_id, input));
  post.request.body = post.body;
  auto answer = http_.Send(post.request, cancel);
  if (!answer.ok()) {
    return Status(ErrorCode::kUnavailable, "cannot forward to node " + std::string(node_id) + " at " + post.address +
                                               ": " + answer.status().message());
  }
  return Reply{static_cast<int>(answer->status), std::move(answer->body)};
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

bool Forwarder::Live(std::string_view node_id) const { return coordinator_->AddressOf(node_id).has_value(); }

ReadRoute Forwarder::RouteReadAgainFor(const service::Call& call, const Value& input,
                                       std::string_view abandoned) const {
  std::string shard_key = DataPlaneShardKey(call, input);
  if (shard_key.empty()) return ReadRoute{.nodes = {}, .refuse = true};
  return RouteReadAgain(coordinator_->SelfId(), abandoned, coordinator_->LeaderOf(shard_key),
                        coordinator_->ReplicaNodesOf(shard_key), [this](std::string_view node) { return Live(node); });
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
                  [this](std::string_view node) { return Live(node); });
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
  std::shared_ptr<Flight> flight = TakeOff(job->nodes.front());
  flight->abandon = [this, job](Status why) {
    if (IsRead(job->call.operation)) {
      // A read changes nothing: it runs again where the same read routing
      // now says, the abandoned node counted dead (copies: the abandoned
      // request may still be reading its own).
      ReadRoute route = RouteReadAgainFor(job->call, job->input, job->nodes.front());
      if (!route.refuse) {
        service::Call call = job->call;
        Value input = job->input;
        service::Done done = job->done;
        ForwardWhole(call, input, done, std::move(route.nodes));
        return;
      }
    }
    job->done(std::move(why));
  };
  bool queued = Submit([this, job, flight] {
    if (flight->settled.load()) return Land(flight);  // abandoned while queued: never sent
    Result<Reply> reply = Status(ErrorCode::kUnavailable, "no node to forward to");
    // The next node only when this one cannot be reached (reads); the flight
    // watches the first, the shard's leader or the catalog owner.
    for (const std::string& node : job->nodes) {
      if (flight->settled.load()) break;
      reply = Send(job->call, node, job->input, &flight->cancel);
      if (reply.ok()) break;
    }
    Land(flight);
    if (flight->settled.exchange(true)) return;  // abandoned meanwhile: already answered
    if (!reply.ok()) return job->done(reply.status());
    if (reply->status == 200) return job->call.done_encoded(std::move(reply->body));
    job->done(PeerErrorOf(job->call.format, reply->status, reply->body));
  });
  if (!queued) {
    Land(flight);
    if (!flight->settled.exchange(true)) {
      job->done(Status(ErrorCode::kUnavailable, "too many requests are being forwarded"));
    }
  }
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
    std::shared_ptr<Flight> flight = TakeOff(node);
    flight->abandon = [finish_part, positions = positions](Status why) { finish_part(positions, std::move(why)); };
    auto job = [this, base, node = node, positions = positions, part = std::move(part), finish_part, flight] {
      if (flight->settled.load()) return Land(flight);  // abandoned while queued: never sent
      auto reply = Send(base, node, part, &flight->cancel);
      Land(flight);
      if (flight->settled.exchange(true)) return;  // abandoned meanwhile: its records already failed
      if (!reply.ok()) return finish_part(positions, reply.status());
      if (reply->status != 200) return finish_part(positions, PeerErrorOf(base.format, reply->status, reply->body));
      finish_part(positions, Decode(base.format, reply->body));
    };
    if (!Submit(job)) {
      Land(flight);
      if (!flight->settled.exchange(true)) {
        finish_part(positions, Status(ErrorCode::kUnavailable, "too many requests are being forwarded"));
      }
    }
  }
  return true;
}

}  // namespace spate::cluster
