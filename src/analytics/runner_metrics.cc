#include "analytics/runner_metrics.h"

namespace spate::analytics {
namespace {

const std::vector<std::string> kAppLabels = {"account", "region", "application_name"};
const std::vector<std::string> kIdLabels = {"account", "region", "application_name", "id"};

}  // namespace

RunnerMetrics::RunnerMetrics(metrics::Registry* registry) {
  metrics::Registry* r = registry != nullptr ? registry : &own_;
  input_records_ = r->AddCounter("spate_analytics_input_records_total",
                                 "Records (Flow=Input): records read from the application's input.", kIdLabels);
  input_bytes_ =
      r->AddCounter("spate_analytics_input_bytes_total",
                    "Bytes (Flow=Input): bytes of the records read from the application's input.", kIdLabels);
  millis_behind_ = r->AddGauge("spate_analytics_millis_behind_latest",
                               "MillisBehindLatest: how far behind the input stream's latest record the "
                               "application reads; 0 when caught up.",
                               kIdLabels);
  error_rows_ = r->AddCounter("spate_analytics_error_rows_total",
                              "Rows sent to error_stream (parse, cast and runtime errors).", kAppLabels);
  output_records_ = r->AddCounter("spate_analytics_output_records_total",
                                  "Records (Flow=Output): records written to the output's destination.", kIdLabels);
  output_bytes_ =
      r->AddCounter("spate_analytics_output_bytes_total",
                    "Bytes (Flow=Output): bytes of the records written to the output's destination.", kIdLabels);
  output_failed_ = r->AddCounter("spate_analytics_output_failed_attempts_total",
                                 "Records whose write to the output's destination failed and is retried.", kIdLabels);
}

std::shared_ptr<ApplicationMetrics> RunnerMetrics::ForApplication(const std::string& account, const std::string& region,
                                                                  const std::string& name,
                                                                  const std::string& input_id) {
  metrics::LabelValues v = {account, region, name, input_id};
  auto m = std::make_shared<ApplicationMetrics>();
  m->input_records = input_records_->Get(v);
  m->input_bytes = input_bytes_->Get(v);
  m->millis_behind_latest = millis_behind_->Get(v);
  m->error_rows = error_rows_->Get({account, region, name});
  return m;
}

std::shared_ptr<OutputMetrics> RunnerMetrics::ForOutput(const std::string& account, const std::string& region,
                                                        const std::string& name, const std::string& output_id) {
  metrics::LabelValues v = {account, region, name, output_id};
  auto m = std::make_shared<OutputMetrics>();
  m->records = output_records_->Get(v);
  m->bytes = output_bytes_->Get(v);
  m->failed_attempts = output_failed_->Get(v);
  return m;
}

void RunnerMetrics::Remove(const std::string& account, const std::string& region, const std::string& name) {
  auto of_app = [&](const metrics::LabelValues& v) {
    return v.size() >= 3 && v[0] == account && v[1] == region && v[2] == name;
  };
  for (metrics::FamilyBase* f : std::initializer_list<metrics::FamilyBase*>{
           input_records_, input_bytes_, millis_behind_, error_rows_, output_records_, output_bytes_, output_failed_}) {
    f->RemoveIf(of_app);
  }
}

}  // namespace spate::analytics
