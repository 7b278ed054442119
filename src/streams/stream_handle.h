#pragma once

// What the handlers hold of a stream between registry calls, without the
// registry's header (and the storage headers behind it).

#include <functional>
#include <memory>

#include "base/status.h"
#include "streams/stream_ref.h"

namespace spate::streams {

class Stream;

// A stream looked up once for a request (Registry::Find) and handed to the
// request's later steps, which then take the registry's lock but do no
// lookup of their own. It keeps the Stream object alive; once the registry
// has removed the stream (or when there was none), every call given the
// handle fails as for a missing stream, naming `ref`.
struct StreamHandle {
  StreamRef ref;                         // the stream as the request named it
  std::shared_ptr<const Stream> stream;  // null: no such stream when looked up
};

// A check the api edge runs on a stream under the registry's shared lock
// (authorization, injected faults). Must not call back into the registry.
using StreamCheck = std::function<Status(const Stream&)>;

}  // namespace spate::streams
