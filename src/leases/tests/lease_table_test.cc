#include "leases/lease_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "protocol/json_codec.h"
#include "protocol/service_model.h"

namespace spate::leases {
namespace {

constexpr std::string_view kArn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";

class LeaseTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("spate-leases-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    catalog_.reset();
    auto c = metadata::Catalog::Open(dir_.string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
    table_ = std::make_unique<LeaseTable>(catalog_.get());
    ASSERT_TRUE(table_->Start().ok());
  }
  // Parses and validates `json` against `op` of the SpateLeases model, as the front door does.
  static protocol::Value Input(std::string_view op, std::string_view json) {
    auto v = protocol::ParseJson(json);
    EXPECT_TRUE(v.ok());
    const auto& model = protocol::ServiceModel::SpateLeases();
    Status st = model.ValidateInput(*model.FindOperation(op), &*v, protocol::WireFormat::kJson);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return *v;
  }
  Result<protocol::Value> Create(std::string_view shard, std::string_view extra = "") {
    return table_->CreateLease(
        caller_, Input("CreateLease", R"({"ApplicationName":"app","StreamARN":")" + std::string(kArn) +
                                          R"(","ShardId":")" + std::string(shard) + "\"" + std::string(extra) + "}"));
  }
  Result<protocol::Value> Update(std::string_view shard, int64_t expected, std::string_view extra = "") {
    return table_->UpdateLease(
        caller_, Input("UpdateLease", R"({"ApplicationName":"app","StreamARN":")" + std::string(kArn) +
                                          R"(","ShardId":")" + std::string(shard) + R"(","ExpectedLeaseCounter":)" +
                                          std::to_string(expected) + std::string(extra) + "}"));
  }
  std::vector<protocol::Value> List(const iam::Caller& caller) {
    auto r = table_->ListLeases(caller, Input("ListLeases", R"({"ApplicationName":"app"})"));
    EXPECT_TRUE(r.ok());
    return r->Find("Leases")->as_array();
  }

  std::filesystem::path dir_;
  std::unique_ptr<metadata::Catalog> catalog_;
  std::unique_ptr<LeaseTable> table_;
  iam::Caller caller_;
};

TEST_F(LeaseTableTest, CreateStartsUnownedAtTrimHorizonWithCounterZero) {
  auto r = Create("shardId-000000000000", R"(,"ParentShardIds":["shardId-000000000009"])");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const protocol::Value& lease = *r->Find("Lease");
  EXPECT_EQ(lease.GetInt("LeaseCounter", -1), 0);
  EXPECT_EQ(lease.GetString("Checkpoint"), "TRIM_HORIZON");
  EXPECT_FALSE(lease.Has("LeaseOwner"));
  EXPECT_EQ(lease.Find("ParentShardIds")->as_array().at(0).as_string(), "shardId-000000000009");
}

TEST_F(LeaseTableTest, CreateTwiceIsResourceInUse) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  auto r = Create("shardId-000000000000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kAlreadyExists);
}

TEST_F(LeaseTableTest, UpdateWithMatchingCounterIncrementsIt) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  auto r = Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w1")");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Find("Lease")->GetInt("LeaseCounter"), 1);
  EXPECT_EQ(r->Find("Lease")->GetString("LeaseOwner"), "w1");
  r = Update(
      "shardId-000000000000", 1,
      R"(,"Checkpoint":"49590338271490256608559692538361571095921575989136588898","CheckpointSubSequenceNumber":3)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Find("Lease")->GetInt("LeaseCounter"), 2);
  EXPECT_EQ(r->Find("Lease")->GetString("LeaseOwner"), "w1");  // unchanged when absent
  EXPECT_EQ(r->Find("Lease")->GetInt("CheckpointSubSequenceNumber"), 3);
}

TEST_F(LeaseTableTest, UpdateWithStaleCounterIsConcurrentModificationAndChangesNothing) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  ASSERT_TRUE(Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w1")").ok());
  auto r = Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w2")");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConcurrentModification);
  EXPECT_EQ(List(caller_).at(0).GetString("LeaseOwner"), "w1");
  EXPECT_EQ(List(caller_).at(0).GetInt("LeaseCounter"), 1);
}

