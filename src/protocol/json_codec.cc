#include "protocol/json_codec.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/codec_internal.h"
#include "util/base64.h"

namespace spate::protocol {

namespace {

// A parser whose buffers grew beyond this many bytes of input is released
// after use instead of kept for the thread's next request: simdjson's DOM
// needs about 15 bytes of buffers per input byte, and a rare 7 MiB body
// should not pin 100 MiB per thread.
constexpr size_t kMaxRetainedParserCapacity = size_t{1} << 20;

Status SerializationError(std::string message) { return Status(ErrorCode::kSerialization, std::move(message)); }

Status DepthError(int max_depth) {
  return SerializationError("JSON nesting exceeds the maximum depth of " + std::to_string(max_depth));
}

Status ParseError(simdjson::error_code code, int max_depth) {
  switch (code) {
    case simdjson::DEPTH_ERROR: return DepthError(max_depth);
    case simdjson::UTF8_ERROR: return SerializationError("Malformed JSON: the document is not valid UTF-8");
    case simdjson::EMPTY: return SerializationError("Malformed JSON: no value found");
    case simdjson::NUMBER_ERROR: return SerializationError("Malformed JSON: invalid number, or a number out of range");
    case simdjson::MEMALLOC:
    case simdjson::CAPACITY: return SerializationError("JSON document too large to parse");
    default: return SerializationError(std::string("Malformed JSON: ") + simdjson::error_message(code));
  }
}

// Converts a parsed simdjson element (at nesting `depth`, the number of
// containers enclosing it) into *out.
Status Convert(simdjson::dom::element elem, int depth, int max_depth, Value* out) {
  using simdjson::dom::element_type;
  switch (elem.type()) {
    case element_type::NULL_VALUE: *out = Value::Null(); return Status::Ok();
    case element_type::BOOL: *out = Value::Bool(elem.get_bool().value_unsafe()); return Status::Ok();
    case element_type::INT64: *out = Value::Int(elem.get_int64().value_unsafe()); return Status::Ok();
    case element_type::UINT64:  // only produced above INT64_MAX
      *out = Value::Double(static_cast<double>(elem.get_uint64().value_unsafe()));
      return Status::Ok();
    case element_type::DOUBLE: *out = Value::Double(elem.get_double().value_unsafe()); return Status::Ok();
    case element_type::STRING: {
      std::string_view s = elem.get_string().value_unsafe();
      *out = Value::String(std::string(s));
      return Status::Ok();
    }
    case element_type::ARRAY: {
      if (depth + 1 > max_depth) return DepthError(max_depth);
      simdjson::dom::array arr = elem.get_array().value_unsafe();
      *out = Value::MakeArray();
      Value::Array& items = out->mutable_array();
      items.reserve(arr.size());  // size() saturates at 0xFFFFFF
      for (simdjson::dom::element child : arr) {
        items.emplace_back();
        SPATE_TRY(Convert(child, depth + 1, max_depth, &items.back()));
      }
      return Status::Ok();
    }
    case element_type::OBJECT: {
      if (depth + 1 > max_depth) return DepthError(max_depth);
      simdjson::dom::object obj = elem.get_object().value_unsafe();
      *out = Value::MakeObject();
      Value::Object& members = out->mutable_object();
      members.reserve(obj.size());
      for (simdjson::dom::key_value_pair field : obj) {
        members.emplace_back(std::string(field.key), Value());
        SPATE_TRY(Convert(field.value, depth + 1, max_depth, &members.back().second));
      }
      CollapseDuplicateMembers(&members);
      return Status::Ok();
    }
  }
  return Status(ErrorCode::kInternal, "unknown simdjson element type");
}

// kEscape[c]: 0 when byte c is copied as is, else the character after the
// backslash ('u' meaning \u00XX).
constexpr std::array<char, 256> MakeEscapeTable() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr auto kEscape = MakeEscapeTable();
constexpr char kHexDigits[] = "0123456789abcdef";

void WriteString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char esc = kEscape[c];
    if (esc == 0) continue;
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    if (esc == 'u') {
      const char u[6] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 15]};
      out->append(u, sizeof(u));
    } else {
      const char two[2] = {'\\', esc};
      out->append(two, sizeof(two));
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
  out->push_back('"');
}

