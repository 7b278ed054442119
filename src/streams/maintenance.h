#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace spate::streams {

// A background thread that runs one task every tick until stopped: the
// registry's maintenance (state transitions, on-demand scaling, retention).
// Start and Stop are called from one owning thread; the task runs only on
// the background thread, never concurrently with itself.
class MaintenanceThread {
 public:
  MaintenanceThread() = default;
  ~MaintenanceThread() { Stop(); }
  MaintenanceThread(const MaintenanceThread&) = delete;
  MaintenanceThread& operator=(const MaintenanceThread&) = delete;

  // Starts the thread: `task` runs every `tick_ms` (the first run one tick
  // from now). At most once per object.
  void Start(int64_t tick_ms, std::function<void()> task);
  // Wakes the thread and joins it (a task already running completes first).
  // Safe to call more than once, and without Start.
  void Stop();

 private:
  void Loop(int64_t tick_ms, const std::function<void()>& task);

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace spate::streams
