#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::iam {

// One access a resource policy is asked about.
struct AccessRequest {
  std::string_view account;        // the caller's account (12 digits)
  std::string_view principal_arn;  // the caller's ARN, e.g. arn:aws:iam::111111111111:root
  std::string_view action;         // e.g. "kinesis:GetRecords"
  std::string_view resource;       // the ARN acted on
};

// An IAM-style resource-based policy, as attached to a stream or consumer by
// PutResourcePolicy:
//
//   {"Version": "2012-10-17",
//    "Statement": [{"Sid": "...", "Effect": "Allow" | "Deny",
//                   "Principal": "*" | {"AWS": "<acct>" | "arn:aws:iam::<acct>:root" | "<arn>" | [...]},
//                   "Action" | "NotAction": "kinesis:GetRecords" | "kinesis:Get*" | [...],
//                   "Resource" | "NotResource": "<arn with * and ?>" | [...]}]}
//
// Statement may be one object or an array. Principal "*" and
// {"AWS": "*"} match everyone; an account id or that account's root ARN
// matches every caller of the account; any other ARN matches that principal
// only. Actions match case-insensitively, resources case-sensitively; '*'
// and '?' are wildcards in both. Conditions and NotPrincipal are refused
// at Parse rather than silently ignored.
//
// Evaluation is AWS's: an explicit Deny wins over any Allow; with no
// matching Allow the answer is the implicit deny.
//
// Immutable after Parse; thread-safe.
class ResourcePolicy {
 public:
  enum class Decision { kImplicitDeny, kAllow, kExplicitDeny };

  // kInvalidArgument naming what is wrong for a document that is not valid
  // JSON or not a policy of the form above.
  static Result<ResourcePolicy> Parse(std::string_view document);

  Decision Evaluate(const AccessRequest& request) const;

 private:
  struct Statement {
    bool allow = false;
    bool any_principal = false;
    std::vector<std::string> principal_accounts;  // 12-digit ids (from ids or root ARNs)
    std::vector<std::string> principal_arns;      // other ARNs, exact
    bool not_action = false;
    std::vector<std::string> actions;
    bool not_resource = false;
    std::vector<std::string> resources;
  };
  std::vector<Statement> statements_;
};

// Glob match with '*' (any run, possibly empty) and '?' (one byte).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace spate::iam
