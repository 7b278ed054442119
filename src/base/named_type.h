#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <type_traits>

namespace spate {

// A value of type T that is one kind of thing: NamedType<uint64_t, LogOffsetTag>
// and NamedType<uint64_t, FilePosTag> are distinct types, so a record offset,
// a shard index and a file position cannot be passed for one another
// (STYLE.md rule 4; redpanda's named_type). Construction from T is explicit,
// value() reads it back, and values of the same type compare. Nothing else:
// a type that has arithmetic with a meaning (offset + count -> offset)
// declares those operators beside its Tag, where argument-dependent lookup
// finds them.
//
// Same size, alignment and code as a bare T (trivially copyable when T is):
// free on the hot path, and usable in std::atomic.
template <typename T, typename Tag>
class NamedType {
 public:
  using value_type = T;

  constexpr NamedType() = default;  // T{}, e.g. 0
  constexpr explicit NamedType(T v) : value_(v) {}

  constexpr T value() const { return value_; }

  friend constexpr bool operator==(const NamedType&, const NamedType&) = default;
  friend constexpr auto operator<=>(const NamedType&, const NamedType&) = default;

 private:
  T value_{};
};

// For test output (gtest prints through operator<<) and logs: the bare value,
// small integers as numbers rather than characters. Declared with <iosfwd>;
// the caller includes <ostream>.
template <typename T, typename Tag>
std::ostream& operator<<(std::ostream& os, const NamedType<T, Tag>& v) {
  if constexpr (std::is_integral_v<T>) {
    return os << +v.value();  // promotes uint8_t and the like to int
  } else {
    return os << v.value();
  }
}

}  // namespace spate

template <typename T, typename Tag>
struct std::hash<spate::NamedType<T, Tag>> {
  size_t operator()(const spate::NamedType<T, Tag>& v) const noexcept { return std::hash<T>{}(v.value()); }
};
