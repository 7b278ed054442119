#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric.h"

namespace spate::metrics {

enum class Type { kCounter, kGauge, kHistogram };

using LabelValues = std::vector<std::string>;

// One metric family: a name, its HELP text, its TYPE, its label names and
// its series, one per combination of label values. Series are created
// once (Get, when the thing they measure appears, e.g. a stream) and the
// returned handle is what the hot path updates: no lookup per update.
//
// A series removed from the family (Remove, RemoveIf) disappears from the
// exposition; handles still held keep working, their updates are just no
// longer seen. Thread-safe.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Removes the series with exactly these label values, if any.
  void Remove(const LabelValues& values);
  // Removes every series whose label values satisfy `pred`.
  void RemoveIf(const std::function<bool(const LabelValues&)>& pred);
  size_t SeriesCount() const;

  // Appends the family in the Prometheus text format (version 0.0.4):
  // HELP, TYPE, then the series sorted by label values. A family without
  // series is written as HELP and TYPE only.
  virtual void Write(std::string* out) const = 0;

 protected:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  mutable std::mutex mu_;
  // Guarded by mu_; by label values, hence sorted.
  std::map<LabelValues, std::shared_ptr<void>> series_;

  void WriteHeader(std::string* out) const;
  std::shared_ptr<void> FindOrAdd(const LabelValues& values, const std::function<std::shared_ptr<void>()>& make);
};

// A family of T (Counter, Gauge or Histogram).
template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names, Buckets buckets = {})
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)), buckets_(std::move(buckets)) {}

  // The series with these label values (as many as the family has label
  // names), created at the first call. Not for the hot path: call once and
  // keep the handle.
  std::shared_ptr<T> Get(const LabelValues& values) {
    return std::static_pointer_cast<T>(FindOrAdd(values, [this] { return Make(); }));
  }

  void Write(std::string* out) const override;

 private:
  std::shared_ptr<void> Make() const;
  const Buckets buckets_;  // histograms only
};

// Defined in registry.cc for the three kinds.
template <>
std::shared_ptr<void> Family<Counter>::Make() const;
template <>
std::shared_ptr<void> Family<Gauge>::Make() const;
template <>
std::shared_ptr<void> Family<Histogram>::Make() const;
template <>
void Family<Counter>::Write(std::string* out) const;
template <>
void Family<Gauge>::Write(std::string* out) const;
template <>
void Family<Histogram>::Write(std::string* out) const;

// Every family of one server (or one test), written out on scrape. Names
// follow Prometheus conventions (snake_case, a unit suffix, `_total` on
// counters); the registry checks the characters, not the conventions.
// Families live as long as the registry. Thread-safe.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each name may be registered once (asserted).
  Family<Counter>* AddCounter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Gauge>* AddGauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Histogram>* AddHistogram(std::string name, std::string help, Buckets buckets,
                                  std::vector<std::string> label_names = {});
  // A series without labels whose value is computed at scrape time (a
  // store's bytes on disk, the open connections): `read` runs on the
  // scraping thread, must be thread-safe and must not block for long.
  // `type` is kCounter or kGauge.
  void AddCallback(std::string name, std::string help, Type type, std::function<double()> read);
  // Unregisters a family (no-op if absent): for families whose source goes
  // away before the registry, such as a callback reading a closed store.
  // Waits for a scrape in progress. Pointers to the family become invalid;
  // handles of its series stay valid.
  void Remove(std::string_view name);

  // Every family, sorted by name, in the text format (version 0.0.4).
  std::string Scrape() const;

  // The Content-Type of Scrape()'s output.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void Add(std::unique_ptr<FamilyBase> family);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;  // guarded by mu_; by name
};

// The text format's escapes: in HELP, backslash and newline; in label
// values, backslash, double quote and newline.
std::string EscapeHelp(std::string_view s);
std::string EscapeLabelValue(std::string_view s);
// A sample value or bucket bound: the shortest decimal that reads back as
// `v` ("0.0005", "1", "2.5e-05"), "+Inf", "-Inf" or "NaN".
std::string FormatValue(double v);
// A metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);

}  // namespace spate::metrics
