#pragma once

// The follower side of replication (docs/formats/replication.md): accepts
// shard leaders' connections on the replication port, checks their HMAC
// over the cluster secret, and applies their APPEND, PROBE and TRUNCATE
// requests to this node's shard logs, and records the committed ends their
// COMMIT frames carry (the end follower reads stop at).

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "cluster/replication/committed_ends.h"
#include "cluster/replication/socket.h"
#include "storage/shard_log.h"

namespace spate::cluster::replication {

// How the server finds this node's log of a shard, by the shard key
// ("<account>/<region>/<stream>/<shard id>", cluster/shard_leaders.h).
// Thread-safe; called on connection threads.
class ReplicaLogs {
 public:
  virtual ~ReplicaLogs() = default;
  // kNotFound when this node has no such shard (its catalog has not seen
  // the stream yet): the leader retries.
  virtual Result<std::shared_ptr<storage::ShardLog>> LogFor(std::string_view shard_key) = 0;
};

struct ReplicaServerOptions {
  std::string host = "127.0.0.1";  // IPv4 address to listen on
  uint16_t port = 0;               // 0: any free port (port() says which)
  // Shared by every node of the cluster; a leader proves it knows it
  // (HMAC-SHA256 over a fresh nonce) before any request is served.
  std::string secret;
  int handshake_timeout_ms = 2000;
  // Where the committed ends leaders tell this node (COMMIT) are kept, and
  // the epochs of new leaders' PROBEs and FETCHes noted; shared with this
  // node's ShardReplicator, whose CommittedEnd serves reads. Not owned;
  // null: COMMITs are ignored (this node serves no follower reads).
  CommittedEnds* committed_ends = nullptr;
};

class ReplicaServer {
 public:
  // Listens at once; `logs` is not owned and must outlive the server.
  static Result<std::unique_ptr<ReplicaServer>> Start(ReplicaServerOptions options, ReplicaLogs* logs);
  // Stops accepting, closes every connection and joins its threads.
  // Appends already queued in a log still complete (their replies are
  // dropped).
  ~ReplicaServer();
  uint16_t port() const { return port_; }

 private:
  struct Conn;
  ReplicaServer(ReplicaServerOptions options, ReplicaLogs* logs, Socket listener, uint16_t port);
  void AcceptLoop();
  void Serve(std::shared_ptr<Conn> conn);
  Status Handshake(Conn& conn);
  void Handle(const std::shared_ptr<Conn>& conn, FrameType type, std::string body);

  const ReplicaServerOptions options_;
  ReplicaLogs* const logs_;
  Socket listener_;
  const uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::list<std::pair<std::shared_ptr<Conn>, std::thread>> conns_;  // guarded by mu_
};

}  // namespace spate::cluster::replication
