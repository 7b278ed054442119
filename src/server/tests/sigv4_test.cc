#include "server/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/clock.h"
#include "util/hmac.h"
#include "util/sigv4_signer.h"

namespace spate::server {
namespace {

// AWS's published Signature Version 4 test suite (aws4_testsuite, as the
// AWS SDK for JavaScript v3 carries it in signature-v4/src/suite.fixture.ts):
// credentials, date and scope shared by every case.
constexpr char kSuiteKeyId[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";

struct SuiteCase {
  const char* name;
  const char* method;
  const char* target;  // path and query as they appear on the wire
  std::vector<std::pair<std::string, std::string>> extra_headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

HttpRequest SuiteRequest(const SuiteCase& c) {
  HttpRequest r;
  r.method = c.method;
  r.target = c.target;
  r.headers.emplace_back("host", "example.amazonaws.com");
  r.headers.emplace_back("x-amz-date", kSuiteDate);
  for (const auto& h : c.extra_headers) r.headers.push_back(h);
  r.body = c.body;
  r.headers.emplace_back("authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kSuiteKeyId +
                                              "/20150830/us-east-1/service/aws4_request, SignedHeaders=" +
                                              c.signed_headers + ", Signature=" + c.signature);
  return r;
}

std::string SignatureOf(const HttpRequest& r) {
  auto p = ParseSignatureParams(r);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  std::string canonical = CanonicalRequest(r, *p, util::Sha256Hex(r.body));
  std::string key = util::SigV4SigningKey(kSuiteSecret, p->scope_date, p->scope_region, p->scope_service);
  return util::HmacSha256Hex(key, StringToSign(p->amz_date, p->scope, canonical));
}

TEST(SigV4Suite, PublishedVectorsVerify) {
  // One vector a row, as AWS publishes them.
  // clang-format off
  const std::vector<SuiteCase> cases = {
      {"get-vanilla", "GET", "/", {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-relative-relative (normalises to /)", "GET", "/example1/example2/../..", {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-dot-slash (normalises to /)", "GET", "/./", {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-header-key-duplicate", "GET", "/", {{"my-header1", "value2,value2,value1"}}, "",
       "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-key-duplicate as three header lines", "GET", "/",
       {{"my-header1", "value2"}, {"my-header1", "value2"}, {"my-header1", "value1"}}, "",
       "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order", "GET", "/", {{"my-header1", "value4,value1,value3,value2"}}, "",
       "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim", "GET", "/", {{"my-header1", " value1"}, {"my-header2", "\"a   b   c\"  "}}, "",
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, "",
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xE1\x88\xB4", {}, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-vanilla-empty-query-key", "GET", "/?Param1=value1", {}, "", "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", {}, "", "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved", "GET",
       "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {}, "", "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/?%E1%88%B4=bar", {}, "", "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"post-vanilla", "POST", "/", {}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort", "POST", "/", {{"my-header1", "value1"}}, "", "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", {{"my-header1", "VALUE1"}}, "", "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla-query", "POST", "/?Param1=value1", {}, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved", "POST",
       "/?%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D", {}, "", "host;x-amz-date",
       "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-vanilla-query-space", "POST", "/?p=", {}, "", "host;x-amz-date",
       "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
      {"post-x-www-form-urlencoded", "POST", "/", {{"content-type", "application/x-www-form-urlencoded"}},
       "Param1=value1", "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "/",
       {{"content-type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1",
       "content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
  // clang-format on
  for (const SuiteCase& c : cases) {
    EXPECT_EQ(SignatureOf(SuiteRequest(c)), c.signature) << c.name;
  }
}

TEST(SigV4Suite, DerivedKeyMatchesAwsDocumentation) {
  // docs.aws.amazon.com "Examples of how to derive a signing key": the
  // iam service in us-east-1 on 20120215.
  std::string key = util::SigV4SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  EXPECT_EQ(util::HmacSha256Hex(key, "").size(), 64u);
  std::string hex;
  for (unsigned char c : key) {
    static const char kHex[] = "0123456789abcdef";
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Canonical, UriNormalisation) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("//"), "/");
  EXPECT_EQ(CanonicalUri("//example//"), "/example/");
  EXPECT_EQ(CanonicalUri("/example/.."), "/");
  EXPECT_EQ(CanonicalUri("/./example"), "/example");
  EXPECT_EQ(CanonicalUri("/a/b/../c/./d"), "/a/c/d");
  EXPECT_EQ(CanonicalUri("/example space/"), "/example%20space/");
  EXPECT_EQ(CanonicalUri("/.."), "/");
  // A path percent-encoded on the wire is encoded again (non-S3 services).
  EXPECT_EQ(CanonicalUri("/%E1%88%B4"), "/%25E1%2588%25B4");
}

TEST(SigV4Canonical, QueryString) {
  EXPECT_EQ(CanonicalQueryString(""), "");
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQueryString("flag"), "flag=");
  EXPECT_EQ(CanonicalQueryString("a=x%20y&c=%7e"), "a=x%20y&c=~");
  EXPECT_EQ(CanonicalQueryString("X-Amz-Signature=abc&X-Amz-Date=1"), "X-Amz-Date=1");
  EXPECT_EQ(CanonicalQueryString("a=%zz"), "a=%25zz");
}

TEST(CredentialStore, ParsesLinesCommentsAndAccounts) {
  auto s = CredentialStore::Parse(
      "# comment\n\nAKID1 secret1 111111111111\n  AKID2\tsecret2   # default account\r\nAKID3 s/3+x\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->Find("AKID1")->account, "111111111111");
  EXPECT_EQ(s->Find("AKID2")->secret_access_key, "secret2");
  EXPECT_EQ(s->Find("AKID2")->account, std::string(kDefaultAccount));
  EXPECT_EQ(s->Find("AKID3")->secret_access_key, "s/3+x");
  EXPECT_EQ(s->Find("AKID4"), nullptr);
}

TEST(CredentialStore, RejectsMalformedLines) {
  EXPECT_FALSE(CredentialStore::Parse("onlykey\n").ok());
  EXPECT_FALSE(CredentialStore::Parse("a b c d\n").ok());
  EXPECT_FALSE(CredentialStore::Parse("a b 1234\n").ok());
  EXPECT_FALSE(CredentialStore::Parse("a b 12345678901x\n").ok());
  auto dup = CredentialStore::Parse("a b\na c\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("line 2"), std::string::npos);
}

// ------------------------------------------------------------ verifier

constexpr int64_t kNowMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr char kNowAmz[] = "20231114T221320Z";

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : clock_(kNowMs) {
    auto s = CredentialStore::Parse("AKIDA secretA 111111111111\nAKIDB secretB 222222222222\n");
    store_ = std::move(*s);
  }

  // A Kinesis request signed like botocore signs it.
  static HttpRequest Signed(std::string_view akid, std::string_view secret, std::string amz_date = kNowAmz,
                            std::string region = "us-west-2") {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.body = R"({"StreamName":"s"})";
    r.headers = {{"host", "127.0.0.1:4567"},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "Kinesis_20131202.DescribeStreamSummary"},
                 {"x-amz-date", amz_date}};
    Sign(&r, akid, secret, "content-type;host;x-amz-date;x-amz-target", region);
    return r;
  }

  static void Sign(HttpRequest* r, std::string_view akid, std::string_view secret, std::string signed_headers,
                   std::string region = "us-west-2") {
    std::string date = std::string(r->Header("x-amz-date")).substr(0, 8);
    std::string cred = std::string(akid) + "/" + date + "/" + region + "/kinesis/aws4_request";
    HttpRequest probe = *r;
    probe.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=" + cred +
                                                    ", SignedHeaders=" + signed_headers + ", Signature=00");
    auto p = ParseSignatureParams(probe);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::string sig =
        util::HmacSha256Hex(util::SigV4SigningKey(secret, date, region, "kinesis"),
                            StringToSign(p->amz_date, p->scope, CanonicalRequest(*r, *p, util::Sha256Hex(r->body))));
    r->headers.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=" + cred +
                                                 ", SignedHeaders=" + signed_headers + ", Signature=" + sig);
  }

  util::ManualClock clock_;
  CredentialStore store_;
};

TEST_F(VerifierTest, ValidSignatureYieldsAccountAndRegion) {
  SigV4Verifier v(&store_, &clock_);
  auto a = v.Verify(Signed("AKIDA", "secretA"), "kinesis");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->account, "111111111111");
  EXPECT_EQ(a->region, "us-west-2");
  auto b = v.Verify(Signed("AKIDB", "secretB", kNowAmz, "eu-west-1"), "kinesis");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->account, "222222222222");
  EXPECT_EQ(b->region, "eu-west-1");
  // Second verification uses the cached signing key and agrees.
  EXPECT_TRUE(v.Verify(Signed("AKIDA", "secretA"), "kinesis").ok());
}

TEST_F(VerifierTest, WrongSecretIsInvalidSignature) {
  SigV4Verifier v(&store_, &clock_);
  auto r = v.Verify(Signed("AKIDA", "secretB"), "kinesis");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(r.status().message(),
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.");
}

TEST_F(VerifierTest, UnknownKeyIsUnrecognizedClient) {
  SigV4Verifier v(&store_, &clock_);
  auto r = v.Verify(Signed("AKIDZ", "secretA"), "kinesis");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnrecognizedClient);
  EXPECT_EQ(r.status().message(), "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, TamperedBodyIsInvalidSignature) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.body = R"({"StreamName":"t"})";
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, TamperedSignedHeaderIsInvalidSignature) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  for (auto& [n, val] : r.headers) {
    if (n == "x-amz-target") val = "Kinesis_20131202.DeleteStream";
  }
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, MissingSignedHeaderIsInvalidSignature) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  std::erase_if(r.headers, [](const auto& h) { return h.first == "x-amz-target"; });
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, UnsignedHostIsInvalidSignature) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.headers.pop_back();
  Sign(&r, "AKIDA", "secretA", "content-type;x-amz-date;x-amz-target");
  auto st = v.Verify(r, "kinesis");
  EXPECT_EQ(st.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_NE(st.status().message().find("'Host'"), std::string::npos);
}

TEST_F(VerifierTest, Http2AuthorityPseudoHeaderIsSignedAsHost) {
  // The JS SDK v3 over HTTP/2 lists ":authority" in SignedHeaders; the
  // transport passes :authority on as "host".
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.headers.pop_back();
  Sign(&r, "AKIDA", "secretA", ":authority;content-type;x-amz-date;x-amz-target");
  EXPECT_TRUE(v.Verify(r, "kinesis").ok()) << v.Verify(r, "kinesis").status().ToString();
  auto p = ParseSignatureParams(r);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(CanonicalRequest(r, *p, util::Sha256Hex(r.body)).find("\n:authority:127.0.0.1:4567\n"), std::string::npos);
  for (auto& [n, val] : r.headers) {
    if (n == "host") val = "evil.example:4567";
  }
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, UnsignedExtraHeaderMayChange) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.headers.emplace_back("user-agent", "changed-in-flight");
  EXPECT_TRUE(v.Verify(r, "kinesis").ok());
}

TEST_F(VerifierTest, StaleAndFutureDatesAreRejectedWithAwsMessages) {
  SigV4Verifier v(&store_, &clock_);
  // 4 min 59 s either way is accepted.
  EXPECT_TRUE(v.Verify(Signed("AKIDA", "secretA", "20231114T220821Z"), "kinesis").ok());
  EXPECT_TRUE(v.Verify(Signed("AKIDA", "secretA", "20231114T221819Z"), "kinesis").ok());
  auto old = v.Verify(Signed("AKIDA", "secretA", "20231114T220819Z"), "kinesis");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(old.status().message(),
            "Signature expired: 20231114T220819Z is now earlier than 20231114T220820Z (20231114T221320Z - 5 min.)");
  auto future = v.Verify(Signed("AKIDA", "secretA", "20231114T221821Z"), "kinesis");
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(future.status().message(),
            "Signature not yet current: 20231114T221821Z is still later than 20231114T221820Z (20231114T221320Z + "
            "5 min.)");
}

TEST_F(VerifierTest, PayloadHashHeaderMustMatchBody) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.headers.pop_back();
  r.headers.emplace_back("x-amz-content-sha256", util::Sha256Hex(r.body));
  Sign(&r, "AKIDA", "secretA", "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target");
  EXPECT_TRUE(v.Verify(r, "kinesis").ok());
  r.body += " ";
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, ScopeMustNameKinesisAndMatchTheDate) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  for (auto& [n, val] : r.headers) {
    if (n == "authorization") val.replace(val.find("/kinesis/"), 9, "/dynamodb/");
  }
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
  HttpRequest d = Signed("AKIDA", "secretA");
  for (auto& [n, val] : d.headers) {
    if (n == "authorization") val.replace(val.find("/20231114/"), 10, "/20231113/");
  }
  auto st = v.Verify(d, "kinesis");
  EXPECT_EQ(st.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_NE(st.status().message().find("Date in Credential scope does not match"), std::string::npos);
}

TEST_F(VerifierTest, MalformedCredentialIsIncomplete) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  for (auto& [n, val] : r.headers) {
    if (n == "authorization") val.replace(val.find("/us-west-2"), 10, "");
  }
  auto st = v.Verify(r, "kinesis");
  EXPECT_EQ(st.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_NE(st.status().message().find("Credential must have exactly 5 slash-delimited elements"), std::string::npos);
}

TEST_F(VerifierTest, SpaceSeparatedParametersVerify) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  for (auto& [n, val] : r.headers) {
    if (n != "authorization") continue;
    for (size_t c = val.find(", "); c != std::string::npos; c = val.find(", ")) val.replace(c, 2, " ");
  }
  auto a = v.Verify(r, "kinesis");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
}

TEST_F(VerifierTest, AnotherAlgorithmIsRefused) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  for (auto& [n, val] : r.headers) {
    if (n == "authorization") val.replace(0, std::string("AWS4-HMAC-SHA256").size(), "AWS4-HMAC-SHA512");
  }
  auto st = v.Verify(r, "kinesis");
  EXPECT_EQ(st.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(st.status().message(), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Use AWS4-HMAC-SHA256.");
}

TEST_F(VerifierTest, NoSignatureIsMissingToken) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r = Signed("AKIDA", "secretA");
  r.headers.pop_back();
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kMissingAuthentication);
}

