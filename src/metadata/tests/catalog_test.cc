#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "metadata/account_settings.h"
#include "metadata/catalog.h"

namespace spate::metadata {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("spate-catalog-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

std::string StreamArnForTest(const StreamMeta& m) {
  return "arn:aws:kinesis:" + m.region + ":" + m.account + ":stream/" + m.name;
}

StreamMeta Sample() {
  StreamMeta m;
  m.account = "000000000000";
  m.region = "us-east-1";
  m.name = "orders";
  m.storage_group = "g1";
  m.created_ms = 1700000000123;
  m.status = StreamStatus::kActive;
  m.status_since_ms = 1700000000623;
  m.mode = StreamMode::kOnDemand;
  m.retention_hours = 48;
  auto ranges = model::EvenHashKeyRanges(2);
  for (uint32_t i = 0; i < 2; ++i) {
    ShardMeta s;
    s.index = model::ShardIndex{i};
    s.range = ranges[i];
    s.created_ms = m.created_ms;
    m.shards.push_back(s);
  }
  m.shards[1].parent = model::ShardIndex{0};
  m.shards[0].end_offset = model::LogOffset(0);  // closed while empty: distinct from open
  m.next_shard_index = model::ShardIndex{2};
  m.tags = {{"env", "test"}, {"empty", ""}};
  m.shard_level_metrics = {"IncomingBytes"};
  m.key_id = "alias/aws/kinesis";
  return m;
}

TEST(StreamMetaCoding, RoundTripsEveryField) {
  StreamMeta m = Sample();
  auto d = DecodeStreamMeta(EncodeStreamMeta(m));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->Key(), m.Key());
  EXPECT_EQ(d->storage_group, "g1");
  EXPECT_EQ(d->created_ms, m.created_ms);
  EXPECT_EQ(d->mode, StreamMode::kOnDemand);
  EXPECT_EQ(d->retention_hours, 48);
  ASSERT_EQ(d->shards.size(), 2u);
  EXPECT_EQ(d->shards[1].range, m.shards[1].range);
  EXPECT_EQ(d->shards[1].parent->value, 0u);
  EXPECT_FALSE(d->shards[1].adjacent_parent.has_value());
  ASSERT_TRUE(d->shards[0].closed());
  EXPECT_EQ(*d->shards[0].end_offset, model::LogOffset(0));
  EXPECT_FALSE(d->shards[1].closed());
  EXPECT_EQ(d->tags, m.tags);
  EXPECT_EQ(d->shard_level_metrics, m.shard_level_metrics);
  EXPECT_EQ(d->key_id, "alias/aws/kinesis");
}

TEST(StreamMetaCoding, RoundTripsResourcePolicies) {
  StreamMeta m = Sample();
  m.resource_policies["arn:aws:kinesis:us-east-1:000000000000:stream/orders"] = R"({"Statement":[]})";
  m.resource_policies["arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/c:1"] = "{}";
  auto d = DecodeStreamMeta(EncodeStreamMeta(m));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->resource_policies, m.resource_policies);
}

TEST(StreamMetaCoding, Version1RecordDecodesWithoutPoliciesOrConsumers) {
  // A version-1 record is a version-6 record without the trailing policy
  // and consumer counts, pending reshard, warm throughput and epoch (one
  // zero byte each for a stream with none of them).
  std::string bytes = EncodeStreamMeta(Sample());
  ASSERT_EQ(bytes[0], 6);
  ASSERT_EQ(bytes.substr(bytes.size() - 5), std::string(5, '\0'));
  bytes.resize(bytes.size() - 5);
  bytes[0] = 1;
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->tags, Sample().tags);
  EXPECT_EQ(d->key_id, "alias/aws/kinesis");
  EXPECT_TRUE(d->resource_policies.empty());
  EXPECT_TRUE(d->consumers.empty());
}

TEST(StreamMetaCoding, Version2RecordDecodesWithPoliciesAndNoConsumers) {
  // Version 2 added the policies; version 3 appended the consumer list,
  // version 4 the pending reshard, version 5 the warm throughput, version 6
  // the epoch.
  StreamMeta m = Sample();
  m.resource_policies[StreamArnForTest(m)] = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
  std::string bytes = EncodeStreamMeta(m);
  ASSERT_EQ(bytes.substr(bytes.size() - 4), std::string(4, '\0'));
  bytes.resize(bytes.size() - 4);
  bytes[0] = 2;
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->resource_policies, m.resource_policies);
  EXPECT_TRUE(d->consumers.empty());
}

