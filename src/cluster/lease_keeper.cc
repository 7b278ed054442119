#include "cluster/lease_keeper.h"

#include <chrono>

#include "base/log.h"

namespace spate::cluster {

LeaseKeeper::LeaseKeeper(const EtcdClient* etcd, LeaseKeeperOptions options, util::Clock* clock)
    : etcd_(etcd), options_(options), clock_(clock) {}

LeaseKeeper::~LeaseKeeper() { Stop(); }

Status LeaseKeeper::Grant() {
  int64_t sent = clock_->MonotonicNs();
  SPATE_ASSIGN_OR_RETURN(LeaseGrant grant, etcd_->GrantLease(options_.ttl_s));
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping = stopping_;
    if (!stopping) {
      id_ = grant.id;
      valid_until_ = sent + grant.ttl_s * 1'000'000'000;
    }
  }
  if (stopping) {
    // Granted while Stop ran: Stop revokes only the lease it found in force,
    // so this one is revoked here (else it would outlive the keeper by its TTL).
    if (Status st = etcd_->RevokeLease(grant.id); !st.ok()) {
      SPATE_LOG_WARN("cluster: could not revoke lease " + std::to_string(grant.id) + ": " + st.ToString());
    }
    return Unavailable("the lease keeper is stopping");
  }
  SPATE_LOG_INFO("cluster: holding etcd lease " + std::to_string(grant.id) + " (TTL " + std::to_string(grant.ttl_s) +
                 " s)");
  if (on_granted_) {
    if (Status st = on_granted_(grant.id); !st.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (id_ == grant.id) {
          id_ = 0;
          valid_until_ = 0;
        }
      }
      (void)etcd_->RevokeLease(grant.id);
      return st;
    }
  }
  return Status::Ok();
}

Status LeaseKeeper::Start() {
  SPATE_TRY(Grant());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void LeaseKeeper::Stop() {
  int64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    id = id_;
    id_ = 0;
    valid_until_ = 0;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (id != 0) {
    if (Status st = etcd_->RevokeLease(id); !st.ok()) {
      SPATE_LOG_WARN("cluster: could not revoke lease " + std::to_string(id) + ": " + st.ToString());
    }
  }
}

int64_t LeaseKeeper::lease_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return id_;
}

bool LeaseKeeper::Holds(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id != 0 && id == id_ && clock_->MonotonicNs() < valid_until_;
}

void LeaseKeeper::Lose(int64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (id_ != id) return;
    id_ = 0;
    valid_until_ = 0;
  }
  SPATE_LOG_WARN("cluster: lost etcd lease " + std::to_string(id));
  if (on_lost_) on_lost_(id);
  (void)etcd_->RevokeLease(id);  // if etcd still has it, its keys go now rather than at its TTL
}

void LeaseKeeper::Loop() {
  const int64_t keep_alive_ms = options_.keep_alive_ms > 0 ? options_.keep_alive_ms : options_.ttl_s * 1000 / 3;
  int64_t wait_ms = keep_alive_ms;
  for (;;) {
    int64_t id = 0;
    int64_t valid_until = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; });
      if (stopping_) return;
      id = id_;
      valid_until = valid_until_;
    }
    if (id == 0) {  // lost: get a new one
      Status st = Grant();
      if (!st.ok()) SPATE_LOG_WARN("cluster: no new lease yet: " + st.ToString());
      wait_ms = st.ok() ? keep_alive_ms : options_.retry_ms;
      continue;
    }
    int64_t sent = clock_->MonotonicNs();
    if (sent >= valid_until) {  // no keep-alive confirmed in time: etcd may have expired it
      Lose(id);
      wait_ms = 0;
      continue;
    }
    auto ttl = etcd_->KeepAlive(id);
    if (ttl.ok()) {
      // A confirmation that comes back after the deadline passed does not
      // revive the lease: once Holds(id) has turned false it stays false, so
      // what was refused for want of it stays refused (the lease is given up
      // and a new one taken).
      bool in_time = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_time = id_ == id && clock_->MonotonicNs() < valid_until_;
        if (in_time) valid_until_ = sent + *ttl * 1'000'000'000;
      }
      if (!in_time) Lose(id);
      wait_ms = in_time ? keep_alive_ms : 0;
    } else if (ttl.status().code() == ErrorCode::kNotFound) {
      Lose(id);
      wait_ms = 0;
    } else {
      SPATE_LOG_WARN("cluster: keep-alive of lease " + std::to_string(id) + " failed: " + ttl.status().ToString());
      wait_ms = options_.retry_ms;
    }
  }
}

}  // namespace spate::cluster
