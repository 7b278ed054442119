#include "iam/resource_policy.h"

#include <algorithm>
#include <cctype>

#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::iam {
namespace {

using protocol::Value;

constexpr int kMaxPolicyDepth = 16;

Status Invalid(std::string what) {
  return Status(ErrorCode::kInvalidArgument, "Invalid policy document: " + std::move(what));
}

bool IsAccountId(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A string or a non-empty array of strings.
Result<std::vector<std::string>> StringList(const Value& v, std::string_view member) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.as_string());
  } else if (v.is_array() && !v.as_array().empty()) {
    for (const Value& e : v.as_array()) {
      if (!e.is_string()) return Invalid(std::string(member) + " must hold strings");
      out.push_back(e.as_string());
    }
  } else {
    return Invalid(std::string(member) + " must be a string or a list of strings");
  }
  return out;
}

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Iterative glob with single backtrack point: O(n*m) worst case, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [&](char a, char b) { return ignore_case ? Lower(a) == Lower(b) : a == b; };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<ResourcePolicy> ResourcePolicy::Parse(std::string_view document) {
  auto doc = protocol::ParseJson(document, kMaxPolicyDepth);
  if (!doc.ok() || !doc->is_object()) return Invalid("not a JSON object");
  ResourcePolicy policy;
  for (const auto& [key, v] : doc->as_object()) {
    if (key == "Version") {
      if (!v.is_string() || (v.as_string() != "2012-10-17" && v.as_string() != "2008-10-17")) {
        return Invalid("Version must be \"2012-10-17\" or \"2008-10-17\"");
      }
    } else if (key != "Id" && key != "Statement") {
      return Invalid("unknown member " + key);
    }
  }
  const Value* statements = doc->Find("Statement");
  if (statements == nullptr) return Invalid("Statement is missing");
  std::vector<const Value*> list;
  if (statements->is_object()) {
    list.push_back(statements);
  } else if (statements->is_array() && !statements->as_array().empty()) {
    for (const Value& s : statements->as_array()) list.push_back(&s);
  } else {
    return Invalid("Statement must be an object or a non-empty list");
  }
  for (const Value* s : list) {
    if (!s->is_object()) return Invalid("each Statement must be an object");
    Statement st;
    for (const auto& [key, v] : s->as_object()) {
      if (key == "Condition") return Invalid("Condition is not supported");
      if (key == "NotPrincipal") return Invalid("NotPrincipal is not supported");
      if (key != "Sid" && key != "Effect" && key != "Principal" && key != "Action" && key != "NotAction" &&
          key != "Resource" && key != "NotResource") {
        return Invalid("unknown statement member " + key);
      }
    }
    std::string_view effect = s->GetString("Effect");
    if (effect != "Allow" && effect != "Deny") return Invalid("Effect must be Allow or Deny");
    st.allow = effect == "Allow";

    const Value* principal = s->Find("Principal");
    if (principal == nullptr) return Invalid("Principal is missing");
    if (principal->is_string()) {
      if (principal->as_string() != "*") return Invalid("Principal must be \"*\" or {\"AWS\": ...}");
      st.any_principal = true;
    } else if (principal->is_object()) {
      for (const auto& [pk, pv] : principal->as_object()) {
        if (pk != "AWS") return Invalid("only AWS principals are supported, not " + pk);
        auto ids = StringList(pv, "Principal.AWS");
        if (!ids.ok()) return ids.status();
        for (std::string& id : *ids) {
          if (id == "*") {
            st.any_principal = true;
          } else if (IsAccountId(id)) {
            st.principal_accounts.push_back(std::move(id));
          } else if (id.rfind("arn:", 0) == 0 && id.find('*') == std::string::npos) {
            // arn:<partition>:iam::<account>:root names the whole account.
            size_t acct = id.find(":iam::");
            if (acct != std::string::npos && id.size() == acct + 6 + 12 + 5 &&
                IsAccountId(std::string_view(id).substr(acct + 6, 12)) && id.compare(acct + 18, 5, ":root") == 0) {
              st.principal_accounts.push_back(id.substr(acct + 6, 12));
            } else {
              st.principal_arns.push_back(std::move(id));
            }
          } else {
            return Invalid("invalid principal " + id);
          }
        }
      }
      if (principal->as_object().empty()) return Invalid("Principal is empty");
    } else {
      return Invalid("Principal must be \"*\" or an object");
    }

    const Value* action = s->Find("Action");
    const Value* not_action = s->Find("NotAction");
    if ((action == nullptr) == (not_action == nullptr)) return Invalid("exactly one of Action and NotAction is needed");
    st.not_action = not_action != nullptr;
    auto actions = StringList(action != nullptr ? *action : *not_action, "Action");
    if (!actions.ok()) return actions.status();
    for (const std::string& a : *actions) {
      if (a != "*" && a.rfind("kinesis:", 0) != 0) return Invalid("action " + a + " is not a kinesis action");
    }
    st.actions = std::move(*actions);

    const Value* resource = s->Find("Resource");
    const Value* not_resource = s->Find("NotResource");
    if ((resource == nullptr) == (not_resource == nullptr)) {
      return Invalid("exactly one of Resource and NotResource is needed");
    }
    st.not_resource = not_resource != nullptr;
    auto resources = StringList(resource != nullptr ? *resource : *not_resource, "Resource");
    if (!resources.ok()) return resources.status();
    st.resources = std::move(*resources);
    policy.statements_.push_back(std::move(st));
  }
  return policy;
}

ResourcePolicy::Decision ResourcePolicy::Evaluate(const AccessRequest& r) const {
  bool allowed = false;
  for (const Statement& s : statements_) {
    bool principal =
        s.any_principal ||
        std::find(s.principal_accounts.begin(), s.principal_accounts.end(), r.account) != s.principal_accounts.end() ||
        std::find(s.principal_arns.begin(), s.principal_arns.end(), r.principal_arn) != s.principal_arns.end();
    if (!principal) continue;
    bool action = std::any_of(s.actions.begin(), s.actions.end(),
                              [&](const std::string& a) { return WildcardMatch(a, r.action, true); });
    if (action == s.not_action) continue;
    bool resource = std::any_of(s.resources.begin(), s.resources.end(),
                                [&](const std::string& p) { return WildcardMatch(p, r.resource, false); });
    if (resource == s.not_resource) continue;
    if (!s.allow) return Decision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

}  // namespace spate::iam
