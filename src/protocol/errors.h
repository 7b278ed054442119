#pragma once

#include <string_view>

#include "base/status.h"

namespace spate::protocol {

// How an error goes on the wire: the `__type` a client matches on and the
// HTTP status. This is the one table that maps Spate's ErrorCode to AWS
// error types (STYLE.md rule 6); every row is tested in errors_test.cc.
struct WireError {
  std::string_view type;
  int http_status;
};

WireError ToWireError(ErrorCode code);

// The message sent with an error. AWS hides internal details behind
// InternalFailure, so 5xx errors carry no message of ours.
std::string_view WireMessage(const Status& status);

}  // namespace spate::protocol
