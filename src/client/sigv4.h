#pragma once

// Client-side AWS Signature Version 4 for requests signed in the
// Authorization header (AWS General Reference, "Create a signed AWS API
// request"), as the JSON services (Kinesis, Firehose) expect it: the path is
// normalised and URI-encoded as every service but S3 signs it (here the JSON
// APIs only ever use "/"), the payload's SHA-256 ends the canonical request.
// firehose/s3_signer.h is the S3 variant (single-encoded paths,
// x-amz-content-sha256); the two share no code because S3's differences sit
// inside every step.
//
// Everything here is a pure function of its arguments (no clock, no I/O), so
// AWS's published test vectors can be checked byte for byte. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::client {

// One request as it will go on the wire.
struct SigningRequest {
  std::string method;  // "POST"
  // The absolute path as sent, already percent-encoded ("/"); the signer
  // encodes it once more, as the non-S3 services do.
  std::string path = "/";
  // Query parameters decoded (name, value); the signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, names in any case, values as sent. Must hold
  // "host" and "x-amz-date" (the caller sends exactly these values); all of
  // them are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view payload;  // the body, hashed by the signer
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "content-type;host;x-amz-date;x-amz-target"
  std::string signature;       // lowercase hex
  std::string authorization;   // the Authorization header's value
};

// Signs `request` at `amz_date` ("20150830T123600Z", UTC; its first 8
// characters are the scope's date) for `region` and `service` ("kinesis",
// "firehose") with the key pair (a session token travels as an
// x-amz-security-token header the caller adds to request.headers).
// Precondition: amz_date is 16 characters.
Signature SignRequest(const SigningRequest& request, std::string_view access_key_id, std::string_view secret_access_key,
                      std::string_view region, std::string_view service, std::string_view amz_date);

// "20150830T123600Z" for `unix_ms` milliseconds since the epoch (UTC).
std::string AmzDate(int64_t unix_ms);

// Lowercase hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace spate::client
