#include "firehose/pg_copy.h"

#include <gtest/gtest.h>

namespace spate::firehose {
namespace {

TEST(JdbcUrl, RedshiftUrl) {
  auto t = ParseJdbcUrl("jdbc:redshift://c1.abc123.us-east-1.redshift.amazonaws.com:5439/dev");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->scheme, "redshift");
  EXPECT_EQ(t->host, "c1.abc123.us-east-1.redshift.amazonaws.com");
  EXPECT_EQ(t->port, 5439);
  EXPECT_EQ(t->database, "dev");
}

TEST(JdbcUrl, PostgresqlUrl) {
  auto t = ParseJdbcUrl("jdbc:postgresql://pg.redshift.local:15432/my_db-1$");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->scheme, "postgresql");
  EXPECT_EQ(t->host, "pg.redshift.local");
  EXPECT_EQ(t->port, 15432);
  EXPECT_EQ(t->database, "my_db-1$");
}

TEST(JdbcUrl, Refused) {
  for (const char* url : {"jdbc:mysql://h.redshift.x:1/d", "postgresql://h:1/d", "jdbc:redshift://h.redshift.x/d",
                          "jdbc:redshift://h.redshift.x:0/d", "jdbc:redshift://h.redshift.x:65536/d",
                          "jdbc:redshift://h.redshift.x:12ab/d", "jdbc:redshift://h.redshift.x:5439",
                          "jdbc:redshift://h.redshift.x:5439/", "jdbc:redshift://h.redshift.x:5439/d?ssl=true",
                          "jdbc:redshift://u:p@h.redshift.x:5439/d", "jdbc:redshift://:5439/d"}) {
    auto t = ParseJdbcUrl(url);
    EXPECT_FALSE(t.ok()) << url;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), ErrorCode::kInvalidArgument) << url;
    }
  }
}

TEST(JdbcUrl, ConnInfoQuotesEveryValue) {
  JdbcTarget t{"postgresql", "pg.redshift.local", 5432, "dev"};
  EXPECT_EQ(LibpqConnInfo(t, "fire'hose", "p\\w d", "127.0.0.1", 10),
            "host='pg.redshift.local' hostaddr='127.0.0.1' port='5432' dbname='dev' user='fire\\'hose' "
            "password='p\\\\w d' connect_timeout='10' application_name='spate-firehose'");
  EXPECT_EQ(LibpqConnInfo(t, "u", "secret", "", 5).find("hostaddr"), std::string::npos);
}

TEST(CopyOptions, EmptyIsRedshiftsPipeDelimitedText) {
  auto p = ParseCopyOptions("");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->format, CopyPlan::Format::kText);
  EXPECT_EQ(p->delimiter, '|');
  EXPECT_FALSE(p->escape);
  EXPECT_EQ(CopySql("events", {"a", "b"}, *p),
            "COPY \"events\" (\"a\", \"b\") FROM STDIN WITH (FORMAT text, DELIMITER E'|', NULL E'\\\\\\\\N')");
}

TEST(CopyOptions, DelimiterCaseInsensitiveWithAs) {
  auto p = ParseCopyOptions("DeLiMiTeR AS ','");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delimiter, ',');
  p = ParseCopyOptions("delimiter '\t' ESCAPE");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delimiter, '\t');
  EXPECT_TRUE(p->escape);
  EXPECT_EQ(CopySql("s.t", {}, *p), "COPY \"s\".\"t\" FROM STDIN WITH (FORMAT text, DELIMITER E'\t', NULL E'\\\\N')");
}

TEST(CopyOptions, CsvWithQuoteHeaderNull) {
  auto p = ParseCopyOptions("csv quote as '''' ignoreheader 1 null as 'NA' gzip");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format, CopyPlan::Format::kCsv);
  EXPECT_EQ(p->delimiter, ',');
  EXPECT_EQ(p->quote, '\'');
  EXPECT_TRUE(p->header);
  EXPECT_TRUE(p->gzip);
  EXPECT_EQ(CopySql("t", {"x"}, *p),
            "COPY \"t\" (\"x\") FROM STDIN WITH (FORMAT csv, DELIMITER E',', QUOTE E'''', NULL E'NA', HEADER true)");
}

TEST(CopyOptions, JsonAuto) {
  auto p = ParseCopyOptions("json 'auto' dateformat 'auto' timeformat as 'AUTO' compupdate off statupdate off");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format, CopyPlan::Format::kJson);
  EXPECT_FALSE(p->json_ignore_case);
  p = ParseCopyOptions("FORMAT_UNUSED");
  EXPECT_FALSE(p.ok());
  p = ParseCopyOptions("json 'auto ignorecase'");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->json_ignore_case);
}

