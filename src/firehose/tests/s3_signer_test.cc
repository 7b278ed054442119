// The signer against AWS's published examples for S3 header-based SigV4
// (AWS S3 API reference, "Examples: Signature Calculations in AWS Signature
// Version 4"): bucket examplebucket in us-east-1 at 20130524T000000Z with the
// documentation's example key pair.

#include "firehose/s3_signer.h"

#include <gtest/gtest.h>

#include "util/hmac.h"

namespace spate::firehose {
namespace {

constexpr char kHost[] = "examplebucket.s3.amazonaws.com";
constexpr char kDate[] = "20130524T000000Z";
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

S3Credentials ExampleCredentials() { return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}; }

util::SigV4Request Get(std::string path, std::vector<std::pair<std::string, std::string>> query) {
  util::SigV4Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.payload_sha256 = kEmptySha256;
  r.headers = {{"Host", kHost}, {"x-amz-date", kDate}, {"x-amz-content-sha256", kEmptySha256}};
  return r;
}

TEST(S3SignerTest, GetObjectWithRange) {
  util::SigV4Request r = Get(S3EncodePath("", "test.txt"), {});
  r.headers.emplace_back("Range", "bytes=0-9");
  util::SigV4Signature sig = SignS3Request(r, ExampleCredentials(), "us-east-1", kDate);
  EXPECT_EQ(sig.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SignerTest, PutObjectSignsThePayloadAndEncodesTheDollarOnce) {
  const std::string body = "Welcome to Amazon S3.";
  util::SigV4Request r;
  r.method = "PUT";
  r.path = S3EncodePath("", "test$file.text");
  r.payload_sha256 = util::Sha256Hex(body);
  r.headers = {{"Host", kHost},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", kDate},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_sha256}};
  EXPECT_EQ(r.payload_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  util::SigV4Signature sig = SignS3Request(r, ExampleCredentials(), "us-east-1", kDate);
  EXPECT_EQ(sig.canonical_request.substr(0, sig.canonical_request.find('\n', 4)), "PUT\n/test%24file.text");
  EXPECT_EQ(sig.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(S3SignerTest, GetBucketLifecycleSignsABareSubresourceAsNameEquals) {
  util::SigV4Signature sig = SignS3Request(Get("/", {{"lifecycle", ""}}), ExampleCredentials(), "us-east-1", kDate);
  EXPECT_NE(sig.canonical_request.find("GET\n/\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(sig.string_to_sign.substr(sig.string_to_sign.rfind('\n') + 1),
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(sig.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(S3SignerTest, ListObjectsSortsTheQuery) {
  // Given out of order: the signer sorts by name.
  util::SigV4Signature sig =
      SignS3Request(Get("/", {{"prefix", "J"}, {"max-keys", "2"}}), ExampleCredentials(), "us-east-1", kDate);
  EXPECT_NE(sig.canonical_request.find("GET\n/\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(sig.string_to_sign.substr(sig.string_to_sign.rfind('\n') + 1),
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3SignerTest, HeaderValuesAreTrimmedAndInnerSpacesCollapsed) {
  util::SigV4Request r = Get("/", {});
  r.headers.emplace_back("X-Amz-Meta-Note", "  a   b  ");
  r.headers.emplace_back("x-amz-meta-note", "c");  // a repeated name: values comma-joined in order
  util::SigV4Signature sig = SignS3Request(r, ExampleCredentials(), "us-east-1", kDate);
  EXPECT_NE(sig.canonical_request.find("\nx-amz-meta-note:a b,c\n"), std::string::npos);
  EXPECT_EQ(sig.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-meta-note");
}

TEST(S3SignerTest, SessionTokenIsSignedLikeAnyHeader) {
  util::SigV4Request r = Get("/", {});
  util::SigV4Signature without = SignS3Request(r, ExampleCredentials(), "us-east-1", kDate);
  r.headers.emplace_back("x-amz-security-token", "token/with+chars=");
  util::SigV4Signature with = SignS3Request(r, ExampleCredentials(), "us-east-1", kDate);
  EXPECT_EQ(with.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(with.signature, without.signature);
}

TEST(S3SignerTest, RegionAndSecretChangeTheSignature) {
  util::SigV4Signature base = SignS3Request(Get("/", {}), ExampleCredentials(), "us-east-1", kDate);
  util::SigV4Signature other_region = SignS3Request(Get("/", {}), ExampleCredentials(), "eu-west-1", kDate);
  S3Credentials other_key = ExampleCredentials();
  other_key.secret_access_key.back() = 'X';
  util::SigV4Signature other_secret = SignS3Request(Get("/", {}), other_key, "us-east-1", kDate);
  EXPECT_NE(base.signature, other_region.signature);
  EXPECT_NE(base.signature, other_secret.signature);
  EXPECT_NE(other_region.authorization.find("/20130524/eu-west-1/s3/aws4_request"), std::string::npos);
}

TEST(S3KeyEncodingTest, UnreservedCharactersStay) {
  EXPECT_EQ(util::SigV4UriEncode("AZaz09-._~", false), "AZaz09-._~");
}

TEST(S3KeyEncodingTest, EverythingElseIsPercentEncodedUppercase) {
  EXPECT_EQ(util::SigV4UriEncode("a b+c=d&e?f#g%h", false), "a%20b%2Bc%3Dd%26e%3Ff%23g%25h");
  EXPECT_EQ(util::SigV4UriEncode("!'()*$,;:@", false), "%21%27%28%29%2A%24%2C%3B%3A%40");
  EXPECT_EQ(util::SigV4UriEncode("\xc3\xa9\xe2\x82\xac", false), "%C3%A9%E2%82%AC");  // é€ as UTF-8 bytes
  EXPECT_EQ(util::SigV4UriEncode(std::string("a\0b", 3), false), "a%00b");
}

TEST(S3KeyEncodingTest, SlashIsKeptInPathsAndEncodedElsewhere) {
  EXPECT_EQ(util::SigV4UriEncode("a/b", true), "a/b");
  EXPECT_EQ(util::SigV4UriEncode("a/b", false), "a%2Fb");
}

TEST(S3KeyEncodingTest, PathEncodesEachSegmentOnce) {
  EXPECT_EQ(S3EncodePath("", "2026/12/06/22/my stream-1-2026-12-06-22-00-00-x.gz"),
            "/2026/12/06/22/my%20stream-1-2026-12-06-22-00-00-x.gz");
  EXPECT_EQ(S3EncodePath("bucket", "a%20b"), "/bucket/a%2520b");            // a literal '%' is data, not an escape
  EXPECT_EQ(S3EncodePath("bucket", "dir//x/../y"), "/bucket/dir//x/../y");  // S3 keys are not normalised
}

TEST(S3KeyEncodingTest, QueryIsEncodedAndSorted) {
  EXPECT_EQ(util::SigV4CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(util::SigV4CanonicalQuery({{"uploadId", "a/b+c=="}, {"partNumber", "2"}}),
            "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D");
  EXPECT_EQ(util::SigV4CanonicalQuery({}), "");
}

TEST(S3SignerTest, AmzDateIsUtc) {
  EXPECT_EQ(util::AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(util::AmzDate(1369353600000), "20130524T000000Z");
  EXPECT_EQ(util::AmzDate(951782400999), "20000229T000000Z");
  EXPECT_EQ(util::AmzDate(4102444799000), "20991231T235959Z");
}

}  // namespace
}  // namespace spate::firehose
