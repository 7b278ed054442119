#include "cluster/replication/shard_replicator.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "base/log.h"
#include "cluster/replication/replica_client.h"
#include "cluster/shard_leaders.h"
#include "model/types.h"
#include "storage/format.h"

namespace spate::cluster::replication {

ShardReplicator::ShardReplicator(const Placement* placement, ReplicatorOptions options)
    : placement_(placement),
      options_(std::move(options)),
      committed_ends_(options_.committed_ends != nullptr ? options_.committed_ends : &own_committed_ends_) {
  reaper_ = std::thread([this] { ReaperLoop(); });
}

ShardReplicator::~ShardReplicator() {
  std::vector<Done> fail;
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    for (auto& [node, peer] : peers_) {
      if (peer->socket) peer->socket->Shutdown();
    }
  }
  cv_.notify_all();
  reaper_.join();
  // No thread adds peers once stop_ is set; peers_ is only read below.
  for (auto& [node, peer] : peers_) {
    peer->writer.join();
    if (peer->reader.joinable()) peer->reader.join();
  }
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [key, sh] : shards_) {
    for (Waiter& w : sh->waiters) {
      fail.push_back([d = std::move(w.done)] { d(Status(ErrorCode::kUnavailable, "replication is stopping")); });
    }
    sh->waiters.clear();
  }
  for (Done& d : fail) d();
}

int64_t ShardReplicator::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void ShardReplicator::Replicate(const streams::ReplicatedShard& shard, std::shared_ptr<storage::ShardLog> log,
                                storage::Offset end, int64_t authority, std::function<void(Status)> done) {
  const std::string key = ShardKey(shard.account, shard.region, shard.stream, model::ShardIdName(shard.shard));
  auto set = placement_->ReplicasOf(key);
  if (!set || set->leader != placement_->SelfId() || set->epoch != authority) {
    done(Status(ErrorCode::kUnavailable,
                "this node is not the leader of shard " + key + " under epoch " + std::to_string(authority)));
    return;
  }
  std::vector<Done> ready;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) {
      ready.push_back([&] { done(Status(ErrorCode::kUnavailable, "replication is stopping")); });
    } else {
      std::unique_ptr<Shard>& slot = shards_[key];
      if (slot == nullptr) {
        slot = std::make_unique<Shard>();
        slot->key = key;
        slot->incarnation = next_incarnation_++;
      }
      Shard& sh = *slot;
      if (authority > sh.epoch) {
        // A new leadership: every follower's log must be matched again,
        // and batches of the older one cannot be acknowledged any more.
        FenceLocked(sh, authority, &ready);
        sh.epoch = authority;
        sh.fenced = false;
        sh.first_own_end = UINT64_MAX;
        sh.committed = 0;
        for (Follower& f : sh.followers) ResetLocked(f, false);
      }
      sh.log = std::move(log);
      std::vector<Follower> followers;
      for (const std::string& node : set->replicas) {
        if (node == placement_->SelfId()) continue;
        auto it =
            std::find_if(sh.followers.begin(), sh.followers.end(), [&](const Follower& f) { return f.node == node; });
        if (it != sh.followers.end()) {
          followers.push_back(std::move(*it));
        } else {
          Follower f;
          f.node = node;
          followers.push_back(std::move(f));
        }
        std::unique_ptr<Peer>& peer = peers_[node];
        if (peer == nullptr) {
          peer = std::make_unique<Peer>();
          peer->node = node;
          Peer* p = peer.get();
          peer->writer = std::thread([this, p] { WriterLoop(p); });
        }
      }
      sh.followers = std::move(followers);
      sh.replicas = std::max<size_t>(set->replicas.size(), sh.followers.size() + 1);
      sh.leaving = set->leaving.size() == 1 && set->leaving[0] != set->leader ? set->leaving[0] : std::string();
      if (authority < sh.epoch || sh.fenced) {
        ready.push_back([&, epoch = sh.epoch] {
          done(Status(ErrorCode::kUnavailable, "shard " + key + ": the leadership of epoch " +
                                                   std::to_string(authority) + " is fenced (a replica has seen epoch " +
                                                   std::to_string(epoch) + ")"));
        });
      } else {
        sh.first_own_end = std::min(sh.first_own_end, end.value());
        Waiter w{end.value(), NowMs() + options_.ack_timeout_ms, std::move(done)};
        auto at = std::upper_bound(sh.waiters.begin(), sh.waiters.end(), w.end,
                                   [](uint64_t e, const Waiter& x) { return e < x.end; });
        sh.waiters.insert(at, std::move(w));
        CollectReadyLocked(sh, &ready);
      }
    }
  }
  cv_.notify_all();
  for (Done& d : ready) d();
}

