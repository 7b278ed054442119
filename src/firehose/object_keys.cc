#include "firehose/object_keys.h"

#include <openssl/evp.h>

#include <random>
#include <vector>

#include "firehose/date_time_format.h"

namespace spate::firehose {

namespace {

// AWS's wording for a prefix rule broken (its typo "Ths" included), as
// CreateDeliveryStream answers it.
constexpr std::string_view kConstraint = "Ths supplied prefix(es) do not satisfy the following constraint: ";
constexpr std::string_view kDefaultTimestamp = "!{timestamp:yyyy/MM/dd/HH/}";
constexpr std::string_view kErrorOutputTypeExpr = "!{firehose:error-output-type}";

enum class Namespace { kTimestamp, kFirehose, kPartitionKeyFromQuery, kPartitionKeyFromLambda };

struct Segment {
  bool literal = true;
  std::string text;  // literal text, or the expression's value
  Namespace ns = Namespace::kTimestamp;
  std::optional<DateTimePattern> pattern;  // timestamp expressions
  bool random = false;                     // firehose: random-string (else error-output-type)
};

struct Template {
  std::vector<Segment> segments;
  bool has_timestamp = false;
  bool has_error_output_type = false;
  bool has_partition_key = false;
  bool has_expression = false;
};

Status Broken(std::string_view constraint) {
  return InvalidArgument(std::string(kConstraint) + std::string(constraint));
}

// Splits `s` (the value of field `field`) into literals and expressions.
Result<Template> ParseTemplate(std::string_view s, std::string_view field) {
  Template t;
  const std::string f(field);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t open = s.find("!{", pos);
    if (open == std::string_view::npos) open = s.size();
    if (open > pos) {
      Segment lit;
      lit.text = std::string(s.substr(pos, open - pos));
      t.segments.push_back(std::move(lit));
    }
    if (open == s.size()) break;
    size_t close = s.find('}', open + 2);
    if (close == std::string_view::npos) {
      return Broken(f + " may contain the sequence !{ only at the start of a !{namespace:value} expression");
    }
    std::string_view expr = s.substr(open + 2, close - open - 2);
    std::string whole(s.substr(open, close - open + 1));
    if (expr.find("!{") != std::string_view::npos) {
      return Broken(f + " may contain the sequence !{ only at the start of a !{namespace:value} expression");
    }
    size_t colon = expr.find(':');
    if (colon == std::string_view::npos) {
      return Broken(f + " expression " + whole + " is not of the form !{namespace:value}");
    }
    std::string_view ns = expr.substr(0, colon);
    std::string_view value = expr.substr(colon + 1);
    Segment seg;
    seg.literal = false;
    seg.text = std::string(value);
    if (ns == "timestamp") {
      seg.ns = Namespace::kTimestamp;
      Result<DateTimePattern> pattern = DateTimePattern::Compile(value);
      if (value.empty() || !pattern.ok()) {
        return Broken(f + " expression " + whole + " is not a valid Java DateTimeFormatter pattern" +
                      (pattern.ok() ? std::string() : " (" + pattern.status().message() + ")"));
      }
      seg.pattern = std::move(pattern).value();
      t.has_timestamp = true;
    } else if (ns == "firehose") {
      seg.ns = Namespace::kFirehose;
      if (value == "random-string") {
        seg.random = true;
      } else if (value == "error-output-type") {
        t.has_error_output_type = true;
      } else {
        return Broken(f + " expression " + whole +
                      " is not valid: the firehose namespace takes random-string or error-output-type");
      }
    } else if (ns == "partitionKeyFromQuery" || ns == "partitionKeyFromLambda") {
      seg.ns = ns == "partitionKeyFromQuery" ? Namespace::kPartitionKeyFromQuery : Namespace::kPartitionKeyFromLambda;
      if (value.empty()) return Broken(f + " expression " + whole + " names no partition key");
      t.has_partition_key = true;
    } else {
      return Broken(f + " expression " + whole +
                    " has an unknown namespace: expected timestamp, firehose, partitionKeyFromQuery or "
                    "partitionKeyFromLambda");
    }
    t.has_expression = true;
    t.segments.push_back(std::move(seg));
    pos = close + 1;
  }
  return t;
}

bool IsSet(const std::optional<std::string>& s) { return s.has_value() && !s->empty(); }

Result<std::string> Evaluate(const Template& t, const KeyContext& ctx, std::string_view field) {
  std::string out;
  std::optional<CivilTime> civil;  // one instant for every timestamp expression
  for (const Segment& seg : t.segments) {
    if (seg.literal) {
      out += seg.text;
      continue;
    }
    switch (seg.ns) {
      case Namespace::kTimestamp:
        if (!civil) civil = ctx.time_zone.Civil(ctx.epoch_ms);
        seg.pattern->Format(*civil, ctx.time_zone, &out);
        break;
      case Namespace::kFirehose:
        if (seg.random) {
          out += ctx.random_string ? ctx.random_string() : RandomString();
        } else {
          if (!ctx.error_output_type) {
            return Internal(std::string(field) +
                            " holds !{firehose:error-output-type} but no error output type is set");
          }
          out += ErrorOutputTypeName(*ctx.error_output_type);
        }
        break;
      case Namespace::kPartitionKeyFromQuery:
      case Namespace::kPartitionKeyFromLambda: {
        const bool query = seg.ns == Namespace::kPartitionKeyFromQuery;
        const auto& keys = query ? ctx.partition_keys_from_query : ctx.partition_keys_from_lambda;
        auto it = keys.find(seg.text);
        if (it == keys.end()) {
          return InvalidArgument(std::string(field) + " expression !{" +
                                 (query ? "partitionKeyFromQuery:" : "partitionKeyFromLambda:") + seg.text +
                                 "} has no value: the record carries no partition key of that name");
        }
        out += it->second;
        break;
      }
    }
  }
  if (out.size() > kMaxEvaluatedPrefixChars) {
    return InvalidArgument(std::string(field) + " evaluates to " + std::to_string(out.size()) +
                           " characters; the limit is " + std::to_string(kMaxEvaluatedPrefixChars));
  }
  return out;
}

}  // namespace

