#pragma once

// Client-side AWS Signature Version 4 for S3 requests signed in the
// Authorization header (AWS S3 API reference, "Signature Calculations for the
// Authorization Header"). S3 differs from the other services in two ways that
// matter here: the path is URI-encoded once (never twice, never normalised),
// and the payload's SHA-256 travels in x-amz-content-sha256 and is signed.
//
// Everything here is a pure function of its arguments (no clock, no I/O), so
// the published examples can be checked byte for byte. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::firehose {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none (else sent and signed as x-amz-security-token)
};

// One request as it will go on the wire.
struct S3SigningRequest {
  std::string method;  // "GET", "PUT", ...
  // The path exactly as sent, already encoded (S3EncodePath): "/bucket/a%20b".
  std::string canonical_uri;
  // Query parameters decoded (name, value); a bare "?uploads" is {"uploads", ""}.
  // The signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, names in any case, values as sent. Must hold
  // "host", "x-amz-date" and "x-amz-content-sha256" (the caller sends exactly
  // these values); all of them are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // lowercase hex SHA-256 of the body
};

struct S3Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-content-sha256;x-amz-date"
  std::string signature;       // lowercase hex
  std::string authorization;   // the Authorization header's value
};

// Signs `request` at `amz_date` ("20130524T000000Z", UTC; its first 8
// characters are the scope's date) for `region` and service "s3".
// Precondition: amz_date is 16 characters.
S3Signature SignS3Request(const S3SigningRequest& request, const S3Credentials& credentials, std::string_view region,
                          std::string_view amz_date);

// S3's UriEncode: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX
// (uppercase hex); '/' too unless keep_slash. Space is %20, never '+'.
std::string S3UriEncode(std::string_view bytes, bool keep_slash);

// The path of an object URL: '/' + each '/'-separated segment of `key`
// encoded, the slashes kept ("a b/c$d" -> "/a%20b/c%24d"). With a bucket
// (path-style addressing) it comes first: "/bucket/a%20b/c%24d".
std::string S3EncodePath(std::string_view bucket, std::string_view key);

// The query string as signed and as sent: each name and value encoded,
// sorted by name then value, "name=value" joined by '&' ("uploads=").
std::string S3CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// Lowercase hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

// "20130524T000000Z" for `unix_ms` milliseconds since the epoch (UTC).
std::string AmzDate(int64_t unix_ms);

}  // namespace spate::firehose
