#include "analytics/exec/hotspots.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <string>

namespace spate::analytics::exec {

std::vector<Hotspot> HotspotDetector::Add(std::vector<double> point) {
  window_.push_back(std::move(point));
  while (window_.size() > static_cast<size_t>(options_.window_size)) window_.pop_front();
  return Find();
}

std::vector<Hotspot> HotspotDetector::Find() const {
  const size_t n = window_.size();
  const size_t dims = static_cast<size_t>(options_.dimensions);
  const double eps = options_.scan_radius;
  const double eps2 = eps * eps;
  // Points by their first coordinate: neighbours lie in a slab of it.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return window_[a][0] < window_[b][0]; });
  std::vector<std::vector<uint32_t>> neighbours(n);  // positions in `order`
  for (size_t i = 0; i < n; ++i) {
    const std::vector<double>& p = window_[order[i]];
    for (size_t j = i + 1; j < n; ++j) {
      const std::vector<double>& q = window_[order[j]];
      if (q[0] - p[0] > eps) break;
      double d2 = 0;
      for (size_t d = 0; d < dims && d2 <= eps2; ++d) d2 += (p[d] - q[d]) * (p[d] - q[d]);
      if (d2 <= eps2) {
        neighbours[i].push_back(static_cast<uint32_t>(j));
        neighbours[j].push_back(static_cast<uint32_t>(i));
      }
    }
  }
  const size_t min_points = static_cast<size_t>(options_.min_points);
  auto core = [&](size_t i) { return neighbours[i].size() + 1 >= min_points; };
  std::vector<int> cluster(n, -1);
  std::vector<Hotspot> hotspots;
  std::vector<size_t> stack;
  for (size_t seed = 0; seed < n; ++seed) {
    if (cluster[seed] >= 0 || !core(seed)) continue;
    const int id = static_cast<int>(hotspots.size());
    Hotspot h;
    h.min_values = window_[order[seed]];
    h.max_values = window_[order[seed]];
    auto take = [&](size_t i) {
      cluster[i] = id;
      ++h.points;
      const std::vector<double>& p = window_[order[i]];
      for (size_t d = 0; d < dims; ++d) {
        h.min_values[d] = std::min(h.min_values[d], p[d]);
        h.max_values[d] = std::max(h.max_values[d], p[d]);
      }
    };
    take(seed);
    stack.assign(1, seed);
    while (!stack.empty()) {
      size_t i = stack.back();
      stack.pop_back();
      for (uint32_t j : neighbours[i]) {
        if (cluster[j] >= 0) continue;
        take(j);
        if (core(j)) stack.push_back(j);  // border points join but do not spread
      }
    }
    double volume = 1;
    for (size_t d = 0; d < dims; ++d) volume *= std::max(h.max_values[d] - h.min_values[d], eps);
    h.density = static_cast<double>(h.points) / volume;
    hotspots.push_back(std::move(h));
  }
  std::stable_sort(hotspots.begin(), hotspots.end(),
                   [](const Hotspot& a, const Hotspot& b) { return a.density > b.density; });
  return hotspots;
}

namespace {

void AppendNumber(double v, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, ec == std::errc() ? end : buf);
}

void AppendArray(const std::vector<double>& values, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out->push_back(',');
    AppendNumber(values[i], out);
  }
  out->push_back(']');
}

}  // namespace

std::string HotspotsJson(const std::vector<Hotspot>& hotspots) {
  std::string out = "{\"hotspots\":[";
  for (size_t i = 0; i < hotspots.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"density\":";
    AppendNumber(hotspots[i].density, &out);
    out += ",\"minValues\":";
    AppendArray(hotspots[i].min_values, &out);
    out += ",\"maxValues\":";
    AppendArray(hotspots[i].max_values, &out);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

}  // namespace spate::analytics::exec
