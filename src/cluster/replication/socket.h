#pragma once

// Blocking TCP helpers for the replication protocol: whole-frame reads and
// writes, listening and connecting with a deadline.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "cluster/replication/wire.h"

namespace spate::cluster::replication {

// An owned socket descriptor, closed on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Wakes any thread blocked on the socket (its reads return EOF); the
  // descriptor stays open until destruction.
  void Shutdown() const;

 private:
  int fd_ = -1;
};

// Listens on host:port (port 0: any free one); *bound gets the port.
Result<Socket> Listen(const std::string& host, uint16_t port, uint16_t* bound);
// Connects to "host:port" within timeout_ms; TCP_NODELAY set.
Result<Socket> Connect(std::string_view address, int timeout_ms);
// Sets a receive timeout (0: none) for the handshake.
void SetReceiveTimeout(const Socket& s, int timeout_ms);

// Writes all of `data`; kUnavailable on any error (the peer is gone).
Status WriteAll(const Socket& s, std::string_view data);
// Reads one whole frame: its type and body. kUnavailable on EOF or error,
// kSerialization on an oversized frame.
Result<std::pair<FrameType, std::string>> ReadFrame(const Socket& s);

}  // namespace spate::cluster::replication
