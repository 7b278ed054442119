#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::metadata {

// Data Streams settings of one account in one region
// (DescribeAccountSettings, UpdateAccountSettings), stored in the catalog
// under namespace kAccountSettingsNamespace, key "<account>/<region>"
// (docs/formats/catalog.md). Plain data; the streams layer guards it.
//
// The minimum throughput billing commitment, as AWS documents it: enabling
// starts a commitment that cannot end before 24 hours have passed; asking
// to disable it earlier schedules the end at that time
// (ENABLED_UNTIL_EARLIEST_ALLOWED_END), and enabling again before then
// cancels the scheduled end.
enum class CommitmentStatus : uint8_t { kDisabled = 0, kEnabled = 1, kEnabledUntilEarliestAllowedEnd = 2 };

std::string_view CommitmentStatusName(CommitmentStatus s);

inline constexpr std::string_view kAccountSettingsNamespace = "kinesis-account";
// The shortest a commitment lasts.
inline constexpr int64_t kMinimumCommitmentMs = 24LL * 3600 * 1000;

struct AccountSettings {
  CommitmentStatus status = CommitmentStatus::kDisabled;
  // Epoch ms; 0: never (not reported). started/earliest_end belong to the
  // latest commitment; ended is set once it has ended.
  int64_t started_ms = 0;
  int64_t earliest_end_ms = 0;
  int64_t ended_ms = 0;

  // These settings as of `now_ms`: a scheduled end that has passed is
  // applied (DISABLED, ended at the earliest allowed end).
  AccountSettings At(int64_t now_ms) const;
  // UpdateAccountSettings' Status ENABLED (enable = true) or DISABLED at
  // now_ms, applied to At(now_ms).
  AccountSettings Updated(bool enable, int64_t now_ms) const;
  // Enabled as of At(): ENABLED, or ENABLED until its scheduled end.
  bool CommitmentActive() const { return status != CommitmentStatus::kDisabled; }

  bool operator==(const AccountSettings&) const = default;
};

// Versioned binary encoding (docs/formats/catalog.md).
std::string EncodeAccountSettings(const AccountSettings& s);
Result<AccountSettings> DecodeAccountSettings(std::string_view bytes);

}  // namespace spate::metadata
