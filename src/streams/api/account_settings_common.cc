#include "streams/api/account_settings_common.h"

#include <string>

namespace spate::streams::api {

using protocol::Value;

Value CommitmentValue(const metadata::AccountSettings& s) {
  Value v = Value::MakeObject();
  v.Set("Status", Value::String(std::string(metadata::CommitmentStatusName(s.status))));
  if (s.started_ms != 0) v.Set("StartedAt", Value::TimestampMs(s.started_ms));
  if (s.earliest_end_ms != 0) v.Set("EarliestAllowedEndAt", Value::TimestampMs(s.earliest_end_ms));
  if (s.ended_ms != 0) v.Set("EndedAt", Value::TimestampMs(s.ended_ms));
  return v;
}

}  // namespace spate::streams::api
