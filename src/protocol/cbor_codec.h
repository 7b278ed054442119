#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "protocol/json_codec.h"  // kDefaultMaxDepth
#include "protocol/value.h"

namespace spate::protocol {

// CBOR codec (RFC 8949) for application/x-amz-cbor-1.1 bodies, the default
// encoding of the AWS Java SDKs, KCL and KPL-Java.

// Parses exactly one CBOR data item; trailing bytes are an error.
//   - Unsigned and negative integers -> Int. Values beyond the int64 range
//     become Double (rounded), as ParseJson does for such numbers.
//   - Byte strings (definite, or indefinite made of definite byte-string
//     chunks) -> Blob. Text strings (likewise; each chunk must be valid UTF-8)
//     -> String.
//   - Arrays and maps, definite or indefinite (closed by break 0xFF) -> Array
//     and Object. Map keys must be text strings. Duplicate keys collapse as
//     CollapseDuplicateMembers describes.
//   - Tag 1 (epoch time) follows AWS, not the RFC, for integers: tag 1 + an
//     integer is epoch MILLISECONDS -> TimestampMs(n); tag 1 + a float is
//     epoch seconds (RFC) -> TimestampMs(round(seconds * 1000)). Tag 1 around
//     anything else, or a time outside int64 milliseconds, is an error. Every
//     other tag is ignored and its content decoded as if untagged; when tags
//     are nested, the innermost one decides.
//   - false, true, null -> Bool, Null; undefined -> Null; half, single and
//     double floats -> Double. Other simple values are an error.
// Errors (ErrorCode::kSerialization, message naming the byte offset): empty
// or truncated input, trailing bytes, reserved additional-information values
// (28..30), indefinite length on a type that has none, a misplaced break,
// invalid UTF-8, non-text map keys, nesting deeper than `max_depth` (an array
// or map is one level; a top-level scalar is depth 0).
// Never reads outside `body`; claimed lengths and counts are checked against
// the bytes left before anything is allocated for them, so memory stays
// proportional to body.size().
Result<Value> ParseCbor(std::string_view body, int max_depth = kDefaultMaxDepth);

// Appends the CBOR encoding of `v` to *out, every head in its shortest form.
//   - Int -> major 0 or 1. Double -> 0xFB + IEEE 754 binary64 (always 8 bytes,
//     as Jackson writes doubles). Bool/Null -> 0xF5/0xF4/0xF6.
//   - String -> major 3; Blob -> major 2.
//   - Timestamp -> tag 1 (0xC1) + integer epoch milliseconds, never a float:
//     the Java SDK v2 reads tag 1 content as epoch millis.
//   - Array/Object -> definite-length major 4/5, members in order.
void WriteCbor(const Value& v, std::string* out);

}  // namespace spate::protocol
