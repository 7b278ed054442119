#pragma once

// The parts of the S3 REST protocol the S3 object store speaks, apart from
// the HTTP transport so they can be tested alone: where a request goes
// (endpoint, path-style or virtual-host addressing), the few XML documents
// it reads and writes, and how an S3 error answer becomes a Status.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::firehose {

// A parsed S3 endpoint: "http://127.0.0.1:4569", "https://s3.eu-west-1.amazonaws.com".
struct S3Endpoint {
  std::string scheme;     // "http" or "https"
  std::string authority;  // host[:port] as the Host header carries it (a default port dropped)
  bool host_is_ip = false;
};

// Accepts scheme://host[:port] with an optional trailing '/'; no user info,
// path, query or fragment. Errors: kInvalidArgument naming what is wrong.
Result<S3Endpoint> ParseS3Endpoint(std::string_view url);

// Where the request for an object (or, with an empty key, its bucket) goes.
struct S3Address {
  std::string host;  // the Host header: "127.0.0.1:4569" or "bucket.s3.example.com"
  std::string path;  // encoded, as sent and signed: "/bucket/a%20b" or "/a%20b"
  // scheme://host + path, without a query.
  std::string Url(const S3Endpoint& endpoint) const { return endpoint.scheme + "://" + host + path; }
};

// Path-style puts the bucket first in the path; virtual-host style puts it
// in front of the endpoint's host. Errors: kInvalidArgument for an empty
// bucket, or a virtual-host bucket that cannot be a DNS label sequence
// (anything but a-z 0-9 . -) or an endpoint that is an IP address.
Result<S3Address> AddressS3Object(const S3Endpoint& endpoint, std::string_view bucket, std::string_view key,
                                  bool path_style);

// The text of the first element named `tag` (<tag> or <tag attr=..>, or
// <tag/> for the empty string), XML entities decoded; nullopt when absent.
// Enough for S3's flat answers (InitiateMultipartUploadResult, Error); not a
// general XML parser.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag);

// The name of the document's root element (after the prolog, comments and
// whitespace); empty when there is none.
std::string XmlRootName(std::string_view xml);

// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

// The CompleteMultipartUpload request body for parts 1..n with these ETags.
std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags);

// The Status for an S3 answer that failed: `what` names the call and object
// ("PutObject s3://b/k"), http_status is the answer's status (or 200 for the
// error body S3 may send with a 200 to CompleteMultipartUpload), body its
// XML. The message carries the S3 error code and message. Codes:
//   throttling and transient S3 codes (SlowDown, InternalError, RequestTimeout,
//   ...), 5xx, 408, 429, 200-with-Error: kUnavailable
//   404 NoSuchBucket (or a 404 without a code):      kNotFound
//   403:                                             kAccessDenied
//   any other status:                                kInvalidArgument
Status S3ErrorStatus(std::string_view what, long http_status, std::string_view body);

}  // namespace spate::firehose
