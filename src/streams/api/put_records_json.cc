#include "streams/api/put_records_json.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>

#include "base/assert.h"
#include "protocol/model_pattern.h"
#include "protocol/service_model.h"
#include "util/base64.h"
#include "util/hash_key.h"

namespace spate::streams::api {
namespace {

// The pattern of the model's HashKey that ParseHashKey implements by hand.
constexpr std::string_view kDecimalHashKeyPattern = R"(0|([1-9]\d{0,38}))";

// At most this much is allocated up front for a record's data on the
// strength of the previous record's size, and a record whose buffer ends up
// more than twice its size is trimmed: a large record followed by small ones
// costs neither memory nor zero-filling per small record.
constexpr size_t kMaxExpectedDataBytes = 16 << 10;

// Entries reserved up front: the usual call's whole list (500 in the model
// today), without trusting a model bound for an allocation size.
constexpr size_t kEntriesReserved = 500;

// A model bound as a length: absent is `absent`; beyond size_t, SIZE_MAX.
size_t LengthBound(const std::optional<double>& bound, size_t absent) {
  if (!bound) return absent;
  if (*bound <= 0) return 0;
  if (*bound >= static_cast<double>(SIZE_MAX)) return SIZE_MAX;
  return static_cast<size_t>(*bound);
}

protocol::MemberConstraints Member(const protocol::ServiceModel& model, const protocol::OperationInfo& op,
                                   std::initializer_list<std::string_view> path) {
  std::optional<protocol::MemberConstraints> c = model.InputMember(op, path);
  SPATE_ASSERT(c.has_value(), "the service model's PutRecords input lacks a member the fast decoder reads");
  return *c;
}

// Reads JSON tokens left to right; every method returns false (or an empty
// view) for what the fast path does not take.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // The raw characters of a string token, quotes excluded. Escapes are not
  // interpreted: callers refuse a backslash where they look at the
  // characters (a key with one matches no member name, base64 has none).
  bool RawString(std::string_view* out) {
    if (!Consume('"')) return false;
    const void* q = std::memchr(p_, '"', static_cast<size_t>(end_ - p_));
    if (q == nullptr) return false;
    const char* close = static_cast<const char*>(q);
    *out = std::string_view(p_, static_cast<size_t>(close - p_));
    p_ = close + 1;
    return true;
  }

  // A string token of base64 (Data), decoded into *out as it is read: one
  // pass over its characters, where RawString then Base64Decode made two
  // (a memchr for the closing quote, then the decode). `expected_bytes`:
  // the size to allocate first.
  bool Base64String(size_t expected_bytes, std::string* out) {
    if (!Consume('"')) return false;
    const size_t n =
        util::Base64DecodeTerminated(std::string_view(p_, static_cast<size_t>(end_ - p_)), '"', expected_bytes, out);
    if (n == std::string_view::npos) return false;
    p_ += n + 1;
    return true;
  }

  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const char* p_;
  const char* end_;
};

// Printable ASCII without a backslash: the string's length in bytes is its
// length in characters, and it needs no unescaping.
bool PlainAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '\\') return false;
  }
  return true;
}

bool WithinLength(std::string_view s, size_t min, size_t max) { return s.size() >= min && s.size() <= max; }

// The model's StreamName: its length and pattern, on printable ASCII.
bool ValidStreamName(std::string_view s, const PutRecordsBounds& b) {
  if (!WithinLength(s, b.min_stream_name, b.max_stream_name) || !PlainAscii(s)) return false;
  return b.stream_name_pattern == nullptr || b.stream_name_pattern->FullMatch(s);
}

// The model's HashKey (length, pattern) and MakePutEntry's bound: at most
// 2^128 - 1.
bool ParseHashKey(std::string_view s, const PutRecordsBounds& b, model::uint128* out) {
  if (!WithinLength(s, b.min_hash_key, b.max_hash_key)) return false;
  if (b.hash_key_pattern_is_decimal) {
    // 0|([1-9]\d{0,38}) by hand: ParseDecimal128 takes digits only.
    if (s.empty() || s.size() > util::kMaxDecimal128Digits || (s[0] == '0' && s.size() > 1)) return false;
  } else if (!PlainAscii(s) || (b.hash_key_pattern != nullptr && !b.hash_key_pattern->FullMatch(s))) {
    return false;
  }
  std::optional<model::uint128> v = util::ParseDecimal128(s);
  if (!v) return false;
  *out = *v;
  return true;
}

