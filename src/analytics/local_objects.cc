#include "analytics/local_objects.h"

#include <fstream>

namespace spate::analytics {
namespace {

// A relative path of non-empty parts, none "." or "..".
bool SafeRelativePath(std::string_view s) {
  if (s.empty() || s.front() == '/') return false;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    std::string_view part = s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

Result<std::string> ReadLocalObject(const std::string& root, std::string_view bucket_arn, std::string_view key,
                                    size_t max_bytes) {
  constexpr std::string_view kS3Arn = "arn:aws:s3:::";
  if (bucket_arn.rfind(kS3Arn, 0) != 0 || bucket_arn.size() == kS3Arn.size()) {
    return InvalidArgument("BucketARN " + std::string(bucket_arn) + " is not a valid S3 bucket ARN.");
  }
  std::string bucket(bucket_arn.substr(kS3Arn.size()));
  std::string where = "s3://" + bucket + "/" + std::string(key);
  if (root.empty()) return InvalidArgument("This server has no local object store to read " + where + " from.");
  if (!SafeRelativePath(bucket) || bucket.find('/') != std::string::npos || !SafeRelativePath(key)) {
    return InvalidArgument("Object " + where + " is not readable from the local object store.");
  }
  std::ifstream f(root + "/" + bucket + "/" + std::string(key), std::ios::binary);
  if (!f) return InvalidArgument("Object " + where + " does not exist.");
  std::string body(max_bytes, '\0');
  f.read(body.data(), static_cast<std::streamsize>(body.size()));
  body.resize(static_cast<size_t>(f.gcount()));
  return body;
}

}  // namespace spate::analytics