TEST_F(VerifierTest, QueryStringSignature) {
  SigV4Verifier v(&store_, &clock_);
  HttpRequest r;
  r.method = "POST";
  r.body = "{}";
  r.headers = {{"host", "127.0.0.1:4567"}};
  std::string q =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDA%2F20231114%2Fus-east-1%2Fkinesis%2F"
      "aws4_request&X-Amz-Date=20231114T221320Z&X-Amz-SignedHeaders=host";
  r.target = "/?" + q;
  auto p = ParseSignatureParams(r);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::string sig =
      util::HmacSha256Hex(util::SigV4SigningKey("secretA", "20231114", "us-east-1", "kinesis"),
                          StringToSign(p->amz_date, p->scope, CanonicalRequest(r, *p, util::Sha256Hex(r.body))));
  r.target = "/?" + q + "&X-Amz-Signature=" + sig;
  auto a = v.Verify(r, "kinesis");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->account, "111111111111");
  r.target = "/?" + q + "&X-Amz-Signature=" + std::string(64, '0');
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kInvalidSignature);
}

// CheckAuthorizationPresent: AWS's exact answers to malformed authentication.
HttpRequest Presented(std::string target, std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = "{}";
  r.headers = std::move(headers);
  return r;
}

constexpr char kFullHeader[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=ab";

TEST(AuthorizationPresent, WellFormedHeaderGivesTheScope) {
  auto a =
      CheckAuthorizationPresent(Presented("/", {{"x-amz-date", "20231114T221320Z"}, {"authorization", kFullHeader}}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->access_key_id, "AKID");
  EXPECT_EQ(a->region, "us-east-1");
  // A Date header stands in for X-Amz-Date.
  EXPECT_TRUE(CheckAuthorizationPresent(
                  Presented("/", {{"date", "Tue, 14 Nov 2023 22:13:20 GMT"}, {"authorization", kFullHeader}}))
                  .ok());
}

TEST(AuthorizationPresent, NoDateHeaderNamesThatRequirement) {
  auto a = CheckAuthorizationPresent(Presented("/", {{"authorization", kFullHeader}}));
  EXPECT_EQ(a.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(a.status().message(),
            std::string("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                        "Authorization=") +
                kFullHeader);
}

TEST(AuthorizationPresent, HeaderMissingSomePartsNamesOnlyThose) {
  std::string header = "AWS4-HMAC-SHA256 SignedHeaders=host, Credential=AKID/20231114/us-east-1/kinesis/aws4_request";
  auto a = CheckAuthorizationPresent(Presented("/", {{"x-amz-date", "20231114T221320Z"}, {"authorization", header}}));
  EXPECT_EQ(a.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(a.status().message(), "Authorization header requires 'Signature' parameter. Authorization=" + header);
  header = "AWS4-HMAC-SHA256 Signature=ab";
  a = CheckAuthorizationPresent(Presented("/", {{"authorization", header}}));
  EXPECT_EQ(a.status().message(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' "
            "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=" +
                header);
}

TEST(AuthorizationPresent, AnyFirstWordThenCommasOrSpaces) {
  for (std::string header : {"AWS4- Signature=b Credential=a", "AWS4- Signature=b,Credential=a",
                             "AWS4- Signature=b, Credential=a", "X  Signature=b ,, Credential=a"}) {
    auto a = CheckAuthorizationPresent(Presented("/", {{"date", "a"}, {"authorization", header}}));
    EXPECT_EQ(a.status().message(), "Authorization header requires 'SignedHeaders' parameter. Authorization=" + header);
  }
  auto a = CheckAuthorizationPresent(Presented("/", {{"authorization", "X"}}));
  EXPECT_EQ(a.status().message(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
            "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
            "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X");
}

TEST(AuthorizationPresent, QueryAndHeaderTogetherAreInvalid) {
  auto a = CheckAuthorizationPresent(Presented("/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
                                               {{"x-amz-date", "20231114T221320Z"}, {"authorization", kFullHeader}}));
  EXPECT_EQ(a.status().code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(a.status().message(),
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
}

TEST(AuthorizationPresent, QueryMissingParametersListsThemInAwsOrder) {
  auto a = CheckAuthorizationPresent(
      Presented("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Credential=AKID%2F20231114", {}));
  EXPECT_EQ(a.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(a.status().message(),
            "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
            "'X-Amz-Date'. Re-examine the query-string parameters.");
  // Named without a value, the algorithm selects the query form and is itself missing.
  a = CheckAuthorizationPresent(Presented("/?X-Amz-Algorithm", {}));
  EXPECT_EQ(a.status().message(),
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include "
            "'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string "
            "parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
            "Re-examine the query-string parameters.");
  // A longer parameter name is not the algorithm.
  EXPECT_EQ(CheckAuthorizationPresent(Presented("/?X-Amz-AlgorithmX=1", {})).status().code(),
            ErrorCode::kMissingAuthentication);
}

TEST(DevelopmentMode, AcceptsAnyWellFormedSignature) {
  util::ManualClock clock(kNowMs);
  SigV4Verifier v(nullptr, &clock);
  EXPECT_TRUE(v.development_mode());
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"x-amz-date", "20000101T000000Z"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=any/20000101/eu-central-1/kinesis/aws4_request, "
                "SignedHeaders=host, Signature=nonsense"}};
  auto a = v.Verify(r, "kinesis");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->account, std::string(kDefaultAccount));
  EXPECT_EQ(a->region, "eu-central-1");
  r.headers[1].second =
      "AWS4-HMAC-SHA256 Credential=123456789012/20000101/us-east-1/kinesis/aws4_request, "
      "SignedHeaders=host, Signature=x";
  EXPECT_EQ(v.Verify(r, "kinesis")->account, "123456789012");
  r.headers.pop_back();
  EXPECT_EQ(v.Verify(r, "kinesis").status().code(), ErrorCode::kMissingAuthentication);
}

}  // namespace
}  // namespace spate::server
