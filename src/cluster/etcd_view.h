#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "cluster/etcd_client.h"

namespace spate::cluster {

// This node's copy of every etcd key under one prefix ("/spate/"), kept
// current by a watch from its own thread: a Range, then a Watch from the
// range's revision + 1; when the watch breaks (etcd restarted, compacted,
// unreachable) the copy is read again whole and the watch resumed, so a
// lost event is never missed for long. Readers see a consistent snapshot of
// one revision. Thread-safe.
class EtcdView {
 public:
  // Runs on the view's thread after each change of the copy; must not call Stop.
  using Listener = std::function<void()>;

  EtcdView(const EtcdClient* etcd, std::string prefix) : etcd_(etcd), prefix_(std::move(prefix)) {}
  ~EtcdView();
  EtcdView(const EtcdView&) = delete;
  EtcdView& operator=(const EtcdView&) = delete;

  // Set before Start.
  void OnChange(Listener listener) { listener_ = std::move(listener); }
  // Reads the prefix (etcd's error if it cannot) and starts watching.
  Status Start();
  void Stop();

  std::optional<KeyValue> Get(std::string_view key) const;
  // Every key that begins with `prefix` (within the view's), in key order.
  std::vector<KeyValue> List(std::string_view prefix) const;
  // The revision the copy is current to.
  int64_t revision() const;

 private:
  Status Resync();
  void Loop();

  const EtcdClient* const etcd_;
  const std::string prefix_;
  Listener listener_;

  mutable std::mutex mu_;
  std::map<std::string, KeyValue, std::less<>> kvs_;  // guarded by mu_
  int64_t revision_ = 0;                              // guarded by mu_
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace spate::cluster
