#include "metrics/registry.h"

#include <charconv>
#include <cmath>

#include "base/assert.h"

namespace spate::metrics {
namespace {

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"` (no closing brace: a histogram appends le=); empty when
// there are no labels and no `extra`.
void WriteLabels(const std::vector<std::string>& names, const LabelValues& values, std::string_view extra_name,
                 std::string_view extra_value, std::string* out) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(names[i]);
    out->append("=\"");
    out->append(EscapeLabelValue(values[i]));
    out->push_back('"');
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

void WriteSample(std::string_view name, std::string_view suffix, const std::vector<std::string>& label_names,
                 const LabelValues& values, std::string_view extra_name, std::string_view extra_value,
                 std::string_view value, std::string* out) {
  out->append(name);
  out->append(suffix);
  WriteLabels(label_names, values, extra_name, extra_value, out);
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

// Shows a callback's value as a series without labels.
class CallbackFamily final : public FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, Type type, std::function<double()> read)
      : FamilyBase(std::move(name), std::move(help), type, {}), read_(std::move(read)) {}
  void Write(std::string* out) const override {
    WriteHeader(out);
    WriteSample(name_, "", {}, {}, {}, {}, FormatValue(read_()), out);
  }

 private:
  const std::function<double()> read_;
};

}  // namespace

std::string EscapeHelp(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLabelValue(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Plain decimals where Go's strconv 'g' (Prometheus' own clients) writes
  // them, so bucket bounds read "0.0005" and not "5e-04".
  double mag = std::fabs(v);
  auto format = v == 0 || (mag >= 1e-4 && mag < 1e15) ? std::chars_format::fixed : std::chars_format::scientific;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
  SPATE_ASSERT(ec == std::errc(), "a double fits in 64 characters");
  return std::string(buf, end);
}

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  return ValidMetricName(name) && name.find(':') == std::string_view::npos && name != "le";
}

// ------------------------------------------------------------ FamilyBase

FamilyBase::FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  SPATE_ASSERT(ValidMetricName(name_), "invalid metric name");
  for (const std::string& l : label_names_) SPATE_ASSERT(ValidLabelName(l), "invalid label name");
}

void FamilyBase::Remove(const LabelValues& values) {
  std::lock_guard<std::mutex> lock(mu_);
  series_.erase(values);
}

void FamilyBase::RemoveIf(const std::function<bool(const LabelValues&)>& pred) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(series_, [&](const auto& entry) { return pred(entry.first); });
}

size_t FamilyBase::SeriesCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.size();
}

void FamilyBase::WriteHeader(std::string* out) const {
  out->append("# HELP ");
  out->append(name_);
  out->push_back(' ');
  out->append(EscapeHelp(help_));
  out->append("\n# TYPE ");
  out->append(name_);
  out->push_back(' ');
  out->append(TypeName(type_));
  out->push_back('\n');
}

std::shared_ptr<void> FamilyBase::FindOrAdd(const LabelValues& values,
                                            const std::function<std::shared_ptr<void>()>& make) {
  SPATE_ASSERT(values.size() == label_names_.size(), "one value per label name");
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = series_.try_emplace(values);
  if (inserted) it->second = make();
  return it->second;
}

// ---------------------------------------------------------------- Family

template <>
std::shared_ptr<void> Family<Counter>::Make() const {
  return std::make_shared<Counter>();
}
template <>
std::shared_ptr<void> Family<Gauge>::Make() const {
  return std::make_shared<Gauge>();
}
template <>
std::shared_ptr<void> Family<Histogram>::Make() const {
  return std::make_shared<Histogram>(buckets_);
}

template <>
void Family<Counter>::Write(std::string* out) const {
  WriteHeader(out);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, series] : series_) {
    WriteSample(name_, "", label_names_, values, {}, {},
                std::to_string(static_cast<const Counter*>(series.get())->Value()), out);
  }
}

template <>
void Family<Gauge>::Write(std::string* out) const {
  WriteHeader(out);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, series] : series_) {
    WriteSample(name_, "", label_names_, values, {}, {},
                std::to_string(static_cast<const Gauge*>(series.get())->Value()), out);
  }
}

template <>
void Family<Histogram>::Write(std::string* out) const {
  WriteHeader(out);
  std::vector<std::string> bounds;
  for (uint64_t b : buckets_.bounds) bounds.push_back(FormatValue(static_cast<double>(b) / buckets_.per_unit));
  bounds.push_back("+Inf");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, series] : series_) {
    Histogram::Snapshot s = static_cast<const Histogram*>(series.get())->Read();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < s.counts.size(); ++i) {
      cumulative += s.counts[i];
      WriteSample(name_, "_bucket", label_names_, values, "le", bounds[i], std::to_string(cumulative), out);
    }
    WriteSample(name_, "_sum", label_names_, values, {}, {},
                FormatValue(static_cast<double>(s.sum) / buckets_.per_unit), out);
    WriteSample(name_, "_count", label_names_, values, {}, {}, std::to_string(s.count), out);
  }
}

// -------------------------------------------------------------- Registry

void Registry::Add(std::unique_ptr<FamilyBase> family) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = families_.try_emplace(family->name());
  SPATE_ASSERT(inserted, "metric family registered twice");
  it->second = std::move(family);
}

Family<Counter>* Registry::AddCounter(std::string name, std::string help, std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Counter>>(std::move(name), std::move(help), Type::kCounter, std::move(label_names));
  Family<Counter>* raw = f.get();
  Add(std::move(f));
  return raw;
}

Family<Gauge>* Registry::AddGauge(std::string name, std::string help, std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Gauge>>(std::move(name), std::move(help), Type::kGauge, std::move(label_names));
  Family<Gauge>* raw = f.get();
  Add(std::move(f));
  return raw;
}

Family<Histogram>* Registry::AddHistogram(std::string name, std::string help, Buckets buckets,
                                          std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Histogram>>(std::move(name), std::move(help), Type::kHistogram,
                                               std::move(label_names), std::move(buckets));
  Family<Histogram>* raw = f.get();
  Add(std::move(f));
  return raw;
}

void Registry::AddCallback(std::string name, std::string help, Type type, std::function<double()> read) {
  SPATE_ASSERT(type != Type::kHistogram, "a callback is a counter or a gauge");
  Add(std::make_unique<CallbackFamily>(std::move(name), std::move(help), type, std::move(read)));
}

void Registry::Remove(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) families_.erase(it);
}

std::string Registry::Scrape() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) family->Write(&out);
  return out;
}

}  // namespace spate::metrics
