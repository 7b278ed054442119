#include "cli/line_reader.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace spate::cli {
namespace {

// A pipe whose write end the test feeds.
class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  void Write(const std::string& s) { ASSERT_EQ(write(fds_[1], s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  void CloseWriter() {
    close(fds_[1]);
    fds_[1] = -1;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(LineReaderTest, LinesThenEnd) {
  LineReader r(fds_[0]);
  Write("a\n\nbc\nlast");
  CloseWriter();
  std::string line;
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, "a");
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, "");
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, "bc");
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, "last");  // no trailing newline
  EXPECT_EQ(r.Next(&line, -1), LineReader::Result::kEnd);
  EXPECT_EQ(r.Next(&line, -1), LineReader::Result::kEnd);
}

TEST_F(LineReaderTest, PartialLineTimesOutAndIsKept) {
  LineReader r(fds_[0]);
  Write("hal");
  std::string line;
  EXPECT_EQ(r.Next(&line, 0), LineReader::Result::kTimeout);
  Write("f\n");
  ASSERT_EQ(r.Next(&line, 0), LineReader::Result::kLine);
  EXPECT_EQ(line, "half");
  EXPECT_EQ(r.Next(&line, 0), LineReader::Result::kTimeout);
}

TEST_F(LineReaderTest, LongLinesAndBinaryBytes) {
  LineReader r(fds_[0]);
  std::string big(200 * 1024, 'x');
  big[7] = '\0';
  big[9] = '\r';
  // Larger than a pipe's buffer: written from a child process.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string all = big + "\n" + big + "\n";
    size_t off = 0;
    while (off < all.size()) {
      ssize_t n = write(fds_[1], all.data() + off, all.size() - off);
      if (n <= 0) _exit(1);
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  CloseWriter();
  std::string line;
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, big);
  ASSERT_EQ(r.Next(&line, -1), LineReader::Result::kLine);
  EXPECT_EQ(line, big);
  EXPECT_EQ(r.Next(&line, -1), LineReader::Result::kEnd);
  int status = -1;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace spate::cli
