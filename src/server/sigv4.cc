#include "server/sigv4.h"

#include <string_view>
#include <vector>

namespace spate::server {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kDefaultRegion = "us-east-1";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The parameter `name` of "AWS4-HMAC-SHA256 A=x, B=y" or of a query string.
std::string_view Param(std::string_view params, std::string_view name, char sep) {
  size_t pos = 0;
  while (pos <= params.size()) {
    size_t end = params.find(sep, pos);
    if (end == std::string_view::npos) end = params.size();
    std::string_view item = Trim(params.substr(pos, end - pos));
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=') {
      return item.substr(name.size() + 1);
    }
    pos = end + 1;
  }
  return {};
}

void ParseScope(std::string_view credential, AuthInfo* info) {
  // AKID/yyyymmdd/region/service/aws4_request; '%2F' in the query form.
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < credential.size(); ++i) {
    if (credential[i] == '/') {
      parts.push_back(cur);
      cur.clear();
    } else if (credential.substr(i, 3) == "%2F" || credential.substr(i, 3) == "%2f") {
      parts.push_back(cur);
      cur.clear();
      i += 2;
    } else {
      cur.push_back(credential[i]);
    }
  }
  parts.push_back(cur);
  if (!parts.empty()) info->access_key_id = parts[0];
  if (parts.size() > 1) info->date = parts[1];
  if (parts.size() > 2) info->region = parts[2];
  if (parts.size() > 3) info->service = parts[3];
}

}  // namespace

Result<AuthInfo> CheckAuthorizationPresent(const HttpRequest& request) {
  AuthInfo info;
  std::string_view header = request.Header("authorization");
  size_t q = request.target.find('?');
  std::string_view query = q == std::string::npos ? std::string_view() : std::string_view(request.target).substr(q + 1);
  bool query_auth = !Param(query, "X-Amz-Algorithm", '&').empty();
  if (header.empty() && !query_auth) {
    return Status(ErrorCode::kMissingAuthentication, "Missing Authentication Token");
  }
  if (!header.empty() && query_auth) {
    return Status(ErrorCode::kInvalidSignature,
                  "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if (query_auth) {
    std::string missing;
    for (std::string_view p : {"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"}) {
      if (Param(query, p, '&').empty()) missing += "AWS query-string parameters must include '" + std::string(p) + "'. ";
    }
    if (!missing.empty()) {
      return Status(ErrorCode::kIncompleteSignature, missing + "Re-examine the query-string parameters.");
    }
    ParseScope(Param(query, "X-Amz-Credential", '&'), &info);
  } else {
    std::string_view rest = header;
    if (rest.substr(0, kAlgorithm.size()) != kAlgorithm) {
      return Status(ErrorCode::kIncompleteSignature,
                    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
                    "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=" +
                        std::string(header));
    }
    rest.remove_prefix(kAlgorithm.size());
    std::string missing;
    for (std::string_view p : {"Credential", "Signature", "SignedHeaders"}) {
      if (Param(rest, p, ',').empty()) missing += "Authorization header requires '" + std::string(p) + "' parameter. ";
    }
    if (request.Header("x-amz-date").empty() && request.Header("date").empty()) {
      missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!missing.empty()) {
      return Status(ErrorCode::kIncompleteSignature, missing + "Authorization=" + std::string(header));
    }
    ParseScope(Param(rest, "Credential", ','), &info);
  }
  if (info.region.empty()) info.region = std::string(kDefaultRegion);
  return info;
}

}  // namespace spate::server
