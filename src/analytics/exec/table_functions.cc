#include "analytics/exec/table_functions.h"

#include <cmath>
#include <cstdio>

#include "analytics/exec/value_ops.h"

namespace spate::analytics::exec {

namespace {

// The forest's seed: fixed, so a program gives the same scores for the same
// rows on every run.
constexpr uint64_t kForestSeed = 0x6b64612d72636621;  // "kda-rcf!"

// The used columns of `row` as doubles; false if one is NULL or not finite.
bool Numbers(const Row& row, const std::vector<int>& columns, std::vector<double>* out) {
  out->clear();
  for (int c : columns) {
    const Value& v = row.values[static_cast<size_t>(c)];
    if (IsNull(v)) return false;
    double d = ToDouble(v);
    if (!std::isfinite(d)) return false;
    out->push_back(d);
  }
  return true;
}

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

std::string Fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

AnomalyOperator::AnomalyOperator(const binder::BoundAnomaly* spec)
    : spec_(spec),
      forest_(ForestOptions{static_cast<int>(spec->columns.size()) * spec->shingle_size, spec->trees, spec->sample_size,
                            spec->time_decay, kForestSeed}) {}

void AnomalyOperator::Push(Row row, Sink* sink) {
  std::vector<double> values;
  if (!Numbers(row, spec_->columns, &values)) {
    row.values.emplace_back();
    if (spec_->explanation) row.values.emplace_back();
    Emit(std::move(row), sink);
    return;
  }
  shingle_.push_back(std::move(values));
  if (shingle_.size() > static_cast<size_t>(spec_->shingle_size)) shingle_.pop_front();
  double score = 0;
  std::optional<Attribution> attribution;
  if (shingle_.size() == static_cast<size_t>(spec_->shingle_size)) {
    std::vector<double> point;
    point.reserve(shingle_.size() * spec_->columns.size());
    for (const auto& s : shingle_) point.insert(point.end(), s.begin(), s.end());
    if (forest_.updates() >= static_cast<uint64_t>(spec_->sample_size)) {
      if (spec_->explanation) {
        attribution = forest_.Attribute(point);
        score = attribution->Total();
      } else {
        score = forest_.Score(point);
      }
    }
    forest_.Update(point);
  }
  row.values.emplace_back(score);
  if (spec_->explanation) row.values.emplace_back(Explanation(attribution ? &*attribution : nullptr));
  Emit(std::move(row), sink);
}

std::string AnomalyOperator::Explanation(const Attribution* attribution) const {
  const size_t columns = spec_->columns.size();
  std::string out = "{";
  for (size_t c = 0; c < columns; ++c) {
    double high = 0, low = 0;
    if (attribution) {
      for (size_t pos = c; pos < attribution->high.size(); pos += columns) {
        high += attribution->high[pos];
        low += attribution->low[pos];
      }
    }
    if (c) out.push_back(',');
    AppendJsonString(spec_->names[c], &out);
    out += ":{";
    if (spec_->directional) {
      out += high > low ? "\"DIRECTION\":\"HIGH\"" : "\"DIRECTION\":\"LOW\"";
      out += ",\"STRENGTH\":\"" + Fixed4(std::abs(high - low)) + "\",";
    }
    out += "\"ATTRIBUTION_SCORE\":\"" + Fixed4(high + low) + "\"}";
  }
  out.push_back('}');
  return out;
}

HotspotsOperator::HotspotsOperator(const binder::BoundHotspots* spec)
    : spec_(spec),
      detector_(HotspotsOptions{static_cast<int>(spec->columns.size()), spec->window_size, spec->scan_radius,
                                spec->min_points}) {}

void HotspotsOperator::Push(Row row, Sink* sink) {
  std::vector<double> values;
  if (!Numbers(row, spec_->columns, &values)) {
    row.values.emplace_back();
    Emit(std::move(row), sink);
    return;
  }
  row.values.emplace_back(HotspotsJson(detector_.Add(std::move(values))));
  Emit(std::move(row), sink);
}

}  // namespace spate::analytics::exec