std::string_view ErrorOutputTypeName(ErrorOutputType type) {
  switch (type) {
    case ErrorOutputType::kProcessingFailed: return "processing-failed";
    case ErrorOutputType::kAmazonOpenSearchServiceFailed: return "AmazonOpenSearchService-failed";
    case ErrorOutputType::kSplunkFailed: return "splunk-failed";
    case ErrorOutputType::kFormatConversionFailed: return "format-conversion-failed";
    case ErrorOutputType::kHttpEndpointFailed: return "http-endpoint-failed";
  }
  return "processing-failed";
}

Status ValidatePrefixes(const std::optional<std::string>& prefix, const std::optional<std::string>& error_output_prefix,
                        bool dynamic_partitioning) {
  Template p, e;
  if (IsSet(prefix)) {
    SPATE_ASSIGN_OR_RETURN(p, ParseTemplate(*prefix, "Prefix"));
  }
  if (IsSet(error_output_prefix)) {
    SPATE_ASSIGN_OR_RETURN(e, ParseTemplate(*error_output_prefix, "ErrorOutputPrefix"));
  }
  if (p.has_error_output_type) return Broken("Prefix cannot contain !{firehose:error-output-type}");
  if (IsSet(error_output_prefix) && !e.has_error_output_type) {
    return Broken("ErrorOutputPrefix must contain !{firehose:error-output-type}");
  }
  if (p.has_expression && !IsSet(error_output_prefix)) {
    return Broken("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
  }
  if (e.has_partition_key) {
    return Broken("ErrorOutputPrefix cannot contain the partitionKeyFromQuery or partitionKeyFromLambda namespaces");
  }
  if (p.has_partition_key && !dynamic_partitioning) {
    return Broken(
        "Prefix can contain the partitionKeyFromQuery and partitionKeyFromLambda namespaces only when dynamic "
        "partitioning is enabled");
  }
  if (dynamic_partitioning && !p.has_partition_key) {
    return Broken(
        "Prefix must contain at least one partitionKeyFromQuery or partitionKeyFromLambda expression when dynamic "
        "partitioning is enabled");
  }
  return Status::Ok();
}

std::string RandomString() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(kRandomStringChars, '0');
  uint64_t bits = rng();  // 16 hex digits, 11 used
  for (char& c : s) {
    c = kHex[bits & 0xF];
    bits >>= 4;
  }
  return s;
}

