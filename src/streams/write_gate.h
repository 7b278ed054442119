#pragma once

#include <cstdint>

#include "base/status.h"
#include "metadata/stream_meta.h"
#include "model/types.h"

namespace spate::streams {

// The one question the data path asks of cluster mode (src/cluster/): may
// this node append to a shard now, and does the authority it appended under
// still hold when the records are durable. The registry asks Admit before it
// appends a batch and StillHolds before it acknowledges it; a single node
// sets no gate (RegistryOptions::write_gate is null) and appends as before.
//
// Implementations are thread-safe and must not block: both are called on
// the request's thread or a storage writer thread.
class WriteGate {
 public:
  virtual ~WriteGate() = default;
  // The authority to append to `shard` of `stream` under (in cluster mode,
  // the fencing epoch of this node's leadership of the shard, held under its
  // etcd lease), or the error that fails the shard's records (kUnavailable:
  // the SDKs retry an InternalFailure).
  virtual Result<int64_t> Admit(const metadata::StreamMeta& stream, model::ShardIndex shard) const = 0;
  // Whether `authority`, as Admit returned it, still holds (in cluster mode:
  // the lease holds and the shard's leader key still names this node at that
  // epoch). A batch that became durable after it lapsed fails with
  // kUnavailable instead of being acknowledged (the records stay in this
  // node's log; the client retries).
  virtual bool StillHolds(int64_t authority) const = 0;
};

}  // namespace spate::streams
