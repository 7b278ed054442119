#pragma once

#include "protocol/value.h"
#include "service/service.h"

namespace spate::streams {

// Cluster mode's say on where a Data Streams call runs (src/cluster/
// forwarder.h): on this node, or on the node that leads the shard it
// touches (data plane) or owns the stream catalog (control plane). The
// service asks it once per call that a client sent (never for one a peer
// forwarded: Call::forwarded), after admission and before the handler; a
// single node sets none.
//
// Thread-safe and must not block: a forwarded call completes later through
// `done` or call.done_encoded, from another thread.
class RequestForwarder {
 public:
  virtual ~RequestForwarder() = default;
  // True when it took the call (it will complete it exactly once); false to
  // run it here, with `call`, `input` and `done` untouched.
  virtual bool Forward(service::Call& call, protocol::Value& input, service::Done& done) = 0;
};

}  // namespace spate::streams
