#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::analytics {

// The catalog namespace of applications: key "<account>/<region>/<name>",
// value EncodeApplicationMeta (format in README.md, "Catalog records").
inline constexpr std::string_view kApplicationNamespace = "analytics";
// The namespace of input positions: key "<instance>/<shard id>", value the
// next record offset of that shard ({"next": N}).
inline constexpr std::string_view kPositionNamespace = "analytics-positions";

enum class AppStatus : uint8_t { kReady, kStarting, kRunning, kUpdating, kStopping, kDeleting };
std::string_view AppStatusName(AppStatus s);

// What the catalog keeps of one application. The configuration parts are
// kept as the Describe shapes AWS answers with (InputDescription,
// OutputDescription, ReferenceDataSourceDescription,
// CloudWatchLoggingOptionDescription), each an array of objects.
struct ApplicationMeta {
  std::string account;
  std::string region;
  std::string name;
  std::string description;
  std::string code;
  bool has_code = false;
  bool has_description = false;
  AppStatus status = AppStatus::kReady;
  int64_t status_since_ms = 0;
  int64_t create_ms = 0;
  int64_t last_update_ms = 0;
  int64_t version_id = 1;
  protocol::Value inputs = protocol::Value::MakeArray();
  protocol::Value outputs = protocol::Value::MakeArray();
  protocol::Value references = protocol::Value::MakeArray();
  protocol::Value logging = protocol::Value::MakeArray();
  std::vector<std::pair<std::string, std::string>> tags;
  // The next number of each kind of id ("1.<n>"): inputs, outputs,
  // reference data sources, logging options.
  int64_t next_input_id = 1;
  int64_t next_output_id = 1;
  int64_t next_reference_id = 1;
  int64_t next_logging_id = 1;
  // Unique per created instance (a re-created name starts afresh): keys the
  // input positions.
  std::string instance;
  // Where the input starts when the application (re)starts: NOW,
  // TRIM_HORIZON or LAST_STOPPED_POINT (the last StartApplication's).
  std::string starting_position;

  std::string Key() const { return account + "/" + region + "/" + name; }
  // arn:aws:kinesisanalytics:<region>:<account>:application/<name>
  std::string Arn() const;
  // Whether the runner should be running: STARTING, RUNNING, UPDATING.
  bool Runs() const {
    return status == AppStatus::kStarting || status == AppStatus::kRunning || status == AppStatus::kUpdating;
  }
  // DescribeApplication's ApplicationDetail.
  protocol::Value Detail() const;
  // ListApplications' and CreateApplication's ApplicationSummary.
  protocol::Value Summary() const;
};

std::string EncodeApplicationMeta(const ApplicationMeta& m);
// kCorruption for a record of another format version or a malformed one.
Result<ApplicationMeta> DecodeApplicationMeta(std::string_view json);

}  // namespace spate::analytics
