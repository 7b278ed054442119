#pragma once

#include <string>

#include "analytics/application.h"
#include "base/status.h"

namespace spate::analytics {

// What runs applications: the control plane (Applications) checks
// configurations with it and starts and stops each application's runner
// through it; the implementation (runner.h, over the SQL engine) lives in
// spate_analytics_runtime so that the control plane builds and is tested
// without the engine. Thread-safe.
class Runtime {
 public:
  virtual ~Runtime() = default;

  // Compiles the application's code against its inputs and reference
  // tables: kCodeValidation (CodeValidationException, naming line and
  // column), kInvalidArgument for a schema the engine refuses (an unknown
  // SqlType). An application without code or input is not checked.
  virtual Status Check(const ApplicationMeta& app) = 0;

  // Starts the application's runner, or restarts it with `app`'s
  // configuration if it runs. The input starts at app.starting_position
  // (LAST_STOPPED_POINT: the checkpointed positions). Errors:
  // kInvalidApplicationConfiguration (no input, a missing source stream).
  virtual Status Run(const ApplicationMeta& app) = 0;

  // Stops the runner of the application `key` (ApplicationMeta::Key) and
  // waits for it; its positions stay checkpointed. No-op if none runs.
  virtual void Halt(const std::string& key) = 0;

  // The application exists but does not run (READY) when spated starts:
  // its input keeps what the application has not read yet (a delivery
  // stream's hold, record_reader.h), for a later LAST_STOPPED_POINT.
  virtual void Retain(const ApplicationMeta& app) = 0;

  // Forgets the positions of a deleted application instance, and lets its
  // input go.
  virtual void Forget(const std::string& instance) = 0;
};

}  // namespace spate::analytics
