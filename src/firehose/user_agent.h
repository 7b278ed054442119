#pragma once

#include <string_view>

namespace spate::firehose {

// The User-Agent of Firehose's outgoing requests (S3, OpenSearch, HTTP
// endpoints).
inline constexpr std::string_view kFirehoseUserAgent = "spate-firehose/0.1";

}  // namespace spate::firehose
