#pragma once

// Invoking "Lambda functions" on a self-hosted server. Firehose's data
// transformation (and, later, Analytics' preprocessing and outputs) name a
// function by its ARN; here each ARN (or bare function name) maps to what a
// self-hosted user can run:
//   - an HTTP URL: POST of the exact Lambda event JSON, the response body is
//     the function's response (200-299; any other status, or a response
//     carrying X-Amz-Function-Error as AWS Lambda's Invoke API sets it, is a
//     function error);
//   - a local command: the event on its stdin, the response on its stdout
//     (exit status 0; any other is a function error).
// The mapping comes from spated's --lambda-map FILE and --lambda flags
// (README.md in this folder).
//
// Threading: an Invoker is immutable after creation and safe to call from any
// number of threads; each call blocks its caller until the function answers,
// its timeout passes or `cancel` becomes true.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::lambda {

// AWS Lambda's longest function duration, the default timeout.
inline constexpr int64_t kDefaultTimeoutMs = 300'000;

// What one function name maps to: exactly one of `url` and `command`.
struct FunctionTarget {
  std::string url;                   // http:// or https://
  std::vector<std::string> command;  // argv; argv[0] a path (or a name looked up in PATH)
  int64_t timeout_ms = kDefaultTimeoutMs;
};

// Function ARN or name -> target.
struct FunctionMap {
  std::map<std::string, FunctionTarget, std::less<>> functions;
};

// Parses a --lambda-map file's text:
//   {"<function ARN or name>": {"url": "http://..."} | {"command": ["/path", "arg", ...]},
//    ... each optionally with "timeout_seconds": N (1-900),
//    "timeout_seconds": N}  (top level: the default of entries without one)
// Errors: kInvalidArgument naming the entry at fault.
Result<FunctionMap> ParseFunctionMap(std::string_view json);

// Adds one --lambda flag's mapping: "<ARN or name>=<URL>" or
// "<ARN or name>=cmd:<program> [args...]" (split on spaces). Errors:
// kInvalidArgument.
Status AddFunctionFlag(std::string_view flag, FunctionMap* map);

// The target of `function` (an ARN, a qualified ARN or a name): the entry of
// the exact ARN first, then of the ARN without its version or alias
// qualifier, then of the bare function name. Null when none maps.
const FunctionTarget* FindFunction(const FunctionMap& map, std::string_view function);

// How an invocation ended.
enum class Outcome {
  kOk,             // `payload` is the function's response
  kNotFound,       // no mapping for the function (Lambda's ResourceNotFoundException)
  kFunctionError,  // the function ran and failed (status, exit code); `message` says how
  kTimedOut,       // no answer within the function's timeout
  kUnreachable,    // the URL could not be reached, the command could not be started
  kCancelled,      // `cancel` became true
};
std::string_view OutcomeName(Outcome o);

struct Invocation {
  Outcome outcome = Outcome::kOk;
  std::string payload;  // the response body (kOk), or what the function wrote (kFunctionError)
  std::string message;  // a one-line description for logs and error documents (not kOk)
};

class Invoker {
 public:
  virtual ~Invoker() = default;
  // Synchronous invocation (Lambda's RequestResponse) of `function` with
  // `payload` (the event JSON). `cancel` may be null.
  virtual Invocation Invoke(std::string_view function, std::string_view payload,
                            const std::atomic<bool>* cancel) const = 0;
};

// The invoker of a mapping (HTTP through libcurl, commands through
// posix_spawn with pipes).
std::unique_ptr<Invoker> NewInvoker(FunctionMap map);

}  // namespace spate::lambda
