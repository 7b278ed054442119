#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "firehose/object_store.h"

namespace spate::firehose {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/local_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(LocalObjectStoreTest, WritesObjectAtItsKeyBelowTheBucketDirectory) {
  auto store = NewLocalObjectStore(root_);
  ASSERT_TRUE(store->PutObject("b", "2026/12/06/22/s-1-2026-12-06-22-00-00-u", "abc").ok());
  EXPECT_EQ(ReadFile(root_ + "/b/2026/12/06/22/s-1-2026-12-06-22-00-00-u"), "abc");
}

TEST_F(LocalObjectStoreTest, RewriteReplacesTheObjectAndLeavesNoTemporaryFiles) {
  auto store = NewLocalObjectStore(root_);
  ASSERT_TRUE(store->PutObject("b", "k/o", "first").ok());
  ASSERT_TRUE(store->PutObject("b", "k/o", "second").ok());
  EXPECT_EQ(ReadFile(root_ + "/b/k/o"), "second");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/b/k")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(LocalObjectStoreTest, RefusesKeysThatWouldLeaveTheBucket) {
  auto store = NewLocalObjectStore(root_);
  for (const char* key : {"../x", "a/../../x", "/abs", "dir/", "a//b", ""}) {
    Status st = store->PutObject("b", key, "x");
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(store->PutObject("..", "k", "x").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->PutObject("a/b", "k", "x").code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace spate::firehose
