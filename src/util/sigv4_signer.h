#pragma once

// Client-side AWS Signature Version 4 for requests signed in the
// Authorization header (AWS General Reference, "Create a signed AWS API
// request"; S3 API reference, "Signature Calculations for the Authorization
// Header"): the one signer of Spate's outgoing requests (the Kinesis client's
// JSON calls, Firehose's S3 object store). The services differ in one step,
// the path: every service but S3 signs it URI-encoded once more than it is
// sent (SigV4Path::kEncodeAgain); S3 signs it exactly as sent, neither
// normalised nor encoded again (kAsSent). The server's verifier
// (server/sigv4.h) shares the primitives: SigV4UriEncode, SigV4SigningKey
// and util/hmac.h.
//
// Everything here is a pure function of its arguments (no clock, no I/O), so
// AWS's published test vectors can be checked byte for byte. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::util {

enum class SigV4Path {
  kEncodeAgain,  // the JSON services (Kinesis, Firehose): the path encoded again, '/' kept
  kAsSent,       // S3: the path as sent (already encoded once)
};

// One request as it will go on the wire.
struct SigV4Request {
  std::string method;  // "POST", "PUT", ...
  // The absolute path as sent, already percent-encoded ("/", "/bucket/a%20b").
  std::string path = "/";
  SigV4Path path_rule = SigV4Path::kEncodeAgain;
  // Query parameters decoded (name, value); a bare "?uploads" is {"uploads", ""}.
  // The signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, names in any case, values as sent. Must hold
  // "host" and "x-amz-date" (and for S3 "x-amz-content-sha256"), with exactly
  // the values the caller sends; all of them are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // lowercase hex SHA-256 of the body
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "content-type;host;x-amz-date;x-amz-target"
  std::string signature;       // lowercase hex
  std::string authorization;   // the Authorization header's value
};

// Signs `request` at `amz_date` ("20150830T123600Z", UTC; its first 8
// characters are the scope's date) for `region` and `service` ("kinesis",
// "firehose", "s3") with the key pair (a session token travels as an
// x-amz-security-token header the caller adds to request.headers).
// Precondition: amz_date is 16 characters.
SigV4Signature SignSigV4(const SigV4Request& request, std::string_view access_key_id,
                         std::string_view secret_access_key, std::string_view region, std::string_view service,
                         std::string_view amz_date);

// The signing key: HMAC-SHA256 chained over "AWS4" + secret, the date
// (yyyymmdd), region, service and "aws4_request" (32 raw bytes).
std::string SigV4SigningKey(std::string_view secret_access_key, std::string_view date, std::string_view region,
                            std::string_view service);

// SigV4's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX
// (uppercase hex); '/' too unless keep_slash. Space is %20, never '+'.
std::string SigV4UriEncode(std::string_view bytes, bool keep_slash);
void SigV4UriEncodeAppend(std::string_view bytes, bool keep_slash, std::string* out);

// The query string as signed (and as S3 requests send it): each name and
// value encoded, sorted by name then value, "name=value" joined by '&'
// ("uploads=").
std::string SigV4CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// "20150830T123600Z" for `unix_ms` milliseconds since the epoch (UTC).
std::string AmzDate(int64_t unix_ms);

}  // namespace spate::util
