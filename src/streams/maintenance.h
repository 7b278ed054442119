#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "base/status.h"

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

// A background thread that runs queued tasks one at a time, in order: work
// kept off the I/O threads (the exactly-once recovery scan). Every task runs
// exactly once: on the thread with Ok, or with kUnavailable when the thread
// is stopping (inline in Run when queued after Stop, in Stop for tasks
// still queued then), so a task holding a request's callback always
// answers it. Thread-safe; a task may queue more tasks.
class TaskThread {
 public:
  using Task = std::function<void(Status)>;
  TaskThread() = default;
  ~TaskThread() { Stop(); }
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues `task`, starting the thread on first use.
  void Run(Task task);
  // Lets a task already running complete, joins the thread, then runs the
  // tasks still queued with kUnavailable. Safe to call more than once.
  void Stop();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;      // started under mu_
};

}  // namespace spate::streams
