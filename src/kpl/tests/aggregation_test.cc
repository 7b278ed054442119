#include "spate/aggregation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kpl/aggregation.pb.h"
#include "kpl/format.h"
#include "util/hash_key.h"
#include "util/md5.h"

namespace spate {
namespace {

std::string Wrap(const std::string& message) {
  std::string out(reinterpret_cast<const char*>(kpl::kMagic.data()), kpl::kMagicSize);
  out += message;
  const util::Md5Digest d = util::Md5(message);
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
  return out;
}

TEST(Aggregation, RoundTripKeepsOrderKeysAndSubSequenceNumbers) {
  Aggregator agg;
  std::vector<UserRecord> in;
  for (int i = 0; i < 50; ++i) {
    UserRecord r;
    r.partition_key = "key-" + std::to_string(i % 7);
    r.data = std::string(static_cast<size_t>(i), static_cast<char>('a' + i % 26));
    in.push_back(r);
    ASSERT_TRUE(agg.Add(r.partition_key, r.data));
  }
  const size_t predicted = agg.size_bytes();
  EncodedRecord enc = agg.Finish();
  EXPECT_TRUE(agg.empty());
  EXPECT_EQ(enc.data.size(), predicted);
  EXPECT_EQ(enc.user_record_count, 50u);
  EXPECT_EQ(enc.partition_key, "key-0");
  EXPECT_EQ(enc.explicit_hash_key, util::ToDecimal(util::PartitionKeyHash("key-0")));
  ASSERT_TRUE(IsAggregated(enc.data));
  std::vector<UserRecord> out = Deaggregate(enc.data, enc.partition_key, enc.explicit_hash_key);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].partition_key, in[i].partition_key);
    EXPECT_EQ(out[i].data, in[i].data);
    EXPECT_EQ(out[i].explicit_hash_key, "");
    EXPECT_EQ(out[i].sub_sequence_number, i);
    EXPECT_TRUE(out[i].aggregated);
  }
}

TEST(Aggregation, PartitionKeysAreStoredOnceInTheTable) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("k", "1"));
  ASSERT_TRUE(agg.Add("k", "2"));
  ASSERT_TRUE(agg.Add("j", "3"));
  EncodedRecord enc = agg.Finish();
  kpl::pb::AggregatedRecord m;
  ASSERT_TRUE(m.ParseFromString(enc.data.substr(kpl::kMagicSize, enc.data.size() - kpl::kOverhead)));
  ASSERT_EQ(m.partition_key_table_size(), 2);
  EXPECT_EQ(m.records(1).partition_key_index(), 0u);
  EXPECT_EQ(m.records(2).partition_key_index(), 1u);
  EXPECT_FALSE(m.records(0).has_explicit_hash_key_index());
}

TEST(Aggregation, ExplicitHashKeysRoundTripAndRouteTheAggregate) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("a", "x", "12345"));
  ASSERT_TRUE(agg.Add("b", "y"));
  ASSERT_TRUE(agg.Add("c", "z", "340282366920938463463374607431768211455"));
  ASSERT_TRUE(agg.Add("d", "w", "12345"));
  const size_t predicted = agg.size_bytes();
  EncodedRecord enc = agg.Finish();
  EXPECT_EQ(enc.data.size(), predicted);
  EXPECT_EQ(enc.explicit_hash_key, "12345");  // the first record's own
  std::vector<UserRecord> out = Deaggregate(enc.data, enc.partition_key, enc.explicit_hash_key);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].explicit_hash_key, "12345");
  EXPECT_EQ(out[1].explicit_hash_key, "");
  EXPECT_EQ(out[2].explicit_hash_key, "340282366920938463463374607431768211455");
  EXPECT_EQ(out[3].explicit_hash_key, "12345");
  EXPECT_EQ(out[3].partition_key, "d");
}

TEST(Aggregation, SizeArithmeticIsExactAcrossVarintBoundaries) {
  // Data lengths around 127/128 and 16383/16384 change the varint widths.
  for (size_t len : {0u, 1u, 126u, 127u, 128u, 129u, 16383u, 16384u, 16385u}) {
    Aggregator agg(1 << 20);
    ASSERT_TRUE(agg.Add("p", std::string(len, 'q')));
    ASSERT_TRUE(agg.Add(std::string(200, 'k'), std::string(len, 'r'), "7"));
    const size_t predicted = agg.size_bytes();
    EXPECT_EQ(agg.Finish().data.size(), predicted) << len;
  }
}

TEST(Aggregation, AddRefusesARecordThatWouldPassTheLimit) {
  Aggregator agg(200);
  ASSERT_TRUE(agg.Add("k", std::string(100, 'a')));
  const size_t with = agg.SizeWith("k", std::string(100, 'b'));
  EXPECT_GT(with, 200u);
  EXPECT_FALSE(agg.Add("k", std::string(100, 'b')));
  EXPECT_EQ(agg.count(), 1u);
  EXPECT_TRUE(agg.Add("k", std::string(10, 'c')));
  EXPECT_LE(agg.size_bytes(), 200u);
}

