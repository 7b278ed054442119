#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "cluster/etcd_client.h"
#include "util/clock.h"

namespace spate::cluster {

struct LeaseKeeperOptions {
  int64_t ttl_s = 3;  // etcd's lease TTL: how long a dead node's keys outlive it
  // How often a keep-alive is sent while the lease is held: ttl / 3 by default.
  int64_t keep_alive_ms = 0;
  // How often a failed keep-alive or grant is retried.
  int64_t retry_ms = 200;
};

// Holds one etcd lease for this node and keeps it alive from its own thread.
//
// The lease counts as held only until the last keep-alive etcd confirmed
// would let it expire, measured from when that keep-alive was *sent*
// (etcd restarts the TTL on receipt, so this is never later than etcd's own
// deadline): held() turns false on this node's monotonic clock at that
// instant even if the keeper thread is stalled, so no caller acts on a lease
// that etcd may already have expired and given another node's keys room.
//
// Once Holds(id) has turned false it never turns true again for that id.
//
// When the lease is lost (etcd says it is gone, or the deadline passes
// without a confirmed keep-alive), on_lost(id) runs once and the keeper
// grants a new lease as soon as etcd answers, then runs on_granted(id) with
// it. A lease whose on_granted fails is given up (revoked) like a lost one,
// and another is tried retry_ms later, so what on_granted does under the
// lease (registering the node) is retried until it succeeds. Both callbacks
// run on the keeper thread (on_granted also inside Start) and must not call
// Stop().
//
// Thread-safe. Start/Stop from one owner thread.
class LeaseKeeper {
 public:
  using Callback = std::function<void(int64_t lease_id)>;
  using GrantedCallback = std::function<Status(int64_t lease_id)>;

  LeaseKeeper(const EtcdClient* etcd, LeaseKeeperOptions options, util::Clock* clock);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Set before Start.
  void OnGranted(GrantedCallback cb) { on_granted_ = std::move(cb); }
  void OnLost(Callback cb) { on_lost_ = std::move(cb); }

  // Grants the first lease (failing with etcd's error if it cannot), runs
  // on_granted (failing with its error, the lease revoked, if it fails), and
  // starts the keep-alive thread.
  Status Start();
  // Stops the thread and revokes the lease (best effort: it expires anyway).
  void Stop();

  // The lease in force (0: none now).
  int64_t lease_id() const;
  // Whether lease `id` is still held as far as this node can know.
  bool Holds(int64_t id) const;
  bool held() const { return Holds(lease_id()); }

 private:
  void Loop();
  // Grants a lease, publishes it and runs on_granted; if that fails, gives
  // the lease up and returns its error.
  Status Grant();
  void Lose(int64_t id);

  const EtcdClient* const etcd_;
  const LeaseKeeperOptions options_;
  util::Clock* const clock_;
  GrantedCallback on_granted_;
  Callback on_lost_;

  // The lease and its local deadline (monotonic ns), published together.
  mutable std::mutex mu_;
  int64_t id_ = 0;           // guarded by mu_
  int64_t valid_until_ = 0;  // guarded by mu_
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace spate::cluster
