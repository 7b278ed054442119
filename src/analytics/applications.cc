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
    // A stopped application's delivery-stream input keeps what it has not
    // read, for a later LAST_STOPPED_POINT.
    if ((app.status == AppStatus::kReady || app.status == AppStatus::kStopping) && runtime_ != nullptr) {
      runtime_->Retain(app);
    }
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
    AdvanceStates();
  }
}

void Applications::AdvanceStates() {
  // A hand-off picked under mu_ and carried out without it, so that no API
  // call waits for a runner to start or stop.
  struct Work {
    std::string key;
    AppStatus from;
    int64_t since;
    ApplicationMeta meta;  // the configuration to run (STARTING, UPDATING, a restart)
    bool restart = false;  // a RUNNING application's configuration changed
  };
  std::vector<Work> work;
  int64_t now = clock_->NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, app] : apps_) {
      if (app.status == AppStatus::kRunning && restart_pending_.erase(key) > 0) {
        work.push_back(Work{key, app.status, app.status_since_ms, app, true});
        continue;
      }
      if (app.status == AppStatus::kReady || app.status == AppStatus::kRunning ||
          now - app.status_since_ms < options_.state_delay_ms) {
        continue;
      }
      work.push_back(Work{key, app.status, app.status_since_ms, app, false});
    }
    restart_pending_.clear();  // those of applications no longer running
  }
  for (Work& w : work) {
    Status run = Status::Ok();
    if (w.from == AppStatus::kStopping || w.from == AppStatus::kDeleting) {
      if (runtime_ != nullptr) runtime_->Halt(w.key);
    } else {  // STARTING, UPDATING or a restart: the runner takes the configuration.
      run = runtime_ != nullptr ? runtime_->Run(w.meta) : Status(ErrorCode::kUnsupportedOperation, "no SQL engine");
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = apps_.find(w.key);
    if (it == apps_.end()) continue;
    ApplicationMeta& app = it->second;
    if (w.restart) {
      if (!run.ok())
        SPATE_LOG_ERROR("application " + app.name + " cannot run its new configuration: " + run.ToString());
      continue;
    }
    // A status changed meanwhile (StopApplication while STARTING) is the
    // next pass's to move on.
    if (app.status != w.from || app.status_since_ms != w.since) continue;
    if (app.status == AppStatus::kDeleting) {
      Status st = catalog_->DeleteEntry(kApplicationNamespace, app.Key());
      if (!st.ok()) {
        SPATE_LOG_ERROR("cannot delete application " + app.name + ": " + st.ToString());
        continue;
      }
      if (runtime_ != nullptr) runtime_->Forget(app.instance);
      SPATE_LOG_INFO("application " + app.name + " deleted");
      apps_.erase(it);
      continue;
    }
    ApplicationMeta next = app;
    next.status_since_ms = clock_->NowMs();
    if (app.status == AppStatus::kStopping) {
      next.status = AppStatus::kReady;
    } else {
      next.status = AppStatus::kRunning;
      if (!run.ok()) {
        SPATE_LOG_ERROR("application " + app.name + " cannot run: " + run.ToString());
        next.status = AppStatus::kReady;
      }
    }
    Status st = catalog_->PutEntry(kApplicationNamespace, next.Key(), EncodeApplicationMeta(next));
    if (!st.ok()) {
      SPATE_LOG_ERROR("cannot update application " + app.name + ": " + st.ToString());
    } else {
      app = std::move(next);
    }
  }
}

}  // namespace spate::analytics
