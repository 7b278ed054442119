#include <gtest/gtest.h>

#include <future>

#include "streams/tests/registry_fixture.h"

namespace spate::streams {
namespace {

using metadata::StreamMode;
using metadata::StreamStatus;

class RegistryTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    Open();
  }

  void Open() {
    RegistryOptions ro;
    ro.shard_limit = 10;
    OpenRegistry(ro);
  }

  StreamStatus StatusOf(const StreamRef& ref) {
    StreamStatus s = StreamStatus::kDeleting;
    EXPECT_TRUE(registry_
                    ->WithStream(ref,
                                 [&](const Stream& st) {
                                   s = st.meta().status;
                                   return Status::Ok();
                                 })
                    .ok());
    return s;
  }

  void CreateActive(const StreamRef& ref, uint32_t shards) {
    RegistryFixture::CreateActive(ref, shards);
    ASSERT_EQ(StatusOf(ref), StreamStatus::kActive);
  }

  std::vector<PutOutcome> Put(const StreamRef& ref, std::vector<PutEntry> entries) {
    auto r = TryPut(ref, std::move(entries));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<PutOutcome>{};
  }

  std::string Iterator(const StreamRef& ref, uint32_t shard, uint64_t offset) { return IteratorAt(ref, shard, offset); }
};

TEST_F(RegistryTest, CreatingBecomesActiveAfterTheDelay) {
  ASSERT_TRUE(registry_->CreateStream(ref_, 2, StreamMode::kProvisioned, {}).ok());
  EXPECT_EQ(StatusOf(ref_), StreamStatus::kCreating);
  clock_.AdvanceMs(499);
  registry_->RunMaintenance();
  EXPECT_EQ(StatusOf(ref_), StreamStatus::kCreating);
  clock_.AdvanceMs(1);
  registry_->RunMaintenance();
  EXPECT_EQ(StatusOf(ref_), StreamStatus::kActive);
}

TEST_F(RegistryTest, DuplicateNameIsResourceInUse) {
  CreateActive(ref_, 1);
  Status st = registry_->CreateStream(ref_, 1, StreamMode::kProvisioned, {});
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(st.message(), "Stream orders under account 000000000000 already exists.");
}

TEST_F(RegistryTest, ShardLimitIsEnforcedPerAccountAndRegion) {
  CreateActive(ref_, 8);
  Status st = registry_->CreateStream({"000000000000", "us-east-1", "more"}, 3, StreamMode::kProvisioned, {});
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(st.message().find("Limit: 10. Number of additional shards that would have resulted from this request: 3"),
            std::string::npos);
  EXPECT_TRUE(registry_->CreateStream({"000000000000", "eu-west-1", "more"}, 3, StreamMode::kProvisioned, {}).ok());
}

TEST_F(RegistryTest, PutWhileCreatingIsNotFound) {
  ASSERT_TRUE(registry_->CreateStream(ref_, 1, StreamMode::kProvisioned, {}).ok());
  std::promise<Status> p;
  registry_->Put(ref_, {PutEntry{"k", "v", std::nullopt}}, [&](auto r) { p.set_value(r.status()); });
  Status st = p.get_future().get();
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(), "Stream orders under account 000000000000 not found.");
}

TEST_F(RegistryTest, RecordsRouteByMd5AndSequenceNumbersIncrease) {
  CreateActive(ref_, 4);
  std::vector<PutEntry> entries;
  for (int i = 0; i < 200; ++i) entries.push_back({"key-" + std::to_string(i), "v" + std::to_string(i), std::nullopt});
  auto out = Put(ref_, entries);
  ASSERT_EQ(out.size(), 200u);
  auto ranges = model::EvenHashKeyRanges(4);
  std::map<uint32_t, model::uint128> last;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(out[i].status.ok());
    model::uint128 h = util::PartitionKeyHash(entries[i].partition_key);
    EXPECT_TRUE(ranges[out[i].shard.value].Contains(h));
    EXPECT_EQ(out[i].sequence.shard, out[i].shard);
    auto it = last.find(out[i].shard.value);
    if (it != last.end()) {
      EXPECT_GT(out[i].sequence.ToUint128(), it->second);
    }
    last[out[i].shard.value] = out[i].sequence.ToUint128();
  }
}

TEST_F(RegistryTest, ExplicitHashKeyOverridesPartitionKey) {
  CreateActive(ref_, 2);
  auto out = Put(ref_, {PutEntry{"k", "v", util::kMaxHashKey}, PutEntry{"k", "v", model::uint128{0}}});
  EXPECT_EQ(out[0].shard.value, 1u);
  EXPECT_EQ(out[1].shard.value, 0u);
}

TEST_F(RegistryTest, GetRecordsReadsBackInOrderAndContinues) {
  CreateActive(ref_, 1);
  Put(ref_, {{"a", "1", std::nullopt}, {"b", "2", std::nullopt}, {"c", "3", std::nullopt}});
  auto r = registry_->GetRecords(Iterator(ref_, 0, 0), 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].data, "1");
  EXPECT_EQ(r->records[1].partition_key, "b");
  ASSERT_TRUE(r->next_iterator.has_value());
  auto r2 = registry_->GetRecords(*r->next_iterator, 100);
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(r2->records.size(), 1u);
  EXPECT_EQ(r2->records[0].data, "3");
  EXPECT_EQ(r2->millis_behind_latest, 0);
  auto r3 = registry_->GetRecords(*r2->next_iterator, 100);
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->records.empty());
  EXPECT_TRUE(r3->next_iterator.has_value());
}

