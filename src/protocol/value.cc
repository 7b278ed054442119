#include "protocol/value.h"

namespace spate::protocol {

const Value* Value::Find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_)) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Value::FindMutable(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

Value& Value::Set(std::string key, Value v) {
  if (Value* existing = FindMutable(key)) {
    *existing = std::move(v);
    return *existing;
  }
  auto& obj = std::get<Object>(v_);
  obj.emplace_back(std::move(key), std::move(v));
  return obj.back().second;
}

Value& Value::Append(Value v) {
  auto& arr = std::get<Array>(v_);
  arr.push_back(std::move(v));
  return arr.back();
}

int64_t Value::GetInt(std::string_view key, int64_t fallback) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_int() ? v->as_int() : fallback;
}

std::string_view Value::GetString(std::string_view key, std::string_view fallback) const {
  const Value* v = Find(key);
  if (v == nullptr || !(v->is_string() || v->is_blob())) return fallback;
  return v->as_string();
}

}  // namespace spate::protocol
