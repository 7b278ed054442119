#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "cluster/etcd_client.h"

namespace spate::cluster::testing {

// Polls `cond` every 20 ms until it holds or `limit` has passed; its last
// answer. The cluster tests' one way to wait for etcd-driven state.
template <typename F>
bool Eventually(F cond, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// A free loopback TCP port (bound to port 0, then released).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A real single-member etcd (Debian's etcd-server, /usr/bin/etcd) on
// loopback ports in a temporary directory, stopped (SIGKILL) and removed on
// destruction. Start() waits at most 15 s for it to answer.
class EtcdProcess {
 public:
  ~EtcdProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // Empty on success, else why etcd did not come up.
  std::string Start() {
    char tmpl[] = "/tmp/spate-etcd-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return "mkdtemp failed";
    dir_ = tmpl;
    client_port_ = FreePort();
    int peer_port = FreePort();
    std::string client_url = "http://127.0.0.1:" + std::to_string(client_port_);
    std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port);
    std::string log = dir_ + "/etcd.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::string data = "--data-dir=" + dir_ + "/data";
      std::string listen_client = "--listen-client-urls=" + client_url;
      std::string advertise_client = "--advertise-client-urls=" + client_url;
      std::string listen_peer = "--listen-peer-urls=" + peer_url;
      std::string advertise_peer = "--initial-advertise-peer-urls=" + peer_url;
      std::string initial = "--initial-cluster=default=" + peer_url;
      ::execl("/usr/bin/etcd", "etcd", data.c_str(), listen_client.c_str(), advertise_client.c_str(),
              listen_peer.c_str(), advertise_peer.c_str(), initial.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) return "fork failed";
    auto client = EtcdClient::Create(EtcdOptions{{client_url}, 500, 200});
    if (!client.ok()) return client.status().ToString();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if ((*client)->Range("probe").ok()) return std::string();
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return "etcd exited (is etcd-server installed? scripts/install-deps.sh --test); log in " + log;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "etcd did not answer within 15 s; log in " + log;
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  void Pause() { ::kill(pid_, SIGSTOP); }
  void Resume() { ::kill(pid_, SIGCONT); }

 private:
  std::string dir_;
  int client_port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace spate::cluster::testing