TEST(Aggregation, ARecordThatAloneExceedsTheLimitGoesOutPlain) {
  Aggregator agg(100);
  const std::string big(1000, 'z');
  ASSERT_TRUE(agg.Add("big", big, "42"));
  EXPECT_FALSE(agg.Add("small", "s"));
  EncodedRecord enc = agg.Finish();
  EXPECT_EQ(enc.data, big);
  EXPECT_EQ(enc.partition_key, "big");
  EXPECT_EQ(enc.explicit_hash_key, "42");
  EXPECT_EQ(enc.user_record_count, 1u);
  EXPECT_FALSE(IsAggregated(enc.data));
}

TEST(Aggregation, CountLimit) {
  Aggregator agg(1 << 20, 3);
  EXPECT_TRUE(agg.Add("k", "1"));
  EXPECT_TRUE(agg.Add("k", "2"));
  EXPECT_TRUE(agg.Add("k", "3"));
  EXPECT_FALSE(agg.Add("k", "4"));
  EXPECT_EQ(agg.Finish().user_record_count, 3u);
}

TEST(Aggregation, PlainRecordDeaggregatesToItself) {
  std::vector<UserRecord> out = Deaggregate("hello", "pk", "99");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "hello");
  EXPECT_EQ(out[0].partition_key, "pk");
  EXPECT_EQ(out[0].explicit_hash_key, "99");
  EXPECT_EQ(out[0].sub_sequence_number, 0u);
  EXPECT_FALSE(out[0].aggregated);
}

TEST(Aggregation, BadChecksumIsAPlainRecord) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("k", "1"));
  ASSERT_TRUE(agg.Add("k", "2"));
  std::string data = agg.Finish().data;
  data.back() ^= 0x01;
  EXPECT_FALSE(IsAggregated(data));
  std::vector<UserRecord> out = Deaggregate(data, "outer");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, data);
  EXPECT_EQ(out[0].partition_key, "outer");
  EXPECT_FALSE(out[0].aggregated);
}

TEST(Aggregation, TruncatedAggregateIsAPlainRecord) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("k", "first"));
  ASSERT_TRUE(agg.Add("k", "second"));
  const std::string data = agg.Finish().data;
  for (size_t n = 0; n < data.size(); ++n) {
    const std::string cut = data.substr(0, n);
    std::vector<UserRecord> out = Deaggregate(cut, "outer");
    ASSERT_EQ(out.size(), 1u) << n;
    EXPECT_EQ(out[0].data, cut);
  }
}

TEST(Aggregation, MagicWithAMessageThatDoesNotParseIsAPlainRecord) {
  const std::string data = Wrap("\xff\xff\xff");
  EXPECT_FALSE(IsAggregated(data));
  EXPECT_EQ(Deaggregate(data, "k").size(), 1u);
}

TEST(Aggregation, EmptyPartitionKeyTableIsAPlainRecord) {
  kpl::pb::AggregatedRecord m;
  kpl::pb::Record* r = m.add_records();
  r->set_partition_key_index(0);
  r->set_data("orphan");
  const std::string data = Wrap(m.SerializeAsString());
  EXPECT_FALSE(IsAggregated(data));
  std::vector<UserRecord> out = Deaggregate(data, "outer");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, data);
}

TEST(Aggregation, ExplicitHashKeyIndexOutsideItsTableIsAPlainRecord) {
  kpl::pb::AggregatedRecord m;
  m.add_partition_key_table("k");
  kpl::pb::Record* r = m.add_records();
  r->set_partition_key_index(0);
  r->set_explicit_hash_key_index(3);
  r->set_data("d");
  EXPECT_EQ(Deaggregate(Wrap(m.SerializeAsString()), "outer")[0].data, Wrap(m.SerializeAsString()));
}

TEST(Aggregation, AggregateWithNoRecordsCarriesNoUserRecords) {
  const std::string data = Wrap("");
  EXPECT_TRUE(IsAggregated(data));
  EXPECT_TRUE(Deaggregate(data, "k").empty());
}

TEST(Aggregation, TagsAreIgnored) {
  kpl::pb::AggregatedRecord m;
  m.add_partition_key_table("k");
  kpl::pb::Record* r = m.add_records();
  r->set_partition_key_index(0);
  r->set_data("d");
  kpl::pb::Tag* t = r->add_tags();
  t->set_key("tk");
  t->set_value("tv");
  std::vector<UserRecord> out = Deaggregate(Wrap(m.SerializeAsString()), "outer");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "d");
  EXPECT_TRUE(out[0].aggregated);
}

TEST(Aggregation, BinaryDataSurvives) {
  std::string bin;
  for (int i = 0; i < 256; ++i) bin.push_back(static_cast<char>(i));
  Aggregator agg;
  ASSERT_TRUE(agg.Add("k", bin));
  ASSERT_TRUE(agg.Add("k", std::string("\0\0", 2)));
  EncodedRecord enc = agg.Finish();
  std::vector<UserRecord> out = Deaggregate(enc.data, enc.partition_key);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data, bin);
  EXPECT_EQ(out[1].data, std::string("\0\0", 2));
}

TEST(Aggregation, TheAggregatorIsReusableAfterFinish) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("a", "1"));
  ASSERT_TRUE(agg.Add("b", "2"));
  (void)agg.Finish();
  ASSERT_TRUE(agg.Add("c", "3"));
  ASSERT_TRUE(agg.Add("c", "4"));
  EncodedRecord enc = agg.Finish();
  std::vector<UserRecord> out = Deaggregate(enc.data, enc.partition_key);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].partition_key, "c");
  EXPECT_EQ(out[1].data, "4");
}

}  // namespace
}  // namespace spate
