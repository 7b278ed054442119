#include "firehose/s3_protocol.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>

#include "firehose/s3_signer.h"

namespace spate::firehose {
namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr size_t kMaxMessageBodyBytes = 200;  // of a non-XML error body quoted in a Status

// S3 error codes worth retrying whatever their HTTP status (AWS SDKs retry
// the same set). NoSuchUpload: the multipart upload vanished under us
// (aborted elsewhere, or by a lifecycle rule); a new attempt starts a new one.
constexpr std::array<std::string_view, 10> kTransientCodes = {
    "SlowDown",          "InternalError",       "ServiceUnavailable",   "RequestTimeout",
    "Throttling",        "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "TemporaryRedirect", "NoSuchUpload"};

bool IsTransientCode(std::string_view code) {
  for (std::string_view c : kTransientCodes) {
    if (c == code) return true;
  }
  return false;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the five predefined entities and numeric references; anything
// else after '&' is kept as written.
std::string DecodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t semi = s[i] == '&' ? s.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back(s[i++]);
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || cp > 0x10FFFF) {
        out.push_back(s[i++]);
        continue;
      }
      AppendUtf8(cp, &out);
    } else {
      out.push_back(s[i++]);
      continue;
    }
    i = semi + 1;
  }
  return out;
}

bool NameChar(char c) { return c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n'; }

bool ValidVirtualHostBucket(std::string_view bucket) {
  if (bucket.empty() || bucket.front() == '.' || bucket.back() == '.' || bucket.front() == '-') return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return bucket.find("..") == std::string_view::npos;
}

}  // namespace

Result<S3Endpoint> ParseS3Endpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("S3 endpoint '" + std::string(url) + "': " + std::string(why));
  };
  S3Endpoint ep;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected http://host[:port] or https://host[:port]");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  ep.scheme = scheme;
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && rest.substr(slash) != "/") return bad("no path, query or fragment allowed");
  if (authority.empty()) return bad("no host");
  if (authority.find('@') != std::string_view::npos) return bad("no user info allowed (give credentials apart)");

  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 literal");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 literal");
      port = after.substr(1);
    }
    ep.host_is_ip = true;
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  if (authority.front() != '[') {
    unsigned char addr[sizeof(in_addr)];
    ep.host_is_ip = inet_pton(AF_INET, std::string(host).c_str(), addr) == 1;
  }
  if (!port.empty() || (port.empty() && authority.back() == ':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("bad port");
    }
  }
  std::string host_lower(host);
  for (char& c : host_lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  ep.authority = port.empty() || default_port ? host_lower : host_lower + ":" + std::string(port);
  return ep;
}

Result<S3Address> AddressS3Object(const S3Endpoint& endpoint, std::string_view bucket, std::string_view key,
                                  bool path_style) {
  if (bucket.empty()) return InvalidArgument("empty bucket name");
  S3Address a;
  if (path_style) {
    a.host = endpoint.authority;
    a.path = S3EncodePath(bucket, key);
    return a;
  }
  if (endpoint.host_is_ip) {
    return InvalidArgument("virtual-host addressing needs a DNS name, not the IP address of " + endpoint.authority +
                           " (use path-style addressing)");
  }
  if (!ValidVirtualHostBucket(bucket)) {
    return InvalidArgument("bucket '" + std::string(bucket) + "' cannot be a host name (use path-style addressing)");
  }
  a.host = std::string(bucket) + "." + endpoint.authority;
  a.path = S3EncodePath("", key);
  return a;
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag) {
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    size_t name_begin = pos + 1;
    size_t name_end = name_begin;
    while (name_end < xml.size() && NameChar(xml[name_end])) ++name_end;
    if (xml.substr(name_begin, name_end - name_begin) != tag) {
      pos = name_begin;
      continue;
    }
    size_t close = xml.find('>', name_end);
    if (close == std::string_view::npos) return std::nullopt;
    if (xml[close - 1] == '/') return std::string();  // <tag/>
    size_t text_begin = close + 1;
    std::string end_tag = "</" + std::string(tag) + ">";
    size_t text_end = xml.find(end_tag, text_begin);
    if (text_end == std::string_view::npos) return std::nullopt;
    return DecodeEntities(xml.substr(text_begin, text_end - text_begin));
  }
  return std::nullopt;
}

std::string XmlRootName(std::string_view xml) {
  size_t pos = 0;
  while (pos < xml.size()) {
    char c = xml[pos];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++pos;
    } else if (xml.substr(pos, 2) == "<?") {
      size_t end = xml.find("?>", pos);
      if (end == std::string_view::npos) return "";
      pos = end + 2;
    } else if (xml.substr(pos, 4) == "<!--") {
      size_t end = xml.find("-->", pos);
      if (end == std::string_view::npos) return "";
      pos = end + 3;
    } else if (c == '<') {
      size_t end = pos + 1;
      while (end < xml.size() && NameChar(xml[end])) ++end;
      return std::string(xml.substr(pos + 1, end - pos - 1));
    } else {
      return "";
    }
  }
  return "";
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags) {
  std::string out = "<CompleteMultipartUpload xmlns=\"" + std::string(kS3Namespace) + "\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    out +=
        "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + XmlEscape(etags[i]) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

Status S3ErrorStatus(std::string_view what, long http_status, std::string_view body) {
  std::string code;
  std::string message;
  std::string request_id;
  if (XmlRootName(body) == "Error") {
    code = XmlElementText(body, "Code").value_or("");
    message = XmlElementText(body, "Message").value_or("");
    request_id = XmlElementText(body, "RequestId").value_or("");
  } else if (!body.empty()) {
    message = std::string(body.substr(0, kMaxMessageBodyBytes));
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(http_status);
  if (http_status == 200) text += " with an error body";
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " (request id " + request_id + ")";

  ErrorCode ec = ErrorCode::kInvalidArgument;
  if (IsTransientCode(code) || http_status >= 500 || http_status == 408 || http_status == 429 || http_status == 200) {
    ec = ErrorCode::kUnavailable;
  } else if (http_status == 404 && (code.empty() || code == "NoSuchBucket")) {
    ec = ErrorCode::kNotFound;
  } else if (http_status == 403) {
    ec = ErrorCode::kAccessDenied;
  }
  return Status(ec, std::move(text));
}

}  // namespace spate::firehose
