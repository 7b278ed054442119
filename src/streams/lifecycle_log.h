#pragma once

#include "metadata/stream_meta.h"

namespace spate::streams {

// Logs, one INFO line each, what changed in a stream's definition between
// two catalog writes: created (before null), deleted (after null), deletion
// started, a reshard applied (open shards before and after), capacity mode,
// retention period, encryption, consumers registered, deregistering and
// gone. Lines name the stream as "stream NAME (ACCOUNT/REGION)". Thread-safe
// (it only reads its arguments); called by the Registry wherever it writes a
// stream's definition.
void LogStreamChanges(const metadata::StreamMeta* before, const metadata::StreamMeta* after);

}  // namespace spate::streams
