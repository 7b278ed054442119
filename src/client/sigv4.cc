#include "client/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "base/assert.h"

namespace spate::client {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr size_t kAmzDateLength = 16;  // yyyymmddThhmmssZ
constexpr size_t kDateStampLength = 8;

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 3986 percent-encoding of everything but the unreserved characters
// (uppercase hex; '/' kept when keep_slash).
std::string UriEncode(std::string_view bytes, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::string AmzDate(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[kAmzDateLength + 1];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Signature SignRequest(const SigningRequest& request, std::string_view access_key_id, std::string_view secret_access_key,
                      std::string_view region, std::string_view service, std::string_view amz_date) {
  SPATE_ASSERT(amz_date.size() == kAmzDateLength, "x-amz-date must be yyyymmddThhmmssZ");
  // Lowercased names, sorted; a name given twice signs its values comma-joined.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(Lower(name), CanonicalValue(value));
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  Signature sig;
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

  sig.canonical_request = request.method + '\n' + UriEncode(request.path, true) + '\n' + CanonicalQuery(request.query) +
                          '\n' + canonical_headers + '\n' + sig.signed_headers + '\n' + Sha256Hex(request.payload);

  std::string_view date = amz_date.substr(0, kDateStampLength);
  std::string scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + '/' + std::string(kTerminator);
  sig.string_to_sign =
      std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' + scope + '\n' + Sha256Hex(sig.canonical_request);

  std::string key = Hmac("AWS4" + std::string(secret_access_key), date);
  key = Hmac(key, region);
  key = Hmac(key, service);
  key = Hmac(key, kTerminator);
  std::string mac = Hmac(key, sig.string_to_sign);
  sig.signature = Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  sig.authorization = std::string(kAlgorithm) + " Credential=" + std::string(access_key_id) + '/' + scope +
                      ", SignedHeaders=" + sig.signed_headers + ", Signature=" + sig.signature;
  return sig;
}

}  // namespace spate::client