TEST(StreamMetaCoding, Version3RecordDecodesWithoutAPendingReshard) {
  StreamMeta m = Sample();
  m.consumers.push_back(ConsumerMeta{"c", 1700000001000, ConsumerStatus::kActive, 1700000001500, {}});
  std::string bytes = EncodeStreamMeta(m);
  ASSERT_EQ(bytes.substr(bytes.size() - 3), std::string(3, '\0'));
  bytes.resize(bytes.size() - 3);
  bytes[0] = 3;
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->consumers.size(), 1u);
  EXPECT_FALSE(d->pending_reshard.pending());
}

TEST(StreamMetaCoding, Version4RecordDecodesWithoutWarmThroughput) {
  StreamMeta m = Sample();
  m.pending_reshard = PendingReshard{ReshardKind::kUniformScaling, {}, {}, 0, 9};
  std::string bytes = EncodeStreamMeta(m);
  ASSERT_EQ(bytes.substr(bytes.size() - 2), std::string(2, '\0'));
  bytes.resize(bytes.size() - 2);
  bytes[0] = 4;
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->pending_reshard.target_shard_count, 9u);
  EXPECT_EQ(d->warm_throughput_mibps, 0);
}

TEST(StreamMetaCoding, Version5RecordDecodesAsEpochZero) {
  // A catalog written before epochs: its streams keep the sequence numbers
  // they handed out (bits 87..64 were 0).
  StreamMeta m = Sample();
  m.warm_throughput_mibps = 12;
  std::string bytes = EncodeStreamMeta(m);
  ASSERT_EQ(bytes.back(), '\0');
  bytes.pop_back();
  bytes[0] = 5;
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->warm_throughput_mibps, 12);
  EXPECT_EQ(d->epoch, 0u);
}

TEST(StreamMetaCoding, RoundTripsTheEpochAndRefusesOneOver24Bits) {
  StreamMeta m = Sample();
  for (uint32_t epoch : {0u, 1u, 300u, model::kMaxStreamEpoch}) {
    m.epoch = epoch;
    auto d = DecodeStreamMeta(EncodeStreamMeta(m));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->epoch, epoch);
  }
  m.epoch = model::kMaxStreamEpoch + 1;
  EXPECT_EQ(DecodeStreamMeta(EncodeStreamMeta(m)).status().code(), ErrorCode::kCorruption);
}

TEST(StreamMetaCoding, RoundTripsWarmThroughput) {
  StreamMeta m = Sample();
  for (int32_t mibps : {0, 1, 200, 10240, INT32_MAX}) {
    m.warm_throughput_mibps = mibps;
    auto d = DecodeStreamMeta(EncodeStreamMeta(m));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->warm_throughput_mibps, mibps);
  }
}

TEST(StreamMetaCoding, RoundTripsEachKindOfPendingReshard) {
  StreamMeta m = Sample();
  m.status = StreamStatus::kUpdating;
  PendingReshard split{ReshardKind::kSplit, model::ShardIndex{1}, {}, model::uint128(1) << 100, 0};
  PendingReshard merge{ReshardKind::kMerge, model::ShardIndex{7}, model::ShardIndex{UINT32_MAX}, 0, 0};
  PendingReshard scale{ReshardKind::kUniformScaling, {}, {}, 0, 5000};
  for (const PendingReshard& p : {split, merge, scale}) {
    m.pending_reshard = p;
    auto d = DecodeStreamMeta(EncodeStreamMeta(m));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->pending_reshard.kind, p.kind);
    EXPECT_EQ(d->pending_reshard.shard, p.shard);
    EXPECT_EQ(d->pending_reshard.adjacent_shard, p.adjacent_shard);
    EXPECT_EQ(d->pending_reshard.new_starting_hash_key, p.new_starting_hash_key);
    EXPECT_EQ(d->pending_reshard.target_shard_count, p.target_shard_count);
  }
}

