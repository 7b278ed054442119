#include "util/file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <string>

namespace spate::util {
namespace {

class FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spate_fs_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(fs_->RemoveAll(dir_).ok()); }
  FileSystem* fs_ = PosixFileSystem();
  std::string dir_;
};

TEST_F(FileSystemTest, WriteVectorReadBack) {
  auto f = fs_->OpenFile(dir_ + "/a", OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  std::string_view parts[] = {"abc", "", "defg", "h"};
  size_t written = 0;
  ASSERT_TRUE((*f)->WriteAt(10, parts, &written).ok());
  EXPECT_EQ(written, 8u);
  ASSERT_TRUE((*f)->DataSync().ok());
  char buf[32];
  auto n = (*f)->ReadAt(10, sizeof buf, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "abcdefgh");
  EXPECT_EQ(*(*f)->Size(), 18u);
}

TEST_F(FileSystemTest, AllocateGrowsWithZerosAndTruncateShrinks) {
  auto f = fs_->OpenFile(dir_ + "/a", OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Allocate(1 << 16).ok());
  EXPECT_EQ(*(*f)->Size(), 1u << 16);
  char buf[16];
  ASSERT_EQ(*(*f)->ReadAt(100, 16, buf), 16u);
  EXPECT_TRUE(std::all_of(buf, buf + 16, [](char c) { return c == 0; }));
  ASSERT_TRUE((*f)->Truncate(5).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(*fs_->FileSize(dir_ + "/a"), 5u);
}

TEST_F(FileSystemTest, DirectoryOperations) {
  ASSERT_TRUE(fs_->CreateDir(dir_ + "/d").ok());
  ASSERT_TRUE(fs_->CreateDir(dir_ + "/d").ok());  // exists: ok
  ASSERT_TRUE(fs_->OpenFile(dir_ + "/d/x", OpenMode::kCreate).ok());
  ASSERT_TRUE(fs_->Rename(dir_ + "/d/x", dir_ + "/d/y").ok());
  ASSERT_TRUE(fs_->SyncDir(dir_ + "/d").ok());
  auto names = fs_->ListDir(dir_ + "/d");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"y"});
  EXPECT_TRUE(*fs_->IsDirectory(dir_ + "/d"));
  EXPECT_FALSE(*fs_->IsDirectory(dir_ + "/d/y"));
  ASSERT_TRUE(fs_->Unlink(dir_ + "/d/y").ok());
  EXPECT_EQ(fs_->Unlink(dir_ + "/d/y").code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs_->OpenFile(dir_ + "/nope", OpenMode::kRead).status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(fs_->RemoveAll(dir_ + "/d").ok());
  EXPECT_FALSE(fs_->Exists(dir_ + "/d"));
  EXPECT_TRUE(fs_->RemoveAll(dir_ + "/d").ok());
}

TEST_F(FileSystemTest, WriteFileAtomically) {
  ASSERT_TRUE(WriteFileAtomically(fs_, dir_ + "/c", "one").ok());
  ASSERT_TRUE(WriteFileAtomically(fs_, dir_ + "/c", "two!").ok());
  EXPECT_EQ(*ReadFileToString(fs_, dir_ + "/c"), "two!");
  EXPECT_FALSE(fs_->Exists(dir_ + "/c.tmp"));
}

TEST(ErrnoStatusTest, Mapping) {
  EXPECT_TRUE(IsNoSpace(ErrnoStatus(ENOSPC, "write", "/x")));
  EXPECT_TRUE(IsNoSpace(ErrnoStatus(EDQUOT, "write", "/x")));
  EXPECT_EQ(ErrnoStatus(EIO, "fsync", "/x").code(), ErrorCode::kIoError);
  EXPECT_EQ(ErrnoStatus(ENOENT, "open", "/x").code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace spate::util
