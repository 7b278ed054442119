#include "client/subscription_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/event_stream.h"

namespace spate::client {
namespace {

namespace es = protocol::event_stream;

const char kEvent[] = R"({"Records":[{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
                      R"("ApproximateArrivalTimestamp":1506440188.749,"Data":"aGVsbG8=","PartitionKey":"k"}],)"
                      R"("ContinuationSequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
                      R"("MillisBehindLatest":12})";

std::string Stream() {
  return es::EncodeEvent("initial-response", "{}") + es::EncodeEvent("SubscribeToShardEvent", kEvent);
}

TEST(SubscriptionReader, SkipsTheInitialResponseAndDecodesAnEvent) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  ASSERT_TRUE(reader.Feed(Stream(), &events).ok());
  ASSERT_EQ(events.size(), 1u);
  const SubscribeToShardEvent& ev = events[0];
  ASSERT_EQ(ev.records.size(), 1u);
  EXPECT_EQ(ev.records[0].data, "hello");
  EXPECT_EQ(ev.records[0].partition_key, "k");
  EXPECT_EQ(ev.records[0].approximate_arrival_timestamp_ms, 1506440188749);
  EXPECT_EQ(ev.records[0].encryption_type, "NONE");
  EXPECT_EQ(ev.continuation_sequence_number, "49590338271490256608559692538361571095921575989136588898");
  EXPECT_EQ(ev.millis_behind_latest, 12);
  EXPECT_FALSE(ev.shard_ended);
  EXPECT_EQ(reader.pending_bytes(), 0u);
}

TEST(SubscriptionReader, BytesArrivingOneAtATimeMakeTheSameEvents) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  const std::string all = Stream() + es::EncodeEvent("SubscribeToShardEvent", kEvent);
  for (char c : all) ASSERT_TRUE(reader.Feed(std::string_view(&c, 1), &events).ok());
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(reader.pending_bytes(), 0u);
}

TEST(SubscriptionReader, AMessageCutShortWaitsForTheRest) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  const std::string all = Stream();
  ASSERT_TRUE(reader.Feed(std::string_view(all).substr(0, all.size() - 3), &events).ok());
  EXPECT_TRUE(events.empty());
  EXPECT_GT(reader.pending_bytes(), 0u);
  ASSERT_TRUE(reader.Feed(std::string_view(all).substr(all.size() - 3), &events).ok());
  EXPECT_EQ(events.size(), 1u);
}

TEST(SubscriptionReader, ChildShardsEndTheShard) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  const std::string end =
      R"({"Records":[],"ContinuationSequenceNumber":null,"MillisBehindLatest":0,)"
      R"("ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"]}]})";
  ASSERT_TRUE(reader.Feed(es::EncodeEvent("SubscribeToShardEvent", end), &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].shard_ended);
  EXPECT_EQ(events[0].child_shards, std::vector<std::string>{"shardId-000000000002"});
}

TEST(SubscriptionReader, AnExceptionMessageIsTheServicesError) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  Outcome<Done> r = reader.Feed(
      es::EncodeException("ResourceInUseException", "Another active subscription exists for this consumer"), &events);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "ResourceInUseException");
  EXPECT_EQ(r.error().message, "Another active subscription exists for this consumer");
}

TEST(SubscriptionReader, ACorruptChecksumIsAnInvalidResponse) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  std::string all = Stream();
  all[all.size() - 5] ^= 0x01;  // a payload byte of the second message: its message CRC fails
  Outcome<Done> r = reader.Feed(all, &events);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "InvalidResponse");
  EXPECT_TRUE(events.empty());
}

TEST(SubscriptionReader, DataThatIsNotBase64IsAnInvalidResponse) {
  SubscriptionReader reader;
  std::vector<SubscribeToShardEvent> events;
  const std::string bad = R"({"Records":[{"SequenceNumber":"1","Data":"!!!","PartitionKey":"k"}],)"
                          R"("ContinuationSequenceNumber":"1","MillisBehindLatest":0})";
  Outcome<Done> r = reader.Feed(es::EncodeEvent("SubscribeToShardEvent", bad), &events);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "InvalidResponse");
}

}  // namespace
}  // namespace spate::client
