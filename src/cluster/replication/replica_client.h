#pragma once

// A blocking, one-request-at-a-time client of a replica's replication port
// (docs/formats/replication.md): the handshake every leader connection
// starts with, and the PROBE and FETCH a new leader sends before it serves
// (rule 5). The streaming leader (ShardReplicator) pipelines instead and
// shares only DialReplica.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cluster/replication/socket.h"
#include "cluster/replication/wire.h"

namespace spate::cluster::replication {

// Connects to a replica's port at `address` ("host:port") and proves the
// cluster secret as node `self` (CHALLENGE, HELLO, HELLO_OK), all within
// about timeout_ms per step. kUnavailable when the node cannot be reached.
Result<Socket> DialReplica(std::string_view address, std::string_view secret, std::string_view self, int timeout_ms);

class ReplicaClient {
 public:
  // Every request waits at most timeout_ms for its answer.
  static Result<std::unique_ptr<ReplicaClient>> Connect(std::string_view address, std::string_view secret,
                                                        std::string_view self, int timeout_ms);

  // PROBE: the replica's start, ends and epochs for `shard_key` (REPLY's
  // code says kNotFound when it has no such shard, kConcurrentModification
  // when it has seen an epoch above `epoch`). Transport errors are the
  // Result's.
  Result<Reply> Probe(std::string_view shard_key, int64_t epoch, uint64_t at);
  // FETCH: its acknowledged batches from `from` (a batch boundary), up to
  // about kFetchBytes.
  Result<Batches> Fetch(std::string_view shard_key, int64_t epoch, uint64_t from);

 private:
  explicit ReplicaClient(Socket socket) : socket_(std::move(socket)) {}
  Result<std::string> Call(const Request& r, FrameType answer);

  Socket socket_;
  uint64_t next_id_ = 1;
};

}  // namespace spate::cluster::replication