// `expected_bytes`: the size of the previous record's data (records of a
// call tend to be alike), for the first allocation of this one's.
bool DecodeEntry(Scanner& in, const PutRecordsBounds& b, size_t expected_bytes, PutEntry* e) {
  if (!in.Consume('{')) return false;
  bool data = false, key = false, hash = false;
  do {
    std::string_view name, value;
    if (!in.RawString(&name) || !in.Consume(':')) return false;
    if (name == "Data" && !data) {
      data = true;
      if (!in.Base64String(expected_bytes, &e->data) || e->data.size() < b.min_data || e->data.size() > b.max_data) {
        return false;
      }
      if (e->data.capacity() > 2 * e->data.size() + 64) e->data.shrink_to_fit();
      continue;
    }
    if (!in.RawString(&value)) return false;
    if (name == "PartitionKey" && !key) {
      key = true;
      if (!WithinLength(value, b.min_partition_key, b.max_partition_key) || !PlainAscii(value)) return false;
      e->partition_key.assign(value);
    } else if (name == "ExplicitHashKey" && !hash) {
      hash = true;
      model::uint128 v = 0;
      if (!ParseHashKey(value, b, &v)) return false;
      e->explicit_hash_key = v;
    } else {
      return false;  // unknown or repeated member
    }
  } while (in.Consume(','));
  return in.Consume('}') && data && key;
}

bool DecodeRecords(Scanner& in, const PutRecordsBounds& b, std::vector<PutEntry>* entries) {
  if (!in.Consume('[')) return false;
  size_t expected_bytes = 0;
  do {
    if (entries->size() == b.max_records) return false;
    PutEntry& e = entries->emplace_back();
    if (!DecodeEntry(in, b, expected_bytes, &e)) return false;
    expected_bytes = std::min(e.data.size(), kMaxExpectedDataBytes);
  } while (in.Consume(','));
  return in.Consume(']') && entries->size() >= b.min_records;
}

}  // namespace

PutRecordsBounds PutRecordsBounds::FromModel(const protocol::ServiceModel& model) {
  const protocol::OperationInfo* op = model.FindOperation("PutRecords");
  SPATE_ASSERT(op != nullptr, "the service model has no PutRecords");
  PutRecordsBounds b;
  const protocol::MemberConstraints records = Member(model, *op, {"Records"});
  b.min_records = LengthBound(records.min, 0);
  b.max_records = LengthBound(records.max, SIZE_MAX);
  const protocol::MemberConstraints name = Member(model, *op, {"StreamName"});
  b.min_stream_name = LengthBound(name.min, 0);
  b.max_stream_name = LengthBound(name.max, SIZE_MAX);
  b.stream_name_pattern = name.pattern;
  const protocol::MemberConstraints key = Member(model, *op, {"Records", "PartitionKey"});
  b.min_partition_key = LengthBound(key.min, 0);
  b.max_partition_key = LengthBound(key.max, SIZE_MAX);
  const protocol::MemberConstraints data = Member(model, *op, {"Records", "Data"});
  b.min_data = LengthBound(data.min, 0);
  b.max_data = LengthBound(data.max, SIZE_MAX);
  const protocol::MemberConstraints hash = Member(model, *op, {"Records", "ExplicitHashKey"});
  b.min_hash_key = LengthBound(hash.min, 0);
  b.max_hash_key = LengthBound(hash.max, SIZE_MAX);
  b.hash_key_pattern = hash.pattern;
  b.hash_key_pattern_is_decimal = hash.pattern != nullptr && hash.pattern->source() == kDecimalHashKeyPattern;
  return b;
}

std::unique_ptr<PutRecordsInput> PutRecordsJsonDecoder::Decode(std::string_view body) const {
  Scanner in(body);
  if (!in.Consume('{')) return nullptr;
  auto out = std::make_unique<PutRecordsInput>();
  out->entries.reserve(std::min<size_t>(bounds_.max_records, kEntriesReserved));
  std::string_view stream_name;
  bool have_name = false, have_records = false;
  do {
    std::string_view name;
    if (!in.RawString(&name) || !in.Consume(':')) return nullptr;
    if (name == "StreamName" && !have_name) {
      have_name = true;
      if (!in.RawString(&stream_name) || !ValidStreamName(stream_name, bounds_)) return nullptr;
    } else if (name == "Records" && !have_records) {
      have_records = true;
      if (!DecodeRecords(in, bounds_, &out->entries)) return nullptr;
    } else {
      return nullptr;  // StreamARN, StreamId, unknown or repeated member
    }
  } while (in.Consume(','));
  if (!in.Consume('}') || !in.AtEnd() || !have_name || !have_records) return nullptr;
  out->summary = protocol::Value::MakeObject();
  out->summary.Set("StreamName", protocol::Value::String(std::string(stream_name)));
  return out;
}

std::unique_ptr<PutRecordsInput> DecodePutRecordsJson(std::string_view body) {
  static const PutRecordsJsonDecoder decoder(protocol::ServiceModel::Kinesis());
  return decoder.Decode(body);
}

}  // namespace spate::streams::api
