#pragma once

// Hotspot detection over a sliding window of points, the model behind the
// HOTSPOTS table function. The window holds the last `window_size` points;
// after each point, the window is clustered density-based (DBSCAN, which
// AWS's page names as the analogue: `scan_radius` is its epsilon and
// `min_points` its minimum number of points): a point with at least
// `min_points` points (itself included) within `scan_radius` (Euclidean) is a
// core point; core points within `scan_radius` of each other form one
// hotspot, with the non-core points within `scan_radius` of one of its core
// points. A hotspot reports its bounding box and its density: its number of
// points divided by its size, the volume of the box, each side counted as at
// least `scan_radius` (a flat box would otherwise have no volume).
//
// Cost per point: the window is sorted by its first coordinate and each
// point's neighbours are looked for among those within `scan_radius` in that
// coordinate, so about window x (points in a 2 x scan_radius slab) distance
// computations. Memory: window_size points. Not thread-safe.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace spate::analytics::exec {

struct HotspotsOptions {
  int dimensions = 1;
  int window_size = 100;
  double scan_radius = 1;
  int min_points = 2;
};

struct Hotspot {
  double density = 0;
  int64_t points = 0;
  std::vector<double> min_values;  // per dimension
  std::vector<double> max_values;
};

class HotspotDetector {
 public:
  explicit HotspotDetector(const HotspotsOptions& options) : options_(options) {}

  // Slides the window over `point` (size `dimensions`) and returns the
  // window's hotspots, densest first.
  std::vector<Hotspot> Add(std::vector<double> point);

  size_t WindowPoints() const { return window_.size(); }

 private:
  std::vector<Hotspot> Find() const;
  HotspotsOptions options_;
  std::deque<std::vector<double>> window_;
};

// {"hotspots":[{"density":..,"minValues":[..],"maxValues":[..]},..]}: the
// shape AWS's hotspots viewer example parses.
std::string HotspotsJson(const std::vector<Hotspot>& hotspots);

}  // namespace spate::analytics::exec
