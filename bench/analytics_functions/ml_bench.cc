// CPU cost per row of the models behind RANDOM_CUT_FOREST(_WITH_EXPLANATION)
// and HOTSPOTS, in process, one thread, on uniform random points (a fixed
// seed). Reports microseconds of process CPU time per row, so a machine
// shared with other work slows it less than wall time would show.
//
//   analytics_ml_bench [rows]   (default 5000; at most 1,000,000)

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "analytics/exec/hotspots.h"
#include "analytics/exec/random_cut_forest.h"

namespace {

using spate::analytics::exec::ForestOptions;
using spate::analytics::exec::HotspotDetector;
using spate::analytics::exec::HotspotsOptions;
using spate::analytics::exec::RandomCutForest;

constexpr long kMaxRows = 1000000;

double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 5000;
  if (rows < 1 || rows > kMaxRows) {
    std::fprintf(stderr, "rows must be 1 to %ld\n", kMaxRows);
    return 2;
  }
  std::mt19937_64 rng(1);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  double sink = 0;  // keeps the results alive
  for (int dims : {1, 2, 6}) {
    RandomCutForest forest(ForestOptions{dims, 100, 256, 100000, 3});
    std::vector<double> p(static_cast<size_t>(dims));
    double t0 = CpuSeconds();
    for (long i = 0; i < rows; ++i) {
      for (double& x : p) x = uniform();
      sink += forest.Score(p);
      forest.Update(p);
    }
    double t1 = CpuSeconds();
    for (long i = 0; i < rows; ++i) {
      for (double& x : p) x = uniform();
      sink += forest.Attribute(p).Total();
    }
    double t2 = CpuSeconds();
    std::printf(
        "RANDOM_CUT_FOREST 100 trees x 256, %d dimension(s): score + update %.1f us/row, explanation %.1f us/row\n",
        dims, (t1 - t0) / static_cast<double>(rows) * 1e6, (t2 - t1) / static_cast<double>(rows) * 1e6);
  }
  for (int window : {100, 1000}) {
    HotspotDetector detector(HotspotsOptions{2, window, 0.2, 17});
    double t0 = CpuSeconds();
    for (long i = 0; i < rows; ++i) sink += static_cast<double>(detector.Add({10 * uniform(), 10 * uniform()}).size());
    std::printf("HOTSPOTS window %d, 2 dimensions: %.1f us/row\n", window,
                (CpuSeconds() - t0) / static_cast<double>(rows) * 1e6);
  }
  std::printf("(checksum %g)\n", sink);
  return 0;
}
