#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/coordinator.h"
#include "cluster/read_routing.h"
#include "net/http_client.h"
#include "streams/request_forwarder.h"

namespace spate::streams {
class Registry;
}  // namespace spate::streams

namespace spate::cluster {

// The AWS error a peer answered a forwarded call with (HTTP status, body in
// the call's wire format), as a Status the front door answers again.
Status PeerErrorOf(protocol::WireFormat format, int http_status, std::string_view body);

struct ForwarderOptions {
  std::string secret;                 // --cluster-secret-file's content: signs forwarded requests
  size_t threads = 16;                // concurrent forwarded requests
  size_t max_queued = 1024;           // beyond: the call fails at once (kUnavailable)
  int64_t timeout_ms = 10'000;        // one forwarded request, connection included
  int64_t connect_timeout_ms = 2000;  // connecting to the target alone
  // A forwarded call whose target node's lease lapsed while it was pending
  // (the node key gone or created again: every leadership and the catalog
  // ownership it held went with it) is answered with a retryable error once
  // the view has shown that for this long, instead of waiting out
  // timeout_ms behind a paused or dead node.
  int64_t abandon_grace_ms = 250;
  // How often the pending calls' targets are looked up in the view while
  // any call is pending.
  int64_t check_interval_ms = 50;
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
// peer headers (service/peer_auth.h), over the shared net::HttpClient (kept-
// alive connections to each peer); a 200 answer is passed back as it came,
// an error as the same AWS error. A target that cannot be reached fails the
// call (or the part's records) with kUnavailable (InternalFailure, 500,
// which SDKs retry).
//
// A target that stops answering (paused, or dead before its lease lapsed)
// holds a call only until the view shows its lease gone (at most about the
// lease TTL) plus abandon_grace_ms: the call is then answered kUnavailable
// (a write is never sent again on the client's behalf: the paused node may
// still append it, and a resend could duplicate it), or, for a read
// (GetRecords, GetShardIterator), forwarded again where RouteReadAgain says
// (read_routing.h: the first routing's rules over the view now, the
// abandoned node counted dead), and answered kUnavailable only when that
// names no node. A call abandoned before it was sent is never sent.
//
// The HTTP requests run on the forwarder's own threads, never on the
// caller's; one more thread watches the pending calls' targets. Thread-safe.
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
  // A signed peer request.
  struct PeerPost {
    std::string address;  // host:port
    std::string body;
    net::HttpRequest request;  // its body a view of `body`
  };
  // A forwarded request from the moment it is queued until it is answered,
  // by its reply or by its abandonment, whichever claims `settled` first.
  struct Flight {
    uint64_t id = 0;
    std::string node_id;
    int64_t node_revision = 0;         // the target's node key's create revision when queued (0: not live)
    std::atomic<bool> settled{false};  // set by whoever answers the client
    std::atomic<bool> cancel{false};   // makes the HTTP request give up (polled about once a second)
    int64_t lost_at_ms = 0;            // watcher thread only: when the target was first seen gone
    // Answers the client when the call is abandoned (the watcher's thread).
    std::function<void(Status why)> abandon;
  };
  Result<PeerPost> Prepare(const service::Call& call, std::string_view node_id, const protocol::Value& input) const;
  // POSTs `input` as `call`'s operation to node `node_id`; gives up when
  // `cancel` turns true.
  Result<Reply> Send(const service::Call& call, std::string_view node_id, const protocol::Value& input,
                     const std::atomic<bool>* cancel) const;
  // Runs `job` on a forwarder thread; false when the queue is full.
  bool Submit(std::function<void()> job);
  void Work();
  // A flight to `node_id`, watched until Land.
  std::shared_ptr<Flight> TakeOff(std::string node_id);
  void Land(const std::shared_ptr<Flight>& flight);
  // The watcher thread: abandons the flights whose target's lease lapsed.
  void Watch();
  // Forwards the whole call to the first of `nodes` that can be reached
  // (one node but for reads) and completes it; the flight watches the first.
  bool ForwardWhole(service::Call& call, protocol::Value& input, service::Done& done, std::vector<std::string> nodes);
  bool ForwardPutRecords(service::Call& call, protocol::Value& input, service::Done& done);
  // The shard key a data-plane call touches; empty when it names none.
  std::string DataPlaneShardKey(const service::Call& call, const protocol::Value& input) const;
  // The leader of the shard a data-plane call touches; empty when it runs here.
  std::string DataPlaneTarget(const service::Call& call, const protocol::Value& input) const;
  // Whether node `node_id` is registered in the view now.
  bool Live(std::string_view node_id) const;
  // Where a read abandoned at node `abandoned` runs again (RouteReadAgain
  // over the view now); refused when it names no shard.
  ReadRoute RouteReadAgainFor(const service::Call& call, const protocol::Value& input,
                              std::string_view abandoned) const;
  // SubscribeToShard (subscription_relay.cc): the shard's leader when it is
  // another node; empty to run here.
  std::string SubscriptionTarget(const service::Call& call, const protocol::Value& input) const;
  bool RelaySubscription(service::Call& call, protocol::Value& input, service::Done& done, std::string node_id);
  // The relay thread's body: one subscription, relayed until it ends.
  void Relay(service::Call call, protocol::Value input, service::Done done, std::string node_id);

  streams::Registry* const registry_;
  const Coordinator* const coordinator_;
  const ForwarderOptions options_;
  net::HttpClient http_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;

  std::mutex flights_mu_;
  std::condition_variable flights_cv_;
  std::map<uint64_t, std::shared_ptr<Flight>> flights_;  // guarded by flights_mu_
  uint64_t next_flight_ = 0;                             // guarded by flights_mu_
  bool watcher_stopping_ = false;                        // guarded by flights_mu_
  std::thread watcher_;

  std::atomic<bool> relays_stopping_{false};
  std::mutex relay_mu_;
  std::condition_variable relay_cv_;
  size_t relays_ = 0;  // guarded by relay_mu_: relay threads running
};

}  // namespace spate::cluster
