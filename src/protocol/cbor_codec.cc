#include "protocol/cbor_codec.h"

#include <simdjson.h>  // simdjson::validate_utf8

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "protocol/codec_internal.h"

namespace spate::protocol {

// Hand-written because it is on the data path (Java clients send every
// PutRecords and GetRecords in CBOR), AWS uses a tiny subset of CBOR, and
// Debian's libcbor builds a heap-allocated, reference-counted item per value
// before we could convert it: decoding straight into Value halves the work.

namespace {

// Major types (RFC 8949 section 3.1).
constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorNegative = 1;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kMajorTag = 6;
constexpr uint8_t kMajorSimple = 7;

// Additional-information values.
constexpr uint8_t kAiOneByte = 24;
constexpr uint8_t kAiTwoBytes = 25;
constexpr uint8_t kAiFourBytes = 26;
constexpr uint8_t kAiEightBytes = 27;
constexpr uint8_t kAiIndefinite = 31;

// Simple values (major 7).
constexpr uint8_t kSimpleFalse = 20;
constexpr uint8_t kSimpleTrue = 21;
constexpr uint8_t kSimpleNull = 22;
constexpr uint8_t kSimpleUndefined = 23;

constexpr uint8_t kBreak = 0xFF;
constexpr uint64_t kTagEpochTime = 1;

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// An initial byte and its argument. For floats (major 7, ai 25..27) `arg`
// holds the raw bits; for ai 31 `indefinite` is set and `arg` is 0.
struct Head {
  uint8_t major = 0;
  uint8_t ai = 0;
  bool indefinite = false;
  uint64_t arg = 0;
};

double HalfToDouble(uint16_t half) {  // RFC 8949 Appendix D
  const int exp = (half >> 10) & 0x1f;
  const int mant = half & 0x3ff;
  double val;
  if (exp == 0) {
    val = std::ldexp(mant, -24);
  } else if (exp != 31) {
    val = std::ldexp(mant + 1024, exp - 25);
  } else {
    val = mant == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  }
  return (half & 0x8000) ? -val : val;
}

class Decoder {
 public:
  Decoder(std::string_view in, int max_depth)
      : begin_(reinterpret_cast<const uint8_t*>(in.data())),
        p_(begin_),
        end_(begin_ + in.size()),
        max_depth_(max_depth) {}

  Result<Value> DecodeDocument() {
    if (p_ == end_) return Error("CBOR: empty body");
    Value v;
    SPATE_TRY(ReadItem(0, &v));
    if (p_ != end_) return Error("CBOR: trailing bytes after the top-level item at offset " + Offset());
    return v;
  }

 private:
  std::string Offset() const { return std::to_string(p_ - begin_); }
  static Status Error(std::string message) { return Status(ErrorCode::kSerialization, std::move(message)); }
  Status Truncated() const { return Error("CBOR: truncated input at offset " + Offset()); }
  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }

  Status ReadHead(Head* h) {
    if (p_ == end_) return Truncated();
    const uint8_t ib = *p_++;
    h->major = ib >> 5;
    h->ai = ib & 0x1f;
    h->indefinite = false;
    h->arg = 0;
    if (h->ai < kAiOneByte) {
      h->arg = h->ai;
    } else if (h->ai <= kAiEightBytes) {
      const size_t n = size_t{1} << (h->ai - kAiOneByte);
      if (Remaining() < n) return Truncated();
      for (size_t i = 0; i < n; ++i) h->arg = (h->arg << 8) | p_[i];
      p_ += n;
    } else if (h->ai == kAiIndefinite) {
      if (h->major == kMajorUnsigned || h->major == kMajorNegative || h->major == kMajorTag) {
        --p_;
        return Error("CBOR: indefinite length not allowed for major type " + std::to_string(h->major) + " at offset " +
                     Offset());
      }
      h->indefinite = true;
    } else {
      --p_;
      return Error("CBOR: reserved additional information " + std::to_string(h->ai) + " at offset " + Offset());
    }
    return Status::Ok();
  }

  // Reads the payload of a string whose head `h` (major 2 or 3) was just
  // read, appending it to *out.
  Status ReadString(const Head& h, std::string* out) {
    if (!h.indefinite) return AppendChunk(h, out);
    for (;;) {
      if (p_ == end_) return Truncated();
      if (*p_ == kBreak) {
        ++p_;
        return Status::Ok();
      }
      Head chunk;
      SPATE_TRY(ReadHead(&chunk));
      if (chunk.major != h.major || chunk.indefinite) {
        return Error("CBOR: an indefinite-length string chunk must be a definite string of the same type, at offset " +
                     Offset());
      }
      SPATE_TRY(AppendChunk(chunk, out));
    }
  }

  Status AppendChunk(const Head& h, std::string* out) {
    if (h.arg > Remaining()) return Truncated();
    const auto* data = reinterpret_cast<const char*>(p_);
    const size_t len = static_cast<size_t>(h.arg);
    if (h.major == kMajorText && !simdjson::validate_utf8(data, len)) {
      return Error("CBOR: text string is not valid UTF-8 at offset " + Offset());
    }
    out->append(data, len);
    p_ += len;
    return Status::Ok();
  }