TEST_F(RegistryTest, IteratorExpiresAfterFiveMinutes) {
  CreateActive(ref_, 1);
  std::string it = Iterator(ref_, 0, 0);
  clock_.AdvanceMs(300'000);
  EXPECT_TRUE(registry_->GetRecords(it, 10).ok());
  clock_.AdvanceMs(1);
  auto r = registry_->GetRecords(it, 10);
  EXPECT_EQ(r.status().code(), ErrorCode::kExpiredIterator);
  EXPECT_NE(r.status().message().find("tolerated delay of 300000 milliseconds"), std::string::npos);
}

TEST_F(RegistryTest, GarbageIteratorIsInvalidArgument) {
  auto r = registry_->GetRecords("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 10);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Invalid ShardIterator.");
}

TEST_F(RegistryTest, AHandleServesWithoutALookupUntilItsStreamIsGone) {
  CreateActive(ref_, 1);
  StreamHandle handle = registry_->Find(ref_);
  ASSERT_NE(handle.stream, nullptr);
  EXPECT_TRUE(registry_->WithStream(handle, [](const Stream&) { return Status::Ok(); }).ok());
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  Settle();
  // The stream is gone, and a new one of the same name is another stream.
  CreateActive(ref_, 1);
  Status st = registry_->WithStream(handle, [](const Stream&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(), "Stream orders under account 000000000000 not found.");
  std::promise<Result<std::vector<PutOutcome>>> p;
  registry_->Put(handle, {PutEntry{"k", "v", std::nullopt}},
                 [&](Result<std::vector<PutOutcome>> r) { p.set_value(std::move(r)); });
  EXPECT_EQ(p.get_future().get().status().code(), ErrorCode::kNotFound);
}

TEST_F(RegistryTest, FindWithoutAStreamGivesAnEmptyHandle) {
  StreamHandle handle = registry_->Find(ref_);
  EXPECT_EQ(handle.stream, nullptr);
  EXPECT_EQ(registry_->WithStream(handle, [](const Stream&) { return Status::Ok(); }).message(),
            "Stream orders under account 000000000000 not found.");
}

TEST_F(RegistryTest, DeletedStreamDisappearsAfterTheDelay) {
  CreateActive(ref_, 1);
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  EXPECT_EQ(StatusOf(ref_), StreamStatus::kDeleting);
  clock_.AdvanceMs(500);
  registry_->RunMaintenance();
  Status st = registry_->WithStream(ref_, [](const Stream&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  auto groups = logs_->ListGroups();
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
}

TEST_F(RegistryTest, IteratorOfRecreatedStreamIsRejected) {
  CreateActive(ref_, 1);
  std::string it = Iterator(ref_, 0, 0);
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  clock_.AdvanceMs(500);
  registry_->RunMaintenance();
  CreateActive(ref_, 1);
  auto r = registry_->GetRecords(it, 10);
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "Shard shardId-000000000000 in stream orders under account 000000000000 does not exist");
}

TEST_F(RegistryTest, AnEpochTheCatalogHandedOutElsewhereIsNotReused) {
  // Cluster mode: an earlier catalog owner counted epochs up to 7 past the
  // first of the current layout for streams this registry never saw; the
  // next incarnation takes the one after.
  CreateActive(ref_, 1);
  ASSERT_TRUE(catalog_->PutSetting("stream-epoch", std::to_string(model::kFirstExactEpoch + 7)).ok());
  StreamRef other{"000000000000", "us-east-1", "other"};
  CreateActive(other, 1);
  uint32_t epoch = 0;
  ASSERT_TRUE(registry_
                  ->WithStream(other,
                               [&](const Stream& st) {
                                 epoch = st.meta().epoch;
                                 return Status::Ok();
                               })
                  .ok());
  EXPECT_EQ(epoch, model::kFirstExactEpoch + 8);
}

TEST_F(RegistryTest, RestartKeepsStreamsTagsAndRecords) {
  ASSERT_TRUE(registry_->CreateStream(ref_, 2, StreamMode::kOnDemand, {{"env", "prod"}}).ok());
  clock_.AdvanceMs(500);
  registry_->RunMaintenance();
  auto out = Put(ref_, {{"a", "alpha", std::nullopt}, {"b", "beta", std::nullopt}});
  std::string it_a = Iterator(ref_, out[0].shard.value, out[0].sequence.AtOffset().value());
  Close();
  Open();
  ASSERT_EQ(StatusOf(ref_), StreamStatus::kActive);
  ASSERT_TRUE(registry_
                  ->WithStream(ref_,
                               [](const Stream& s) {
                                 EXPECT_EQ(s.meta().tags.at("env"), "prod");
                                 EXPECT_EQ(s.meta().mode, StreamMode::kOnDemand);
                                 EXPECT_EQ(s.meta().shards.size(), 2u);
                                 return Status::Ok();
                               })
                  .ok());
  // An iterator issued before the restart still works: the key is durable.
  auto r = registry_->GetRecords(it_a, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->records.empty());
  EXPECT_EQ(r->records[0].data, "alpha");
  EXPECT_EQ(r->records[0].offset, out[0].sequence.AtOffset());
}

TEST(ResolveStream, ArnCarriesAccountAndRegion) {
  Caller c;
  auto r = ResolveStream(c, "", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "eu-west-1");
  EXPECT_EQ(r->account, "123456789012");
  EXPECT_EQ(r->name, "orders");
  EXPECT_FALSE(ResolveStream(c, "other", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders").ok());
  EXPECT_FALSE(ResolveStream(c, "", "arn:aws:kinesis:eu-west-1:123456789012:orders").ok());
  EXPECT_FALSE(ResolveStream(c, "", "").ok());
}

}  // namespace
}  // namespace spate::streams
