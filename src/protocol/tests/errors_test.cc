#include <gtest/gtest.h>

#include "protocol/errors.h"

namespace spate::protocol {
namespace {

struct Row {
  ErrorCode code;
  std::string_view type;
  int status;
};

// Every row of the table, as clients see it.
TEST(ErrorTable, EveryCodeMapsToItsAwsType) {
  const Row rows[] = {
      {ErrorCode::kInvalidArgument, "InvalidArgumentException", 400},
      {ErrorCode::kValidation, "ValidationException", 400},
      {ErrorCode::kSerialization, "SerializationException", 400},
      {ErrorCode::kNotFound, "ResourceNotFoundException", 400},
      {ErrorCode::kAlreadyExists, "ResourceInUseException", 400},
      {ErrorCode::kResourceInUse, "ResourceInUseException", 400},
      {ErrorCode::kLimitExceeded, "LimitExceededException", 400},
      {ErrorCode::kThroughputExceeded, "ProvisionedThroughputExceededException", 400},
      {ErrorCode::kExpiredIterator, "ExpiredIteratorException", 400},
      {ErrorCode::kExpiredNextToken, "ExpiredNextTokenException", 400},
      {ErrorCode::kUnknownOperation, "UnknownOperationException", 400},
      {ErrorCode::kMissingAuthentication, "MissingAuthenticationTokenException", 400},
      {ErrorCode::kIncompleteSignature, "IncompleteSignatureException", 400},
      {ErrorCode::kInvalidSignature, "InvalidSignatureException", 400},
      {ErrorCode::kUnrecognizedClient, "UnrecognizedClientException", 400},
      {ErrorCode::kAccessDenied, "AccessDeniedException", 400},
      {ErrorCode::kIoError, "InternalFailure", 500},
      {ErrorCode::kCorruption, "InternalFailure", 500},
      {ErrorCode::kConcurrentModification, "ConcurrentModificationException", 400},
      {ErrorCode::kServiceUnavailable, "ServiceUnavailableException", 503},
      {ErrorCode::kCodeValidation, "CodeValidationException", 400},
      {ErrorCode::kInvalidApplicationConfiguration, "InvalidApplicationConfigurationException", 400},
      {ErrorCode::kUnableToDetectSchema, "UnableToDetectSchemaException", 400},
      {ErrorCode::kTooManyTags, "TooManyTagsException", 400},
      {ErrorCode::kUnsupportedOperation, "UnsupportedOperationException", 400},
      {ErrorCode::kUnavailable, "InternalFailure", 500},
      {ErrorCode::kInternal, "InternalFailure", 500},
  };
  for (const Row& r : rows) {
    WireError w = ToWireError(r.code);
    EXPECT_EQ(w.type, r.type) << ErrorCodeName(r.code);
    EXPECT_EQ(w.http_status, r.status) << ErrorCodeName(r.code);
  }
}

TEST(ErrorTable, InternalDetailsAreNotSentToClients) {
  EXPECT_EQ(WireMessage(Status(ErrorCode::kCorruption, "segment 12 crc mismatch")), "");
  EXPECT_EQ(WireMessage(Status(ErrorCode::kNotFound, "Stream x not found.")), "Stream x not found.");
  EXPECT_EQ(WireMessage(Status(ErrorCode::kServiceUnavailable, "Slow down.")), "Slow down.");
}

}  // namespace
}  // namespace spate::protocol
