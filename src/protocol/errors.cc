#include "protocol/errors.h"

namespace spate::protocol {

WireError ToWireError(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: break;
    case ErrorCode::kInvalidArgument: return {"InvalidArgumentException", 400};
    case ErrorCode::kValidation: return {"ValidationException", 400};
    case ErrorCode::kSerialization: return {"SerializationException", 400};
    case ErrorCode::kNotFound: return {"ResourceNotFoundException", 400};
    case ErrorCode::kAlreadyExists: return {"ResourceInUseException", 400};
    case ErrorCode::kResourceInUse: return {"ResourceInUseException", 400};
    case ErrorCode::kLimitExceeded: return {"LimitExceededException", 400};
    case ErrorCode::kThroughputExceeded: return {"ProvisionedThroughputExceededException", 400};
    case ErrorCode::kExpiredIterator: return {"ExpiredIteratorException", 400};
    case ErrorCode::kExpiredNextToken: return {"ExpiredNextTokenException", 400};
    case ErrorCode::kUnknownOperation: return {"UnknownOperationException", 400};
    case ErrorCode::kMissingAuthentication: return {"MissingAuthenticationTokenException", 400};
    case ErrorCode::kIncompleteSignature: return {"IncompleteSignatureException", 400};
    case ErrorCode::kInvalidSignature: return {"InvalidSignatureException", 400};
    case ErrorCode::kUnrecognizedClient: return {"UnrecognizedClientException", 400};
    case ErrorCode::kAccessDenied: return {"AccessDeniedException", 400};
    case ErrorCode::kConcurrentModification: return {"ConcurrentModificationException", 400};
    // Firehose's and Kinesis Analytics' throttling answer; its message ("Slow
    // down.") goes on the wire although the status is 5xx.
    case ErrorCode::kServiceUnavailable: return {"ServiceUnavailableException", 503};
    // Kinesis Analytics' own types.
    case ErrorCode::kCodeValidation: return {"CodeValidationException", 400};
    case ErrorCode::kInvalidApplicationConfiguration: return {"InvalidApplicationConfigurationException", 400};
    case ErrorCode::kUnableToDetectSchema: return {"UnableToDetectSchemaException", 400};
    case ErrorCode::kTooManyTags: return {"TooManyTagsException", 400};
    case ErrorCode::kUnsupportedOperation: return {"UnsupportedOperationException", 400};
    case ErrorCode::kIoError:
    case ErrorCode::kCorruption:
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal: return {"InternalFailure", 500};
  }
  return {"InternalFailure", 500};
}

std::string_view WireMessage(const Status& status) {
  if (status.code() == ErrorCode::kServiceUnavailable) return status.message();
  if (ToWireError(status.code()).http_status >= 500) return {};
  return status.message();
}

}  // namespace spate::protocol
