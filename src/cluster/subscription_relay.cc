// SubscribeToShard in cluster mode: a subscription that reaches a node that
// does not lead the shard is relayed from the leader (forwarder.h). The
// leader's answer is an AWS event stream (initial-response, then
// SubscribeToShardEvent messages, or an error message); the relay passes
// each message on whole, as the leader framed it, so the client sees the
// stream it would see from the leader itself.

#include <chrono>
#include <memory>
#include <thread>

#include "base/log.h"
#include "cluster/forwarder.h"
#include "model/types.h"
#include "streams/consumers.h"

namespace spate::cluster {
namespace {

using protocol::Value;

// An event-stream message starts with its total length (4 bytes, big endian)
// and is at least the prelude and the two CRCs long.
constexpr size_t kPreludeBytes = 12;
constexpr size_t kMinMessageBytes = 16;
// Bytes queued towards a slow client before the relay stops reading from the
// leader (TCP back-pressure then slows the leader).
constexpr size_t kMaxRelayBuffered = 8u << 20;
constexpr auto kBackPressurePause = std::chrono::milliseconds(5);

// One relayed subscription's state, shared by the HTTP client's body
// callback (the relay thread) and the sink's close callback (a transport
// thread).
struct RelayState {
  service::Call* call = nullptr;
  std::shared_ptr<service::EventSink> sink;  // opened at the leader's first 2xx byte
  std::string pending;                       // bytes of an incomplete message
  bool broken = false;                       // the leader sent something that is not an event stream
  std::shared_ptr<std::atomic<bool>> client_gone = std::make_shared<std::atomic<bool>>(false);
  const std::atomic<bool>* stopping = nullptr;
};

uint32_t BigEndian32(const char* p) {
  auto b = [p](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// Bytes of the leader's event stream (a 2xx answer): each whole message is
// passed on; false ends the transfer.
bool OnBody(RelayState* st, std::string_view bytes) {
  if (!st->sink) {
    st->sink = st->call->open_event_stream();
    std::weak_ptr<std::atomic<bool>> gone = st->client_gone;
    st->sink->OnClose([gone] {
      if (auto g = gone.lock()) *g = true;
    });
  }
  st->pending.append(bytes);
  size_t at = 0;
  while (st->pending.size() - at >= kPreludeBytes) {
    const size_t total = BigEndian32(st->pending.data() + at);
    if (total < kMinMessageBytes) {
      st->broken = true;
      return false;
    }
    if (st->pending.size() - at < total) break;
    if (!st->sink->Write(st->pending.substr(at, total))) {
      *st->client_gone = true;
      return false;
    }
    at += total;
  }
  st->pending.erase(0, at);
  while (st->sink->Buffered() > kMaxRelayBuffered && !*st->client_gone && !*st->stopping) {
    std::this_thread::sleep_for(kBackPressurePause);
  }
  return !*st->client_gone && !*st->stopping;
}

}  // namespace

std::string Forwarder::SubscriptionTarget(const service::Call& call, const Value& input) const {
  (void)call;
  auto consumer = streams::ParseConsumerArn(input.GetString("ConsumerARN"));
  if (!consumer.ok()) return {};
  auto shard = model::ParseShardId(input.GetString("ShardId"));
  if (!shard.has_value()) return {};
  const streams::StreamRef& ref = consumer->stream;
  auto leader = coordinator_->LeaderOf(ShardKey(ref.account, ref.region, ref.name, model::ShardIdName(*shard)));
  if (!leader.has_value() || *leader == coordinator_->SelfId()) return {};
  return *leader;
}

bool Forwarder::RelaySubscription(service::Call& call, Value& input, service::Done& done, std::string node_id) {
  {
    std::lock_guard<std::mutex> lock(relay_mu_);
    if (relays_stopping_ || relays_ >= options_.max_relays) {
      done(Status(ErrorCode::kLimitExceeded, "too many subscriptions are being relayed by this node"));
      return true;
    }
    ++relays_;
  }
  std::thread([this, call = std::move(call), input = std::move(input), done = std::move(done),
               node_id = std::move(node_id)]() mutable {
    Relay(std::move(call), std::move(input), std::move(done), std::move(node_id));
    std::lock_guard<std::mutex> lock(relay_mu_);
    --relays_;
    relay_cv_.notify_all();
  }).detach();
  return true;
}

void Forwarder::Relay(service::Call call, Value input, service::Done done, std::string node_id) {
  auto post = Prepare(call, node_id, input);
  if (!post.ok()) return done(post.status());
  RelayState st;
  st.call = &call;
  st.stopping = &relays_stopping_;
  net::HttpRequest& req = post->request;
  req.body = post->body;
  req.timeout_ms = options_.relay_timeout_ms;
  req.fresh_connection = true;  // held for the subscription's life: not a pooled one
  req.on_body = [&st](std::string_view bytes) { return OnBody(&st, bytes); };
  req.cancelled = [&st] { return st.client_gone->load() || st.stopping->load(); };
  auto answer = http_.Send(req, nullptr);
  if (st.sink) {
    // The stream was under way: it ends as the leader's did (or where the
    // leader or the client went away; the client resubscribes, as it does
    // after AWS's 5 minutes).
    if (st.broken) {
      SPATE_LOG_WARN("cluster: a relayed subscription from node " + node_id + " ended: not an event stream");
    } else if (!answer.ok() && !*st.client_gone) {
      SPATE_LOG_WARN("cluster: a relayed subscription from node " + node_id + " ended: " + answer.status().message());
    }
    st.sink->End();
    return;
  }
  if (!answer.ok()) {
    return done(Status(ErrorCode::kUnavailable, "cannot relay a subscription from node " + node_id + " at " +
                                                    post->address + ": " + answer.status().message()));
  }
  if (answer->status >= 200 && answer->status <= 299) {
    // A 2xx with no body at all: the leader ended it before its first message.
    return done(Status(ErrorCode::kInternal, "node " + node_id + " answered the subscription with an empty stream"));
  }
  done(PeerErrorOf(call.format, static_cast<int>(answer->status), answer->body));
}

}  // namespace spate::cluster
