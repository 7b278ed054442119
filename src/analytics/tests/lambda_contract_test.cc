#include "analytics/lambda_contract.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::analytics {
namespace {

using protocol::Value;
using Kind = PreprocessResult::Kind;

Value Parse(const std::string& json) {
  auto v = protocol::ParseJson(json);
  EXPECT_TRUE(v.ok()) << json;
  return v.ok() ? *v : Value();
}

TEST(PreprocessEvent, KinesisStreamRecordsCarryAwsRecordMetadata) {
  PreprocessRecord r;
  r.record_id = "0";
  r.data = "hello";
  r.arrival_ms = 1578090901599;
  r.shard_id = "shardId-000000000001";
  r.partition_key = "pk-1";
  r.sequence_number = "49590338271490256608559692538361571095921575989136588898";
  Value doc = Parse(PreprocessEvent("inv-1", "arn:aws:kinesisanalytics:us-east-1:000000000000:application/a",
                                    "arn:aws:kinesis:us-east-1:000000000000:stream/s", true, {r}));
  EXPECT_EQ(doc.GetString("invocationId"), "inv-1");
  EXPECT_EQ(doc.GetString("applicationArn"), "arn:aws:kinesisanalytics:us-east-1:000000000000:application/a");
  EXPECT_EQ(doc.GetString("streamArn"), "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  const Value& rec = doc.Find("records")->as_array().at(0);
  EXPECT_EQ(rec.GetString("recordId"), "0");
  EXPECT_EQ(rec.GetString("data"), "aGVsbG8=");
  const Value* meta = rec.Find("kinesisStreamRecordMetadata");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->GetString("shardId"), "shardId-000000000001");
  EXPECT_EQ(meta->GetInt("approximateArrivalTimestamp"), 1578090901599);
  EXPECT_EQ(meta->GetString("partitionKey"), "pk-1");
  EXPECT_EQ(meta->GetString("sequenceNumber"), "49590338271490256608559692538361571095921575989136588898");
  EXPECT_EQ(meta->as_object().size(), 4u);  // AWS's four fields, no more
  EXPECT_FALSE(rec.Has("kinesisFirehoseRecordMetadata"));
}

TEST(PreprocessEvent, DeliveryStreamRecordsCarryFirehoseMetadata) {
  PreprocessRecord r;
  r.record_id = "7";
  r.data = "";
  r.arrival_ms = 5;
  Value doc = Parse(PreprocessEvent("i", "a", "arn:aws:firehose:us-east-1:000000000000:deliverystream/d", false, {r}));
  const Value& rec = doc.Find("records")->as_array().at(0);
  EXPECT_EQ(rec.GetString("data"), "");
  ASSERT_NE(rec.Find("kinesisFirehoseRecordMetadata"), nullptr);
  EXPECT_EQ(rec.Find("kinesisFirehoseRecordMetadata")->GetInt("approximateArrivalTimestamp"), 5);
  EXPECT_EQ(rec.Find("kinesisFirehoseRecordMetadata")->as_object().size(), 1u);
  EXPECT_FALSE(rec.Has("kinesisStreamRecordMetadata"));
}

TEST(ParsePreprocessResponse, OkDroppedAndFailedInTheOrderOfTheIds) {
  auto r = ParsePreprocessResponse(
      R"({"records":[{"recordId":"1","result":"Dropped"},{"recordId":"0","result":"Ok","data":"eyJhIjoxfQ=="},)"
      R"({"recordId":"2","result":"ProcessingFailed","data":""}]})",
      {"0", "1", "2"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].kind, Kind::kOk);
  EXPECT_EQ(r[0].data, R"({"a":1})");
  EXPECT_EQ(r[1].kind, Kind::kDropped);
  EXPECT_EQ(r[2].kind, Kind::kFailed);
  EXPECT_EQ(r[2].error_name, "Lambda_ProcessingFailed");
}

TEST(ParsePreprocessResponse, AMissingRecordFailsOnlyThatRecord) {
  auto r = ParsePreprocessResponse(R"({"records":[{"recordId":"0","result":"Ok","data":"eA=="}]})", {"0", "1"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].kind, Kind::kOk);
  EXPECT_EQ(r[1].kind, Kind::kFailed);
  EXPECT_EQ(r[1].error_name, "Lambda_MissingRecordId");
}

TEST(ParsePreprocessResponse, ARepeatedRecordIdFailsThatRecord) {
  auto r = ParsePreprocessResponse(
      R"({"records":[{"recordId":"0","result":"Ok","data":"eA=="},{"recordId":"0","result":"Ok","data":"eQ=="}]})",
      {"0"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error_name, "Lambda_DuplicatedRecordId");
}

TEST(ParsePreprocessResponse, AnUnknownResultOrBadBase64FailsTheRecord) {
  auto r = ParsePreprocessResponse(
      R"({"records":[{"recordId":"0","result":"Maybe","data":"eA=="},{"recordId":"1","result":"Ok","data":"!!"},)"
      R"({"recordId":"2","result":"Ok"}]})",
      {"0", "1", "2"});
  ASSERT_EQ(r.size(), 3u);
  for (const auto& x : r) {
    EXPECT_EQ(x.kind, Kind::kFailed);
    EXPECT_EQ(x.error_name, "Lambda_InvalidResult");
  }
}

TEST(ParsePreprocessResponse, AResponseThatIsNotTheContractFailsEveryRecord) {
  for (std::string_view bad : {"not json", "[]", R"({"records":{}})", R"({"Records":[]})"}) {
    auto r = ParsePreprocessResponse(bad, {"0", "1"});
    ASSERT_EQ(r.size(), 2u) << bad;
    EXPECT_EQ(r[0].error_name, "Lambda_InvalidResponse") << bad;
    EXPECT_EQ(r[1].kind, Kind::kFailed) << bad;
  }
}

TEST(DeliveryEvent, RecordsCarryTheirRetryHint) {
  DeliveryRecord a{"0", "row-a", 0};
  DeliveryRecord b{"1", "row-b", 3};
  Value doc = Parse(DeliveryEvent("inv", "arn:app", {a, b}));
  EXPECT_EQ(doc.GetString("invocationId"), "inv");
  EXPECT_EQ(doc.GetString("applicationArn"), "arn:app");
  EXPECT_FALSE(doc.Has("streamArn"));
  const auto& recs = doc.Find("records")->as_array();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].GetString("recordId"), "1");
  EXPECT_EQ(recs[1].GetString("data"), "cm93LWI=");
  EXPECT_EQ(recs[1].Find("lambdaDeliveryRecordMetadata")->GetInt("retryHint"), 3);
  EXPECT_EQ(recs[0].Find("lambdaDeliveryRecordMetadata")->GetInt("retryHint"), 0);
}

TEST(ParseDeliveryResponse, OnlyOkAcknowledges) {
  auto r = ParseDeliveryResponse(
      R"({"records":[{"recordId":"0","result":"Ok"},{"recordId":"1","result":"DeliveryFailed"}]})", {"0", "1", "2"});
  EXPECT_EQ(r, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(ParseDeliveryResponse("oops", {"0"}), std::vector<bool>{false});
}

TEST(InvocationId, IsAVersion4Uuid) {
  EXPECT_EQ(InvocationId(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(InvocationId(~0ull, ~0ull), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_NE(InvocationId(1, 2), InvocationId(1, 3));
}

}  // namespace
}  // namespace spate::analytics
