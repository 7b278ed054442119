#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

#include "model/types.h"
#include "util/hash_key.h"

namespace spate::model {
namespace {

using util::ToDecimal;

TEST(HashKeyRanges, ThreeShardsMatchAws) {
  auto r = EvenHashKeyRanges(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(ToDecimal(r[0].start), "0");
  EXPECT_EQ(ToDecimal(r[0].end), "113427455640312821154458202477256070484");
  EXPECT_EQ(ToDecimal(r[1].start), "113427455640312821154458202477256070485");
  EXPECT_EQ(ToDecimal(r[1].end), "226854911280625642308916404954512140969");
  EXPECT_EQ(ToDecimal(r[2].start), "226854911280625642308916404954512140970");
  EXPECT_EQ(ToDecimal(r[2].end), "340282366920938463463374607431768211455");
}

TEST(HashKeyRanges, PowerOfTwoSplitsExactly) {
  auto r = EvenHashKeyRanges(4);
  ASSERT_EQ(r.size(), 4u);
  // 2^126 = 85070591730234615865843651857942052864
  EXPECT_EQ(ToDecimal(r[1].start), "85070591730234615865843651857942052864");
  EXPECT_EQ(ToDecimal(r[0].end), "85070591730234615865843651857942052863");
  EXPECT_EQ(r[3].end, util::kMaxHashKey);
}

TEST(HashKeyRanges, OneShardCoversEverything) {
  auto r = EvenHashKeyRanges(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].start, 0u);
  EXPECT_EQ(r[0].end, util::kMaxHashKey);
}

TEST(HashKeyRanges, RangesAreContiguous) {
  for (uint32_t n : {2u, 5u, 7u, 100u, 1000u}) {
    auto r = EvenHashKeyRanges(n);
    for (uint32_t i = 1; i < n; ++i) EXPECT_EQ(r[i].start, r[i - 1].end + 1) << n;
    EXPECT_EQ(r.back().end, util::kMaxHashKey);
  }
}

TEST(PartitionKeyHash, IsBigEndianMd5) {
  // md5("a") = 0cc175b9c0f1b6a831c399e269772661
  EXPECT_EQ(ToDecimal(util::PartitionKeyHash("a")), "16955237001963240173058271559858726497");
  // md5("") = d41d8cd98f00b204e9800998ecf8427e: both halves' bytes in order.
  EXPECT_EQ(ToDecimal(util::PartitionKeyHash("")), "281949768489412648962353822266799178366");
  EXPECT_EQ(ToDecimal(util::PartitionKeyHash("partitionKey-1")), "159499196025307651934328298402289840726");
}

TEST(Decimal128, RejectsOverflowAndNonDigits) {
  EXPECT_TRUE(util::ParseDecimal128("340282366920938463463374607431768211455").has_value());
  EXPECT_FALSE(util::ParseDecimal128("340282366920938463463374607431768211456").has_value());
  EXPECT_FALSE(util::ParseDecimal128("").has_value());
  EXPECT_FALSE(util::ParseDecimal128("12a").has_value());
  EXPECT_FALSE(util::ParseDecimal128("-1").has_value());
}

TEST(ShardId, FormatsAndParses) {
  EXPECT_EQ(ShardIdName(ShardIndex{7}), "shardId-000000000007");
  EXPECT_EQ(ParseShardId("shardId-000000000007")->value, 7u);
  EXPECT_EQ(ParseShardId("12")->value, 12u);
  EXPECT_FALSE(ParseShardId("shardId-").has_value());
  EXPECT_FALSE(ParseShardId("shard-1").has_value());
  EXPECT_FALSE(ParseShardId("shardId-0000000000001").has_value());
}

TEST(SequenceNumber, RoundTripsAndOrdersWithinShard) {
  SequenceNumber a{ShardIndex{3}, 0, 41};
  SequenceNumber b{ShardIndex{3}, 0, 42};
  auto pa = SequenceNumber::Parse(a.ToString());
  ASSERT_TRUE(pa.has_value());
  EXPECT_EQ(pa->shard.value, 3u);
  EXPECT_EQ(pa->position, uint64_t{41});
  EXPECT_LT(a.ToUint128(), b.ToUint128());
  EXPECT_GE(a.ToString().size(), 38u);
}

TEST(SequenceNumber, ChildShardsSortAfterParents) {
  SequenceNumber parent{ShardIndex{0}, kMaxStreamEpoch, ~0ull};
  SequenceNumber child{ShardIndex{1}, 0, 0};
  EXPECT_LT(parent.ToUint128(), child.ToUint128());
}

TEST(SequenceNumber, RejectsForeignNumbers) {
  EXPECT_FALSE(SequenceNumber::Parse("1").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("49590338271490256608559692538361571095921575989136588898").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("abc").has_value());
}

TEST(LogOffset, MovesByRecordCounts) {
  LogOffset o(10);
  EXPECT_EQ(o + 5, LogOffset(15));
  EXPECT_EQ(o - 1, LogOffset(9));
  EXPECT_EQ(LogOffset(15) - o, 5u);  // offset - offset is a record count
  o += 3;
  EXPECT_EQ(o, LogOffset(13));
  EXPECT_EQ(++o, LogOffset(14));
  static_assert(std::is_same_v<decltype(LogOffset(2) - LogOffset(1)), uint64_t>);
}

TEST(LogOffset, IsNotAnIntegerNorAShardIndex) {
  static_assert(!std::is_convertible_v<uint64_t, LogOffset>);
  static_assert(!std::is_convertible_v<LogOffset, uint64_t>);
  static_assert(!std::is_constructible_v<LogOffset, ShardIndex>);
  static_assert(sizeof(LogOffset) == sizeof(uint64_t));
}

TEST(SequenceNumber, KeepsTheWholeOffset) {
  SequenceNumber max{ShardIndex{5}, kMaxStreamEpoch, UINT64_MAX};
  auto back = SequenceNumber::Parse(max.ToString());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->position, uint64_t{UINT64_MAX});
  EXPECT_EQ(back->shard.value, 5u);
  EXPECT_EQ(back->epoch, kMaxStreamEpoch);
}

TEST(SequenceNumber, EpochZeroKeepsTheNumbersOfStreamsFromBeforeEpochs) {
  // Bits 87..64 were reserved and always 0: a number handed out then still
  // parses, as epoch 0, and is formatted back the same.
  SequenceNumber old{ShardIndex{2}, 0, 7};
  const uint128 expected = (uint128(kSequenceVersion) << 120) | (uint128(2) << 88) | 7;
  EXPECT_EQ(old.ToUint128(), expected);
  auto back = SequenceNumber::Parse(util::ToDecimal(expected));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->epoch, 0u);
  EXPECT_EQ(back->position, uint64_t{7});
}

