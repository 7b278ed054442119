#pragma once

// `spate tail --from` values: trim-horizon, latest, at-timestamp:T (T epoch
// seconds, fraction allowed, or ISO 8601 "2026-12-07T01:02:03[.456][Z|+hh:mm]",
// UTC when no offset is given), at-sequence:S. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spate/kinesis_client.h"

namespace spate::cli {

// nullopt (with *error) for anything else.
std::optional<IteratorPosition> ParseTailPosition(std::string_view text, std::string* error);

// Milliseconds since the epoch of T as above; nullopt when it is neither form.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace spate::cli
