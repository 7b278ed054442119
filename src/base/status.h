#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace spate {

// Error codes are Spate's own, independent of any wire protocol. The protocol
// layer maps each one to an AWS error type in exactly one table
// (protocol/errors.h). A code plus a message is all an error carries.
enum class ErrorCode : uint8_t {
  kOk = 0,
  kInvalidArgument,        // caller's input is well-formed but not acceptable
  kValidation,             // input breaks a service-model constraint
  kSerialization,          // input cannot be decoded as the declared type
  kNotFound,               // named resource does not exist
  kAlreadyExists,          // resource with that name exists
  kResourceInUse,          // resource exists but its state forbids this call
  kLimitExceeded,          // a quota or control-plane rate would be exceeded
  kThroughputExceeded,     // a data-plane rate would be exceeded
  kExpiredIterator,        // shard iterator older than its lifetime
  kExpiredNextToken,       // pagination token older than its lifetime
  kUnknownOperation,       // X-Amz-Target names no operation
  kMissingAuthentication,  // no credentials on the request
  kIncompleteSignature,
  kInvalidSignature,
  kUnrecognizedClient,
  kAccessDenied,
  kConcurrentModification,           // an optimistic version check failed (stale version id)
  kServiceUnavailable,               // a service-level rate was exceeded ("Slow down."); retry later
  kCodeValidation,                   // an application's code does not compile (Analytics)
  kInvalidApplicationConfiguration,  // an application cannot start as configured (Analytics)
  kUnableToDetectSchema,             // no schema could be inferred from the sample (Analytics)
  kTooManyTags,                      // a resource would carry more tags than allowed
  kUnsupportedOperation,             // the resource's state or kind does not support the call
  kIoError,                          // a file operation failed; retryable from the client's side
  kCorruption,                       // stored data failed its checksum; never served
  kUnavailable,                      // temporarily cannot serve (disk full, log fenced); retryable
  kInternal,                         // a bug or an impossible state
};

std::string_view ErrorCodeName(ErrorCode code);

// Status is the result of an operation that returns no value. It is cheap to
// copy when ok (no allocation). Ignoring one is a compile error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Marks a status as deliberately not inspected.
  void IgnoreError() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(ErrorCode::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(ErrorCode::kNotFound, std::move(m)); }
inline Status IoError(std::string m) { return Status(ErrorCode::kIoError, std::move(m)); }
inline Status Corruption(std::string m) { return Status(ErrorCode::kCorruption, std::move(m)); }
inline Status Internal(std::string m) { return Status(ErrorCode::kInternal, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(ErrorCode::kUnavailable, std::move(m)); }

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    SPATE_ASSERT(!std::get<Status>(v_).ok(), "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    SPATE_ASSERT(ok(), "value() on an error Result");
    return std::get<T>(v_);
  }
  const T& value() const& {
    SPATE_ASSERT(ok(), "value() on an error Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    SPATE_ASSERT(ok(), "value() on an error Result");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace spate

#define SPATE_CONCAT_INNER(a, b) a##b
#define SPATE_CONCAT(a, b) SPATE_CONCAT_INNER(a, b)

// SPATE_TRY(expr): evaluates a Status expression and returns it if not ok.
#define SPATE_TRY(expr)                    \
  do {                                     \
    ::spate::Status _spate_st = (expr);    \
    if (!_spate_st.ok()) return _spate_st; \
  } while (0)

// SPATE_ASSIGN_OR_RETURN(lhs, expr): evaluates a Result<T>; on error returns
// its Status, otherwise moves the value into lhs (which may be a declaration).
#define SPATE_ASSIGN_OR_RETURN(lhs, expr) SPATE_ASSIGN_OR_RETURN_IMPL(SPATE_CONCAT(_spate_res_, __LINE__), lhs, expr)
#define SPATE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