void WriteInt(int64_t i, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), i);
  out->append(buf, r.ptr);
}

void WriteDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[128];  // fixed notation below 1e21 needs at most ~45 characters
  const double mag = std::fabs(d);
  if (d == 0 || (mag >= 1e-6 && mag < 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
    out->append(buf, r.ptr);
    if (std::find(buf, r.ptr, '.') == r.ptr) out->append(".0");
  } else {
    auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
    out->append(buf, r.ptr);
  }
}

void WriteTimestamp(int64_t ms, std::string* out) {
  uint64_t mag = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out->push_back('-');
    mag = ~mag + 1;  // |ms|, well-defined for INT64_MIN too
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), mag / 1000);
  out->append(buf, r.ptr);
  uint32_t frac = static_cast<uint32_t>(mag % 1000);
  if (frac == 0) return;
  char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10)};
  size_t len = 4;
  while (digits[len - 1] == '0') --len;
  out->append(digits, len);
}

}  // namespace

namespace internal {
void AppendJsonString(std::string_view s, std::string* out) { WriteString(s, out); }
void AppendJsonInt(int64_t i, std::string* out) { WriteInt(i, out); }
void AppendJsonTimestamp(int64_t ms, std::string* out) { WriteTimestamp(ms, out); }
}  // namespace internal

void CollapseDuplicateMembers(Value::Object* members) {
  const size_t n = members->size();
  if (n < 2) return;
  // first[i]: index of the first member named like member i.
  std::vector<size_t> first(n);
  bool any_duplicate = false;
  constexpr size_t kLinearScanLimit = 16;
  if (n <= kLinearScanLimit) {
    for (size_t i = 0; i < n; ++i) {
      first[i] = i;
      for (size_t j = 0; j < i; ++j) {
        if ((*members)[j].first == (*members)[i].first) {
          first[i] = j;
          any_duplicate = true;
          break;
        }
      }
    }
  } else {
    std::unordered_map<std::string_view, size_t> seen;
    seen.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto [it, inserted] = seen.emplace((*members)[i].first, i);
      first[i] = it->second;
      any_duplicate |= !inserted;
    }
  }
  if (!any_duplicate) return;
  Value::Object unique;
  unique.reserve(n);
  std::vector<size_t> position(n);  // position in `unique` of a first occurrence
  for (size_t i = 0; i < n; ++i) {
    if (first[i] == i) {
      position[i] = unique.size();
      unique.push_back(std::move((*members)[i]));
    } else {
      unique[position[first[i]]].second = std::move((*members)[i].second);
    }
  }
  *members = std::move(unique);
}

static_assert(kJsonReadAheadBytes >= simdjson::SIMDJSON_PADDING);

Result<Value> ParseJson(std::string_view body, int max_depth, size_t readable_past_end) {
  if (body.empty()) return SerializationError("Malformed JSON: empty body");
  thread_local simdjson::dom::parser parser;
  auto parse = [&]() -> Result<Value> {
    simdjson::dom::element root;
    // Without the caller's padding simdjson copies the body into its own
    // padded buffer (realloc_if_needed).
    const bool padded = readable_past_end >= kJsonReadAheadBytes;
    simdjson::error_code err = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/!padded).get(root);
    if (err) return ParseError(err, max_depth);
    Value v;
    SPATE_TRY(Convert(root, 0, max_depth, &v));
    return v;
  };
  Result<Value> result = parse();
  if (parser.capacity() > kMaxRetainedParserCapacity) parser = simdjson::dom::parser();
  return result;
}

void WriteJson(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull: out->append("null"); return;
    case Value::Kind::kBool: out->append(v.as_bool() ? "true" : "false"); return;
    case Value::Kind::kInt: WriteInt(v.as_int(), out); return;
    case Value::Kind::kDouble: WriteDouble(v.as_double(), out); return;
    case Value::Kind::kString: WriteString(v.as_string(), out); return;
    case Value::Kind::kBlob:
      out->push_back('"');
      util::Base64EncodeAppend(v.as_string(), out);
      out->push_back('"');
      return;
    case Value::Kind::kTimestamp: WriteTimestamp(v.as_timestamp_ms(), out); return;
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        WriteJson(item, out);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        WriteString(key, out);
        out->push_back(':');
        WriteJson(member, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace spate::protocol
