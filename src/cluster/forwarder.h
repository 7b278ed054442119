#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/coordinator.h"
#include "streams/request_forwarder.h"

struct curl_slist;

namespace spate::streams {
class Registry;
}  // namespace spate::streams

namespace spate::cluster {

// The AWS error a peer answered a forwarded call with (HTTP status, body in
// the call's wire format), as a Status the front door answers again.
Status PeerErrorOf(protocol::WireFormat format, int http_status, std::string_view body);

struct ForwarderOptions {
  std::string secret;           // --cluster-secret-file's content: signs forwarded requests
  size_t threads = 4;           // concurrent forwarded requests
  size_t max_queued = 1024;     // beyond: the call fails at once (kUnavailable)
  int64_t timeout_ms = 10'000;  // one forwarded request, connection included
  // SubscribeToShard relays (a thread each, for the subscription's life):
  // beyond this many at once a relayed subscription is refused
  // (LimitExceededException, which SDKs retry).
  size_t max_relays = 256;
  // A relayed subscription's whole life, past AWS's 5 minutes.
  int64_t relay_timeout_ms = 330'000;
};

// Any node answers any Data Streams request (streams::RequestForwarder):
//
// - data plane: PutRecord runs on the leader of the shard it touches (the
//   partition key's or explicit hash key's shard); PutRecords is split per
//   leader, the parts sent at once, and the answers merged back in request
//   order. A shard with no leader now, or led here, runs here (the write
//   gate then refuses what may not be appended: InternalFailure, which SDKs
//   retry). GetShardIterator and GetRecords (ShardId, the iterator's shard)
//   go where read_routing.h says: the live leader, else (no leader, or it
//   cannot be reached) a replica, which serves its own log up to the
//   committed end it knows.
//   SubscribeToShard on a shard led elsewhere is relayed: sent to the
//   leader, and its event stream (initial-response first) passed to the
//   client message by message as the leader framed it, on a relay thread
//   of its own for the subscription's life (subscription_relay.cc).
// - control plane (every other operation): on the catalog owner.
//
// A forwarded request is the call's validated input re-encoded in the
// client's wire format, POSTed to the target's advertised address with the
// peer headers (service/peer_auth.h); a 200 answer is passed back as it
// came, an error as the same AWS error. A target that cannot be reached
// fails the call (or the part's records) with kUnavailable.
//
// The HTTP requests run on the forwarder's own threads, never on the
// caller's. Thread-safe.
class Forwarder final : public streams::RequestForwarder {
 public:
  Forwarder(streams::Registry* registry, const Coordinator* coordinator, ForwarderOptions options);
  ~Forwarder() override;

  bool Forward(service::Call& call, protocol::Value& input, service::Done& done) override;

 private:
  struct Reply {
    int status = 0;
    std::string body;
  };
  struct SlistDeleter {
    void operator()(curl_slist* l) const;
  };
  // A signed peer request, ready for curl.
  struct PeerPost {
    std::string address;  // host:port
    std::string url;
    std::string body;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
  };
  Result<PeerPost> Prepare(const service::Call& call, std::string_view node_id, const protocol::Value& input) const;
  // POSTs `input` as `call`'s operation to node `node_id`.
  Result<Reply> Send(const service::Call& call, std::string_view node_id, const protocol::Value& input) const;
  // Runs `job` on a forwarder thread; false when the queue is full.
  bool Submit(std::function<void()> job);
  void Work();
  // Forwards the whole call to the first of `nodes` that can be reached
  // (one node but for reads) and completes it.
  bool ForwardWhole(service::Call& call, protocol::Value& input, service::Done& done, std::vector<std::string> nodes);
  bool ForwardPutRecords(service::Call& call, protocol::Value& input, service::Done& done);
  // The shard key a data-plane call touches; empty when it names none.
  std::string DataPlaneShardKey(const service::Call& call, const protocol::Value& input) const;
  // The leader of the shard a data-plane call touches; empty when it runs here.
  std::string DataPlaneTarget(const service::Call& call, const protocol::Value& input) const;
  // SubscribeToShard (subscription_relay.cc): the shard's leader when it is
  // another node; empty to run here.
  std::string SubscriptionTarget(const service::Call& call, const protocol::Value& input) const;
  bool RelaySubscription(service::Call& call, protocol::Value& input, service::Done& done, std::string node_id);
  // The relay thread's body: one subscription, relayed until it ends.
  void Relay(service::Call call, protocol::Value input, service::Done done, std::string node_id);

  streams::Registry* const registry_;
  const Coordinator* const coordinator_;
  const ForwarderOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;

  std::atomic<bool> relays_stopping_{false};
  std::mutex relay_mu_;
  std::condition_variable relay_cv_;
  size_t relays_ = 0;  // guarded by relay_mu_: relay threads running
};

}  // namespace spate::cluster
