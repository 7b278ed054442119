#include "client/api_error.h"

#include <gtest/gtest.h>

namespace spate::client {
namespace {

TEST(ApiErrorParse, NamespacedTypeAndLowercaseMessage) {
  ApiError e = ParseErrorResponse(
      400, R"({"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException","message":"Stream x not found."})",
      "");
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Stream x not found.");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.ToString(), "ResourceNotFoundException: Stream x not found.");
}

TEST(ApiErrorParse, BareTypeAndCapitalisedMessage) {
  ApiError e = ParseErrorResponse(400, R"({"__type":"ValidationException","Message":"bad"})", "");
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "bad");
}

TEST(ApiErrorParse, TypeFromHeaderWhenBodyHasNone) {
  ApiError e = ParseErrorResponse(403, "", "UnrecognizedClientException:http://internal.amazon.com/coral/");
  EXPECT_EQ(e.type, "UnrecognizedClientException");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.ToString(), "UnrecognizedClientException");
}

TEST(ApiErrorParse, UnreadableAnswerIsInvalidResponse) {
  ApiError e = ParseErrorResponse(502, "<html>Bad Gateway</html>", "");
  EXPECT_EQ(e.type, "InvalidResponse");
  EXPECT_EQ(e.http_status, 502);
  EXPECT_NE(e.message.find("Bad Gateway"), std::string::npos);
  EXPECT_TRUE(e.retryable());  // a 5xx
}

TEST(ApiErrorParse, BareErrorType) {
  EXPECT_EQ(BareErrorType("a.b#C"), "C");
  EXPECT_EQ(BareErrorType("C:http://x"), "C");
  EXPECT_EQ(BareErrorType("C"), "C");
}

TEST(ApiErrorRetryable, ThrottlingServerAndNetworkErrorsOnly) {
  for (const char* type : {"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException",
                           "ServiceUnavailableException", "NetworkError"}) {
    EXPECT_TRUE((ApiError{type, "", 400}.retryable())) << type;
  }
  EXPECT_TRUE((ApiError{"InternalFailure", "", 500}.retryable()));
  EXPECT_TRUE((ApiError{"Anything", "", 599}.retryable()));
  for (const char* type : {"ResourceNotFoundException", "ValidationException", "InvalidArgumentException",
                           "ResourceInUseException", "ExpiredIteratorException", "InvalidResponse"}) {
    EXPECT_FALSE((ApiError{type, "", 400}.retryable())) << type;
  }
  EXPECT_FALSE((ApiError{"InvalidResponse", "", 200}.retryable()));
}

}  // namespace
}  // namespace spate::client
