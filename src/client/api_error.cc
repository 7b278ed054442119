#include "client/api_error.h"

#include <string>

#include "protocol/json_codec.h"

namespace spate {

namespace {
// The longest slice of an unreadable body quoted in an error message.
constexpr size_t kQuotedBodyBytes = 200;
}  // namespace

bool ApiError::retryable() const {
  if (type == "NetworkError" || (http_status >= 500 && http_status <= 599)) return true;
  return type == "ProvisionedThroughputExceededException" || type == "LimitExceededException" ||
         type == "ThrottlingException" || type == "ServiceUnavailableException";
}

std::string ApiError::ToString() const { return message.empty() ? type : type + ": " + message; }

namespace client {

std::string_view BareErrorType(std::string_view type) {
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (size_t colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return type;
}

ApiError ParseErrorResponse(int status, std::string_view body, std::string_view error_type_header) {
  ApiError error;
  error.http_status = status;
  std::string type;
  if (auto parsed = protocol::ParseJson(body); parsed.ok() && parsed.value().is_object()) {
    const protocol::Value& doc = parsed.value();
    type = std::string(doc.GetString("__type"));
    const protocol::Value* message = doc.Find("message");
    if (message == nullptr || !message->is_string()) message = doc.Find("Message");
    if (message != nullptr && message->is_string()) error.message = message->as_string();
  }
  if (type.empty()) type = std::string(error_type_header);
  error.type = std::string(BareErrorType(type));
  if (error.type.empty()) {
    error.type = "InvalidResponse";
    std::string quoted(body.substr(0, kQuotedBodyBytes));
    error.message =
        "HTTP " + std::to_string(status) + " without an error type" + (quoted.empty() ? std::string() : ": " + quoted);
  }
  return error;
}

}  // namespace client
}  // namespace spate
