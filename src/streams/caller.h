#pragma once

#include <string>

namespace spate::streams {

// Who is calling: the account and region a request acts in. Streams are
// scoped by both.
struct Caller {
  std::string account = "000000000000";
  std::string region = "us-east-1";
};

}  // namespace spate::streams
