#include <mutex>

#include "firehose/redshift_destination.h"

namespace spate::firehose {
namespace {

std::mutex options_mu;
RedshiftOptions& OptionsLocked() {
  static RedshiftOptions options;
  return options;
}

}  // namespace

void SetRedshiftOptions(RedshiftOptions options) {
  std::lock_guard<std::mutex> lock(options_mu);
  OptionsLocked() = std::move(options);
}

RedshiftOptions GetRedshiftOptions() {
  std::lock_guard<std::mutex> lock(options_mu);
  return OptionsLocked();
}

}  // namespace spate::firehose
