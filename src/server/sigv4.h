#pragma once

#include <string>

#include "base/status.h"
#include "server/http_types.h"

namespace spate::server {

// What a request's AWS Signature Version 4 says about its sender.
struct AuthInfo {
  std::string access_key_id;
  std::string date;     // yyyymmdd of the credential scope
  std::string region;   // the credential scope's region
  std::string service;  // the credential scope's service
};

// Checks that the request carries a well-formed SigV4 authorization, in the
// Authorization header or the query string, and returns its scope. The
// signature itself is not verified here (development mode).
// kMissingAuthentication when neither form is present;
// kIncompleteSignature when parts are missing, with AWS's message.
Result<AuthInfo> CheckAuthorizationPresent(const HttpRequest& request);

}  // namespace spate::server
