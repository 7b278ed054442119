#include "cluster/replication/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace spate::cluster::replication {
namespace {

Status Errno(std::string_view what) {
  return Status(ErrorCode::kUnavailable, std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

void Socket::Shutdown() const {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Result<Socket> Listen(const std::string& host, uint16_t port, uint16_t* bound) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status(ErrorCode::kInvalidArgument, "replication listen address " + host + " is not an IPv4 address");
  }
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return Errno("socket");
  int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Errno("bind " + host + ":" + std::to_string(port));
  }
  if (::listen(s.fd(), 64) != 0) return Errno("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return Errno("getsockname");
  *bound = ntohs(addr.sin_port);
  return s;
}

Result<Socket> Connect(std::string_view address, int timeout_ms) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument, "replication address " + std::string(address) + " has no port");
  }
  std::string host(address.substr(0, colon)), port(address.substr(colon + 1));
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Status(ErrorCode::kUnavailable, "resolve " + std::string(address) + ": " + ::gai_strerror(rc));
  }
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) {
    ::freeaddrinfo(res);
    return Errno("socket");
  }
  int rc = ::connect(s.fd(), res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) return Errno("connect " + std::string(address));
  if (rc != 0) {
    pollfd p{s.fd(), POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) {
      return Status(ErrorCode::kUnavailable, "connect " + std::string(address) + ": timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      return Errno("connect " + std::string(address));
    }
  }
  int flags = ::fcntl(s.fd(), F_GETFL);
  ::fcntl(s.fd(), F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

void SetReceiveTimeout(const Socket& s, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

Status WriteAll(const Socket& s, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("replication send");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

namespace {
Status ReadFull(const Socket& s, char* out, size_t n) {
  while (n > 0) {
    ssize_t got = ::recv(s.fd(), out, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return Status(ErrorCode::kUnavailable, "replication peer closed the connection");
    if (got < 0) return Errno("replication receive");
    out += got;
    n -= static_cast<size_t>(got);
  }
  return Status::Ok();
}
}  // namespace

Result<std::pair<FrameType, std::string>> ReadFrame(const Socket& s) {
  char header[kFrameHeaderBytes];
  SPATE_TRY(ReadFull(s, header, sizeof header));
  SPATE_ASSIGN_OR_RETURN(auto h, DecodeFrameHeader(header));
  std::string body(h.first, '\0');
  SPATE_TRY(ReadFull(s, body.data(), body.size()));
  return std::make_pair(h.second, std::move(body));
}

}  // namespace spate::cluster::replication
