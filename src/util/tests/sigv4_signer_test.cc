// The outgoing SigV4 signer against AWS's published test suite and botocore.

#include "util/sigv4_signer.h"

#include <gtest/gtest.h>

#include "util/hmac.h"

namespace spate::util {
namespace {

// The key pair and moment of AWS's published SigV4 test suite
// (aws-sig-v4-test-suite: get-vanilla, post-vanilla).
constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kDate = "20150830T123600Z";

SigV4Request Vanilla(std::string method) {
  SigV4Request r;
  r.method = std::move(method);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", std::string(kDate)}};
  r.payload_sha256 = Sha256Hex("");
  return r;
}

TEST(SigV4SignerTest, GetVanillaMatchesAwsTestSuite) {
  SigV4Signature sig = SignSigV4(Vanilla("GET"), kKeyId, kSecret, "us-east-1", "service", kDate);
  EXPECT_EQ(sig.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(
      sig.authorization,
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4SignerTest, PostVanillaMatchesAwsTestSuite) {
  SigV4Signature sig = SignSigV4(Vanilla("POST"), kKeyId, kSecret, "us-east-1", "service", kDate);
  EXPECT_EQ(sig.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

// A Kinesis JSON call with a session token, signed the same by botocore
// 1.43 (SigV4Auth at 2015-08-30T12:36:00Z): the headers the client sends.
TEST(SigV4SignerTest, KinesisJsonCallMatchesBotocore) {
  SigV4Request r;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"Host", "127.0.0.1:4567"},
               {"X-Amz-Date", std::string(kDate)},
               {"X-Amz-Target", "Kinesis_20131202.ListStreams"},
               {"X-Amz-Security-Token", "tok"}};
  r.payload_sha256 = Sha256Hex("{}");
  SigV4Signature sig = SignSigV4(r, kKeyId, kSecret, "eu-west-1", "kinesis", kDate);
  EXPECT_EQ(sig.signed_headers, "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
  EXPECT_EQ(sig.signature, "381aa79f3b84d6b51b6d326af02b0cfce5b311c379ff30c3c6940802a82f872b");
}

TEST(SigV4SignerTest, PayloadChangesSignature) {
  SigV4Request a = Vanilla("POST");
  SigV4Request b = Vanilla("POST");
  b.payload_sha256 = Sha256Hex("x");
  EXPECT_NE(SignSigV4(a, kKeyId, kSecret, "us-east-1", "kinesis", kDate).signature,
            SignSigV4(b, kKeyId, kSecret, "us-east-1", "kinesis", kDate).signature);
}

TEST(SigV4SignerTest, HeaderValuesAreTrimmedAndCollapsed) {
  SigV4Request r = Vanilla("GET");
  r.headers.emplace_back("My-Header1", "  value1   with  spaces ");
  SigV4Signature sig = SignSigV4(r, kKeyId, kSecret, "us-east-1", "service", kDate);
  EXPECT_NE(sig.canonical_request.find("\nmy-header1:value1 with spaces\n"), std::string::npos);
  EXPECT_EQ(sig.signed_headers, "host;my-header1;x-amz-date");
}

TEST(SigV4SignerTest, QueryIsEncodedAndSorted) {
  SigV4Request r = Vanilla("GET");
  r.query = {{"Param2", "value2"}, {"Param1", "value 1"}};
  SigV4Signature sig = SignSigV4(r, kKeyId, kSecret, "us-east-1", "service", kDate);
  EXPECT_EQ(sig.canonical_request.substr(0, sig.canonical_request.find("\nhost")),
            "GET\n/\nParam1=value%201&Param2=value2");
}

TEST(SigV4SignerTest, PathIsEncodedAgainExceptForS3) {
  SigV4Request r = Vanilla("GET");
  r.path = "/a%20b/c";
  EXPECT_EQ(SignSigV4(r, kKeyId, kSecret, "us-east-1", "service", kDate).canonical_request.substr(0, 16),
            "GET\n/a%2520b/c\n\n");
  r.path_rule = SigV4Path::kAsSent;
  EXPECT_EQ(SignSigV4(r, kKeyId, kSecret, "us-east-1", "s3", kDate).canonical_request.substr(0, 14),
            "GET\n/a%20b/c\n\n");
}

TEST(SigV4SignerTest, SigningKeyMatchesAwsExample) {
  // AWS General Reference, "Examples of how to derive a signing key":
  // 20120215, us-east-1, iam.
  EXPECT_EQ(HexLower(SigV4SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4SignerTest, AmzDateIsUtc) {
  EXPECT_EQ(AmzDate(1440938160000), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

}  // namespace
}  // namespace spate::util
