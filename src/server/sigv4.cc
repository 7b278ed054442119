#include "server/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "util/hmac.h"
#include "util/sigv4_signer.h"

namespace spate::server {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kDefaultRegion = "us-east-1";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(name, value) for each trimmed "name=value" item of `params`
// (items without '=' are skipped).
template <typename Fn>
void ForEachParam(std::string_view params, char sep, Fn fn) {
  size_t pos = 0;
  while (pos <= params.size()) {
    size_t end = params.find(sep, pos);
    if (end == std::string_view::npos) end = params.size();
    std::string_view item = Trim(params.substr(pos, end - pos));
    if (size_t eq = item.find('='); eq != std::string_view::npos) fn(item.substr(0, eq), item.substr(eq + 1));
    pos = end + 1;
  }
}

// The value of the first parameter `name` of "AWS4-HMAC-SHA256 A=x, B=y" or
// of a query string; empty when absent.
std::string_view Param(std::string_view params, std::string_view name, char sep) {
  std::string_view found;
  bool seen = false;
  ForEachParam(params, sep, [&](std::string_view n, std::string_view v) {
    if (!seen && n == name) {
      seen = true;
      found = v;
    }
  });
  return found;
}

// The parts of an Authorization header as AWS reads them: the first word is
// the algorithm; after it, name=value parameters separated by commas and/or
// spaces ("AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b, Signature=c", or
// "AWS4- Signature=b Credential=a"); the first occurrence of a name counts.
// Empty views for absent parts. One pass (this runs on every request).
struct AuthHeaderParts {
  std::string_view algorithm, credential, signed_headers, signature;
};

AuthHeaderParts SplitAuthorizationHeader(std::string_view header) {
  AuthHeaderParts parts;
  size_t pos = header.find_first_of(", ");
  parts.algorithm = header.substr(0, pos);
  bool seen_credential = false, seen_signed = false, seen_signature = false;
  while (pos != std::string_view::npos && pos < header.size()) {
    size_t start = header.find_first_not_of(", ", pos);
    if (start == std::string_view::npos) break;
    pos = header.find_first_of(", ", start);
    std::string_view item = header.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "Credential" && !seen_credential) {
      seen_credential = true;
      parts.credential = value;
    } else if (name == "SignedHeaders" && !seen_signed) {
      seen_signed = true;
      parts.signed_headers = value;
    } else if (name == "Signature" && !seen_signature) {
      seen_signature = true;
      parts.signature = value;
    }
  }
  return parts;
}

// Whether the query string has a parameter `name`, with or without a value
// ("X-Amz-Algorithm" and "X-Amz-Algorithm=" count, as on AWS).
bool HasQueryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(pos, end - pos);
    if (item.substr(0, name.size()) == name && (item.size() == name.size() || item[name.size()] == '=')) return true;
    pos = end + 1;
  }
  return false;
}

void ParseScope(std::string_view credential, AuthInfo* info) {
  // AKID/yyyymmdd/region/service/aws4_request; '%2F' in the query form.
  // Only the first four parts are kept.
  std::string* fields[] = {&info->access_key_id, &info->date, &info->region, &info->service};
  for (std::string* field : fields) {
    size_t slash = credential.find('/');
    size_t encoded = credential.find('%');
    while (encoded < slash && credential.substr(encoded, 3) != "%2F" && credential.substr(encoded, 3) != "%2f") {
      encoded = credential.find('%', encoded + 1);
    }
    size_t end = std::min(slash, encoded);
    field->assign(credential.substr(0, end));
    if (end == std::string_view::npos) return;
    credential.remove_prefix(end + (end == slash ? 1 : 3));
  }
}

}  // namespace