std::optional<storage::Offset> ShardReplicator::FollowerDurableEnd(std::string_view shard_key,
                                                                   std::string_view node) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = shards_.find(shard_key);
  if (it == shards_.end()) return std::nullopt;
  for (const Follower& f : it->second->followers) {
    if (f.node == node && f.phase == Phase::kStreaming) return storage::Offset(f.durable);
  }
  return std::nullopt;
}

size_t ShardReplicator::ShardCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return shards_.size();
}

void ShardReplicator::ResetLocked(Follower& f, bool delay) {
  ++f.session;
  f.phase = Phase::kProbe;
  f.at = UINT64_MAX;
  f.inflight_bytes = 0;
  f.told = 0;
  f.retry_at_ms = delay ? NowMs() + options_.retry_ms : 0;
}

storage::Offset ShardReplicator::CommittedEnd(const streams::ReplicatedShard& shard,
                                              const storage::ShardLog& log) const {
  const std::string key = ShardKey(shard.account, shard.region, shard.stream, model::ShardIdName(shard.shard));
  auto set = placement_->ReplicasOf(key);
  if (set && set->leader == placement_->SelfId() && set->replicas.size() <= 1) return log.EndOffset();
  return storage::Offset(committed_ends_->Get(key, log));
}

void ShardReplicator::CollectReadyLocked(Shard& sh, std::vector<Done>* out) {
  // A member on its way out counts for nothing: a majority of the others
  // (ReplicaSet::leaving).
  const bool leaving = !sh.leaving.empty() && sh.replicas > 1;
  const size_t need = (leaving ? sh.replicas - 1 : sh.replicas) / 2 + 1;
  auto counts = [&](const Follower& f) { return f.phase == Phase::kStreaming && (!leaving || f.node != sh.leaving); };
  if (sh.log != nullptr) {
    // The need-th largest durable end among the replicas is held by a
    // majority (every log is a prefix of the leader's once matched).
    std::vector<uint64_t> ends{sh.log->EndOffset().value()};
    for (const Follower& f : sh.followers) {
      if (counts(f)) ends.push_back(f.durable);
    }
    if (ends.size() >= need) {
      std::nth_element(ends.begin(), ends.begin() + static_cast<ptrdiff_t>(need - 1), ends.end(),
                       std::greater<uint64_t>());
      const uint64_t held = ends[need - 1];
      if (held >= sh.first_own_end && held > sh.committed) {
        sh.committed = held;
        // Reads on this node stop there; the writers tell the followers.
        committed_ends_->Raise(sh.key, sh.log, sh.epoch, held);
      }
    }
  }
  size_t taken = 0;
  for (const Waiter& w : sh.waiters) {
    size_t have = 1;  // the leader's own log: Replicate runs once it is durable
    for (const Follower& f : sh.followers) {
      if (counts(f) && f.durable >= w.end) ++have;
    }
    if (have < need) break;  // later waiters end later: they need as much
    ++taken;
  }
  for (size_t i = 0; i < taken; ++i) {
    out->push_back([d = std::move(sh.waiters[i].done)] { d(Status::Ok()); });
  }
  sh.waiters.erase(sh.waiters.begin(), sh.waiters.begin() + static_cast<ptrdiff_t>(taken));
}

void ShardReplicator::FenceLocked(Shard& sh, int64_t seen_epoch, std::vector<Done>* out) {
  for (Waiter& w : sh.waiters) {
    out->push_back([d = std::move(w.done), key = sh.key, seen_epoch] {
      d(Status(ErrorCode::kUnavailable,
               "shard " + key + ": a newer leadership (epoch " + std::to_string(seen_epoch) + ") exists"));
    });
  }
  sh.waiters.clear();
}

