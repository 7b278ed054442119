#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "http/http_types.h"
#include "util/clock.h"

namespace spate::server {

using http::HttpRequest;

// The account of callers whose credential names none, and of every caller
// in development mode whose access key id is not exactly 12 digits.
inline constexpr std::string_view kDefaultAccount = "000000000000";

// What a request's AWS Signature Version 4 says about its sender.
struct AuthInfo {
  std::string access_key_id;
  std::string date;     // yyyymmdd of the credential scope
  std::string region;   // the credential scope's region
  std::string service;  // the credential scope's service
  std::string account;  // the account the request acts in (set by SigV4Verifier)
};

// Checks that the request carries a well-formed SigV4 authorization, in the
// Authorization header or the query string, and returns its scope. The
// signature itself is not verified here (see SigV4Verifier).
// kMissingAuthentication when neither form is present;
// kIncompleteSignature when parts are missing, with AWS's message.
Result<AuthInfo> CheckAuthorizationPresent(const HttpRequest& request);

// One line of a credentials file: ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID].
struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string account;  // 12 digits; kDefaultAccount when the line has none
};

// The credentials a server accepts, by access key id. Immutable after Parse.
class CredentialStore {
 public:
  // One credential per line, fields separated by blanks; '#' starts a comment
  // (to the end of the line); blank lines are ignored. kInvalidArgument
  // naming the line for a line with 1 or more than 3 fields, an account id
  // that is not 12 digits, or an access key id given twice.
  static Result<CredentialStore> Parse(std::string_view text);
  static Result<CredentialStore> Load(const std::string& path);

  const Credential* Find(std::string_view access_key_id) const;
  size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, Credential, std::less<>> by_key_;
};

// ---------------------------------------------------------------------------
// The pieces of SigV4, exposed for tests (AWS's published test suite and
// botocore as an oracle check them one by one).

// A request's signature parameters, from the Authorization header or the
// query string.
struct SignatureParams {
  bool in_query = false;
  std::string access_key_id;
  std::string scope;  // date/region/service/aws4_request
  std::string scope_date, scope_region, scope_service, scope_terminator;
  std::vector<std::string> signed_headers;  // as listed (lower case)
  std::string signature;                    // lower-case hex, as sent
  std::string amz_date;                     // yyyymmddThhmmssZ (from X-Amz-Date or Date)
  int64_t expires_s = -1;                   // X-Amz-Expires of the query form, -1 if absent
};

// Parses the signature parameters (after CheckAuthorizationPresent passed).
// kIncompleteSignature / kInvalidSignature with AWS's messages for a
// malformed credential or date.
Result<SignatureParams> ParseSignatureParams(const HttpRequest& request);

// The canonical URI of a request path (no query): dot segments and empty
// segments removed as AWS does for every service but S3, then each byte
// outside A-Z a-z 0-9 - _ . ~ / percent-encoded (so a path already
// percent-encoded on the wire is encoded a second time, as AWS does).
std::string CanonicalUri(std::string_view path);
// The canonical query string: parameters decoded, re-encoded per SigV4,
// sorted by name then value; X-Amz-Signature left out.
std::string CanonicalQueryString(std::string_view query);
// The canonical request; `payload_hash` is the hex SHA-256 of the body (or
// the x-amz-content-sha256 value).
std::string CanonicalRequest(const HttpRequest& request, const SignatureParams& params, std::string_view payload_hash);
std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);

// Verifies requests' signatures. With a credential store, a request is
// accepted only if it is signed by one of its credentials over its exact
// method, path, query, signed headers and body, at a time within 5 minutes
// of the server's clock; errors are AWS's:
//   MissingAuthenticationToken (no signature), IncompleteSignature (parts
//   missing), UnrecognizedClient (unknown access key id), InvalidSignature
//   (mismatch, stale or future date, bad scope).
// Without a store (development mode) any well-formed signature is accepted
// and the account is the access key id when it is exactly 12 digits, else
// kDefaultAccount (the kinesis-mock / LocalStack convention).
//
// Thread-safe. Derived signing keys are cached per (secret, date, region,
// service); the cache is bounded.
class SigV4Verifier {
 public:
  // `store` may be null (development mode); it and `clock` must outlive this.
  SigV4Verifier(const CredentialStore* store, util::Clock* clock) : store_(store), clock_(clock) {}

  bool development_mode() const { return store_ == nullptr; }
  // `service` is the SigV4 name the credential scope must carry ("kinesis");
  // in development mode the scope is not checked.
  Result<AuthInfo> Verify(const HttpRequest& request, std::string_view service) const;

  // Maximum distance between the request time and the server's clock.
  static constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;

 private:
  std::string SigningKey(const Credential& cred, const SignatureParams& p) const;

  static constexpr size_t kMaxCachedKeys = 4096;
  const CredentialStore* const store_;
  util::Clock* const clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::string> key_cache_;  // guarded by mu_
};

}  // namespace spate::server
