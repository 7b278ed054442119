#include "spated/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace spate::spated {
namespace {

// Fields 14 (utime) and 15 (stime), in clock ticks, and 23 (vsize, bytes)
// of /proc/self/stat; field 2 (comm) may hold spaces, so fields are counted
// after its closing parenthesis.
struct ProcStat {
  double cpu_seconds = NAN;
  double virtual_bytes = NAN;
};

ProcStat ReadProcStat() {
  ProcStat out;
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return out;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  double utime = 0, stime = 0;
  // After ')' come field 3 (state) onwards.
  for (int n = 3; rest >> field; ++n) {
    if (n == 14) utime = std::stod(field);
    if (n == 15) stime = std::stod(field);
    if (n == 23) {
      out.virtual_bytes = std::stod(field);
      out.cpu_seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
      break;
    }
  }
  return out;
}

double ResidentBytes() {
  std::ifstream f("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(f >> size >> resident)) return NAN;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return ec ? NAN : n;
}

double MaxFds() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return NAN;
  return r.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(r.rlim_cur);
}

}  // namespace

void RegisterProcessMetrics(metrics::Registry* registry) {
  using metrics::Type;
  const double start = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry->AddCallback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::kCounter,
                        [] { return ReadProcStat().cpu_seconds; });
  registry->AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge,
                        [] { return ReadProcStat().virtual_bytes; });
  registry->AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge, ResidentBytes);
  registry->AddCallback("process_open_fds", "Number of open file descriptors.", Type::kGauge, OpenFds);
  registry->AddCallback("process_max_fds", "Maximum number of open file descriptors.", Type::kGauge, MaxFds);
  registry->AddCallback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                        Type::kGauge, [start] { return start; });
}

}  // namespace spate::spated