uint64_t ShardReplicator::BoundaryAtOrBelow(const storage::ShardLog& log, uint64_t offset) {
  const uint64_t start = log.StartOffset().value(), end = log.EndOffset().value();
  if (offset >= end) return end;
  if (offset <= start) return start;
  auto b = log.BatchAt(storage::Offset(offset));
  return b.ok() ? b->base_offset.value() : start;
}

Result<std::shared_ptr<Socket>> ShardReplicator::Dial(const std::string& node) {
  auto address = placement_->AddressOf(node);
  if (!address) return Status(ErrorCode::kUnavailable, "node " + node + " is not registered");
  SPATE_ASSIGN_OR_RETURN(Socket s,
                         DialReplica(*address, options_.secret, placement_->SelfId(), options_.connect_timeout_ms));
  return std::make_shared<Socket>(std::move(s));
}

void ShardReplicator::WriterLoop(Peer* peer) {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (peer->socket == nullptr) {
      l.unlock();
      if (peer->reader.joinable()) peer->reader.join();
      auto s = Dial(peer->node);
      l.lock();
      if (stop_) break;
      if (!s.ok()) {
        cv_.wait_for(l, std::chrono::milliseconds(options_.retry_ms));
        continue;
      }
      peer->socket = *s;
      peer->sent.clear();
      for (auto& [key, sh] : shards_) {
        for (Follower& f : sh->followers) {
          if (f.node == peer->node) ResetLocked(f, false);
        }
      }
      peer->reader = std::thread([this, peer, sock = *s] { ReaderLoop(peer, sock); });
    }
    // Work for this node: probes, truncations, and batches to stream.
    // A shard may be forgotten while the lock is released: it is found
    // again by key and incarnation.
    struct Read {
      std::string key;
      uint64_t incarnation;
      std::shared_ptr<storage::ShardLog> log;
      uint64_t session;
      uint64_t from;
    };
    std::vector<std::string> frames;
    std::vector<Read> reads;
    const int64_t now = NowMs();
    for (auto& [key, sh] : shards_) {
      if (sh->fenced || sh->log == nullptr) continue;
      for (Follower& f : sh->followers) {
        if (f.node != peer->node || now < f.retry_at_ms) continue;
        Request r;
        r.epoch = sh->epoch;
        r.shard_key = sh->key;
        if (f.phase == Phase::kProbe) {
          if (f.at == UINT64_MAX) f.at = sh->log->EndOffset().value();
          r.type = FrameType::kProbe;
          f.phase = Phase::kProbing;
        } else if (f.phase == Phase::kTruncate) {
          r.type = FrameType::kTruncate;
          f.phase = Phase::kTruncating;
        } else if (f.phase == Phase::kStreaming) {
          if (sh->committed > f.told) {
            // The committed end, to a follower whose log is matched with
            // this one (so its prefix below it is this log's): in the same
            // write as the batches when they flow, alone when idle.
            Request c;
            c.type = FrameType::kCommit;
            c.epoch = sh->epoch;
            c.shard_key = sh->key;
            c.offset = sh->committed;
            f.told = sh->committed;
            frames.push_back(EncodeRequest(c));
          }
          if (f.next_send < sh->log->EndOffset().value() && f.inflight_bytes < options_.max_inflight_bytes) {
            reads.push_back(Read{sh->key, sh->incarnation, sh->log, f.session, f.next_send});
          }
          continue;
        } else {
          continue;
        }
        r.id = next_request_++;
        r.offset = f.at;
        peer->sent[r.id] = Sent{sh->key, f.session, r.type, 0, f.at};
        frames.push_back(EncodeRequest(r));
      }
    }
    if (frames.empty() && reads.empty()) {
      cv_.wait_for(l, std::chrono::milliseconds(options_.retry_ms));
      continue;
    }
    std::shared_ptr<Socket> socket = peer->socket;
    // Reads from the leader's log outside the lock.
    std::vector<std::pair<Read, Result<std::vector<std::string>>>> batches;
    l.unlock();
    for (const Read& rd : reads)
      batches.emplace_back(rd, rd.log->ReadBatches(storage::Offset(rd.from), options_.read_bytes));
    l.lock();
    for (auto& [rd, got] : batches) {
      auto sit = shards_.find(rd.key);
      if (sit == shards_.end() || sit->second->incarnation != rd.incarnation) continue;
      Shard& sh = *sit->second;
      auto f = std::find_if(sh.followers.begin(), sh.followers.end(),
                            [&](const Follower& x) { return x.node == peer->node; });
      if (f == sh.followers.end() || f->session != rd.session || f->next_send != rd.from) continue;
      if (!got.ok()) {
        // Retention dropped what the follower needs, or the log failed.
        SPATE_LOG_WARN("replication: shard " + sh.key + " to " + peer->node + ": " + got.status().message());
        ResetLocked(*f, true);
        continue;
      }
      for (const std::string& b : *got) {
        Request r;
        r.type = FrameType::kAppend;
        r.id = next_request_++;
        r.epoch = sh.epoch;
        r.shard_key = sh.key;
        r.batch = b;
        storage::format::BatchHeader h;
        storage::format::ParseHeader(b.data(), &h);
        peer->sent[r.id] = Sent{sh.key, f->session, r.type, b.size(), 0};
        f->inflight_bytes += b.size();
        f->next_send = (h.base_offset + h.record_count).value();
        frames.push_back(EncodeRequest(r));
      }
    }
    l.unlock();
    bool broken = false;
    for (const std::string& frame : frames) {
      if (!WriteAll(*socket, frame).ok()) {
        broken = true;
        break;
      }
    }
    if (broken) socket->Shutdown();  // the reader cleans up
    l.lock();
  }
}