TEST_F(LeaseTableTest, UpdateWithWrongExpectedOwnerFails) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  ASSERT_TRUE(Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w1")").ok());
  auto r = Update("shardId-000000000000", 1, R"(,"ExpectedLeaseOwner":"w2","Checkpoint":"SHARD_END")");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConcurrentModification);
}

TEST_F(LeaseTableTest, EmptyOwnerReleasesTheLease) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  ASSERT_TRUE(Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w1")").ok());
  auto r = Update("shardId-000000000000", 1, R"(,"LeaseOwner":"")");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Find("Lease")->Has("LeaseOwner"));
}

TEST_F(LeaseTableTest, UpdateOfMissingLeaseIsNotFound) {
  auto r = Update("shardId-000000000007", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(LeaseTableTest, LeasesAreScopedByAccount) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  iam::Caller other;
  other.account = "111111111111";
  EXPECT_TRUE(List(other).empty());
  EXPECT_EQ(List(caller_).size(), 1u);
}

TEST_F(LeaseTableTest, ListIsFilteredByApplicationAndStream) {
  ASSERT_TRUE(Create("shardId-000000000001").ok());
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  ASSERT_TRUE(table_
                  ->CreateLease(caller_, Input("CreateLease", R"({"ApplicationName":"app2","StreamARN":")" +
                                                                  std::string(kArn) + R"(","ShardId":"shardId-0"})"))
                  .ok());
  auto leases = List(caller_);
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].GetString("ShardId"), "shardId-000000000000");
  auto r = table_->ListLeases(
      caller_, Input("ListLeases",
                     R"({"ApplicationName":"app","StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/other"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Find("Leases")->as_array().empty());
}

TEST_F(LeaseTableTest, DeleteChecksTheCounterWhenGiven) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  std::string base =
      R"({"ApplicationName":"app","StreamARN":")" + std::string(kArn) + R"(","ShardId":"shardId-000000000000")";
  auto r = table_->DeleteLease(caller_, Input("DeleteLease", base + R"(,"ExpectedLeaseCounter":5})"));
  EXPECT_EQ(r.status().code(), ErrorCode::kConcurrentModification);
  EXPECT_TRUE(table_->DeleteLease(caller_, Input("DeleteLease", base + "}")).ok());
  EXPECT_TRUE(List(caller_).empty());
  EXPECT_EQ(table_->DeleteLease(caller_, Input("DeleteLease", base + "}")).status().code(), ErrorCode::kNotFound);
}

TEST_F(LeaseTableTest, LeasesSurviveReopen) {
  ASSERT_TRUE(Create("shardId-000000000000", R"(,"ParentShardIds":["shardId-a","shardId-b"])").ok());
  ASSERT_TRUE(
      Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w1","Checkpoint":"12345","CheckpointSubSequenceNumber":2)")
          .ok());
  Reopen();
  auto leases = List(caller_);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].GetString("LeaseOwner"), "w1");
  EXPECT_EQ(leases[0].GetInt("LeaseCounter"), 1);
  EXPECT_EQ(leases[0].GetString("Checkpoint"), "12345");
  EXPECT_EQ(leases[0].GetInt("CheckpointSubSequenceNumber"), 2);
  EXPECT_EQ(leases[0].Find("ParentShardIds")->as_array().size(), 2u);
}

TEST_F(LeaseTableTest, MalformedRecordsAreCorruption) {
  EXPECT_EQ(LeaseTable::Decode("not json").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(LeaseTable::Decode(R"({"Version":2})").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(LeaseTable::Decode(R"({"Version":1,"ApplicationName":"a"})").status().code(), ErrorCode::kCorruption);
  Lease lease;
  lease.application = "a";
  lease.stream_arn = "b";
  lease.shard_id = "c";
  lease.owner = "o";
  lease.counter = 9;
  auto back = LeaseTable::Decode(LeaseTable::Encode(lease));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->counter, 9);
  EXPECT_EQ(back->owner, "o");
}

TEST_F(LeaseTableTest, ConcurrentTakesWithTheSameCounterHaveExactlyOneWinner) {
  ASSERT_TRUE(Create("shardId-000000000000").ok());
  constexpr int kWorkers = 8;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      if (Update("shardId-000000000000", 0, R"(,"LeaseOwner":"w)" + std::to_string(i) + "\"").ok()) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(List(caller_).at(0).GetInt("LeaseCounter"), 1);
}

}  // namespace
}  // namespace spate::leases
