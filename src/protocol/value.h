#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spate::protocol {

// Value is the document model every wire encoding decodes into and encodes
// from: JSON 1.1 and CBOR 1.1 requests both become a Value tree, are
// validated against the service model, and handlers build a Value tree for
// the response, which is encoded in the request's encoding.
//
// Blobs and timestamps are distinct kinds because the encodings differ on
// them: JSON writes a blob as base64 and a timestamp as epoch seconds with a
// millisecond fraction; CBOR writes a byte string and tag 1 wrapping integer
// epoch milliseconds. A JSON decoder never produces kBlob or kTimestamp (it
// cannot know); the service-model validator coerces strings and numbers into
// them where the shape says so.
//
// Objects keep members in insertion order. Not thread-safe; a Value is owned
// by one request at a time.
class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kBlob, kTimestamp, kArray, kObject };
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b) { return Value(Kind::kBool, b); }
  static Value Int(int64_t i) { return Value(Kind::kInt, i); }
  static Value Double(double d) { return Value(Kind::kDouble, d); }
  static Value String(std::string s) { return Value(Kind::kString, std::move(s)); }
  static Value Blob(std::string bytes) { return Value(Kind::kBlob, std::move(bytes)); }
  // Milliseconds since the Unix epoch.
  static Value TimestampMs(int64_t ms) { return Value(Kind::kTimestamp, ms); }
  static Value MakeArray() { return Value(Kind::kArray, Array{}); }
  static Value MakeObject() { return Value(Kind::kObject, Object{}); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_blob() const { return kind_ == Kind::kBlob; }
  bool is_timestamp() const { return kind_ == Kind::kTimestamp; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  // Accessors. Precondition: the kind matches (asserted in debug builds via
  // std::get, which throws bad_variant_access; callers check kind first).
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  // kInt or kDouble as a double.
  double as_number() const { return is_int() ? static_cast<double>(as_int()) : as_double(); }
  // For kString and kBlob alike.
  const std::string& as_string() const { return std::get<std::string>(v_); }
  std::string& mutable_string() { return std::get<std::string>(v_); }
  int64_t as_timestamp_ms() const { return std::get<int64_t>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& mutable_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& mutable_object() { return std::get<Object>(v_); }

  // Object member lookup by exact name; nullptr when absent or not an object.
  const Value* Find(std::string_view key) const;
  Value* FindMutable(std::string_view key);
  // Appends a member (or replaces an existing one of that name); returns it.
  Value& Set(std::string key, Value v);
  // Appends to an array; returns the new element.
  Value& Append(Value v);

  // Convenience for handlers: the member as a string, or `fallback`.
  std::string_view GetString(std::string_view key, std::string_view fallback = {}) const;
  // The member as an integer (kInt), or `fallback`.
  int64_t GetInt(std::string_view key, int64_t fallback = 0) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  bool operator==(const Value& other) const = default;

 private:
  template <typename T>
  Value(Kind k, T&& v) : kind_(k), v_(std::forward<T>(v)) {}

  Kind kind_ = Kind::kNull;
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

}  // namespace spate::protocol
