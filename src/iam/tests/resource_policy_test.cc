#include "iam/resource_policy.h"

#include <gtest/gtest.h>

namespace spate::iam {
namespace {

using Decision = ResourcePolicy::Decision;

constexpr char kStream[] = "arn:aws:kinesis:us-east-1:111111111111:stream/orders";
constexpr char kOther[] = "arn:aws:kinesis:us-east-1:111111111111:stream/payments";

Decision Eval(std::string_view doc, std::string_view account, std::string_view action,
              std::string_view resource = kStream) {
  auto p = ResourcePolicy::Parse(doc);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return Decision::kImplicitDeny;
  std::string arn = "arn:aws:iam::" + std::string(account) + ":root";
  return p->Evaluate({account, arn, action, resource});
}

TEST(WildcardMatch, Globs) {
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("kinesis:*", "kinesis:GetRecords", false));
  EXPECT_TRUE(WildcardMatch("kinesis:Get*", "kinesis:GetShardIterator", false));
  EXPECT_FALSE(WildcardMatch("kinesis:Get*", "kinesis:PutRecord", false));
  EXPECT_TRUE(WildcardMatch("kinesis:getrecords", "kinesis:GetRecords", true));
  EXPECT_FALSE(WildcardMatch("kinesis:getrecords", "kinesis:GetRecords", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_TRUE(WildcardMatch("*a*b*c*", "xxaxxbxxcxx", false));
  EXPECT_FALSE(WildcardMatch("*a*b*c", "xxaxxbxxcxx", false));
  EXPECT_TRUE(WildcardMatch("arn:aws:kinesis:*:111111111111:stream/*", kStream, false));
}

TEST(ResourcePolicy, AllowByAccountIdForListedActionsOnly) {
  const char* doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},
      "Action":["kinesis:GetRecords","kinesis:GetShardIterator"],"Resource":"arn:aws:kinesis:us-east-1:111111111111:stream/orders"}]})";
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords"), Decision::kAllow);
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:PutRecord"), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(doc, "333333333333", "kinesis:GetRecords"), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords", kOther), Decision::kImplicitDeny);
}

TEST(ResourcePolicy, RootArnPrincipalNamesTheAccount) {
  const char* doc = R"({"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root"]},
      "Action":"kinesis:*","Resource":"*"}})";
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:PutRecords"), Decision::kAllow);
  EXPECT_EQ(Eval(doc, "333333333333", "kinesis:PutRecords"), Decision::kImplicitDeny);
}

TEST(ResourcePolicy, OtherArnPrincipalMatchesOnlyThatPrincipal) {
  const char* doc = R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},
      "Action":"kinesis:*","Resource":"*"}})";
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords"), Decision::kImplicitDeny);
  auto p = ResourcePolicy::Parse(doc);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Evaluate({"222222222222", "arn:aws:iam::222222222222:user/bob", "kinesis:GetRecords", kStream}),
            Decision::kAllow);
}

TEST(ResourcePolicy, StarPrincipalMatchesEveryone) {
  EXPECT_EQ(Eval(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kinesis:Describe*","Resource":"*"}]})",
                 "999999999999", "kinesis:DescribeStreamSummary"),
            Decision::kAllow);
  EXPECT_EQ(Eval(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]})",
                 "999999999999", "kinesis:PutRecord"),
            Decision::kAllow);
}

TEST(ResourcePolicy, ExplicitDenyWinsWhateverTheOrder) {
  const char* deny_last = R"({"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kinesis:*","Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"kinesis:GetRecords","Resource":"*"}]})";
  const char* deny_first = R"({"Statement":[
      {"Effect":"Deny","Principal":"*","Action":"kinesis:GetRecords","Resource":"*"},
      {"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kinesis:*","Resource":"*"}]})";
  for (const char* doc : {deny_last, deny_first}) {
    EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords"), Decision::kExplicitDeny);
    EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetShardIterator"), Decision::kAllow);
  }
}

TEST(ResourcePolicy, NotActionAndNotResource) {
  const char* doc = R"({"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"kinesis:Put*",
      "NotResource":"arn:aws:kinesis:us-east-1:111111111111:stream/payments"}]})";
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords"), Decision::kAllow);
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:PutRecord"), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(doc, "222222222222", "kinesis:GetRecords", kOther), Decision::kImplicitDeny);
}

TEST(ResourcePolicy, EmptyStatementListIsRefusedAndNoMatchDenies) {
  EXPECT_FALSE(ResourcePolicy::Parse(R"({"Statement":[]})").ok());
  EXPECT_EQ(Eval(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kinesis:GetRecords",
      "Resource":"arn:aws:kinesis:eu-west-1:*"}]})",
                 "222222222222", "kinesis:GetRecords"),
            Decision::kImplicitDeny);
}

TEST(ResourcePolicy, MalformedDocumentsAreInvalidArgument) {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      R"({"Statement":{}})",
      R"({"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"bob","Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":{"Service":"x.amazonaws.com"},"Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*","Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[1],"Resource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{}}})",
      R"({"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}})",
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},7]})",
  };
  for (const char* doc : bad) {
    auto p = ResourcePolicy::Parse(doc);
    EXPECT_FALSE(p.ok()) << doc;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument) << doc;
    }
  }
}

TEST(ResourcePolicy, DeeplyNestedDocumentIsRefusedNotCrashed) {
  std::string doc(10000, '[');
  EXPECT_FALSE(ResourcePolicy::Parse(doc).ok());
}

}  // namespace
}  // namespace spate::iam
