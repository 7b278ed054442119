#pragma once

#include "metadata/account_settings.h"
#include "protocol/value.h"

namespace spate::streams::api {

// The MinimumThroughputBillingCommitmentOutput shape of `s`: Status, and
// StartedAt / EarliestAllowedEndAt / EndedAt where set.
protocol::Value CommitmentValue(const metadata::AccountSettings& s);

}  // namespace spate::streams::api
