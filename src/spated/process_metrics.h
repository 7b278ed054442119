#pragma once

#include "metrics/registry.h"

namespace spate::spated {

// The standard process_* metrics of Prometheus' client libraries, read
// from /proc/self at scrape time: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds (the time
// of this call, made at start-up). Linux only; a value that cannot be read
// is reported as NaN.
void RegisterProcessMetrics(metrics::Registry* registry);

}  // namespace spate::spated
