#include "firehose/opensearch_bulk.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

constexpr int64_t kAug27 = 1535365800000;  // 2018-08-27T10:30:00Z, a Monday

TEST(IndexRotationTest, ParsesTheModelsNames) {
  EXPECT_EQ(ParseIndexRotation("NoRotation"), IndexRotation::kNoRotation);
  EXPECT_EQ(ParseIndexRotation("OneHour"), IndexRotation::kOneHour);
  EXPECT_EQ(ParseIndexRotation("OneDay"), IndexRotation::kOneDay);
  EXPECT_EQ(ParseIndexRotation("OneWeek"), IndexRotation::kOneWeek);
  EXPECT_EQ(ParseIndexRotation("OneMonth"), IndexRotation::kOneMonth);
  EXPECT_EQ(ParseIndexRotation("oneday"), std::nullopt);
}

TEST(IndexRotationTest, Suffixes) {
  EXPECT_EQ(RotatedIndexName("logs", IndexRotation::kNoRotation, kAug27), "logs");
  EXPECT_EQ(RotatedIndexName("logs", IndexRotation::kOneHour, kAug27), "logs-2018-08-27-10");
  EXPECT_EQ(RotatedIndexName("logs", IndexRotation::kOneDay, kAug27), "logs-2018-08-27");
  EXPECT_EQ(RotatedIndexName("logs", IndexRotation::kOneWeek, kAug27), "logs-2018-w35");
  EXPECT_EQ(RotatedIndexName("logs", IndexRotation::kOneMonth, kAug27), "logs-2018-08");
}

// US weeks: Sunday to Saturday, week 1 holds January 1, and a week belongs
// to the year of its Saturday.
TEST(IndexRotationTest, UsWeeksAtYearEnds) {
  auto week = [](int64_t ms) { return RotatedIndexName("i", IndexRotation::kOneWeek, ms); };
  EXPECT_EQ(week(1735689599000), "i-2025-w01");  // Tue 2024-12-31: the week of Jan 1 2025
  EXPECT_EQ(week(1735992000000), "i-2025-w01");  // Sat 2025-01-04
  EXPECT_EQ(week(1736035200000), "i-2025-w02");  // Sun 2025-01-05 starts week 2
  EXPECT_EQ(week(1672531200000), "i-2023-w01");  // Sun 2023-01-01
  EXPECT_EQ(week(1672527600000), "i-2022-w53");  // Sat 2022-12-31 ends week 53
  EXPECT_EQ(week(1640995200000), "i-2022-w01");  // Sat 2022-01-01: week 1 is one day long in 2022
  EXPECT_EQ(week(1640476800000), "i-2022-w01");  // Sun 2021-12-26: same week as 2022-01-01
}

TEST(IndexRotationTest, HourAtMidnightUtc) {
  EXPECT_EQ(RotatedIndexName("x", IndexRotation::kOneHour, 1672531200000), "x-2023-01-01-00");
}

TEST(DocumentIdTest, StableAndDistinct) {
  BatchRecord a;
  a.offset = storage::Offset(7);
  BatchRecord b = a;
  b.sub_index = 1;
  EXPECT_EQ(FirehoseDocumentId("batch", a), "batch-7-0");
  EXPECT_EQ(FirehoseDocumentId("batch", a), FirehoseDocumentId("batch", a));
  EXPECT_NE(FirehoseDocumentId("batch", a), FirehoseDocumentId("batch", b));
}

TEST(BulkDocumentTest, AcceptsSingleLineJsonObjects) {
  EXPECT_EQ(BulkDocument("{\"a\":1}"), "{\"a\":1}");
  EXPECT_EQ(BulkDocument("{\"a\":1}\n"), "{\"a\":1}");
  EXPECT_EQ(BulkDocument("{\"a\":1}\r\n"), "{\"a\":1}");
  EXPECT_EQ(BulkDocument("{\"t\":\"caf\xc3\xa9\"}"), "{\"t\":\"caf\xc3\xa9\"}");
}

TEST(BulkDocumentTest, RefusesOtherRecords) {
  EXPECT_EQ(BulkDocument("not json"), std::nullopt);
  EXPECT_EQ(BulkDocument("[1,2]"), std::nullopt);                 // not an object
  EXPECT_EQ(BulkDocument("42"), std::nullopt);                    // not an object
  EXPECT_EQ(BulkDocument("{\"a\":\n1}"), std::nullopt);           // two lines
  EXPECT_EQ(BulkDocument("{\"a\":1}\n{\"b\":2}"), std::nullopt);  // two documents
  EXPECT_EQ(BulkDocument("{\"t\":\"\xff\"}"), std::nullopt);      // not UTF-8
  EXPECT_EQ(BulkDocument(""), std::nullopt);
}