Result<AuthInfo> CheckAuthorizationPresent(const HttpRequest& request) {
  AuthInfo info;
  std::string_view header = request.Header("authorization");
  size_t q = request.target.find('?');
  std::string_view query = q == std::string::npos ? std::string_view() : std::string_view(request.target).substr(q + 1);
  // AWS takes the query form as soon as the parameter is named, even empty.
  bool query_auth = HasQueryParam(query, "X-Amz-Algorithm");
  if (header.empty() && !query_auth) {
    return Status(ErrorCode::kMissingAuthentication, "Missing Authentication Token");
  }
  if (!header.empty() && query_auth) {
    return Status(ErrorCode::kInvalidSignature,
                  "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if (query_auth) {
    std::string missing;
    for (std::string_view p :
         {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"}) {
      if (Param(query, p, '&').empty())
        missing += "AWS query-string parameters must include '" + std::string(p) + "'. ";
    }
    if (!missing.empty()) {
      return Status(ErrorCode::kIncompleteSignature, missing + "Re-examine the query-string parameters.");
    }
    ParseScope(Param(query, "X-Amz-Credential", '&'), &info);
  } else {
    AuthHeaderParts parts = SplitAuthorizationHeader(header);
    std::string missing;
    if (parts.credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
    if (parts.signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
    if (parts.signed_headers.empty()) missing += "Authorization header requires 'SignedHeaders' parameter. ";
    if (request.Header("x-amz-date").empty() && request.Header("date").empty()) {
      missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!missing.empty()) {
      return Status(ErrorCode::kIncompleteSignature, missing + "Authorization=" + std::string(header));
    }
    ParseScope(parts.credential, &info);
  }
  if (info.region.empty()) info.region = std::string(kDefaultRegion);
  return info;
}

}  // namespace spate::server

// ------------------------------------------------------------ credentials

namespace spate::server {

Result<CredentialStore> CredentialStore::Parse(std::string_view text) {
  CredentialStore store;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> fields;
    std::string cur;
    for (char c : line) {
      if (c == ' ' || c == '\t' || c == '\r') {
        if (!cur.empty()) fields.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) fields.push_back(std::move(cur));
    if (fields.empty()) continue;
    std::string where = "credentials line " + std::to_string(line_no) + ": ";
    if (fields.size() < 2 || fields.size() > 3) {
      return InvalidArgument(where + "expected ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]");
    }
    Credential c{fields[0], fields[1], std::string(kDefaultAccount)};
    if (fields.size() == 3) {
      c.account = fields[2];
      if (c.account.size() != 12 ||
          !std::all_of(c.account.begin(), c.account.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        return InvalidArgument(where + "the account id must be 12 digits");
      }
    }
    if (store.by_key_.count(c.access_key_id) != 0) {
      return InvalidArgument(where + "access key id " + c.access_key_id + " given twice");
    }
    store.by_key_.emplace(c.access_key_id, std::move(c));
  }
  return store;
}

Result<CredentialStore> CredentialStore::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read credentials file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto store = Parse(ss.str());
  if (!store.ok()) return InvalidArgument(path + ": " + store.status().message());
  return store;
}

const Credential* CredentialStore::Find(std::string_view access_key_id) const {
  auto it = by_key_.find(access_key_id);
  return it == by_key_.end() ? nullptr : &it->second;
}

// ------------------------------------------------------------- primitives

namespace {

constexpr std::string_view kTerminator = "aws4_request";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a malformed escape stays literal. '+' stays '+'.
std::string UriDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::string_view QueryOf(const HttpRequest& r) {
  size_t q = r.target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(r.target).substr(q + 1);
}

std::string_view PathOf(const HttpRequest& r) {
  size_t q = r.target.find('?');
  return std::string_view(r.target).substr(0, q);
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(sep, pos);
    out.emplace_back(s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

// Parses yyyymmddThhmmssZ; -1 if malformed.
int64_t ParseAmzDateMs(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string FormatAmzDate(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// An HTTP Date header (IMF-fixdate) as yyyymmddThhmmssZ; empty if malformed.
std::string HttpDateToAmz(std::string_view date) {
  std::tm tm{};
  std::string s(date);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return {};
  return FormatAmzDate(static_cast<int64_t>(timegm(&tm)) * 1000);
}

// A header value as SigV4 canonicalises it: trimmed, inner runs of blanks
// collapsed to one space.
void AppendCanonicalValue(std::string_view v, std::string* out) {
  v = Trim(v);
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = true;
      continue;
    }
    if (blank) out->push_back(' ');
    blank = false;
    out->push_back(c);
  }
}

}  // namespace

std::string CanonicalUri(std::string_view path) {
  // RFC 3986 remove_dot_segments, plus the removal of empty segments that
  // AWS applies to every service but S3 ("//" -> "/").
  std::vector<std::string_view> out;
  bool trailing_slash = !path.empty() && path.back() == '/';
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    pos = end + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  // A path ending in "/." or "/.." names a directory too.
  if (path.size() >= 2 &&
      (path.substr(path.size() - 2) == "/." || (path.size() >= 3 && path.substr(path.size() - 3) == "/.."))) {
    trailing_slash = true;
  }
  std::string normal = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) normal.push_back('/');
    normal.append(out[i]);
  }
  if (!out.empty() && trailing_slash) normal.push_back('/');
  std::string encoded;
  util::SigV4UriEncodeAppend(normal, /*keep_slash=*/true, &encoded);
  return encoded;
}

std::string CanonicalQueryString(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> params;
  for (const std::string& item : Split(query, '&')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = UriDecode(std::string_view(item).substr(0, eq));
    std::string value = eq == std::string::npos ? std::string() : UriDecode(std::string_view(item).substr(eq + 1));
    if (name == "X-Amz-Signature") continue;
    std::string en, ev;
    util::SigV4UriEncodeAppend(name, false, &en);
    util::SigV4UriEncodeAppend(value, false, &ev);
    params.emplace_back(std::move(en), std::move(ev));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(params[i].first).append("=").append(params[i].second);
  }
  return out;
}

std::string CanonicalRequest(const HttpRequest& request, const SignatureParams& params, std::string_view payload_hash) {
  std::string out = request.method;
  out.push_back('\n');
  out.append(CanonicalUri(PathOf(request)));
  out.push_back('\n');
  out.append(CanonicalQueryString(QueryOf(request)));
  out.push_back('\n');
  auto has_header = [&](std::string_view name) {
    return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& h) { return h.first == name; });
  };
  for (const std::string& name : params.signed_headers) {
    out.append(name).push_back(':');
    // HTTP/2 clients (the JS SDK v3) sign the ":authority" pseudo-header; the
    // transport hands it over as "host".
    std::string_view lookup = name;
    if (name == ":authority" && !has_header(":authority")) lookup = "host";
    bool first = true;
    for (const auto& [n, v] : request.headers) {
      if (n.size() != lookup.size() || !std::equal(n.begin(), n.end(), lookup.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        continue;
      }
      if (!first) out.push_back(',');
      first = false;
      AppendCanonicalValue(v, &out);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < params.signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(params.signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(util::Sha256Hex(canonical_request));
  return out;
}

Result<SignatureParams> ParseSignatureParams(const HttpRequest& request) {
  SignatureParams p;
  std::string credential, signed_headers;
  std::string_view query = QueryOf(request);
  std::string_view header = request.Header("authorization");
  if (header.empty()) {
    p.in_query = true;
    credential = UriDecode(Param(query, "X-Amz-Credential", '&'));
    signed_headers = UriDecode(Param(query, "X-Amz-SignedHeaders", '&'));
    p.signature = UriDecode(Param(query, "X-Amz-Signature", '&'));
    p.amz_date = UriDecode(Param(query, "X-Amz-Date", '&'));
    if (std::string expires = UriDecode(Param(query, "X-Amz-Expires", '&')); !expires.empty()) {
      if (expires.size() > 9 || !std::all_of(expires.begin(), expires.end(),
                                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        return Status(ErrorCode::kIncompleteSignature, "X-Amz-Expires must be non-negative");
      }
      p.expires_s = std::stoll(expires);
    }
  } else {
    AuthHeaderParts parts = SplitAuthorizationHeader(header);
    if (parts.algorithm != kAlgorithm) {
      // Only SigV4 is spoken; a request signed otherwise cannot match.
      return Status(ErrorCode::kIncompleteSignature,
                    "Unsupported AWS 'algorithm': '" + std::string(parts.algorithm) + "'. Use AWS4-HMAC-SHA256.");
    }
    credential = std::string(parts.credential);
    signed_headers = std::string(parts.signed_headers);
    p.signature = std::string(parts.signature);
    if (std::string_view d = request.Header("x-amz-date"); !d.empty()) {
      p.amz_date = std::string(d);
    } else {
      p.amz_date = HttpDateToAmz(request.Header("date"));
      if (p.amz_date.empty()) {
        return Status(ErrorCode::kIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '" +
                                                           std::string(request.Header("date")) +
                                                           "'. See http://en.wikipedia.org/wiki/ISO_8601");
      }
    }
  }
  std::vector<std::string> parts = Split(credential, '/');
  if (parts.size() != 5) {
    return Status(
        ErrorCode::kIncompleteSignature,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" +
            credential + "'");
  }
  p.access_key_id = parts[0];
  p.scope_date = parts[1];
  p.scope_region = parts[2];
  p.scope_service = parts[3];
  p.scope_terminator = parts[4];
  p.scope = parts[1] + "/" + parts[2] + "/" + parts[3] + "/" + parts[4];
  p.signed_headers = Split(signed_headers, ';');
  for (std::string& h : p.signed_headers) {
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  if (ParseAmzDateMs(p.amz_date) < 0) {
    return Status(ErrorCode::kIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '" + p.amz_date +
                                                       "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  return p;
}

// --------------------------------------------------------------- verifier

std::string SigV4Verifier::SigningKey(const Credential& cred, const SignatureParams& p) const {
  std::string cache_key = cred.secret_access_key;
  cache_key.append(1, '\0')
      .append(p.scope_date)
      .append(1, '\0')
      .append(p.scope_region)
      .append(1, '\0')
      .append(p.scope_service);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = key_cache_.find(cache_key);
    if (it != key_cache_.end()) return it->second;
  }
  std::string key = util::SigV4SigningKey(cred.secret_access_key, p.scope_date, p.scope_region, p.scope_service);
  std::lock_guard<std::mutex> lock(mu_);
  // Keys change daily; dropping them all at the bound is simpler than an LRU
  // and costs one derivation per live credential.
  if (key_cache_.size() >= kMaxCachedKeys) key_cache_.clear();
  key_cache_.emplace(std::move(cache_key), key);
  return key;
}

Result<AuthInfo> SigV4Verifier::Verify(const HttpRequest& request, std::string_view service) const {
  auto present = CheckAuthorizationPresent(request);
  if (!present.ok()) return present.status();
  AuthInfo info = std::move(*present);
  if (store_ == nullptr) {
    const std::string& k = info.access_key_id;
    bool digits = k.size() == 12 && std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
    info.account = digits ? k : std::string(kDefaultAccount);
    return info;
  }
  auto parsed = ParseSignatureParams(request);
  if (!parsed.ok()) return parsed.status();
  const SignatureParams& p = *parsed;
  const Credential* cred = store_->Find(p.access_key_id);
  if (cred == nullptr) {
    return Status(ErrorCode::kUnrecognizedClient, "The security token included in the request is invalid.");
  }
  if (p.scope_terminator != kTerminator) {
    return Status(
        ErrorCode::kInvalidSignature,
        "Credential should be scoped with a valid terminator: 'aws4_request', not '" + p.scope_terminator + "'.");
  }
  if (p.scope_service != service) {
    return Status(ErrorCode::kInvalidSignature,
                  "Credential should be scoped to correct service: '" + std::string(service) + "'. ");
  }
  if (p.scope_region.empty()) {
    return Status(ErrorCode::kInvalidSignature, "Credential should be scoped to a valid region, not ''. ");
  }
  if (p.amz_date.compare(0, 8, p.scope_date) != 0 || p.scope_date.size() != 8) {
    return Status(ErrorCode::kInvalidSignature,
                  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                      p.scope_date + "' != '" + p.amz_date.substr(0, 8) + "', from '" + p.amz_date + "'.");
  }
  if (std::find(p.signed_headers.begin(), p.signed_headers.end(), "host") == p.signed_headers.end() &&
      std::find(p.signed_headers.begin(), p.signed_headers.end(), ":authority") == p.signed_headers.end()) {
    return Status(ErrorCode::kInvalidSignature,
                  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  std::string payload_hash = util::Sha256Hex(request.body);
  if (std::string_view declared = request.Header("x-amz-content-sha256"); !declared.empty()) {
    if (declared != payload_hash) {
      return Status(ErrorCode::kInvalidSignature,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }
  std::string canonical = CanonicalRequest(request, p, payload_hash);
  std::string to_sign = StringToSign(p.amz_date, p.scope, canonical);
  std::string expected = util::HmacSha256Hex(SigningKey(*cred, p), to_sign);
  if (!util::ConstantTimeEqual(p.signature, expected)) {
    return Status(ErrorCode::kInvalidSignature,
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method. Consult the service documentation for details.");
  }
  int64_t now = clock_->NowMs();
  int64_t at = ParseAmzDateMs(p.amz_date);
  int64_t past_allowance = std::max<int64_t>(kMaxSkewMs, p.expires_s >= 0 ? p.expires_s * 1000 : 0);
  if (at < now - past_allowance) {
    if (p.expires_s >= 0 && p.expires_s * 1000 > kMaxSkewMs) {
      return Status(ErrorCode::kInvalidSignature, "Signature expired: " + p.amz_date + " is now earlier than " +
                                                      FormatAmzDate(now - past_allowance) + " (" + FormatAmzDate(now) +
                                                      " - " + std::to_string(p.expires_s) + " sec.)");
    }
    return Status(ErrorCode::kInvalidSignature, "Signature expired: " + p.amz_date + " is now earlier than " +
                                                    FormatAmzDate(now - kMaxSkewMs) + " (" + FormatAmzDate(now) +
                                                    " - 5 min.)");
  }
  if (at > now + kMaxSkewMs) {
    return Status(ErrorCode::kInvalidSignature, "Signature not yet current: " + p.amz_date + " is still later than " +
                                                    FormatAmzDate(now + kMaxSkewMs) + " (" + FormatAmzDate(now) +
                                                    " + 5 min.)");
  }
  info.region = p.scope_region;
  info.account = cred->account;
  return info;
}

}  // namespace spate::server
