#include "metadata/account_settings.h"

#include "util/coding.h"

namespace spate::metadata {
namespace {
constexpr uint8_t kAccountSettingsVersion = 1;
}  // namespace

std::string_view CommitmentStatusName(CommitmentStatus s) {
  switch (s) {
    case CommitmentStatus::kDisabled: return "DISABLED";
    case CommitmentStatus::kEnabled: return "ENABLED";
    case CommitmentStatus::kEnabledUntilEarliestAllowedEnd: return "ENABLED_UNTIL_EARLIEST_ALLOWED_END";
  }
  return "DISABLED";
}

AccountSettings AccountSettings::At(int64_t now_ms) const {
  AccountSettings s = *this;
  if (s.status == CommitmentStatus::kEnabledUntilEarliestAllowedEnd && now_ms >= s.earliest_end_ms) {
    s.status = CommitmentStatus::kDisabled;
    s.ended_ms = s.earliest_end_ms;
  }
  return s;
}

AccountSettings AccountSettings::Updated(bool enable, int64_t now_ms) const {
  AccountSettings s = At(now_ms);
  if (enable) {
    if (s.status == CommitmentStatus::kDisabled) {
      s.status = CommitmentStatus::kEnabled;
      s.started_ms = now_ms;
      s.earliest_end_ms = now_ms + kMinimumCommitmentMs;
      s.ended_ms = 0;
    } else {
      s.status = CommitmentStatus::kEnabled;  // cancels a scheduled end
    }
    return s;
  }
  if (s.status == CommitmentStatus::kDisabled) return s;
  if (now_ms >= s.earliest_end_ms) {
    s.status = CommitmentStatus::kDisabled;
    s.ended_ms = now_ms;
  } else {
    s.status = CommitmentStatus::kEnabledUntilEarliestAllowedEnd;
  }
  return s;
}

std::string EncodeAccountSettings(const AccountSettings& s) {
  std::string out;
  out.push_back(static_cast<char>(kAccountSettingsVersion));
  out.push_back(static_cast<char>(s.status));
  util::PutFixed64(&out, static_cast<uint64_t>(s.started_ms));
  util::PutFixed64(&out, static_cast<uint64_t>(s.earliest_end_ms));
  util::PutFixed64(&out, static_cast<uint64_t>(s.ended_ms));
  return out;
}

Result<AccountSettings> DecodeAccountSettings(std::string_view in) {
  auto bad = [] { return Status(ErrorCode::kCorruption, "catalog: malformed account settings record"); };
  if (in.size() != 2 + 3 * 8 || static_cast<uint8_t>(in[0]) != kAccountSettingsVersion) return bad();
  AccountSettings s;
  const auto code = static_cast<uint8_t>(in[1]);
  if (code > static_cast<uint8_t>(CommitmentStatus::kEnabledUntilEarliestAllowedEnd)) return bad();
  s.status = static_cast<CommitmentStatus>(code);
  in.remove_prefix(2);
  uint64_t started = 0, earliest = 0, ended = 0;
  if (!util::GetFixed64(&in, &started) || !util::GetFixed64(&in, &earliest) || !util::GetFixed64(&in, &ended)) {
    return bad();
  }
  s.started_ms = static_cast<int64_t>(started);
  s.earliest_end_ms = static_cast<int64_t>(earliest);
  s.ended_ms = static_cast<int64_t>(ended);
  return s;
}

}  // namespace spate::metadata
