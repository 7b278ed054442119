#pragma once

#include <string>

namespace spate::iam {

// Who is calling: the account a request acts in (from its credential) and
// the region of its credential scope. Every service scopes its resources by
// both. A caller is its account's root principal (see CallerArn).
struct Caller {
  std::string account = "000000000000";
  std::string region = "us-east-1";
};

// "arn:aws:iam::<account>:root".
std::string CallerArn(const Caller& caller);

}  // namespace spate::iam