TEST(StreamMetaCoding, UnknownReshardKindIsCorruption) {
  std::string bytes = EncodeStreamMeta(Sample());
  char& kind = bytes[bytes.size() - 3];  // then the warm throughput and the epoch, one byte each
  ASSERT_EQ(kind, static_cast<char>(ReshardKind::kNone));
  for (char code : {'\4', '\xff'}) {
    kind = code;
    EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption) << int(code);
  }
  // A known kind whose fields are missing.
  kind = static_cast<char>(ReshardKind::kSplit);
  EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption);
}

TEST(StreamMetaCoding, TruncatedRecordIsCorruption) {
  std::string bytes = EncodeStreamMeta(Sample());
  for (size_t n : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    auto d = DecodeStreamMeta(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.status().code(), ErrorCode::kCorruption);
  }
}

TEST(StreamMetaCoding, RoundTripsConsumers) {
  StreamMeta m = Sample();
  m.consumers.push_back(ConsumerMeta{"dashboard", 1700000001000, ConsumerStatus::kActive, 1700000001500, {{"a", "b"}}});
  m.consumers.push_back(ConsumerMeta{"audit", 1700000002000, ConsumerStatus::kDeleting, 1700000003000, {}});
  auto d = DecodeStreamMeta(EncodeStreamMeta(m));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->consumers.size(), 2u);
  EXPECT_EQ(d->consumers[0].name, "dashboard");
  EXPECT_EQ(d->consumers[0].created_ms, 1700000001000);
  EXPECT_EQ(d->consumers[0].status, ConsumerStatus::kActive);
  EXPECT_EQ(d->consumers[0].status_since_ms, 1700000001500);
  EXPECT_EQ(d->consumers[0].tags, m.consumers[0].tags);
  EXPECT_EQ(d->consumers[1].status, ConsumerStatus::kDeleting);
  EXPECT_EQ(d->FindConsumer("audit"), &d->consumers[1]);
  EXPECT_EQ(d->FindConsumer("nobody"), nullptr);
}

TEST(StreamMetaCoding, UnknownVersionIsCorruption) {
  std::string bytes = EncodeStreamMeta(Sample());
  for (char v : {'\0', '\7', '\x7f'}) {
    bytes[0] = v;
    EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption) << int(v);
  }
}

// Replaces the only occurrence of `from` in *bytes with `to` (same length).
void Patch(std::string* bytes, std::string_view from, std::string_view to) {
  ASSERT_EQ(from.size(), to.size());
  size_t pos = bytes->find(from);
  ASSERT_NE(pos, std::string::npos);
  ASSERT_EQ(bytes->rfind(from), pos) << "pattern not unique";
  bytes->replace(pos, from.size(), to);
}

TEST(StreamMetaCoding, UnknownStatusOrModeCodeIsCorruption) {
  // Codes used to be cast to the enum unchecked: a damaged byte decoded to a
  // status no code path expects (reported as ACTIVE).
  StreamMeta m = Sample();
  m.consumers.push_back(ConsumerMeta{"c", 1700000001000, ConsumerStatus::kDeleting, 1700000001500, {}});
  const std::string good = EncodeStreamMeta(m);
  // account, region, name and storage group are 1-byte-length strings.
  const size_t status_pos =
      1 + (1 + m.account.size()) + (1 + m.region.size()) + (1 + m.name.size()) + (1 + m.storage_group.size()) + 8;
  const size_t mode_pos = status_pos + 1 + 8;
  ASSERT_EQ(good[status_pos], static_cast<char>(StreamStatus::kActive));
  ASSERT_EQ(good[mode_pos], static_cast<char>(StreamMode::kOnDemand));
  for (char code : {'\4', '\5', '\x7f', '\xff'}) {
    std::string bytes = good;
    bytes[status_pos] = code;
    EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption) << int(code);
  }
  for (char code : {'\2', '\xff'}) {
    std::string bytes = good;
    bytes[mode_pos] = code;
    EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption) << int(code);
  }
  // The last consumer ends with its status code, status_since_ms and a
  // 1-byte tag count; the 1-byte pending reshard (none), warm throughput (0)
  // and epoch (0) follow.
  const size_t consumer_status_pos = good.size() - 1 - 1 - 1 - 1 - 8 - 1;
  ASSERT_EQ(good[consumer_status_pos], static_cast<char>(ConsumerStatus::kDeleting));
  for (char code : {'\2', '\4'}) {
    std::string bytes = good;
    bytes[consumer_status_pos] = code;
    EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption) << int(code);
  }
}

