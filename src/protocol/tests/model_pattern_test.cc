#include "protocol/model_pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/embedded_models.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::protocol {
namespace {

ModelPattern Compile(std::string_view source) {
  auto p = ModelPattern::Compile(source);
  EXPECT_TRUE(p.ok()) << source << ": " << p.status().ToString();
  return std::move(p).value();
}

TEST(ModelPatternTest, StreamNameIsAFullMatch) {
  const ModelPattern p = Compile("[a-zA-Z0-9_.-]+");
  EXPECT_TRUE(p.FullMatch("my-stream_1.0"));
  EXPECT_FALSE(p.FullMatch("x y"));
  EXPECT_FALSE(p.FullMatch(""));
  EXPECT_FALSE(p.FullMatch("abc!"));
}

TEST(ModelPatternTest, HashKeyAlternationAppliesToWholeString) {
  const ModelPattern p = Compile("0|([1-9]\\d{0,38})");
  EXPECT_TRUE(p.FullMatch("0"));
  EXPECT_TRUE(p.FullMatch("340282366920938463463374607431768211455"));
  EXPECT_FALSE(p.FullMatch("01"));
  EXPECT_FALSE(p.FullMatch(""));
  EXPECT_FALSE(p.FullMatch(std::string(40, '9')));
  EXPECT_TRUE(p.FullMatch(std::string(39, '9')));
}

TEST(ModelPatternTest, StreamArn) {
  const ModelPattern p = Compile("arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
  EXPECT_TRUE(p.FullMatch("arn:aws:kinesis:us-east-1:123456789012:stream/s"));
  EXPECT_TRUE(p.FullMatch("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s"));
  EXPECT_FALSE(p.FullMatch("arn:aws:kinesis:us-east-1:12345678901:stream/s"));
  EXPECT_FALSE(p.FullMatch("arn:aws:kinesis:us-east-1:123456789012:stream/a b"));
}

TEST(ModelPatternTest, ConsumerArnWithAnchorsAndEscapedSlash) {
  const ModelPattern p =
      Compile("^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+");
  EXPECT_TRUE(p.FullMatch("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1600000000"));
  EXPECT_FALSE(p.FullMatch("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c"));
}

TEST(ModelPatternTest, NegativeLookaheadAndUnicodeProperties) {
  const ModelPattern p = Compile("^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$");
  EXPECT_TRUE(p.FullMatch("team: data-eng"));
  EXPECT_TRUE(p.FullMatch("\xC3\xA9quipe 2"));  // "équipe 2"
  EXPECT_TRUE(p.FullMatch(""));
  EXPECT_FALSE(p.FullMatch("aws:reserved"));
  EXPECT_FALSE(p.FullMatch("a*b"));
}

TEST(ModelPatternTest, LookbehindLazyAndPossessive) {
  const ModelPattern jdbc = Compile(
      "jdbc:(redshift|postgresql)://((?!-)[A-Za-z0-9-]{1,63}(?<!-)\\.)+(redshift(-serverless)?)\\."
      "([a-zA-Z0-9\\.\\-]+):\\d{1,5}/[a-zA-Z0-9_$-]+");
  EXPECT_TRUE(jdbc.FullMatch("jdbc:redshift://cluster.abc.redshift.us-east-1.amazonaws.com:5439/dev"));
  EXPECT_FALSE(jdbc.FullMatch("jdbc:redshift://cluster-.redshift.us-east-1.amazonaws.com:5439/dev"));
  const ModelPattern lazy = Compile(".+?\\.snowflakecomputing\\.com");
  EXPECT_TRUE(lazy.FullMatch("acct.snowflakecomputing.com"));
  EXPECT_FALSE(lazy.FullMatch(".snowflakecomputing.com"));
  const ModelPattern possessive =
      Compile("arn:aws:kinesisanalytics:[a-z]{2}-[a-z]+-\\d{1}+:\\d{12}+:application/[a-zA-Z0-9_.-]{1,128}");
  EXPECT_TRUE(possessive.FullMatch("arn:aws:kinesisanalytics:us-east-1:123456789012:application/app"));
}

TEST(ModelPatternTest, FixedWidthGroupRepeatsOverLongInput) {
  const ModelPattern p = Compile("^(?:[A-Za-z0-9+\\/]{4})*(?:[A-Za-z0-9+\\/]{2}==|[A-Za-z0-9+\\/]{3}=)?$");
  EXPECT_TRUE(p.FullMatch(std::string(4096, 'A')));
  EXPECT_TRUE(p.FullMatch(std::string(4094, 'A') + "=="));
  EXPECT_FALSE(p.FullMatch(std::string(4095, 'A')));
}

TEST(ModelPatternTest, UnicodeEscapeRangeAndDotOverLongInput) {
  const ModelPattern range = Compile("[\\u0001-\\uFFFF]*");
  EXPECT_TRUE(range.FullMatch("abc \xE2\x82\xAC"));  // "abc €"
  EXPECT_FALSE(range.FullMatch(std::string("a\0b", 3)));
  const ModelPattern dot = Compile(".*");
  EXPECT_TRUE(dot.FullMatch(std::string(100000, 'x')));
  EXPECT_FALSE(dot.FullMatch("a\nb"));
}

TEST(ModelPatternTest, EscapedBackslashInClass) {
  // Firehose's pattern text is [a-zA-Z0-9\\._\\-]+ : a class containing '\'.
  const ModelPattern p = Compile("[a-zA-Z0-9\\\\._\\\\-]+");
  EXPECT_TRUE(p.FullMatch("a\\b-c"));
  EXPECT_FALSE(p.FullMatch("a b"));
}

TEST(ModelPatternTest, RejectsUnsupportedSyntax) {
  EXPECT_FALSE(ModelPattern::Compile("(?<name>a)").ok());
  EXPECT_FALSE(ModelPattern::Compile("a{2,1}").ok());
  EXPECT_FALSE(ModelPattern::Compile("[abc").ok());
  EXPECT_FALSE(ModelPattern::Compile("(a").ok());
  EXPECT_FALSE(ModelPattern::Compile("*a").ok());
  EXPECT_FALSE(ModelPattern::Compile("(?<=a+)b").ok());
}

TEST(ModelPatternTest, CatastrophicBacktrackingIsBoundedAndFails) {
  const ModelPattern p = Compile("(a|a)*b");
  EXPECT_FALSE(p.FullMatch(std::string(40, 'a')));
}

TEST(ModelPatternTest, EveryPatternOfTheModelsCompiles) {
  const std::string_view models[] = {
      {embedded::kKinesisJson, embedded::kKinesisJsonSize},
      {embedded::kFirehoseJson, embedded::kFirehoseJsonSize},
      {embedded::kKinesisAnalyticsJson, embedded::kKinesisAnalyticsJsonSize},
  };
  int patterns = 0;
  for (std::string_view json : models) {
    auto doc = ParseJson(json, 64);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    const Value* shapes = doc->Find("shapes");
    ASSERT_NE(shapes, nullptr);
    for (const auto& [name, shape] : shapes->as_object()) {
      const std::string_view source = shape.GetString("pattern");
      if (source.empty()) continue;
      ++patterns;
      auto p = ModelPattern::Compile(source);
      EXPECT_TRUE(p.ok()) << name << ": " << source << ": " << p.status().ToString();
    }
  }
  EXPECT_GE(patterns, 60);
}

// Patterns as the models spell them, with values AWS accepts and rejects.
TEST(ModelPatternTest, ModelPatternsAcceptAndReject) {
  struct Case {
    const char* pattern;
    const char* value;
    bool matches;
  };
  const Case cases[] = {
      {R"(^(?!\s*$).+)", "x", true},
      {R"(^(?!\s*$).+)", " a", true},
      {R"(^(?!\s*$).+)", "   ", false},
      {R"(^(?!\s*$).+)", "", false},
      {R"(^$|[a-zA-Z/_]+)", "", true},
      {R"(^$|[a-zA-Z/_]+)", "America/New_York", true},
      {R"(^$|[a-zA-Z/_]+)", "UTC+1", false},
      {R"(^$|\.[0-9a-z!\-_.*'()]+)", ".gz", true},
      {R"(^$|\.[0-9a-z!\-_.*'()]+)", "gz", false},
      {R"(arn:.*:glue:.*:\d{12}:catalog(?:(/[a-z0-9_-]+){1,2})?)", "arn:aws:glue:us-east-1:123456789012:catalog", true},
      {R"(arn:.*:glue:.*:\d{12}:catalog(?:(/[a-z0-9_-]+){1,2})?)",
       "arn:aws:glue:us-east-1:123456789012:catalog/db/table", true},
      {R"(arn:.*:glue:.*:\d{12}:catalog(?:(/[a-z0-9_-]+){1,2})?)", "arn:aws:glue:us-east-1:123456789012:catalog/a/b/c",
       false},
      {R"(([a-zA-Z0-9\-\_]+\.){2,3}vpce\.[a-zA-Z0-9\-]*\.vpce-svc\-[a-zA-Z0-9\-]{17}$)",
       "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", true},
      {R"(([a-zA-Z0-9\-\_]+\.){2,3}vpce\.[a-zA-Z0-9\-]*\.vpce-svc\-[a-zA-Z0-9\-]{17}$)",
       "amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", false},
      {R"([^:*]*)", "my/log-stream", true},
      {R"([^:*]*)", "a:b", false},
      {R"(arn:.*:s3:::[\w\.\-]{1,255})", "arn:aws:s3:::my-bucket.logs_1", true},
      {R"(arn:.*:s3:::[\w\.\-]{1,255})", "arn:aws:s3:::my bucket", false},
      {R"(arn:aws:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)", "arn:aws:iam::123456789012:role/app", true},
      {R"(arn:aws:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)", "arn:aws:iam::123456789012:role", false},
      {R"(UTF-8)", "UTF-8", true},
      {R"(UTF-8)", "utf-8", false},
      {R"([a-z0-9]{20}-[a-z0-9]{3})", "abcdefghij0123456789-xyz", true},
      {R"([a-z0-9]{20}-[a-z0-9]{3})", "abcdefghij0123456789-xy", false},
      {R"(0|([1-9]\d{0,128}))", "49590338271490256608559692538361571095921575989136588898", true},
      // "日本語 ２" (U+FF12 is a fullwidth digit) and an ideographic space U+3000.
      {R"(^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$)", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xEF\xBC\x92", true},
      {R"(^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$)",
       "a\xE3\x80\x80"
       "b",
       true},
      {R"(^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$)", "a\tb", false},
  };
  for (const Case& c : cases) {
    const ModelPattern p = Compile(c.pattern);
    EXPECT_EQ(p.FullMatch(c.value), c.matches) << c.pattern << " on \"" << c.value << "\"";
  }
}

// Java's '.' excludes the line terminators \n \r U+0085 U+2028 U+2029 and
// nothing else.
TEST(ModelPatternTest, DotExcludesJavaLineTerminatorsOnly) {
  const ModelPattern dot = Compile(".");
  EXPECT_FALSE(dot.FullMatch("\n"));
  EXPECT_FALSE(dot.FullMatch("\r"));
  EXPECT_FALSE(dot.FullMatch("\xC2\x85"));
  EXPECT_FALSE(dot.FullMatch("\xE2\x80\xA8"));
  EXPECT_FALSE(dot.FullMatch("\xE2\x80\xA9"));
  EXPECT_TRUE(dot.FullMatch("\x0B"));
  EXPECT_TRUE(dot.FullMatch("\x0C"));
  EXPECT_TRUE(dot.FullMatch("\xF0\x9F\x98\x80"));  // one code point, four bytes
  EXPECT_FALSE(dot.FullMatch(""));
}

// Without UNICODE_CHARACTER_CLASS, Java's \d \w \s are ASCII; \p{...} is Unicode.
TEST(ModelPatternTest, PredefinedClassesAreAsciiPropertiesAreUnicode) {
  EXPECT_FALSE(Compile("\\w").FullMatch("\xC3\xA9"));  // é
  EXPECT_TRUE(Compile("\\W").FullMatch("\xC3\xA9"));
  EXPECT_FALSE(Compile("\\d").FullMatch("\xD9\xA3"));  // ARABIC-INDIC DIGIT THREE
  EXPECT_TRUE(Compile("\\p{N}").FullMatch("\xD9\xA3"));
  EXPECT_FALSE(Compile("\\s").FullMatch("\xC2\xA0"));  // NO-BREAK SPACE
  EXPECT_TRUE(Compile("\\p{Z}").FullMatch("\xC2\xA0"));
  EXPECT_TRUE(Compile("\\s").FullMatch("\x0B"));
  EXPECT_TRUE(Compile("\\S").FullMatch("\xC2\xA0"));
  EXPECT_TRUE(Compile("\\P{L}").FullMatch("1"));
  EXPECT_FALSE(Compile("[^\\p{L}]").FullMatch("\xC3\xA9"));
}

TEST(ModelPatternTest, AnchorsAreStartAndEndOfInputOnly) {
  EXPECT_FALSE(Compile("a$").FullMatch("a\n"));
  EXPECT_FALSE(Compile("a$\\n").FullMatch("a\n"));
  EXPECT_FALSE(Compile("\\n^a").FullMatch("\na"));
  EXPECT_TRUE(Compile("a|b$").FullMatch("a"));
  EXPECT_FALSE(Compile("a|b").FullMatch("ab"));
}

TEST(ModelPatternTest, UnicodeEscapesAndEscapedPunctuation) {
  EXPECT_TRUE(Compile("\\u00e9").FullMatch("\xC3\xA9"));
  EXPECT_TRUE(Compile("[\\u00e0-\\u00ff]+").FullMatch("\xC3\xA9\xC3\xA0"));
  EXPECT_TRUE(Compile("\\t\\n\\r\\f").FullMatch("\t\n\r\f"));
  EXPECT_TRUE(Compile("\\{\\}\\(\\)\\[\\]\\*\\+\\?\\.\\|\\^\\$\\\\").FullMatch("{}()[]*+?.|^$\\"));
  EXPECT_TRUE(Compile("[]a]+").FullMatch("]a]"));
  EXPECT_TRUE(Compile("[a-]+").FullMatch("a-"));
  EXPECT_TRUE(Compile("[^]a]").FullMatch("b"));
  EXPECT_TRUE(Compile("a{2}b{1,}c{0,1}").FullMatch("aabbb"));
  EXPECT_TRUE(Compile("\xC3\xA9+").FullMatch("\xC3\xA9\xC3\xA9"));  // a literal non-ASCII character
}

// Syntax outside the subset fails to compile rather than meaning something
// other than it does in Java.
TEST(ModelPatternTest, RejectsSyntaxOutsideTheSubset) {
  for (const char* source :
       {"a{", "a{,2}", "a{x}", "(?i)a", "(?#c)a", "\\Qa\\E", "[a[b]]", "[a&&b]", "(*ACCEPT)a", "(a)\\1", "\\x41",
        "\\p{Alpha}", "\\bx", "\\z", "a**", "(?<name>a)", "[a-\\d]", "\\", "[\\u00zz]"}) {
    EXPECT_FALSE(ModelPattern::Compile(source).ok()) << source;
  }
}

// Values come from decoders that validate UTF-8, but FullMatch takes any
// bytes: each byte of an ill-formed sequence reads as U+FFFD.
TEST(ModelPatternTest, InvalidUtf8ReadsAsReplacementCharacters) {
  EXPECT_TRUE(
      Compile(".*").FullMatch("a\xFF"
                              "b"));
  EXPECT_FALSE(
      Compile("[a-z]*").FullMatch("a\xFF"
                                  "b"));
  EXPECT_TRUE(Compile("a\\uFFFDb")
                  .FullMatch("a\xFF"
                             "b"));
  EXPECT_TRUE(Compile("..").FullMatch("\xE2\x82"));  // truncated: two bad bytes
  EXPECT_FALSE(Compile(".").FullMatch("\xE2\x82"));
  EXPECT_TRUE(Compile("[\\u0001-\\uFFFF]*").FullMatch("ok\x80"));
  EXPECT_FALSE(Compile("\\p{L}").FullMatch("\xFF"));
  EXPECT_TRUE(Compile("\\S+").FullMatch("\xC3"));
  // An overlong encoding reads as the code point it spells (here U+0000).
  EXPECT_FALSE(Compile("[\\u0001-\\uFFFF]*").FullMatch("\xC0\x80"));
  EXPECT_TRUE(Compile("\\u0000").FullMatch("\xC0\x80"));
}

// Java's possessive quantifiers never give back what they matched (the models
// use them only where that changes nothing: \d{1}+, \d{12}+).
TEST(ModelPatternTest, PossessiveQuantifierDoesNotBacktrack) {
  EXPECT_FALSE(Compile("a*+a").FullMatch("aaa"));
  EXPECT_TRUE(Compile("a*a").FullMatch("aaa"));
  EXPECT_TRUE(Compile("a++b").FullMatch("aab"));
}

TEST(ModelPatternTest, LookbehindAlternativesMayDifferInWidth) {
  const ModelPattern p = Compile("[a-z]+(?<!ab|c)\\.");
  EXPECT_TRUE(p.FullMatch("xy."));
  EXPECT_FALSE(p.FullMatch("xab."));
  EXPECT_FALSE(p.FullMatch("xc."));
}

TEST(ModelPatternTest, SurrogatePairEscapeIsOneCodePoint) {
  EXPECT_TRUE(Compile("\\uD83D\\uDE00").FullMatch("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_FALSE(ModelPattern::Compile("\\uD83D").ok());
}

// Exponential backtracking with no literal for a shortcut to reject on: the
// match budget ends it.
TEST(ModelPatternTest, MatchBudgetEndsExponentialBacktracking) {
  const ModelPattern p = Compile("(a|aa)+\\d");
  EXPECT_FALSE(p.FullMatch(std::string(60, 'a')));
  EXPECT_TRUE(p.FullMatch("aaa1"));
}

}  // namespace
}  // namespace spate::protocol