void ShardReplicator::ReaderLoop(Peer* peer, std::shared_ptr<Socket> socket) {
  for (;;) {
    auto frame = ReadFrame(*socket);
    if (!frame.ok() || frame->first != FrameType::kReply) break;
    auto reply = DecodeReply(frame->second);
    if (!reply.ok()) break;
    HandleReply(peer, *reply);
  }
  socket->Shutdown();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (peer->socket == socket) {
      peer->socket = nullptr;
      peer->sent.clear();
      for (auto& [key, sh] : shards_) {
        for (Follower& f : sh->followers) {
          if (f.node == peer->node) ResetLocked(f, true);
        }
      }
    }
  }
  cv_.notify_all();
}

void ShardReplicator::HandleReply(Peer* peer, const Reply& reply) {
  std::vector<Done> ready;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = peer->sent.find(reply.id);
    if (it == peer->sent.end()) return;
    Sent sent = std::move(it->second);
    peer->sent.erase(it);
    auto sit = shards_.find(sent.shard_key);
    if (sit == shards_.end()) return;
    Shard& sh = *sit->second;
    auto f =
        std::find_if(sh.followers.begin(), sh.followers.end(), [&](const Follower& x) { return x.node == peer->node; });
    if (f == sh.followers.end() || f->session != sent.session) return;
    if (reply.code == ErrorCode::kConcurrentModification || reply.epoch > sh.epoch) {
      SPATE_LOG_WARN("replication: shard " + sh.key + ": node " + peer->node + " has seen epoch " +
                     std::to_string(reply.epoch) + ", above this leadership's " + std::to_string(sh.epoch));
      sh.fenced = true;
      FenceLocked(sh, reply.epoch, &ready);
      ResetLocked(*f, true);
    } else if (sent.type == FrameType::kAppend) {
      f->inflight_bytes -= std::min(f->inflight_bytes, sent.bytes);
      if (reply.code == ErrorCode::kOk) {
        f->durable = std::max(f->durable, reply.durable);
        CollectReadyLocked(sh, &ready);
      } else {
        ResetLocked(*f, true);
      }
    } else if (reply.code != ErrorCode::kOk) {
      SPATE_LOG_WARN("replication: shard " + sh.key + ": node " + peer->node + ": " + reply.message);
      ResetLocked(*f, true);
    } else if (sent.type == FrameType::kTruncate) {
      f->phase = Phase::kStreaming;
      f->next_send = sent.at;
      f->durable = sent.at;
      CollectReadyLocked(sh, &ready);
    } else {
      // PROBE: log matching (Raft's): find the last offset where the
      // follower's log agrees with this leader's, cut it back there, then
      // stream from there.
      const storage::ShardLog& log = *sh.log;
      const uint64_t at = sent.at;
      const uint64_t start = log.StartOffset().value();
      if (reply.end < at) {
        f->at = BoundaryAtOrBelow(log, reply.end);
        f->phase = Phase::kProbe;
      } else {
        int64_t mine = kAtStart;
        if (at > start) {
          auto b = log.BatchAt(storage::Offset(at - 1));
          mine = b.ok() ? b->epoch : kNoBatchEndsThere;
        }
        const bool match = at == 0 || at == start || reply.at_epoch == kAtStart ||
                           (reply.at_epoch != kNoBatchEndsThere && reply.at_epoch == mine);
        if (match) {
          if (reply.end > at) {
            f->phase = Phase::kTruncate;
          } else {
            f->phase = Phase::kStreaming;
            f->next_send = at;
            f->durable = std::min(at, reply.durable);
            f->inflight_bytes = 0;
            CollectReadyLocked(sh, &ready);
          }
        } else {
          f->at = BoundaryAtOrBelow(log, at - 1);
          f->phase = Phase::kProbe;
        }
      }
    }
  }
  cv_.notify_all();
  for (Done& d : ready) d();
}