  // True when the next byte is a break, which it consumes; for indefinite
  // arrays and maps.
  Status AtBreak(bool* at_break) {
    if (p_ == end_) return Truncated();
    *at_break = *p_ == kBreak;
    if (*at_break) ++p_;
    return Status::Ok();
  }

  // Reads one item nested inside `depth` containers into *out.
  Status ReadItem(int depth, Value* out) {
    Head h;
    SPATE_TRY(ReadHead(&h));
    // Tags, iteratively so a long chain of them cannot exhaust the stack.
    bool epoch_time = false;
    while (h.major == kMajorTag) {
      epoch_time = h.arg == kTagEpochTime;
      SPATE_TRY(ReadHead(&h));
    }
    if (epoch_time) return ReadEpochTime(h, out);

    switch (h.major) {
      case kMajorUnsigned:
        *out = h.arg <= kInt64Max ? Value::Int(static_cast<int64_t>(h.arg)) : Value::Double(static_cast<double>(h.arg));
        return Status::Ok();
      case kMajorNegative:  // -1 - arg
        *out = h.arg <= kInt64Max ? Value::Int(-1 - static_cast<int64_t>(h.arg))
                                  : Value::Double(-1.0 - static_cast<double>(h.arg));
        return Status::Ok();
      case kMajorBytes: *out = Value::Blob(std::string()); return ReadString(h, &out->mutable_string());
      case kMajorText: *out = Value::String(std::string()); return ReadString(h, &out->mutable_string());
      case kMajorArray: return ReadArray(h, depth, out);
      case kMajorMap: return ReadMap(h, depth, out);
      default: return ReadSimple(h, out);
    }
  }

  Status ReadArray(const Head& h, int depth, Value* out) {
    if (depth + 1 > max_depth_) return DepthError();
    *out = Value::MakeArray();
    Value::Array& items = out->mutable_array();
    if (h.indefinite) {
      for (;;) {
        bool done = false;
        SPATE_TRY(AtBreak(&done));
        if (done) return Status::Ok();
        items.emplace_back();
        SPATE_TRY(ReadItem(depth + 1, &items.back()));
      }
    }
    // Every item takes at least one byte: a claimed count beyond that is
    // truncated input, caught before allocating for it.
    if (h.arg > Remaining()) return Truncated();
    items.reserve(static_cast<size_t>(h.arg));
    for (uint64_t i = 0; i < h.arg; ++i) {
      items.emplace_back();
      SPATE_TRY(ReadItem(depth + 1, &items.back()));
    }
    return Status::Ok();
  }

  Status ReadMap(const Head& h, int depth, Value* out) {
    if (depth + 1 > max_depth_) return DepthError();
    *out = Value::MakeObject();
    Value::Object& members = out->mutable_object();
    if (h.indefinite) {
      for (;;) {
        bool done = false;
        SPATE_TRY(AtBreak(&done));
        if (done) break;
        SPATE_TRY(ReadMember(depth, &members));
      }
    } else {
      // Every member takes at least two bytes.
      if (h.arg > Remaining() / 2) return Truncated();
      members.reserve(static_cast<size_t>(h.arg));
      for (uint64_t i = 0; i < h.arg; ++i) SPATE_TRY(ReadMember(depth, &members));
    }
    CollapseDuplicateMembers(&members);
    return Status::Ok();
  }

  // Reads a key (a text string, possibly tagged) and its value.
  Status ReadMember(int depth, Value::Object* members) {
    const size_t key_offset = static_cast<size_t>(p_ - begin_);
    Head h;
    SPATE_TRY(ReadHead(&h));
    while (h.major == kMajorTag) SPATE_TRY(ReadHead(&h));
    if (h.major != kMajorText) {
      return Error("CBOR: map key at offset " + std::to_string(key_offset) + " is not a text string");
    }
    members->emplace_back(std::string(), Value());  // explicit: clang 14 rejects the default pair here
    SPATE_TRY(ReadString(h, &members->back().first));
    return ReadItem(depth + 1, &members->back().second);
  }

  Status ReadSimple(const Head& h, Value* out) {
    switch (h.ai) {
      case kSimpleFalse: *out = Value::Bool(false); return Status::Ok();
      case kSimpleTrue: *out = Value::Bool(true); return Status::Ok();
      case kSimpleNull:
      case kSimpleUndefined: *out = Value::Null(); return Status::Ok();
      case kAiTwoBytes: *out = Value::Double(HalfToDouble(static_cast<uint16_t>(h.arg))); return Status::Ok();
      case kAiFourBytes: *out = Value::Double(std::bit_cast<float>(static_cast<uint32_t>(h.arg))); return Status::Ok();
      case kAiEightBytes: *out = Value::Double(std::bit_cast<double>(h.arg)); return Status::Ok();
      case kAiIndefinite: return Error("CBOR: unexpected break at offset " + std::to_string(p_ - begin_ - 1));
      default:
        return Error("CBOR: unsupported simple value " + std::to_string(h.arg) + " at offset " +
                     std::to_string(p_ - begin_ - 1));
    }
  }