TEST(SequenceNumber, AnotherEpochIsAnotherNumberAndSortsAfterWithinAShard) {
  SequenceNumber first{ShardIndex{0}, 1, 0};
  SequenceNumber again{ShardIndex{0}, 2, 0};
  EXPECT_NE(first.ToString(), again.ToString());
  EXPECT_LT(SequenceNumber({ShardIndex{0}, 1, UINT64_MAX}).ToUint128(), again.ToUint128());
  auto parsed = SequenceNumber::Parse(again.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->epoch, 2u);
  EXPECT_EQ(parsed->shard.value, 0u);
  EXPECT_EQ(parsed->position, uint64_t{0});
}

TEST(SequenceNumber, ExactLayoutLeavesANumberBeforeTheFirstRecord) {
  const uint32_t e = kFirstExactEpoch + 4;
  SequenceNumber start = SequenceNumber::Before(ShardIndex{1}, e, LogOffset(0));
  SequenceNumber first = SequenceNumber::OfRecord(ShardIndex{1}, e, LogOffset(0));
  SequenceNumber second = SequenceNumber::OfRecord(ShardIndex{1}, e, LogOffset(1));
  EXPECT_LT(start.ToUint128(), first.ToUint128());
  EXPECT_LT(first.ToUint128(), second.ToUint128());
  // AFTER the starting number reads the first record; AT it too.
  auto parsed = SequenceNumber::Parse(start.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->AfterOffset(), LogOffset(0));
  EXPECT_EQ(parsed->AtOffset(), LogOffset(0));
  // A record's number: AT reads it, AFTER the next one.
  parsed = SequenceNumber::Parse(second.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->AtOffset(), LogOffset(1));
  EXPECT_EQ(parsed->AfterOffset(), LogOffset(2));
  // Before an offset past the start is the previous record's number.
  EXPECT_EQ(SequenceNumber::Before(ShardIndex{1}, e, LogOffset(1)).ToString(), first.ToString());
}

TEST(SequenceNumber, OlderEpochsKeepTheirNumbers) {
  for (uint32_t e : {0u, 1u, kFirstExactEpoch - 1}) {
    SequenceNumber rec = SequenceNumber::OfRecord(ShardIndex{2}, e, LogOffset(7));
    EXPECT_EQ(rec.position, 7u);
    EXPECT_EQ(rec.AtOffset(), LogOffset(7));
    EXPECT_EQ(rec.AfterOffset(), LogOffset(8));
    EXPECT_EQ(SequenceNumber::Before(ShardIndex{2}, e, LogOffset(7)).position, 6u);
    // No number stands before such a stream's first record: its own is used.
    EXPECT_EQ(SequenceNumber::Before(ShardIndex{2}, e, LogOffset(0)).position, 0u);
  }
}

}  // namespace
}  // namespace spate::model
