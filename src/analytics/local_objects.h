#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::analytics {

// Reads at most `max_bytes` of object `key` of the bucket named by
// `bucket_arn` ("arn:aws:s3:::bucket") from the embedded object store rooted
// at `root` (DATA_DIR/s3/<bucket>/<key>, as Firehose writes it).
// kInvalidArgument for a malformed ARN, a key that would leave the bucket's
// directory, an empty root or a missing object.
Result<std::string> ReadLocalObject(const std::string& root, std::string_view bucket_arn, std::string_view key,
                                    size_t max_bytes);

}  // namespace spate::analytics