TEST(StreamMetaCoding, ParentIndexBeyond32BitsIsCorruption) {
  // It used to be truncated to 32 bits (2^32 + 1 read as parent shard 0).
  StreamMeta m = Sample();
  m.shards[1].parent = model::ShardIndex{UINT32_MAX};  // stored as 2^32
  std::string bytes = EncodeStreamMeta(m);
  ASSERT_TRUE(DecodeStreamMeta(bytes).ok());
  Patch(&bytes, "\x80\x80\x80\x80\x10", "\x81\x80\x80\x80\x10");  // 2^32 + 1
  EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption);
}

TEST(StreamMetaCoding, LimitBeyondInt32IsCorruption) {
  // It used to wrap to a negative retention period.
  StreamMeta m = Sample();
  m.retention_hours = INT32_MAX;
  std::string bytes = EncodeStreamMeta(m);
  auto d = DecodeStreamMeta(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->retention_hours, INT32_MAX);
  Patch(&bytes, "\xff\xff\xff\xff\x07", "\x80\x80\x80\x80\x08");  // 2^31
  EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption);
}

TEST(StreamMetaCoding, TrailingBytesAreCorruption) {
  // The fields of a record's version fill it exactly; extra bytes were
  // ignored before.
  std::string bytes = EncodeStreamMeta(Sample());
  bytes.push_back('\0');
  EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption);
  bytes = EncodeStreamMeta(Sample());
  bytes.resize(bytes.size() - 4);  // a version-2 record: no consumers, pending reshard, warm throughput, epoch
  bytes[0] = 2;
  ASSERT_TRUE(DecodeStreamMeta(bytes).ok());
  bytes.push_back('\0');  // ... with a stray byte where version 3 puts the consumers
  EXPECT_EQ(DecodeStreamMeta(bytes).status().code(), ErrorCode::kCorruption);
}

TEST_F(CatalogTest, StreamsSurviveReopen) {
  {
    auto c = Catalog::Open(dir_.string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->PutStream(Sample()).ok());
    StreamMeta other = Sample();
    other.name = "another";
    ASSERT_TRUE((*c)->PutStream(other).ok());
    ASSERT_TRUE((*c)->DeleteStream(other.Key()).ok());
    ASSERT_TRUE((*c)->PutSetting("iterator-key", std::string("\0\1\2", 3)).ok());
  }
  auto c = Catalog::Open(dir_.string());
  ASSERT_TRUE(c.ok());
  auto streams = (*c)->LoadStreams();
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 1u);
  EXPECT_EQ((*streams)[0].name, "orders");
  auto setting = (*c)->GetSetting("iterator-key");
  ASSERT_TRUE(setting.ok());
  ASSERT_TRUE(setting->has_value());
  EXPECT_EQ(**setting, std::string("\0\1\2", 3));
  auto missing = (*c)->GetSetting("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(CatalogTest, EntriesOfANamespaceSurviveReopenInKeyOrderApartFromOtherRecords) {
  {
    auto c = Catalog::Open(dir_.string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->PutStream(Sample()).ok());
    ASSERT_TRUE((*c)->PutEntry("firehose", "1/r/b", "second").ok());
    ASSERT_TRUE((*c)->PutEntry("firehose", "1/r/a", "first").ok());
    ASSERT_TRUE((*c)->PutEntry("firehose", "1/r/c", "gone").ok());
    ASSERT_TRUE((*c)->DeleteEntry("firehose", "1/r/c").ok());
    ASSERT_TRUE((*c)->PutEntry("firehose-delivered", "g", "7").ok());
  }
  auto c = Catalog::Open(dir_.string());
  ASSERT_TRUE(c.ok());
  auto entries = (*c)->LoadEntries("firehose");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);  // not firehose-delivered's, though its name begins alike
  EXPECT_EQ((*entries)[0], (std::pair<std::string, std::string>("1/r/a", "first")));
  EXPECT_EQ((*entries)[1], (std::pair<std::string, std::string>("1/r/b", "second")));
  auto streams = (*c)->LoadStreams();
  ASSERT_TRUE(streams.ok());
  EXPECT_EQ(streams->size(), 1u);
  auto one = (*c)->GetEntry("firehose", "1/r/b");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::optional<std::string>("second"));
  auto gone = (*c)->GetEntry("firehose", "1/r/c");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto delivered = (*c)->LoadEntries("firehose-delivered");
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(delivered->size(), 1u);
}

