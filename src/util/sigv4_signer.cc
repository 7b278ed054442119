#include "util/sigv4_signer.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>

#include "base/assert.h"
#include "util/hmac.h"

namespace spate::util {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr size_t kAmzDateLength = 16;  // yyyymmddThhmmssZ
constexpr size_t kDateStampLength = 8;

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// A canonical header value: surrounding blanks trimmed, each run of inner
// blanks collapsed to one space.
std::string CanonicalValue(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\t') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

void SigV4UriEncodeAppend(std::string_view bytes, bool keep_slash, std::string* out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out->reserve(out->size() + bytes.size());
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kDigits[c >> 4]);
      out->push_back(kDigits[c & 0xf]);
    }
  }
}

std::string SigV4UriEncode(std::string_view bytes, bool keep_slash) {
  std::string out;
  SigV4UriEncodeAppend(bytes, keep_slash, &out);
  return out;
}

std::string SigV4CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(SigV4UriEncode(name, false), SigV4UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string AmzDate(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[kAmzDateLength + 1];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SigV4SigningKey(std::string_view secret_access_key, std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string k = "AWS4";
  k.append(secret_access_key);
  std::string key = HmacSha256(k, date);
  OPENSSL_cleanse(k.data(), k.size());
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, kTerminator);
}

SigV4Signature SignSigV4(const SigV4Request& request, std::string_view access_key_id,
                         std::string_view secret_access_key, std::string_view region, std::string_view service,
                         std::string_view amz_date) {
  SPATE_ASSERT(amz_date.size() == kAmzDateLength, "x-amz-date must be yyyymmddThhmmssZ");
  // Lowercased names, sorted; a name given twice signs its values comma-joined.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(Lower(name), CanonicalValue(value));
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  SigV4Signature sig;
  std::string canonical_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n'
      canonical_headers += ',' + headers[i].second + '\n';
      continue;
    }
    if (!sig.signed_headers.empty()) sig.signed_headers += ';';
    sig.signed_headers += headers[i].first;
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
  }

  const std::string canonical_uri =
      request.path_rule == SigV4Path::kAsSent ? request.path : SigV4UriEncode(request.path, /*keep_slash=*/true);
  sig.canonical_request = request.method + '\n' + canonical_uri + '\n' + SigV4CanonicalQuery(request.query) + '\n' +
                          canonical_headers + '\n' + sig.signed_headers + '\n' + request.payload_sha256;

  std::string_view date = amz_date.substr(0, kDateStampLength);
  std::string scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + '/' + std::string(kTerminator);
  sig.string_to_sign =
      std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' + scope + '\n' + Sha256Hex(sig.canonical_request);

  sig.signature = HmacSha256Hex(SigV4SigningKey(secret_access_key, date, region, service), sig.string_to_sign);
  sig.authorization = std::string(kAlgorithm) + " Credential=" + std::string(access_key_id) + '/' + scope +
                      ", SignedHeaders=" + sig.signed_headers + ", Signature=" + sig.signature;
  return sig;
}

}  // namespace spate::util