  // Content of tag 1, whose head `h` was just read.
  Status ReadEpochTime(const Head& h, Value* out) {
    if (h.major == kMajorUnsigned || h.major == kMajorNegative) {
      if (h.arg > kInt64Max) return Error("CBOR: epoch time out of range before offset " + Offset());
      const int64_t n = static_cast<int64_t>(h.arg);
      *out = Value::TimestampMs(h.major == kMajorUnsigned ? n : -1 - n);
      return Status::Ok();
    }
    if (h.major == kMajorSimple && h.ai >= kAiTwoBytes && h.ai <= kAiEightBytes) {
      Value seconds;
      SPATE_TRY(ReadSimple(h, &seconds));
      const double ms = std::round(seconds.as_double() * 1000.0);
      // 2^63 is exactly representable; anything at or beyond it (or NaN) is out of range.
      constexpr double kLimit = 9223372036854775808.0;
      if (!(ms > -kLimit && ms < kLimit)) return Error("CBOR: epoch time out of range before offset " + Offset());
      *out = Value::TimestampMs(static_cast<int64_t>(ms));
      return Status::Ok();
    }
    return Error("CBOR: tag 1 (epoch time) must wrap an integer or a float, before offset " + Offset());
  }

  Status DepthError() const {
    return Error("CBOR: nesting exceeds the maximum depth of " + std::to_string(max_depth_) + " at offset " +
                 std::to_string(p_ - begin_ - 1));
  }

  const uint8_t* const begin_;
  const uint8_t* p_;
  const uint8_t* const end_;
  const int max_depth_;
};

void WriteHead(uint8_t major, uint64_t arg, std::string* out) {
  const auto mt = static_cast<char>(major << 5);
  char buf[9];
  size_t n;
  if (arg < kAiOneByte) {
    out->push_back(static_cast<char>(mt | static_cast<char>(arg)));
    return;
  } else if (arg <= 0xff) {
    buf[0] = static_cast<char>(mt | kAiOneByte);
    n = 1;
  } else if (arg <= 0xffff) {
    buf[0] = static_cast<char>(mt | kAiTwoBytes);
    n = 2;
  } else if (arg <= 0xffffffff) {
    buf[0] = static_cast<char>(mt | kAiFourBytes);
    n = 4;
  } else {
    buf[0] = static_cast<char>(mt | kAiEightBytes);
    n = 8;
  }
  for (size_t i = 0; i < n; ++i) buf[n - i] = static_cast<char>(arg >> (8 * i));
  out->append(buf, n + 1);
}

void WriteInt(int64_t i, std::string* out) {
  if (i >= 0) {
    WriteHead(kMajorUnsigned, static_cast<uint64_t>(i), out);
  } else {
    WriteHead(kMajorNegative, ~static_cast<uint64_t>(i), out);  // -1 - i
  }
}

}  // namespace

namespace internal {
void AppendCborHead(uint8_t major, uint64_t arg, std::string* out) { WriteHead(major, arg, out); }
void AppendCborInt(int64_t i, std::string* out) { WriteInt(i, out); }
void AppendCborTimestamp(int64_t ms, std::string* out) {
  WriteHead(kMajorTag, kTagEpochTime, out);
  WriteInt(ms, out);
}
}  // namespace internal

Result<Value> ParseCbor(std::string_view body, int max_depth) { return Decoder(body, max_depth).DecodeDocument(); }

void WriteCbor(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull: out->push_back(static_cast<char>((kMajorSimple << 5) | kSimpleNull)); return;
    case Value::Kind::kBool:
      out->push_back(static_cast<char>((kMajorSimple << 5) | (v.as_bool() ? kSimpleTrue : kSimpleFalse)));
      return;
    case Value::Kind::kInt: WriteInt(v.as_int(), out); return;
    case Value::Kind::kDouble: {
      const uint64_t bits = std::bit_cast<uint64_t>(v.as_double());
      char buf[9];
      buf[0] = static_cast<char>((kMajorSimple << 5) | kAiEightBytes);
      for (size_t i = 0; i < 8; ++i) buf[8 - i] = static_cast<char>(bits >> (8 * i));
      out->append(buf, sizeof(buf));
      return;
    }
    case Value::Kind::kString:
    case Value::Kind::kBlob: {
      const std::string& s = v.as_string();
      WriteHead(v.is_blob() ? kMajorBytes : kMajorText, s.size(), out);
      out->append(s);
      return;
    }
    case Value::Kind::kTimestamp:
      WriteHead(kMajorTag, kTagEpochTime, out);
      WriteInt(v.as_timestamp_ms(), out);
      return;
    case Value::Kind::kArray: {
      const Value::Array& items = v.as_array();
      WriteHead(kMajorArray, items.size(), out);
      for (const Value& item : items) WriteCbor(item, out);
      return;
    }
    case Value::Kind::kObject: {
      const Value::Object& members = v.as_object();
      WriteHead(kMajorMap, members.size(), out);
      for (const auto& [key, member] : members) {
        WriteHead(kMajorText, key.size(), out);
        out->append(key);
        WriteCbor(member, out);
      }
      return;
    }
  }
}

}  // namespace spate::protocol