TEST(BulkBodyTest, ActionAndDocumentLines) {
  std::vector<BulkItem> items = {{"logs-2018-08-27", "", "id-1", "{\"a\":1}"}, {"logs", "_doc", "", "{\"b\":\"x\"}"}};
  EXPECT_EQ(BulkBody(items),
            "{\"index\":{\"_index\":\"logs-2018-08-27\",\"_id\":\"id-1\"}}\n{\"a\":1}\n"
            "{\"index\":{\"_index\":\"logs\",\"_type\":\"_doc\"}}\n{\"b\":\"x\"}\n");
}

TEST(BulkBodyTest, EscapesNames) {
  std::vector<BulkItem> items = {{"we\"ird", "", "a\\b", "{}"}};
  EXPECT_EQ(BulkBody(items), "{\"index\":{\"_index\":\"we\\\"ird\",\"_id\":\"a\\\\b\"}}\n{}\n");
}

TEST(BulkResponseTest, ItemsInOrder) {
  std::string body = R"({"took":3,"errors":true,"items":[
    {"index":{"_index":"i","_id":"1","status":201,"result":"created"}},
    {"index":{"_index":"i","_id":"2","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
    {"index":{"_index":"i","_id":"3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse"}}},
    {"index":{"_index":"i","_id":"4","status":200,"result":"updated"}},
    {"index":{"_index":"i","_id":"5","status":503,"error":{"type":"unavailable_shards_exception","reason":"x"}}}]})";
  Result<std::vector<BulkItemResult>> r = ParseBulkResponse(body, 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_FALSE((*r)[1].ok());
  EXPECT_TRUE((*r)[1].retryable());
  EXPECT_EQ((*r)[1].error_type, "es_rejected_execution_exception");
  EXPECT_FALSE((*r)[2].retryable());
  EXPECT_EQ((*r)[2].error_type, "mapper_parsing_exception");
  EXPECT_EQ((*r)[2].error_json, R"({"type":"mapper_parsing_exception","reason":"failed to parse"})");
  EXPECT_TRUE((*r)[3].ok());
  EXPECT_TRUE((*r)[4].retryable());
}

TEST(BulkResponseTest, CreateItemsAndClusterIds) {
  Result<std::vector<BulkItemResult>> r =
      ParseBulkResponse(R"({"errors":false,"items":[{"create":{"_id":"abc","status":201}}]})", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].id, "abc");
}

TEST(BulkResponseTest, AnswersThatDoNotAccountForEveryDocumentFail) {
  EXPECT_EQ(ParseBulkResponse("", 1).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ParseBulkResponse("<html>", 1).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ParseBulkResponse(R"({"errors":false})", 1).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ParseBulkResponse(R"({"items":[{"index":{"status":201}}]})", 2).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ParseBulkResponse(R"({"items":[{"index":{"_id":"1"}}]})", 1).status().code(), ErrorCode::kUnavailable);
}

TEST(BulkResponseTest, AnErrorWithASuccessStatusIsNotTrusted) {
  Result<std::vector<BulkItemResult>> r =
      ParseBulkResponse(R"({"items":[{"index":{"status":201,"error":{"type":"x"}}}]})", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].ok());
  EXPECT_TRUE((*r)[0].retryable());
}

TEST(FailedDocumentTest, AwsShape) {
  FailedDocument d;
  d.attempts = 3;
  d.arrival_ms = 1535365800000;
  d.error_code = "400";
  d.error_message = "{\"type\":\"mapper_parsing_exception\"}";
  d.attempt_ending_ms = 1535365900000;
  d.document_id = "id-1";
  d.index = "logs";
  d.type = "";
  d.raw_data = "{\"a\":1}";
  EXPECT_EQ(FailedDocumentJson(d, false),
            "{\"attemptsMade\":3,\"arrivalTimestamp\":1535365800000,\"errorCode\":\"400\",\"errorMessage\":\"{"
            "\\\"type\\\":\\\"mapper_parsing_exception\\\"}\",\"attemptEndingTimestamp\":1535365900000,"
            "\"esDocumentId\":\"id-1\",\"esIndexName\":\"logs\",\"esTypeName\":\"\",\"rawData\":\"eyJhIjoxfQ==\"}");
  Result<protocol::Value> serverless = protocol::ParseJson(FailedDocumentJson(d, true));
  ASSERT_TRUE(serverless.ok());
  EXPECT_EQ(serverless->GetString("osIndexName"), "logs");
  EXPECT_FALSE(serverless->Has("esTypeName"));
}

}  // namespace
}  // namespace spate::firehose
