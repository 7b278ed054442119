#include "firehose/s3_signer.h"

namespace spate::firehose {
namespace {

constexpr std::string_view kService = "s3";

}  // namespace

util::SigV4Signature SignS3Request(util::SigV4Request request, const S3Credentials& credentials,
                                   std::string_view region, std::string_view amz_date) {
  request.path_rule = util::SigV4Path::kAsSent;
  return util::SignSigV4(request, credentials.access_key_id, credentials.secret_access_key, region, kService, amz_date);
}

std::string S3EncodePath(std::string_view bucket, std::string_view key) {
  std::string out = "/";
  if (!bucket.empty()) {
    util::SigV4UriEncodeAppend(bucket, false, &out);
    out += '/';
  }
  util::SigV4UriEncodeAppend(key, true, &out);
  return out;
}

}  // namespace spate::firehose
