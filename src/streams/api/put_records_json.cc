#include "streams/api/put_records_json.h"

#include <cstring>
#include <string>

#include "util/base64.h"
#include "util/hash_key.h"

namespace spate::streams::api {
namespace {

// The Kinesis model's bounds for PutRecords (kinesis-2013-12-02.json):
// PutRecordsRequestEntryList, StreamName, PartitionKey, Data, HashKey.
constexpr size_t kMaxRecords = 500;
constexpr size_t kMaxStreamNameBytes = 128;
constexpr size_t kMaxPartitionKeyBytes = 256;
constexpr size_t kMaxDataBytes = 10485760;

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

// StreamName: [a-zA-Z0-9_.-]+, 1 to 128 characters.
bool ValidStreamName(std::string_view s) {
  if (s.empty() || s.size() > kMaxStreamNameBytes) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// 1 to 256 characters of printable ASCII without a backslash: its length in
// bytes is its length in characters, and it needs no unescaping.
bool PlainPartitionKey(std::string_view s) {
  if (s.empty() || s.size() > kMaxPartitionKeyBytes) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '\\') return false;
  }
  return true;
}

// HashKey: 0|([1-9]\d{0,38}), and (MakePutEntry) at most 2^128 - 1.
bool ParseHashKey(std::string_view s, model::uint128* out) {
  if (s.empty() || s.size() > util::kMaxDecimal128Digits || (s[0] == '0' && s.size() > 1)) return false;
  std::optional<model::uint128> v = util::ParseDecimal128(s);  // digits only
  if (!v) return false;
  *out = *v;
  return true;
}

bool DecodeEntry(Scanner& in, PutEntry* e) {
  if (!in.Consume('{')) return false;
  bool data = false, key = false, hash = false;
  std::string error;  // set by a failed decode, not used: the generic path words it
  do {
    std::string_view name, value;
    if (!in.RawString(&name) || !in.Consume(':') || !in.RawString(&value)) return false;
    if (name == "Data" && !data) {
      data = true;
      if (!util::Base64Decode(value, &e->data, &error) || e->data.size() > kMaxDataBytes) return false;
    } else if (name == "PartitionKey" && !key) {
      key = true;
      if (!PlainPartitionKey(value)) return false;
      e->partition_key.assign(value);
    } else if (name == "ExplicitHashKey" && !hash) {
      hash = true;
      model::uint128 v = 0;
      if (!ParseHashKey(value, &v)) return false;
      e->explicit_hash_key = v;
    } else {
      return false;  // unknown or repeated member
    }
  } while (in.Consume(','));
  return in.Consume('}') && data && key;
}

bool DecodeRecords(Scanner& in, std::vector<PutEntry>* entries) {
  if (!in.Consume('[')) return false;
  do {
    if (entries->size() == kMaxRecords) return false;
    if (!DecodeEntry(in, &entries->emplace_back())) return false;
  } while (in.Consume(','));
  return in.Consume(']');
}

}  // namespace

std::unique_ptr<PutRecordsInput> DecodePutRecordsJson(std::string_view body) {
  Scanner in(body);
  if (!in.Consume('{')) return nullptr;
  auto out = std::make_unique<PutRecordsInput>();
  out->entries.reserve(kMaxRecords);
  std::string_view stream_name;
  bool have_name = false, have_records = false;
  do {
    std::string_view name;
    if (!in.RawString(&name) || !in.Consume(':')) return nullptr;
    if (name == "StreamName" && !have_name) {
      have_name = true;
      if (!in.RawString(&stream_name) || !ValidStreamName(stream_name)) return nullptr;
    } else if (name == "Records" && !have_records) {
      have_records = true;
      if (!DecodeRecords(in, &out->entries)) return nullptr;
    } else {
      return nullptr;  // StreamARN, StreamId, unknown or repeated member
    }
  } while (in.Consume(','));
  if (!in.Consume('}') || !in.AtEnd() || !have_name || !have_records) return nullptr;
  out->summary = protocol::Value::MakeObject();
  out->summary.Set("StreamName", protocol::Value::String(std::string(stream_name)));
  return out;
}

}  // namespace spate::streams::api
