#include "firehose/s3_protocol.h"

#include <gtest/gtest.h>

namespace spate::firehose {
namespace {

S3Endpoint Endpoint(std::string_view url) {
  Result<S3Endpoint> ep = ParseS3Endpoint(url);
  EXPECT_TRUE(ep.ok()) << ep.status().ToString();
  return ep.ok() ? ep.value() : S3Endpoint{};
}

TEST(S3EndpointTest, KeepsANonDefaultPortAndDropsADefaultOne) {
  EXPECT_EQ(Endpoint("http://127.0.0.1:4569").authority, "127.0.0.1:4569");
  EXPECT_EQ(Endpoint("http://S3.Example.com:80/").authority, "s3.example.com");
  EXPECT_EQ(Endpoint("https://s3.example.com:443").authority, "s3.example.com");
  EXPECT_EQ(Endpoint("HTTPS://s3.example.com:8443").scheme, "https");
  EXPECT_EQ(Endpoint("http://[::1]:9000").authority, "[::1]:9000");
}

TEST(S3EndpointTest, KnowsAnIpAddressFromAName) {
  EXPECT_TRUE(Endpoint("http://127.0.0.1:1").host_is_ip);
  EXPECT_TRUE(Endpoint("http://[::1]").host_is_ip);
  EXPECT_FALSE(Endpoint("http://s3.localhost:1").host_is_ip);
}

TEST(S3EndpointTest, RefusesWhatIsNotSchemeHostPort) {
  for (std::string_view bad : {"127.0.0.1:4569", "ftp://h", "http://", "http://h:0", "http://h:70000", "http://h:x",
                               "http://h:", "http://u:p@h", "http://h/prefix", "http://h?x=1", "http://[::1"}) {
    Result<S3Endpoint> ep = ParseS3Endpoint(bad);
    EXPECT_FALSE(ep.ok()) << bad;
    if (!ep.ok()) {
      EXPECT_EQ(ep.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(S3AddressTest, PathStylePutsTheBucketInThePath) {
  Result<S3Address> a = AddressS3Object(Endpoint("http://127.0.0.1:4569"), "logs", "2026/12/a b.gz", true);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1:4569");
  EXPECT_EQ(a->path, "/logs/2026/12/a%20b.gz");
  EXPECT_EQ(a->Url(Endpoint("http://127.0.0.1:4569")), "http://127.0.0.1:4569/logs/2026/12/a%20b.gz");
}

TEST(S3AddressTest, VirtualHostPutsTheBucketInTheHost) {
  S3Endpoint ep = Endpoint("https://s3.eu-west-1.amazonaws.com");
  Result<S3Address> a = AddressS3Object(ep, "my-logs.prod", "k+1", false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "my-logs.prod.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a->path, "/k%2B1");
  EXPECT_EQ(a->Url(ep), "https://my-logs.prod.s3.eu-west-1.amazonaws.com/k%2B1");
}

TEST(S3AddressTest, VirtualHostNeedsADnsNameAndADnsBucket) {
  EXPECT_EQ(AddressS3Object(Endpoint("http://127.0.0.1:1"), "b", "k", false).status().code(),
            ErrorCode::kInvalidArgument);
  S3Endpoint named = Endpoint("http://s3.localhost:1");
  for (std::string_view bucket : {"Upper", "under_score", ".dot", "dot.", "a..b", "-a", ""}) {
    EXPECT_EQ(AddressS3Object(named, bucket, "k", false).status().code(), ErrorCode::kInvalidArgument) << bucket;
  }
  // Path-style takes any bucket name (the server judges it), but not an empty one.
  EXPECT_TRUE(AddressS3Object(named, "Under_Score", "k", true).ok());
  EXPECT_FALSE(AddressS3Object(named, "", "k", true).ok());
}

TEST(S3XmlTest, ReadsTheUploadIdOfCreateMultipartUpload) {
  std::string_view xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>example-bucket</Bucket><Key>example-object</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>";
  EXPECT_EQ(XmlRootName(xml), "InitiateMultipartUploadResult");
  EXPECT_EQ(XmlElementText(xml, "UploadId"), "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_EQ(XmlElementText(xml, "Key"), "example-object");
  EXPECT_EQ(XmlElementText(xml, "Missing"), std::nullopt);
}

TEST(S3XmlTest, DoesNotMistakeAPrefixOfATagForIt) {
  std::string_view xml = "<R><UploadIdMarker>m</UploadIdMarker><UploadId>id</UploadId></R>";
  EXPECT_EQ(XmlElementText(xml, "UploadId"), "id");
}

TEST(S3XmlTest, DecodesEntitiesAndEmptyElements) {
  EXPECT_EQ(XmlElementText("<E><Key>a&amp;b&lt;c&gt;&quot;&apos;&#233;&#x20AC;&bogus;</Key></E>", "Key"),
            "a&b<c>\"'\xc3\xa9\xe2\x82\xac&bogus;");
  EXPECT_EQ(XmlElementText("<E><Key/></E>", "Key"), "");
  EXPECT_EQ(XmlElementText("<E><Key attr=\"1\">v</Key></E>", "Key"), "v");
  EXPECT_EQ(XmlElementText("<E><Key>unterminated", "Key"), std::nullopt);
}

TEST(S3XmlTest, RootNameSkipsPrologAndComments) {
  EXPECT_EQ(XmlRootName("<?xml version=\"1.0\"?>\n<!-- c --> <Error><Code>x</Code></Error>"), "Error");
  EXPECT_EQ(XmlRootName(""), "");
  EXPECT_EQ(XmlRootName("not xml"), "");
}

TEST(S3XmlTest, CompleteMultipartUploadListsPartsInOrderWithEscapedETags) {
  EXPECT_EQ(CompleteMultipartUploadXml({"\"a1\"", "\"b&2\""}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;b&amp;2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

std::string ErrorXml(std::string_view code, std::string_view message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) + "</Code><Message>" +
         std::string(message) + "</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

TEST(S3ErrorTest, NoSuchBucketIsNotFoundWithCodeAndMessage) {
  Status st = S3ErrorStatus("PutObject s3://b/k", 404, ErrorXml("NoSuchBucket", "The specified bucket does not exist"));
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(),
            "PutObject s3://b/k: HTTP 404 NoSuchBucket: The specified bucket does not exist "
            "(request id 4442587FB7D0A2F9)");
}

TEST(S3ErrorTest, ForbiddenIsAccessDenied) {
  EXPECT_EQ(S3ErrorStatus("x", 403, ErrorXml("SignatureDoesNotMatch", "no")).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(S3ErrorStatus("x", 403, ErrorXml("AccessDenied", "Access Denied")).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(S3ErrorStatus("x", 403, "").code(), ErrorCode::kAccessDenied);
}

TEST(S3ErrorTest, ServerErrorsAndThrottlingAreUnavailable) {
  EXPECT_EQ(S3ErrorStatus("x", 503, ErrorXml("SlowDown", "Please reduce your request rate.")).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(S3ErrorStatus("x", 500, ErrorXml("InternalError", "oops")).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(S3ErrorStatus("x", 502, "<html>Bad Gateway</html>").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(S3ErrorStatus("x", 429, "").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(S3ErrorStatus("x", 400, ErrorXml("RequestTimeout", "idle")).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(S3ErrorStatus("x", 404, ErrorXml("NoSuchUpload", "gone")).code(), ErrorCode::kUnavailable);
}

TEST(S3ErrorTest, ErrorInsideA200IsUnavailable) {
  Status st = S3ErrorStatus("CompleteMultipartUpload s3://b/k", 200, ErrorXml("InternalError", "try again"));
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.message().find("HTTP 200 with an error body InternalError: try again"), std::string::npos);
}

TEST(S3ErrorTest, OtherClientErrorsAreInvalidArgument) {
  EXPECT_EQ(S3ErrorStatus("x", 400, ErrorXml("EntityTooSmall", "small")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(S3ErrorStatus("x", 400, ErrorXml("KeyTooLongError", "long")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(S3ErrorStatus("x", 404, ErrorXml("NoSuchKey", "k")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(S3ErrorStatus("x", 301, ErrorXml("PermanentRedirect", "use another endpoint")).code(),
            ErrorCode::kInvalidArgument);
}

TEST(S3ErrorTest, ANonXmlBodyIsQuotedShort) {
  Status st = S3ErrorStatus("x", 400, std::string(1000, 'z'));
  EXPECT_EQ(st.message(), "x: HTTP 400: " + std::string(200, 'z'));
}

}  // namespace
}  // namespace spate::firehose
