#include "protocol/model_pattern.h"

#include <gtest/gtest.h>

#include <string>

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
  const ModelPattern p = Compile(
      "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+");
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
  const ModelPattern p =
      Compile("^(?:[A-Za-z0-9+\\/]{4})*(?:[A-Za-z0-9+\\/]{2}==|[A-Za-z0-9+\\/]{3}=)?$");
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

}  // namespace
}  // namespace spate::protocol
