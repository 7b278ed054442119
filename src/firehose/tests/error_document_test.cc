// The error-output documents: the common head, each kind's members in AWS's
// order, rawData base64.

#include "firehose/error_document.h"

#include <gtest/gtest.h>

#include "firehose/destination.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

TEST(ErrorDocumentTest, HeadThenAddedMembersInOrder) {
  ErrorDocument d({2, 10, "Code", "message \"quoted\"", 20});
  d.Add("before", protocol::Value::Int(1)).AddRawData("\x01\xff").Add("after", protocol::Value::String("x"));
  EXPECT_EQ(d.Json(),
            "{\"attemptsMade\":2,\"arrivalTimestamp\":10,\"errorCode\":\"Code\",\"errorMessage\":\"message "
            "\\\"quoted\\\"\",\"attemptEndingTimestamp\":20,\"before\":1,\"rawData\":\"Af8=\",\"after\":\"x\"}");
}

TEST(ErrorDocumentTest, LastErrorNames) {
  ErrorDocument d({1, 0, "C", "M", 0}, ErrorNames::kLastError);
  auto v = protocol::ParseJson(d.Json()).value();
  EXPECT_EQ(v.GetString("lastErrorCode"), "C");
  EXPECT_EQ(v.GetString("lastErrorMessage"), "M");
  EXPECT_FALSE(v.Has("errorCode"));
}

TEST(ErrorDocumentTest, ProcessingFailedShape) {
  FailedRecord r;
  r.raw_data = "{\"a\":1}";
  r.arrival_ms = 1000;
  r.attempts = 4;
  r.attempt_ending_ms = 2000;
  r.error_code = "Lambda.FunctionError";
  r.error_message = "boom";
  r.lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
  EXPECT_EQ(ProcessingFailedDocument(r),
            "{\"attemptsMade\":4,\"arrivalTimestamp\":1000,\"errorCode\":\"Lambda.FunctionError\",\"errorMessage\":"
            "\"boom\",\"attemptEndingTimestamp\":2000,\"rawData\":\"eyJhIjoxfQ==\",\"lambdaArn\":\"arn:aws:lambda:us-"
            "east-1:123456789012:function:f\"}");
  r.lambda_arn.clear();
  EXPECT_FALSE(protocol::ParseJson(ProcessingFailedDocument(r)).value().Has("lambdaArn"));
}

TEST(ErrorDocumentTest, FormatConversionFailedShape) {
  FailedConversion f;
  f.arrival_ms = 1000;
  f.attempt_ending_ms = 2000;
  f.error_message = "column a: not an integer: x";
  f.raw_data = "{\"a\":\"x\"}";
  f.sequence_number = "49";
  DataCatalogTable t{"123456789012", "db", "tbl", "us-east-1", "LATEST", "arn:aws:iam::123456789012:role/r"};
  EXPECT_EQ(FailedConversionJson(f, t),
            "{\"attemptsMade\":1,\"arrivalTimestamp\":1000,\"lastErrorCode\":\"DataFormatConversion.ParseError\","
            "\"lastErrorMessage\":\"column a: not an integer: x\",\"attemptEndingTimestamp\":2000,\"rawData\":"
            "\"eyJhIjoieCJ9\",\"sequenceNumber\":\"49\",\"subSequenceNumber\":0,\"dataCatalogTable\":{\"catalogId\":"
            "\"123456789012\",\"databaseName\":\"db\",\"tableName\":\"tbl\",\"region\":\"us-east-1\",\"versionId\":"
            "\"LATEST\",\"roleArn\":\"arn:aws:iam::123456789012:role/r\"}}");
  f.sequence_number.clear();  // DirectPut: no sequence number
  EXPECT_FALSE(protocol::ParseJson(FailedConversionJson(f, t)).value().Has("sequenceNumber"));
}

}  // namespace
}  // namespace spate::firehose