// ------------------------------------------------------------------ account settings

constexpr int64_t kT0 = 1700000000000;
constexpr int64_t kDay = kMinimumCommitmentMs;

TEST(AccountSettings, StartsDisabledWithNoTimes) {
  AccountSettings s;
  EXPECT_EQ(s.At(kT0).status, CommitmentStatus::kDisabled);
  EXPECT_FALSE(s.CommitmentActive());
  EXPECT_EQ(CommitmentStatusName(s.status), "DISABLED");
}

TEST(AccountSettings, EnablingStartsACommitmentOfADay) {
  AccountSettings s = AccountSettings{}.Updated(true, kT0);
  EXPECT_EQ(s.status, CommitmentStatus::kEnabled);
  EXPECT_EQ(s.started_ms, kT0);
  EXPECT_EQ(s.earliest_end_ms, kT0 + kDay);
  EXPECT_EQ(s.ended_ms, 0);
  // Enabling again changes nothing.
  EXPECT_EQ(s.Updated(true, kT0 + 5), s);
}

TEST(AccountSettings, DisablingEarlySchedulesTheEndAtTheEarliestAllowedEnd) {
  AccountSettings s = AccountSettings{}.Updated(true, kT0).Updated(false, kT0 + 1000);
  EXPECT_EQ(s.status, CommitmentStatus::kEnabledUntilEarliestAllowedEnd);
  EXPECT_EQ(CommitmentStatusName(s.status), "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  EXPECT_TRUE(s.CommitmentActive());
  EXPECT_EQ(s.At(kT0 + kDay - 1).status, CommitmentStatus::kEnabledUntilEarliestAllowedEnd);
  AccountSettings later = s.At(kT0 + kDay + 5);
  EXPECT_EQ(later.status, CommitmentStatus::kDisabled);
  EXPECT_EQ(later.ended_ms, kT0 + kDay);
  EXPECT_EQ(later.started_ms, kT0);
}

TEST(AccountSettings, EnablingBeforeTheScheduledEndCancelsIt) {
  AccountSettings s = AccountSettings{}.Updated(true, kT0).Updated(false, kT0 + 1).Updated(true, kT0 + 2);
  EXPECT_EQ(s.status, CommitmentStatus::kEnabled);
  EXPECT_EQ(s.started_ms, kT0);  // the same commitment goes on
  EXPECT_EQ(s.earliest_end_ms, kT0 + kDay);
  EXPECT_EQ(s.At(kT0 + 10 * kDay).status, CommitmentStatus::kEnabled);
}

TEST(AccountSettings, DisablingAfterADayEndsAtOnce) {
  AccountSettings s = AccountSettings{}.Updated(true, kT0).Updated(false, kT0 + kDay + 7);
  EXPECT_EQ(s.status, CommitmentStatus::kDisabled);
  EXPECT_EQ(s.ended_ms, kT0 + kDay + 7);
  // A new commitment starts afresh.
  AccountSettings again = s.Updated(true, kT0 + 2 * kDay);
  EXPECT_EQ(again.started_ms, kT0 + 2 * kDay);
  EXPECT_EQ(again.earliest_end_ms, kT0 + 3 * kDay);
  EXPECT_EQ(again.ended_ms, 0);
}

TEST(AccountSettings, DisablingWhenDisabledChangesNothing) {
  AccountSettings s;
  EXPECT_EQ(s.Updated(false, kT0), s);
}

TEST(AccountSettings, RoundTripsAndRejectsMalformedRecords) {
  AccountSettings s = AccountSettings{}.Updated(true, kT0).Updated(false, kT0 + 3);
  std::string bytes = EncodeAccountSettings(s);
  auto d = DecodeAccountSettings(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, s);
  EXPECT_EQ(DecodeAccountSettings(bytes.substr(0, bytes.size() - 1)).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(DecodeAccountSettings(bytes + "x").status().code(), ErrorCode::kCorruption);
  std::string bad_status = bytes;
  bad_status[1] = 3;
  EXPECT_EQ(DecodeAccountSettings(bad_status).status().code(), ErrorCode::kCorruption);
  std::string bad_version = bytes;
  bad_version[0] = 2;
  EXPECT_EQ(DecodeAccountSettings(bad_version).status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace spate::metadata
