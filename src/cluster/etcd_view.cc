#include "cluster/etcd_view.h"

#include <chrono>

#include "base/log.h"

namespace spate::cluster {
namespace {

// How long a broken watch waits before the view is read again.
constexpr int64_t kResyncBackoffMs = 200;

}  // namespace

EtcdView::~EtcdView() { Stop(); }

Status EtcdView::Resync() {
  SPATE_ASSIGN_OR_RETURN(RangeResult r, etcd_->RangePrefix(prefix_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    kvs_.clear();
    for (KeyValue& kv : r.kvs) {
      std::string key = kv.key;
      kvs_.emplace(std::move(key), std::move(kv));
    }
    revision_ = r.revision;
  }
  if (listener_) listener_();
  return Status::Ok();
}

Status EtcdView::Start() {
  SPATE_TRY(Resync());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void EtcdView::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EtcdView::Loop() {
  while (!stop_) {
    int64_t from = revision() + 1;
    Status st = etcd_->Watch(
        prefix_, from,
        [this](const std::vector<WatchEvent>& events, int64_t rev) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            for (const WatchEvent& e : events) {
              if (e.type == WatchEvent::Type::kDelete) {
                kvs_.erase(e.kv.key);
              } else {
                kvs_[e.kv.key] = e.kv;
              }
            }
            if (rev > revision_) revision_ = rev;
          }
          if (listener_) listener_();
          return !stop_.load();
        },
        stop_);
    if (stop_) break;
    if (!st.ok()) SPATE_LOG_WARN("cluster: watch of " + prefix_ + " broke (" + st.ToString() + "): reading it again");
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(kResyncBackoffMs), [this] { return stop_.load(); });
    lock.unlock();
    while (!stop_ && !Resync().ok()) {
      std::unique_lock<std::mutex> again(mu_);
      cv_.wait_for(again, std::chrono::milliseconds(kResyncBackoffMs), [this] { return stop_.load(); });
    }
  }
}

std::optional<KeyValue> EtcdView::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kvs_.find(key);
  if (it == kvs_.end()) return std::nullopt;
  return it->second;
}

std::vector<KeyValue> EtcdView::List(std::string_view prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<KeyValue> out;
  for (auto it = kvs_.lower_bound(prefix); it != kvs_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->second);
  }
  return out;
}

int64_t EtcdView::revision() const {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

}  // namespace spate::cluster
