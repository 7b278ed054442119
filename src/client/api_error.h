#pragma once

// Decoding an error answer of the AWS JSON protocols into an ApiError.
// Internal to spate_client; pure functions, thread-safe.

#include <string_view>

#include "spate/kinesis_client.h"

namespace spate::client {

// The ApiError of a non-2xx answer: the type from the body's `__type` (its
// namespace before '#' stripped: "com.amazonaws.kinesis.v20131202#X" -> "X"),
// else from the x-amzn-ErrorType header `error_type_header` (its ":..." suffix
// stripped); the message from `message` or `Message`. An answer without a
// type (no JSON body, no header: a proxy's HTML page) is "InvalidResponse"
// with the status and the start of the body as its message. http_status is
// always `status`.
ApiError ParseErrorResponse(int status, std::string_view body, std::string_view error_type_header);

// Strips the namespace ("ns#Type" -> "Type") and any ":detail" suffix
// ("Type:http://internal.amazon.com/" -> "Type").
std::string_view BareErrorType(std::string_view type);

}  // namespace spate::client
