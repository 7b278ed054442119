#include "firehose/object_keys.h"

#include <gtest/gtest.h>

#include <set>

namespace spate::firehose {
namespace {

// The instant of AWS's prefix examples: 10:30 AM UTC on Aug 27, 2018.
constexpr int64_t kAug27 = 1535365800000;
// The instant behind the year=/month=/day=/hour= example: 2018-07-06T23:15Z.
constexpr int64_t kJul6 = 1530918900000;

KeyContext Ctx(int64_t epoch_ms, std::optional<ErrorOutputType> type = std::nullopt) {
  KeyContext ctx;
  ctx.epoch_ms = epoch_ms;
  ctx.error_output_type = type;
  return ctx;
}

std::string Eval(const std::optional<std::string>& prefix, const KeyContext& ctx) {
  Result<std::string> r = EvaluatePrefix(prefix, ctx);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

std::string EvalError(const std::optional<std::string>& prefix, const std::optional<std::string>& error_prefix,
                      const KeyContext& ctx) {
  Result<std::string> r = EvaluateErrorOutputPrefix(prefix, error_prefix, ctx);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

std::string Refusal(const std::optional<std::string>& prefix, const std::optional<std::string>& error_prefix,
                    bool dynamic_partitioning = false) {
  Status st = ValidatePrefixes(prefix, error_prefix, dynamic_partitioning);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument)
      << prefix.value_or("<unset>") << " / " << error_prefix.value_or("<unset>");
  return st.message();
}

constexpr std::string_view kConstraint = "Ths supplied prefix(es) do not satisfy the following constraint: ";

// ---- AWS's "Prefix and ErrorOutputPrefix examples" table, verbatim inputs ----

TEST(PrefixExamplesTest, PrefixUnspecifiedErrorPrefixWithType) {
  const std::optional<std::string> prefix;
  const std::optional<std::string> error = "myFirehoseFailures/!{firehose:error-output-type}/";
  ASSERT_TRUE(ValidatePrefixes(prefix, error, false).ok());
  // The table prints "2018/08/10/", a slip: the default prefix is yyyy/MM/dd/HH/.
  EXPECT_EQ(Eval(prefix, Ctx(kAug27)), "2018/08/27/10/");
  EXPECT_EQ(EvalError(prefix, error, Ctx(kAug27, ErrorOutputType::kProcessingFailed)),
            "myFirehoseFailures/processing-failed/");
}

TEST(PrefixExamplesTest, ExpressionsWithoutErrorPrefixAreInvalidInput) {
  EXPECT_EQ(Refusal("!{timestamp:yyyy/MM/dd}", std::nullopt),
            std::string(kConstraint) + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
  EXPECT_EQ(Refusal("!{timestamp:yyyy/MM/dd}", ""),
            std::string(kConstraint) + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
}

TEST(PrefixExamplesTest, DeliveredYearAndRandomString) {
  const std::optional<std::string> prefix =
      "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}";
  const std::optional<std::string> error =
      "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}";
  ASSERT_TRUE(ValidatePrefixes(prefix, error, false).ok());
  KeyContext ctx = Ctx(kAug27, ErrorOutputType::kProcessingFailed);
  ctx.random_string = [] { return std::string("5abf82daaa5"); };
  EXPECT_EQ(Eval(prefix, ctx), "myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5");
  // The table prints day "10"; dd of Aug 27 is 27.
  EXPECT_EQ(EvalError(prefix, error, ctx), "myFirehoseFailures/processing-failed/2018/anyMonth/27");
}

TEST(PrefixExamplesTest, HiveStyleWithQuotedLiterals) {
  const std::optional<std::string> prefix =
      "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
  const std::optional<std::string> error =
      "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}";
  ASSERT_TRUE(ValidatePrefixes(prefix, error, false).ok());
  KeyContext ctx = Ctx(kJul6, ErrorOutputType::kProcessingFailed);
  EXPECT_EQ(Eval(prefix, ctx), "myPrefix/year=2018/month=07/day=06/hour=23/");
  EXPECT_EQ(EvalError(prefix, error, ctx), "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed");
}

// The table's last row prints "myFirehosePrefix/2018/08/27/" and
// "myFirehosePrefix/processing-failed/2018/08/27/": a '/' inserted and no hour,
// contradicting the page's own rule ("appends the expression
// !{timestamp:yyyy/MM/dd/HH/}") and what real Firehose writes (a static prefix
// is concatenated as is: "logs" -> "logs2018/08/27/10/..."). Spate follows the
// rule and the observed behaviour.
TEST(PrefixExamplesTest, StaticPrefixGetsTheDefaultTimestampAppendedAsIs) {
  const std::optional<std::string> prefix = "myFirehosePrefix";
  ASSERT_TRUE(ValidatePrefixes(prefix, std::nullopt, false).ok());
  EXPECT_EQ(Eval(prefix, Ctx(kAug27)), "myFirehosePrefix2018/08/27/10/");
  EXPECT_EQ(EvalError(prefix, std::nullopt, Ctx(kAug27, ErrorOutputType::kProcessingFailed)),
            "myFirehosePrefixprocessing-failed/2018/08/27/10/");
  EXPECT_EQ(Eval("logs/", Ctx(kAug27)), "logs/2018/08/27/10/");
}

TEST(PrefixExamplesTest, FirehoseNamespaceTable) {
  const std::optional<std::string> error = "myPrefix/result=!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}";
  ASSERT_TRUE(ValidatePrefixes(std::nullopt, error, false).ok());
  EXPECT_EQ(EvalError(std::nullopt, error, Ctx(1533292200000, ErrorOutputType::kProcessingFailed)),
            "myPrefix/result=processing-failed/2018/08/03");
  KeyContext ctx = Ctx(kAug27);
  ctx.random_string = [] { return std::string("046b6c7f-0b"); };
  EXPECT_EQ(Eval("myPrefix/!{firehose:random-string}/", ctx), "myPrefix/046b6c7f-0b/2018/08/27/10/");
}

TEST(PrefixExamplesTest, DynamicPartitioningExample) {
  const std::optional<std::string> prefix =
      "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
      "year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/day=!{partitionKeyFromQuery:day}/"
      "hour=!{partitionKeyFromQuery:hour}/";
  const std::optional<std::string> error = "errors/!{firehose:error-output-type}/";
  ASSERT_TRUE(ValidatePrefixes(prefix, error, true).ok());
  KeyContext ctx = Ctx(1565394909000);  // 2019-08-09T23:55:09Z
  ctx.partition_keys_from_query = {{"customer_id", "1234567890"},
                                   {"device", "mobile"},
                                   {"year", "2019"},
                                   {"month", "08"},
                                   {"day", "09"},
                                   {"hour", "20"}};
  // No timestamp is appended to a prefix of partition keys.
  EXPECT_EQ(Eval(prefix, ctx), "customer_id=1234567890/device=mobile/year=2019/month=08/day=09/hour=20/");
}

// ---- evaluation ----

TEST(EvaluatePrefixTest, UnsetAndEmptyPrefixAreTheDefault) {
  EXPECT_EQ(Eval(std::nullopt, Ctx(kAug27)), "2018/08/27/10/");
  EXPECT_EQ(Eval("", Ctx(kAug27)), "2018/08/27/10/");
  EXPECT_EQ(EvalError(std::nullopt, std::nullopt, Ctx(kAug27, ErrorOutputType::kFormatConversionFailed)),
            "format-conversion-failed/2018/08/27/10/");
}

TEST(EvaluatePrefixTest, CustomTimeZone) {
  KeyContext ctx = Ctx(1535401800000);  // 2018-08-27T20:30Z = 2018-08-28T05:30 in Tokyo
  Result<TimeZone> tokyo = TimeZone::Load("Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok());
  ctx.time_zone = *tokyo;
  EXPECT_EQ(Eval(std::nullopt, ctx), "2018/08/28/05/");
  EXPECT_EQ(Eval("t=!{timestamp:HH:mmXXX}/", ctx), "t=05:30+09:00/");
}

TEST(EvaluatePrefixTest, DaylightSavingTimeInNewYork) {
  Result<TimeZone> ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.ok());
  KeyContext ctx = Ctx(1710053999000);  // 2024-03-10T06:59:59Z = 01:59:59 EST
  ctx.time_zone = *ny;
  EXPECT_EQ(Eval("!{timestamp:yyyy-MM-dd HH:mm xx}/", ctx), "2024-03-10 01:59 -0500/");
  ctx.epoch_ms += 1000;  // 07:00:00Z = 03:00 EDT: 02:xx never happens
  EXPECT_EQ(Eval("!{timestamp:yyyy-MM-dd HH:mm xx}/", ctx), "2024-03-10 03:00 -0400/");
  // Fall back: 05:30Z and 06:30Z on 2024-11-03 are both in local hour 01.
  ctx.epoch_ms = 1730611800000;
  EXPECT_EQ(Eval(std::nullopt, ctx), "2024/11/03/01/");
  ctx.epoch_ms = 1730615400000;
  EXPECT_EQ(Eval(std::nullopt, ctx), "2024/11/03/01/");
}

TEST(EvaluatePrefixTest, AllTimestampExpressionsSeeOneInstant) {
  KeyContext ctx = Ctx(kAug27 + 59999);  // 10:30:59.999
  EXPECT_EQ(Eval("!{timestamp:HH}/!{timestamp:mm}/!{timestamp:ss.SSS}/", ctx), "10/30/59.999/");
}

TEST(EvaluatePrefixTest, RandomStringIsNewPerOccurrence) {
  int calls = 0;
  KeyContext ctx = Ctx(kAug27);
  ctx.random_string = [&calls] { return std::string(11, static_cast<char>('a' + calls++)); };
  EXPECT_EQ(Eval("!{firehose:random-string}/!{firehose:random-string}/!{timestamp:yyyy}/", ctx),
            "aaaaaaaaaaa/bbbbbbbbbbb/2018/");
  EXPECT_EQ(calls, 2);
}

TEST(EvaluatePrefixTest, DefaultRandomStringIsElevenLowercaseHexDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string s = RandomString();
    ASSERT_EQ(s.size(), kRandomStringChars);
    for (char c : s) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 200u);  // 44 random bits each: a repeat means a broken generator
  Result<std::string> r = EvaluatePrefix("r=!{firehose:random-string}/!{timestamp:yyyy}", Ctx(kAug27));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), std::string("r=/2018").size() + kRandomStringChars);
}

TEST(EvaluatePrefixTest, EvaluatedPrefixIsAtMost512Characters) {
  std::string base(508, 'p');
  EXPECT_EQ(Eval(base + "!{timestamp:yyyy}", Ctx(kAug27)).size(), 512u);
  Result<std::string> r = EvaluatePrefix(base + "x!{timestamp:yyyy}", Ctx(kAug27));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("513"), std::string::npos) << r.status().message();
  // The limit counts what the expressions become, not the template.
  KeyContext ctx = Ctx(kAug27);
  ctx.partition_keys_from_lambda = {{"k", std::string(600, 'v')}};
  Result<std::string> dp = EvaluatePrefix("!{partitionKeyFromLambda:k}/", ctx);
  EXPECT_EQ(dp.status().code(), ErrorCode::kInvalidArgument);
  Result<std::string> error =
      EvaluateErrorOutputPrefix(std::string(500, 'e'), std::nullopt, Ctx(kAug27, ErrorOutputType::kHttpEndpointFailed));
  EXPECT_EQ(error.status().code(), ErrorCode::kInvalidArgument);
}

TEST(EvaluatePrefixTest, MissingPartitionKeyIsAnError) {
  KeyContext ctx = Ctx(kAug27);
  ctx.partition_keys_from_query = {{"a", "1"}};
  Result<std::string> r = EvaluatePrefix("a=!{partitionKeyFromQuery:a}/b=!{partitionKeyFromQuery:b}/", ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("partitionKeyFromQuery:b"), std::string::npos);
  // Query and Lambda keys are separate maps.
  ctx.partition_keys_from_lambda = {{"b", "2"}};
  EXPECT_FALSE(EvaluatePrefix("b=!{partitionKeyFromQuery:b}/", ctx).ok());
  EXPECT_EQ(Eval("b=!{partitionKeyFromLambda:b}/", ctx), "b=2/");
}

TEST(EvaluatePrefixTest, ErrorOutputTypeMustBeKnownToEvaluateAnErrorPrefix) {
  Result<std::string> r = EvaluateErrorOutputPrefix(std::nullopt, "e/!{firehose:error-output-type}/", Ctx(kAug27));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

TEST(EvaluatePrefixTest, EveryErrorOutputTypeName) {
  const std::pair<ErrorOutputType, const char*> kAll[] = {
      {ErrorOutputType::kProcessingFailed, "processing-failed"},
      {ErrorOutputType::kAmazonOpenSearchServiceFailed, "AmazonOpenSearchService-failed"},
      {ErrorOutputType::kSplunkFailed, "splunk-failed"},
      {ErrorOutputType::kFormatConversionFailed, "format-conversion-failed"},
      {ErrorOutputType::kHttpEndpointFailed, "http-endpoint-failed"},
  };
  for (const auto& [type, name] : kAll) {
    EXPECT_EQ(ErrorOutputTypeName(type), name);
    EXPECT_EQ(EvalError(std::nullopt, "x/!{firehose:error-output-type}/", Ctx(kAug27, type)),
              std::string("x/") + name + "/");
  }
}

// ---- validation ----

TEST(ValidatePrefixesTest, AcceptsTheUsualConfigurations) {
  EXPECT_TRUE(ValidatePrefixes(std::nullopt, std::nullopt, false).ok());
  EXPECT_TRUE(ValidatePrefixes("", "", false).ok());
  EXPECT_TRUE(ValidatePrefixes("logs/", std::nullopt, false).ok());
  EXPECT_TRUE(ValidatePrefixes("dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/",
                               "err/dt=!{timestamp:yyyy'-'MM'-'dd}/!{firehose:error-output-type}", false)
                  .ok());
  EXPECT_TRUE(ValidatePrefixes("p/!{partitionKeyFromLambda:customer}/", "e/!{firehose:error-output-type}/", true).ok());
}

TEST(ValidatePrefixesTest, BangBraceOnlyInExpressions) {
  EXPECT_EQ(Refusal("logs/!{timestamp:yyyy", "e/!{firehose:error-output-type}"),
            std::string(kConstraint) +
                "Prefix may contain the sequence !{ only at the start of a !{namespace:value} expression");
  EXPECT_NE(Refusal("!{a!{timestamp:yyyy}}", "e/!{firehose:error-output-type}").find("sequence !{"), std::string::npos);
  EXPECT_NE(Refusal(std::nullopt, "e/!{firehose:error-output-type}/!{").find("ErrorOutputPrefix may contain"),
            std::string::npos);
}

TEST(ValidatePrefixesTest, UnknownNamespacesAndValues) {
  EXPECT_EQ(Refusal("!{time:yyyy}/", "e/!{firehose:error-output-type}"),
            std::string(kConstraint) +
                "Prefix expression !{time:yyyy} has an unknown namespace: expected timestamp, firehose, "
                "partitionKeyFromQuery or partitionKeyFromLambda");
  EXPECT_NE(Refusal("!{yyyy}/", "e/!{firehose:error-output-type}").find("is not of the form !{namespace:value}"),
            std::string::npos);
  EXPECT_NE(Refusal("!{firehose:uuid}/", "e/!{firehose:error-output-type}")
                .find("the firehose namespace takes random-string or error-output-type"),
            std::string::npos);
  EXPECT_NE(
      Refusal("!{partitionKeyFromQuery:}/", "e/!{firehose:error-output-type}", true).find("names no partition key"),
      std::string::npos);
}

TEST(ValidatePrefixesTest, TimestampPatternMustBeValid) {
  EXPECT_EQ(Refusal("!{timestamp:yyyy/MM/ddd}/", "e/!{firehose:error-output-type}"),
            std::string(kConstraint) +
                "Prefix expression !{timestamp:yyyy/MM/ddd} is not a valid Java DateTimeFormatter pattern (Too many "
                "pattern letters: d)");
  EXPECT_NE(Refusal("!{timestamp:}/", "e/!{firehose:error-output-type}").find("!{timestamp:}"), std::string::npos);
  EXPECT_NE(Refusal("!{timestamp:bogus}/", "e/!{firehose:error-output-type}").find("Unknown pattern letter: b"),
            std::string::npos);
  EXPECT_NE(Refusal(std::nullopt, "e/!{firehose:error-output-type}/!{timestamp:'x}").find("incomplete string literal"),
            std::string::npos);
}

TEST(ValidatePrefixesTest, ErrorOutputTypeOnlyInTheErrorPrefixAndRequiredThere) {
  EXPECT_EQ(Refusal("p/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}"),
            std::string(kConstraint) + "Prefix cannot contain !{firehose:error-output-type}");
  EXPECT_EQ(Refusal("p/!{timestamp:yyyy}/", "e/!{timestamp:yyyy}/"),
            std::string(kConstraint) + "ErrorOutputPrefix must contain !{firehose:error-output-type}");
  EXPECT_EQ(Refusal("static/", "errors/"),
            std::string(kConstraint) + "ErrorOutputPrefix must contain !{firehose:error-output-type}");
}

TEST(ValidatePrefixesTest, RandomStringAloneIsAnExpression) {
  EXPECT_EQ(Refusal("r=!{firehose:random-string}/", std::nullopt),
            std::string(kConstraint) + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
}

TEST(ValidatePrefixesTest, PartitionKeysOnlyWithDynamicPartitioning) {
  EXPECT_EQ(Refusal("c=!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/", false),
            std::string(kConstraint) +
                "Prefix can contain the partitionKeyFromQuery and partitionKeyFromLambda namespaces only when dynamic "
                "partitioning is enabled");
  EXPECT_EQ(
      Refusal("c=!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}/", true),
      std::string(kConstraint) +
          "ErrorOutputPrefix cannot contain the partitionKeyFromQuery or partitionKeyFromLambda namespaces");
  EXPECT_EQ(Refusal("!{timestamp:yyyy}/", "e/!{firehose:error-output-type}/", true),
            std::string(kConstraint) +
                "Prefix must contain at least one partitionKeyFromQuery or partitionKeyFromLambda expression when "
                "dynamic partitioning is enabled");
  EXPECT_NE(Refusal(std::nullopt, std::nullopt, true).find("at least one partitionKeyFromQuery"), std::string::npos);
  EXPECT_EQ(Refusal("c=!{partitionKeyFromQuery:c}/", std::nullopt, true),
            std::string(kConstraint) + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
}

// ---- object names ----

TEST(ObjectNameTest, AwsLayout) {
  EXPECT_EQ(
      ObjectName("my-delivery-stream", 1, 1565394909000, TimeZone::Utc(), "a9fa96af-e4e4-409f-bac3-1f804714faaa", ""),
      "my-delivery-stream-1-2019-08-09-23-55-09-a9fa96af-e4e4-409f-bac3-1f804714faaa");
  EXPECT_EQ(ObjectName("s", 12, kAug27 + 999, TimeZone::Utc(), "u", ".gz"), "s-12-2018-08-27-10-30-00-u.gz");
}

TEST(ObjectNameTest, UsesTheCustomTimeZone) {
  Result<TimeZone> tokyo = TimeZone::Load("Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok());
  EXPECT_EQ(ObjectName("s", 3, 1535401800000, *tokyo, "u", ".snappy"), "s-3-2018-08-28-05-30-00-u.snappy");
}

TEST(NameBasedUuidTest, Rfc4122Version5Vectors) {
  // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com") and (NAMESPACE_URL, "http://python.org/").
  EXPECT_EQ(NameBasedUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  EXPECT_EQ(NameBasedUuid("6BA7B811-9DAD-11D1-80B4-00C04FD430C8", "http://python.org/"),
            "4c565f0d-3f5a-5890-b41b-20cf47701c5e");
}

TEST(NameBasedUuidTest, SameNameSameUuidOtherNameOther) {
  const char* ns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  EXPECT_EQ(NameBasedUuid(ns, "stream/1/0-99"), NameBasedUuid(ns, "stream/1/0-99"));
  EXPECT_NE(NameBasedUuid(ns, "stream/1/0-99"), NameBasedUuid(ns, "stream/1/0-100"));
  std::string u = NameBasedUuid(ns, "");
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '5');                                          // version
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);  // RFC 4122 variant
}

}  // namespace
}  // namespace spate::firehose
