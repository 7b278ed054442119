#include "streams/maintenance.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "metadata/catalog.h"
#include "storage/log_store.h"
#include "streams/consumers.h"
#include "streams/lifecycle_log.h"
#include "streams/registry.h"
#include "streams/resharder.h"

namespace spate::streams {

using metadata::StreamMeta;
using metadata::StreamStatus;

// ------------------------------------------------------------- TaskThread

namespace {

Status Stopping() { return Status(ErrorCode::kUnavailable, "the server is shutting down"); }

}  // namespace

void TaskThread::Run(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
      cv_.notify_one();
      return;
    }
  }
  task(Stopping());
}

void TaskThread::Stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
  std::deque<Task> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(queue_);
  }
  for (Task& task : left) task(Stopping());
}

void TaskThread::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Task task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task(Status::Ok());
    lock.lock();
  }
}

// ------------------------------------------------------ MaintenanceThread

void MaintenanceThread::Start(int64_t tick_ms, std::function<void()> task) {
  thread_ = std::thread([this, tick_ms, task = std::move(task)] { Loop(tick_ms, task); });
}

void MaintenanceThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MaintenanceThread::Loop(int64_t tick_ms, const std::function<void()>& task) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(tick_ms));
    if (stopping_) break;
    lock.unlock();
    task();
    lock.lock();
  }
}

// ------------------------------------------------- Registry: maintenance

// CREATING or UPDATING -> ACTIVE. A pending reshard is applied in the same
// catalog write: parents close at their logs' assigned ends under the
// exclusive lock (as Registry::Put requires), the children's logs are
// opened, and only then is the record written and the new map seen. If
// either fails nothing changes and the next pass tries again.
void Registry::ActivateStream(Stream& s, int64_t now) {
  StreamMeta next = s.meta_;
  next.status = StreamStatus::kActive;
  next.status_since_ms = now;
  if (next.pending_reshard.pending()) {
    Resharder r(s, &next, now);
    Status st = r.Apply(next.pending_reshard);
    if (!st.ok()) SPATE_LOG_ERROR("stream " + next.name + ": reshard dropped: " + st.ToString());
    next.pending_reshard = {};
  }
  Status st = OpenShardLogs(&s, next);
  if (st.ok()) st = catalog_->PutStream(next);
  if (!st.ok()) {
    SPATE_LOG_ERROR("cannot activate stream " + next.name + ": " + st.ToString());
    return;
  }
  LogStreamChanges(&s.meta_, &next);
  s.meta_ = std::move(next);
  s.RebuildRoutes();
  ResolveMetrics(&s);
}

Status Registry::RemoveLocked(std::map<std::string, std::shared_ptr<Stream>>::iterator it,
                              std::vector<std::string>* drop_groups) {
  Stream& s = *it->second;
  StreamMeta& m = s.meta_;
  SPATE_TRY(catalog_->DeleteStream(m.Key()));
  LogStreamChanges(&m, nullptr);
  drop_groups->push_back(m.storage_group);
  s.removed_ = true;  // for the StreamHandles still held
  metrics_.DropStream(m);
  streams_.erase(it);
  return Status::Ok();
}

Status Registry::ApplyReplicated(StreamMeta meta) {
  std::vector<std::string> drop_groups;
  Status st = Status::Ok();
  {
    std::unique_lock lock(mu_);
    last_epoch_ = std::max(last_epoch_, meta.epoch);
    auto it = streams_.find(meta.Key());
    if (it != streams_.end() && it->second->meta_.storage_group != meta.storage_group) {
      SPATE_TRY(RemoveLocked(it, &drop_groups));
      it = streams_.end();
    }
    if (it == streams_.end()) {
      auto stream = std::make_shared<Stream>();
      stream->meta_ = meta;
      SPATE_TRY(OpenLogs(stream.get()));
      SPATE_TRY(catalog_->PutStream(meta));
      LogStreamChanges(nullptr, &stream->meta_);
      streams_[meta.Key()] = std::move(stream);
    } else {
      Stream& s = *it->second;
      st = OpenShardLogs(&s, meta);
      if (st.ok()) st = catalog_->PutStream(meta);
      if (st.ok()) {
        LogStreamChanges(&s.meta_, &meta);
        s.meta_ = std::move(meta);
        s.RebuildRoutes();
        ResolveMetrics(&s);
      }
    }
  }
  for (const std::string& g : drop_groups) logs_->DropGroup(g).IgnoreError();
  return st;
}

Status Registry::RemoveReplicated(std::string_view key) {
  std::vector<std::string> drop_groups;
  {
    std::unique_lock lock(mu_);
    auto it = streams_.find(std::string(key));
    if (it == streams_.end()) return Status::Ok();
    SPATE_TRY(RemoveLocked(it, &drop_groups));
  }
  for (const std::string& g : drop_groups) logs_->DropGroup(g).IgnoreError();
  return Status::Ok();
}

std::vector<std::string> Registry::StreamKeys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(streams_.size());
  for (const auto& [k, s] : streams_) out.push_back(k);
  return out;
}

void Registry::RunMaintenance() {
  int64_t now = clock_->NowMs();
  std::vector<std::string> drop_groups;
  // In cluster mode only the catalog's owner changes records; the other
  // nodes mirror them (ApplyReplicated) and only enforce retention here.
  const bool owner = OwnsCatalog();
  if (owner) {
    std::unique_lock lock(mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      Stream& s = *it->second;
      StreamMeta& m = s.meta_;
      if (StreamMeta next = m; AdvanceConsumers(&next, now, options_.state_delay_ms)) {
        Status st = catalog_->PutStream(next);
        if (st.ok()) {
          LogStreamChanges(&m, &next);
          m = std::move(next);
        } else {
          SPATE_LOG_ERROR("cannot update consumers of stream " + m.name + ": " + st.ToString());
        }
      }
      bool due = m.status != StreamStatus::kActive && now - m.status_since_ms >= options_.state_delay_ms;
      if (!due) {
        ++it;
        continue;
      }
      if (m.status == StreamStatus::kDeleting) {
        auto next = std::next(it);
        Status st = RemoveLocked(it, &drop_groups);
        if (!st.ok()) {
          SPATE_LOG_ERROR("cannot delete stream " + m.name + " from the catalog: " + st.ToString());
          ++it;
          continue;
        }
        it = next;
        continue;
      }
      ActivateStream(s, now);
      ++it;
    }
  }
  if (owner) ScaleOnDemandStreams();
  for (const std::string& g : drop_groups) {
    Status st = logs_->DropGroup(g);
    if (!st.ok()) SPATE_LOG_ERROR("cannot remove data of " + g + ": " + st.ToString());
  }

  if (now - last_retention_ms_ >= options_.retention_check_ms) {
    last_retention_ms_ = now;
    std::vector<std::pair<std::shared_ptr<storage::ShardLog>, int64_t>> work;
    {
      std::shared_lock lock(mu_);
      for (const auto& [k, s] : streams_) {
        int64_t cutoff = now - static_cast<int64_t>(s->meta_.retention_hours) * 3'600'000;
        for (const auto& [idx, log] : s->logs_) work.emplace_back(log, cutoff);
      }
    }
    for (auto& [log, cutoff] : work) {
      Status st = log->DropBefore(cutoff);
      if (!st.ok()) SPATE_LOG_WARN("retention: " + st.ToString());
    }
  }
}

}  // namespace spate::streams
