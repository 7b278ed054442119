#include "analytics/applications.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/log.h"

namespace spate::analytics {

Status Applications::Start() {
  SPATE_ASSIGN_OR_RETURN(auto entries, catalog_->LoadEntries(kApplicationNamespace));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, value] : entries) {
    SPATE_ASSIGN_OR_RETURN(ApplicationMeta m, DecodeApplicationMeta(value));
    std::string k = m.Key();
    apps_[k] = std::move(m);
  }
  // A running application resumes where it stopped: its runner starts from
  // the checkpointed positions (those it had read before the restart).
  for (auto& [key, app] : apps_) {
    // (UPDATING too: its runner ran before the restart, and the state
    // machine restarts it with the new configuration from the checkpoint.)
    if (app.status != AppStatus::kRunning && app.status != AppStatus::kUpdating) continue;
    if (runtime_ == nullptr) {
      SPATE_LOG_ERROR("application " + app.name + " was running but this server has no SQL engine");
      continue;
    }
    ApplicationMeta resumed = app;
    resumed.starting_position = "LAST_STOPPED_POINT";
    Status st = runtime_->Run(resumed);
    if (!st.ok()) SPATE_LOG_ERROR("application " + app.name + " cannot resume: " + st.ToString());
  }
  state_thread_ = std::thread([this] { RunStateMachine(); });
  return Status::Ok();
}

void Applications::Stop() {
  {
    std::lock_guard<std::mutex> l(state_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  state_cv_.notify_all();
  if (state_thread_.joinable()) state_thread_.join();
  if (runtime_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, app] : apps_) runtime_->Halt(key);
}

void Applications::RunStateMachine() {
  int64_t poll_ms = std::clamp<int64_t>(options_.state_delay_ms / 20, 5, 100);
  for (;;) {
    {
      std::unique_lock<std::mutex> l(state_mu_);
      state_cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [this] { return stopping_; });
      if (stopping_) return;
    }
    int64_t now = clock_->NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = apps_.begin(); it != apps_.end();) {
      ApplicationMeta& app = it->second;
      if (app.status == AppStatus::kReady || app.status == AppStatus::kRunning ||
          now - app.status_since_ms < options_.state_delay_ms) {
        ++it;
        continue;
      }
      if (app.status == AppStatus::kDeleting) {
        Status st = catalog_->DeleteEntry(kApplicationNamespace, app.Key());
        if (!st.ok()) {
          SPATE_LOG_ERROR("cannot delete application " + app.name + ": " + st.ToString());
          ++it;
          continue;
        }
        if (runtime_ != nullptr) runtime_->Forget(app.instance);
        SPATE_LOG_INFO("application " + app.name + " deleted");
        it = apps_.erase(it);
        continue;
      }
      ApplicationMeta next = app;
      next.status_since_ms = now;
      if (app.status == AppStatus::kStopping) {
        next.status = AppStatus::kReady;
      } else {  // STARTING or UPDATING: the runner takes the configuration.
        next.status = AppStatus::kRunning;
        Status st =
            runtime_ != nullptr ? runtime_->Run(next) : Status(ErrorCode::kUnsupportedOperation, "no SQL engine");
        if (!st.ok()) {
          SPATE_LOG_ERROR("application " + app.name + " cannot run: " + st.ToString());
          next.status = AppStatus::kReady;
        }
      }
      Status st = catalog_->PutEntry(kApplicationNamespace, next.Key(), EncodeApplicationMeta(next));
      if (!st.ok()) {
        SPATE_LOG_ERROR("cannot update application " + app.name + ": " + st.ToString());
      } else {
        app = std::move(next);
      }
      ++it;
    }
  }
}

}  // namespace spate::analytics
