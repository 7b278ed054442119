#include "net/tests/loopback_http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace spate::net::testing {
namespace {

// How often a held connection checks whether the server is stopping.
constexpr int kHoldPollMs = 50;
constexpr int kBacklog = 8;
constexpr std::string_view kContentLength = "Content-Length: ";

// A socket bound to an ephemeral loopback port; its port in *port.
int BindLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Respond respond) : respond_(std::move(respond)) {
  fd_ = BindLoopback(&port_);
  EXPECT_EQ(::listen(fd_, kBacklog), 0);
  thread_ = std::thread([this] { Serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stop_.store(true);
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
}

std::string LoopbackHttpServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string LoopbackHttpServer::last_request() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_request_;
}

void LoopbackHttpServer::Serve() {
  for (;;) {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    connections_.fetch_add(1);
    std::string in;
    char buf[4096];
    size_t header_end = std::string::npos, want = 0;
    for (;;) {
      ssize_t r = ::read(c, buf, sizeof(buf));
      if (r <= 0) break;
      in.append(buf, static_cast<size_t>(r));
      if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
        size_t cl = in.find(kContentLength);
        want = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + kContentLength.size()));
      }
      if (header_end != std::string::npos && in.size() >= header_end + 4 + want) break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_request_ = in;
    }
    std::string out = respond_(header_end == std::string::npos ? "" : in.substr(header_end + 4));
    if (out.empty()) {
      // Held until the client gives up (or the server stops).
      pollfd p{c, POLLIN, 0};
      while (!stop_.load()) {
        if (::poll(&p, 1, kHoldPollMs) > 0 && ::read(c, buf, sizeof(buf)) <= 0) break;
      }
    } else {
      (void)!::write(c, out.data(), out.size());
    }
    ::close(c);
  }
}

std::string HttpAnswer(int status, std::string_view body, std::string_view extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

int ClosedPort() {
  int port = 0;
  ::close(BindLoopback(&port));
  return port;
}

}  // namespace spate::net::testing
