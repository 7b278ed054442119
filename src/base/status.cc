#include "base/status.h"

#include <cstdio>
#include <cstdlib>

namespace spate {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "Ok";
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kValidation: return "Validation";
    case ErrorCode::kSerialization: return "Serialization";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kResourceInUse: return "ResourceInUse";
    case ErrorCode::kLimitExceeded: return "LimitExceeded";
    case ErrorCode::kThroughputExceeded: return "ThroughputExceeded";
    case ErrorCode::kExpiredIterator: return "ExpiredIterator";
    case ErrorCode::kExpiredNextToken: return "ExpiredNextToken";
    case ErrorCode::kUnknownOperation: return "UnknownOperation";
    case ErrorCode::kMissingAuthentication: return "MissingAuthentication";
    case ErrorCode::kIncompleteSignature: return "IncompleteSignature";
    case ErrorCode::kInvalidSignature: return "InvalidSignature";
    case ErrorCode::kUnrecognizedClient: return "UnrecognizedClient";
    case ErrorCode::kAccessDenied: return "AccessDenied";
    case ErrorCode::kIoError: return "IoError";
    case ErrorCode::kCorruption: return "Corruption";
    case ErrorCode::kConcurrentModification: return "ConcurrentModification";
    case ErrorCode::kServiceUnavailable: return "ServiceUnavailable";
    case ErrorCode::kCodeValidation: return "CodeValidation";
    case ErrorCode::kInvalidApplicationConfiguration: return "InvalidApplicationConfiguration";
    case ErrorCode::kUnableToDetectSchema: return "UnableToDetectSchema";
    case ErrorCode::kTooManyTags: return "TooManyTags";
    case ErrorCode::kUnsupportedOperation: return "UnsupportedOperation";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ErrorCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

void AssertFail(const char* file, int line, const char* cond, const char* msg) {
  std::fprintf(stderr, "spate: assertion failed at %s:%d: %s (%s)\n", file, line, cond, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace spate
