#pragma once

#include <string>

namespace spate::server {

// A new x-amzn-RequestId: a random UUID (version 4 layout). Unique, not
// secret; cheap enough for every request. Thread-safe.
std::string RandomRequestId();

// A new x-amz-id-2: 72 random bytes in base64, as AWS sends beside the
// request id. Thread-safe.
std::string RandomId2();

}  // namespace spate::server