Result<std::string> EvaluatePrefix(const std::optional<std::string>& prefix, const KeyContext& ctx) {
  std::string text = IsSet(prefix) ? *prefix : std::string();
  SPATE_ASSIGN_OR_RETURN(Template t, ParseTemplate(text, "Prefix"));
  if (!t.has_timestamp && !t.has_partition_key) {
    text += kDefaultTimestamp;
    SPATE_ASSIGN_OR_RETURN(t, ParseTemplate(text, "Prefix"));
  }
  return Evaluate(t, ctx, "Prefix");
}

Result<std::string> EvaluateErrorOutputPrefix(const std::optional<std::string>& prefix,
                                              const std::optional<std::string>& error_output_prefix,
                                              const KeyContext& ctx) {
  std::string text;
  if (IsSet(error_output_prefix)) {
    text = *error_output_prefix;
  } else {
    text = IsSet(prefix) ? *prefix : std::string();
    text += kErrorOutputTypeExpr;
    text += '/';
    text += kDefaultTimestamp;
  }
  SPATE_ASSIGN_OR_RETURN(Template t, ParseTemplate(text, "ErrorOutputPrefix"));
  return Evaluate(t, ctx, "ErrorOutputPrefix");
}

std::string ObjectName(std::string_view delivery_stream_name, int64_t version_id, int64_t epoch_ms,
                       const TimeZone& zone, std::string_view uuid, std::string_view extension) {
  CivilTime c = zone.Civil(epoch_ms);
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02d-%02d-%02d-%02d", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  std::string out;
  out.reserve(delivery_stream_name.size() + uuid.size() + extension.size() + 48);
  out.append(delivery_stream_name);
  out.push_back('-');
  out.append(std::to_string(version_id));
  out.push_back('-');
  out.append(stamp);
  out.push_back('-');
  out.append(uuid);
  out.append(extension);
  return out;
}

std::string NameBasedUuid(std::string_view namespace_uuid, std::string_view name) {
  auto hex_value = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  SPATE_ASSERT(namespace_uuid.size() == 36, "namespace is not a textual UUID");
  unsigned char ns[16];
  size_t n = 0;
  for (size_t i = 0; i < namespace_uuid.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      SPATE_ASSERT(namespace_uuid[i] == '-', "namespace is not a textual UUID");
      continue;
    }
    int hi = hex_value(namespace_uuid[i]), lo = hex_value(namespace_uuid[i + 1]);
    SPATE_ASSERT(hi >= 0 && lo >= 0, "namespace is not a textual UUID");
    ns[n++] = static_cast<unsigned char>(hi << 4 | lo);
    ++i;
  }
  SPATE_ASSERT(n == 16, "namespace is not a textual UUID");

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  SPATE_ASSERT(md != nullptr, "EVP_MD_CTX_new failed");
  bool ok = EVP_DigestInit_ex(md, EVP_sha1(), nullptr) == 1 && EVP_DigestUpdate(md, ns, sizeof(ns)) == 1 &&
            EVP_DigestUpdate(md, name.data(), name.size()) == 1 && EVP_DigestFinal_ex(md, digest, &digest_len) == 1;
  EVP_MD_CTX_free(md);
  SPATE_ASSERT(ok && digest_len == 20, "SHA-1 failed");

  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace spate::firehose
