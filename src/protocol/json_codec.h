#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "protocol/value.h"

namespace spate::protocol {

// JSON codec for application/x-amz-json-1.1 bodies (RFC 8259).

// Default nesting limit for decoders: far above any Kinesis, Firehose or
// Kinesis Analytics shape, low enough that hostile input cannot exhaust the
// stack. An array or object is one level; a top-level scalar is depth 0.
inline constexpr int kDefaultMaxDepth = 64;

// Parses one JSON document (any value, surrounding whitespace allowed).
// Numbers: an integer literal that fits int64 becomes Value::Int; a fraction,
// an exponent or an integer in (INT64_MAX, UINT64_MAX] becomes Value::Double,
// possibly rounded. Integer literals outside [INT64_MIN, UINT64_MAX] and
// numbers beyond the double range are errors (a simdjson 3.0.1 limit; AWS
// would parse them but no Kinesis member accepts them). Strings become Value::String (the input
// must be valid UTF-8). Never produces kBlob or kTimestamp: the service-model
// validator coerces those. Duplicate object members collapse as
// CollapseDuplicateMembers describes.
//
// Errors (ErrorCode::kSerialization): empty body, malformed JSON, invalid
// UTF-8, nesting deeper than `max_depth` (and never deeper than 1024).
//
// simdjson reads up to kJsonReadAheadBytes past the end of the text: when
// `readable_past_end` (bytes after `body` that belong to the same
// allocation and may be read, whatever they hold) is at least that, `body`
// is parsed where it is; otherwise it is first copied into a thread-local
// padded buffer. The parser's buffers are reused per thread.
inline constexpr size_t kJsonReadAheadBytes = 64;
Result<Value> ParseJson(std::string_view body, int max_depth = kDefaultMaxDepth, size_t readable_past_end = 0);

// Appends the compact JSON text of `v` to *out.
//   - Strings: '"', '\\' and control characters below 0x20 are escaped
//     (\b \f \n \r \t, else \u00XX); everything else, UTF-8 included, is
//     copied byte for byte (the writer does not validate UTF-8).
//   - Blob: the base64 string of its bytes.
//   - Timestamp: epoch seconds as a plain decimal number, never exponent
//     notation: integral seconds, then '.' and the milliseconds with trailing
//     zeros trimmed, no fraction at all when the milliseconds are zero:
//     1506440188749 ms -> 1506440188.749, 1506440188100 -> 1506440188.1,
//     1506440188000 -> 1506440188, -1 -> -0.001.
//   - Double: shortest text that reads back to the same double; fixed
//     notation when 1e-6 <= |d| < 1e21 (with ".0" added to integral values,
//     so it reads back as a double), exponent notation outside that range;
//     NaN and infinities, which JSON cannot express, are written as null.
//   - Int: decimal. Null, Bool: null, true, false.
//   - Object members in order; duplicate names are written as they are.
void WriteJson(const Value& v, std::string* out);

// Makes member names unique, as Jackson and AWS do: for a name that occurs
// more than once, the first position is kept and the last value wins. Used by
// ParseJson and ParseCbor. O(n) for the common case of no duplicates.
void CollapseDuplicateMembers(Value::Object* members);

}  // namespace spate::protocol
