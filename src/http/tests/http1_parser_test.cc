#include "http/http1_parser.h"

#include <string>

#include <gtest/gtest.h>

namespace spate::http {
namespace {

using Event = Http1RequestParser::Event;

constexpr Http1RequestParser::Limits kLimits{1024, 100};

// Feeds `input` whole; returns the final event and consumed bytes.
Event ParseAll(Http1RequestParser& p, const std::string& input, size_t* consumed) {
  size_t pos = 0;
  Event ev;
  for (;;) {
    size_t n = 0;
    ev = p.Parse(input.data() + pos, input.size() - pos, &n);
    pos += n;
    if (ev != Event::kHeaders) break;
  }
  *consumed = pos;
  return ev;
}

TEST(Http1ParserTest, SimpleGet) {
  Http1RequestParser p(kLimits);
  size_t n;
  std::string in = "GET /x?y HTTP/1.1\r\nHost: a\r\nX-Foo:  bar \r\n\r\n";
  ASSERT_EQ(ParseAll(p, in, &n), Event::kComplete);
  EXPECT_EQ(n, in.size());
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().target, "/x?y");
  EXPECT_EQ(p.request().Header("x-foo"), "bar");
  EXPECT_EQ(p.request().Header("host"), "a");
  EXPECT_TRUE(p.keep_alive());
}

TEST(Http1ParserTest, ContentLengthBodyByteByByte) {
  Http1RequestParser p(kLimits);
  std::string in = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloNEXT";
  std::string buf;
  Event ev = Event::kNeedMore;
  size_t fed = 0;
  while (fed < in.size()) {
    buf.push_back(in[fed++]);
    size_t n = 0;
    ev = p.Parse(buf.data(), buf.size(), &n);
    buf.erase(0, n);
    if (ev == Event::kHeaders) {
      ev = p.Parse(buf.data(), buf.size(), &n);
      buf.erase(0, n);
    }
    if (ev == Event::kComplete) break;
  }
  ASSERT_EQ(ev, Event::kComplete);
  EXPECT_EQ(p.request().body, "hello");
  EXPECT_EQ(fed, in.size() - 4);
}

TEST(Http1ParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  Http1RequestParser p(kLimits);
  size_t n;
  std::string in =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  ASSERT_EQ(ParseAll(p, in, &n), Event::kComplete);
  EXPECT_EQ(n, in.size());
  EXPECT_EQ(p.request().body, "abc0123456789");
}

TEST(Http1ParserTest, ResetParsesNextPipelinedRequest) {
  Http1RequestParser p(kLimits);
  size_t n;
  std::string in = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  ASSERT_EQ(ParseAll(p, in, &n), Event::kComplete);
  EXPECT_EQ(p.request().target, "/a");
  p.Reset();
  size_t m;
  ASSERT_EQ(ParseAll(p, in.substr(n), &m), Event::kComplete);
  EXPECT_EQ(p.request().target, "/b");
}

TEST(Http1ParserTest, Http10DefaultsToClose) {
  Http1RequestParser p(kLimits);
  size_t n;
  ASSERT_EQ(ParseAll(p, "GET / HTTP/1.0\r\n\r\n", &n), Event::kComplete);
  EXPECT_FALSE(p.keep_alive());
}

TEST(Http1ParserTest, ConnectionCloseToken) {
  Http1RequestParser p(kLimits);
  size_t n;
  ASSERT_EQ(ParseAll(p, "GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &n), Event::kComplete);
  EXPECT_FALSE(p.keep_alive());
}

TEST(Http1ParserTest, ExpectContinueReportedAtHeaders) {
  Http1RequestParser p(kLimits);
  size_t n;
  std::string in = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(p.Parse(in.data(), in.size(), &n), Event::kHeaders);
  EXPECT_TRUE(p.expect_continue());
}

struct ErrorCase {
  const char* name;
  std::string input;
  int status;
};

class Http1ParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(Http1ParserErrorTest, Rejects) {
  Http1RequestParser p(kLimits);
  size_t n;
  EXPECT_EQ(ParseAll(p, GetParam().input, &n), Event::kError);
  EXPECT_EQ(p.error_status(), GetParam().status);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Http1ParserErrorTest,
    ::testing::Values(
        ErrorCase{"GarbageRequestLine", "HELLO\r\n\r\n", 400}, ErrorCase{"BadVersion", "GET / HTTP/2.0\r\n\r\n", 400},
        ErrorCase{"BareLf", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
        ErrorCase{"ObsFold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400},
        ErrorCase{"SpaceBeforeColon", "GET / HTTP/1.1\r\nA : b\r\n\r\n", 400},
        ErrorCase{"BadContentLength", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
        ErrorCase{"ConflictingContentLength", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        ErrorCase{"ChunkedAndLength", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                  400},
        ErrorCase{"UnknownCoding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        ErrorCase{"BadChunkSize", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        ErrorCase{"MissingChunkCrlf", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400},
        ErrorCase{"BodyOverLimit", "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413},
        ErrorCase{"ChunkedOverLimit",
                  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n60\r\n" + std::string(96, 'a') + "\r\n10\r\n",
                  413},
        ErrorCase{"HugeChunkSize", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 413},
        ErrorCase{"HeadersOverLimit", "GET / HTTP/1.1\r\nA: " + std::string(2000, 'a') + "\r\n\r\n", 431},
        ErrorCase{"UnterminatedHeadersOverLimit", "GET / HTTP/1.1\r\nA: " + std::string(2000, 'a'), 431}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace spate::http
