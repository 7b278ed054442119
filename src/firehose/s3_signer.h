#pragma once

// SigV4 for S3 requests: the shared signer (util/sigv4_signer.h) with S3's
// rules: the path is signed exactly as sent (URI-encoded once, never
// normalised), and the payload's SHA-256 travels in x-amz-content-sha256 and
// is signed. Pure functions, thread-safe.

#include <string>
#include <string_view>

#include "util/sigv4_signer.h"

namespace spate::firehose {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none (else sent and signed as x-amz-security-token)
};

// Signs `request` (path_rule is taken as util::SigV4Path::kAsSent; its path
// as S3EncodePath gives it; its headers must hold "host", "x-amz-date" and
// "x-amz-content-sha256") at `amz_date` for `region` and service "s3".
util::SigV4Signature SignS3Request(util::SigV4Request request, const S3Credentials& credentials,
                                   std::string_view region, std::string_view amz_date);

// The path of an object URL: '/' + each '/'-separated segment of `key`
// encoded (util::SigV4UriEncode), the slashes kept ("a b/c$d" ->
// "/a%20b/c%24d"). With a bucket (path-style addressing) it comes first:
// "/bucket/a%20b/c%24d".
std::string S3EncodePath(std::string_view bucket, std::string_view key);

}  // namespace spate::firehose
