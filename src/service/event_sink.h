#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace spate::service {

// Where an operation whose output is an event stream (SubscribeToShard)
// writes its event-stream messages: the body of a streaming HTTP response.
// The front door implements it over the transport's ResponseStream; tests
// use an in-memory sink. Services do not depend on the transport. All
// methods are thread-safe and never block.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Queues one encoded message. Returns false once the client has gone
  // away (stop writing).
  virtual bool Write(std::string bytes) = 0;
  // Bytes queued but not yet sent (backpressure).
  virtual size_t Buffered() const = 0;
  // Ends the response; later writes are ignored.
  virtual void End() = 0;
  // `cb` runs once when the client disconnects or End() has flushed, on a
  // transport thread; it must not block.
  virtual void OnClose(std::function<void()> cb) = 0;
};

// Starts the streaming response (status 200, event-stream content type)
// and returns its sink. Called at most once per request.
using EventSinkOpener = std::function<std::shared_ptr<EventSink>()>;

}  // namespace spate::service