TEST(CopyOptions, UnsupportedOptionsAreRefusedByName) {
  for (const char* opts : {"maxerror 10", "manifest", "json 's3://b/jsonpaths.json'", "fixedwidth 'a:1'", "avro 'auto'",
                           "emptyasnull", "blanksasnull", "truncatecolumns", "ignoreheader 2",
                           "dateformat 'YYYY-MM-DD'", "bzip2", "region 'us-east-1'"}) {
    auto p = ParseCopyOptions(opts);
    ASSERT_FALSE(p.ok()) << opts;
    EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("not supported"), std::string::npos) << p.status().message();
  }
}

TEST(CopyOptions, MalformedOrContradictory) {
  for (const char* opts :
       {"delimiter", "delimiter 'ab'", "delimiter '|", "csv json 'auto'", "json 'auto' delimiter ','", "quote '\"'",
        "csv escape", "csv delimiter '\"'", "delimiter '|' delimiter ','", "null as", "'x'"}) {
    EXPECT_FALSE(ParseCopyOptions(opts).ok()) << opts;
  }
}

TEST(ColumnList, SplitsAndTrims) {
  auto c = ParseColumnList(" a, b ,c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (std::vector<std::string>{"a", "b", "c"}));
  c = ParseColumnList("   ");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->empty());
  EXPECT_FALSE(ParseColumnList("a,,b").ok());
  EXPECT_FALSE(ParseColumnList("a,").ok());
}

TEST(Quoting, Identifiers) {
  EXPECT_EQ(QuoteQualifiedName("public.events"), "\"public\".\"events\"");
  EXPECT_EQ(QuoteQualifiedName("\"My.Table\""), "\"My.Table\"");
  EXPECT_EQ(QuoteIdentifier("we\"ird"), "\"we\"\"ird\"");
  // A name that only looks quoted cannot close the identifier and add SQL.
  EXPECT_EQ(QuoteIdentifier("\"t\" (a) FROM STDIN; DROP TABLE x; --\""),
            "\"\"\"t\"\" (a) FROM STDIN; DROP TABLE x; --\"\"\"");
  EXPECT_EQ(QuoteIdentifier("\"a\"\"b\""), "\"a\"\"b\"");
  EXPECT_EQ(QuoteLiteral("it's \\"), "E'it''s \\\\'");
}

TEST(CopyInput, TextWithoutEscapeKeepsBackslashesAsData) {
  auto p = ParseCopyOptions("");
  ASSERT_TRUE(p.ok());
  auto in = ToCopyInput("1|C:\\dir|\\N\n", *p, {});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, "1|C:\\\\dir|\\\\N\n");  // and NULL is the doubled \N
}

TEST(CopyInput, TextWithEscapeAndCsvPassThrough) {
  auto p = ParseCopyOptions("escape");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*ToCopyInput("a\\|b|c\n", *p, {}), "a\\|b|c\n");
  p = ParseCopyOptions("csv");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*ToCopyInput("\"a\\\",b\n", *p, {}), "\"a\\\",b\n");
}

TEST(CopyInput, JsonAutoMatchesColumnsByName) {
  auto p = ParseCopyOptions("json 'auto'");
  ASSERT_TRUE(p.ok());
  auto in = ToCopyInput(
      "{\"id\":1,\"name\":\"a\\tb\",\"extra\":true}\n{\"name\":\"x\\\\y\",\"id\":2}{\"id\":3,\"name\":null,"
      "\"Tags\":[1,{\"k\":\"}\"}]}  \n",
      *p, {"id", "name", "tags"});
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(*in, "1\ta\\tb\t\\N\n2\tx\\\\y\t\\N\n3\t\\N\t\\N\n");
  p = ParseCopyOptions("json 'auto ignorecase'");
  ASSERT_TRUE(p.ok());
  in = ToCopyInput("{\"ID\":3,\"Tags\":[1,{\"k\":\"}\"}]}", *p, {"id", "tags"});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, "3\t[1,{\"k\":\"}\"}]\n");
}

TEST(CopyInput, JsonThatDoesNotParseIsRefused) {
  auto p = ParseCopyOptions("json 'auto'");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(ToCopyInput("{\"id\":1", *p, {"id"}).ok());
  EXPECT_FALSE(ToCopyInput("[1,2]", *p, {"id"}).ok());
  EXPECT_FALSE(ToCopyInput("{\"id\":tru}", *p, {"id"}).ok());
}

}  // namespace
}  // namespace spate::firehose