void ShardReplicator::ForgetUnled(std::unique_lock<std::mutex>& l) {
  std::vector<std::pair<std::string, uint64_t>> idle;  // key, incarnation
  for (const auto& [key, sh] : shards_) {
    if (sh->waiters.empty()) idle.emplace_back(key, sh->incarnation);
  }
  if (idle.empty()) return;
  l.unlock();
  std::vector<std::pair<std::string, uint64_t>> unled;
  for (auto& [key, incarnation] : idle) {
    auto set = placement_->ReplicasOf(key);
    if (!set || set->leader != placement_->SelfId()) unled.emplace_back(std::move(key), incarnation);
  }
  l.lock();
  for (const auto& [key, incarnation] : unled) {
    auto it = shards_.find(key);
    if (it == shards_.end() || it->second->incarnation != incarnation || !it->second->waiters.empty()) continue;
    shards_.erase(it);
    // Requests in flight for it are answered into nothing (a shard started
    // again under the same key has followers whose sessions start afresh).
    for (auto& [node, peer] : peers_) {
      std::erase_if(peer->sent, [&](const auto& entry) { return entry.second.shard_key == key; });
    }
  }
}

void ShardReplicator::ReaperLoop() {
  std::unique_lock<std::mutex> l(mu_);
  int64_t forget_at = NowMs() + options_.forget_interval_ms;
  while (!stop_) {
    cv_.wait_for(l, std::chrono::milliseconds(50));
    if (stop_) break;
    const int64_t now = NowMs();
    if (now >= forget_at) {
      forget_at = now + options_.forget_interval_ms;
      ForgetUnled(l);
      if (stop_) break;
    }
    std::vector<Done> expired;
    for (auto& [key, sh] : shards_) {
      auto keep = std::stable_partition(sh->waiters.begin(), sh->waiters.end(),
                                        [&](const Waiter& w) { return w.deadline_ms > now; });
      for (auto it = keep; it != sh->waiters.end(); ++it) {
        expired.push_back([d = std::move(it->done), key = sh->key, ms = options_.ack_timeout_ms] {
          d(Status(ErrorCode::kUnavailable,
                   "shard " + key + ": no majority of its replicas acknowledged within " + std::to_string(ms) + " ms"));
        });
      }
      sh->waiters.erase(keep, sh->waiters.end());
    }
    if (expired.empty()) continue;
    l.unlock();
    for (Done& d : expired) d();
    l.lock();
  }
}

}  // namespace spate::cluster::replication
