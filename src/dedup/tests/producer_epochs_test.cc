#include "dedup/producer_epochs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace spate::dedup {
namespace {

class ProducerEpochsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("spate-epochs-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    epochs_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    epochs_.reset();
    catalog_.reset();
    auto c = metadata::Catalog::Open(dir_.string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
    epochs_ = std::make_unique<ProducerEpochs>(catalog_.get());
    ASSERT_TRUE(epochs_->Start().ok());
  }
  std::filesystem::path dir_;
  std::unique_ptr<metadata::Catalog> catalog_;
  std::unique_ptr<ProducerEpochs> epochs_;
};

TEST_F(ProducerEpochsTest, FirstInitIsEpochOneAndEachInitBumps) {
  auto a = epochs_->Init("1", "r", "p");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->producer_id, "p");
  EXPECT_EQ(a->epoch, 1u);
  auto b = epochs_->Init("1", "r", "p");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->epoch, 2u);
}

TEST_F(ProducerEpochsTest, EmptyIdGetsARandomOne) {
  auto a = epochs_->Init("1", "r", "");
  auto b = epochs_->Init("1", "r", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->producer_id.size(), 32u);
  EXPECT_NE(a->producer_id, b->producer_id);
  EXPECT_EQ(a->epoch, 1u);
}

TEST_F(ProducerEpochsTest, MalformedIdIsRefused) {
  EXPECT_EQ(epochs_->Init("1", "r", "a b").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ProducerEpochsTest, CheckFencesOlderEpochs) {
  ASSERT_TRUE(epochs_->Init("1", "r", "p").ok());
  ASSERT_TRUE(epochs_->Init("1", "r", "p").ok());
  EXPECT_TRUE(epochs_->Check("1", "r", {"p", 2, 1}).ok());
  Status st = epochs_->Check("1", "r", {"p", 1, 1});
  EXPECT_EQ(st.code(), ErrorCode::kConcurrentModification);
  EXPECT_NE(st.message().find("fenced"), std::string::npos);
  EXPECT_EQ(epochs_->Check("1", "r", {"p", 3, 1}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(epochs_->Check("1", "r", {"q", 1, 1}).code(), ErrorCode::kNotFound);
}

TEST_F(ProducerEpochsTest, ScopedByAccountAndRegion) {
  ASSERT_TRUE(epochs_->Init("1", "r", "p").ok());
  EXPECT_EQ(epochs_->Check("2", "r", {"p", 1, 1}).code(), ErrorCode::kNotFound);
  EXPECT_EQ(epochs_->Check("1", "other", {"p", 1, 1}).code(), ErrorCode::kNotFound);
  auto other = epochs_->Init("2", "r", "p");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->epoch, 1u);
}

TEST_F(ProducerEpochsTest, EpochsSurviveReopen) {
  ASSERT_TRUE(epochs_->Init("1", "r", "p").ok());
  ASSERT_TRUE(epochs_->Init("1", "r", "p").ok());
  Reopen();
  EXPECT_EQ(epochs_->Check("1", "r", {"p", 1, 1}).code(), ErrorCode::kConcurrentModification);
  EXPECT_TRUE(epochs_->Check("1", "r", {"p", 2, 1}).ok());
  auto next = epochs_->Init("1", "r", "p");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->epoch, 3u);
}

TEST_F(ProducerEpochsTest, MalformedStoredRecordStopsStart) {
  ASSERT_TRUE(catalog_->PutEntry(ProducerEpochs::kEpochNamespace, std::string("1\0r\0p", 5), "xx").ok());
  ProducerEpochs fresh(catalog_.get());
  EXPECT_EQ(fresh.Start().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace spate::dedup
