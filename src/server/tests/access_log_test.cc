#include "server/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace spate::server {
namespace {

AccessLogEntry Sample() {
  AccessLogEntry e;
  e.time_ms = 1796605323456;  // 2026-12-07T01:02:03.456Z
  e.request_id = "f3a9b2c4-0000-0000-0000-000000000000";
  e.account = "000000000000";
  e.operation = "PutRecord";
  e.stream = "orders";
  e.status = 200;
  e.latency_us = 412;
  e.request_bytes = 93;
  e.response_bytes = 110;
  return e;
}

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/access_log_test_" + std::to_string(::getpid()) + "_" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AccessLogTest, TextLineHasEveryFieldAndDashesForEmptyOnes) {
  EXPECT_EQ(AccessLog::FormatLine(LogFormat::kText, Sample()),
            "2026-12-07T01:02:03.456Z 000000000000 PutRecord orders 200 - 0.412 93 110 "
            "f3a9b2c4-0000-0000-0000-000000000000\n");
  AccessLogEntry e = Sample();
  e.account.clear();
  e.stream.clear();
  e.status = 400;
  e.error_type = "ResourceNotFoundException";
  e.latency_us = 1500;
  EXPECT_EQ(AccessLog::FormatLine(LogFormat::kText, e),
            "2026-12-07T01:02:03.456Z - PutRecord - 400 ResourceNotFoundException 1.500 93 110 "
            "f3a9b2c4-0000-0000-0000-000000000000\n");
}

TEST(AccessLogTest, TextFieldsCannotForgeLines) {
  AccessLogEntry e = Sample();
  e.operation = "Put Record\n2026 evil";
  std::string line = AccessLog::FormatLine(LogFormat::kText, e);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("Put_Record_2026_evil"), std::string::npos) << line;
}

TEST(AccessLogTest, JsonLine) {
  AccessLogEntry e = Sample();
  e.stream = "a\"b";
  EXPECT_EQ(AccessLog::FormatLine(LogFormat::kJson, e),
            "{\"time\":\"2026-12-07T01:02:03.456Z\",\"account\":\"000000000000\",\"operation\":\"PutRecord\","
            "\"stream\":\"a\\\"b\",\"status\":200,\"error\":\"\",\"latency_ms\":0.412,\"request_bytes\":93,"
            "\"response_bytes\":110,\"request_id\":\"f3a9b2c4-0000-0000-0000-000000000000\"}\n");
}

TEST(AccessLogTest, SubmittedEntriesAreAppendedToTheFile) {
  std::string path = TempPath("append.log");
  std::remove(path.c_str());
  {
    std::ofstream(path) << "earlier line\n";
    auto log = AccessLog::Open(path, LogFormat::kText);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 0; i < 100; ++i) EXPECT_TRUE((*log)->Submit(Sample()));
    (*log)->Flush();
    EXPECT_EQ((*log)->written(), 100u);
    EXPECT_EQ((*log)->dropped(), 0u);
  }
  std::string text = ReadAll(path);
  EXPECT_EQ(text.rfind("earlier line\n", 0), 0u);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 101u);
  std::remove(path.c_str());
}

TEST(AccessLogTest, DestructionWritesWhatIsQueued) {
  std::string path = TempPath("drain.log");
  std::remove(path.c_str());
  {
    auto log = AccessLog::Open(path, LogFormat::kJson);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 50; ++i) EXPECT_TRUE((*log)->Submit(Sample()));
  }
  std::string text = ReadAll(path);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 50u);
  std::remove(path.c_str());
}

// The writer stuck on a full pipe (a disk that cannot keep up): Submit
// never waits, entries beyond the queue are dropped and counted.
TEST(AccessLogTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int pipe_bytes = ::fcntl(fds[1], F_GETPIPE_SZ);
  ASSERT_GT(pipe_bytes, 0);
  constexpr size_t kQueue = 4;
  auto log = AccessLog::Open("/dev/fd/" + std::to_string(fds[1]), LogFormat::kText, kQueue);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  size_t line_bytes = AccessLog::FormatLine(LogFormat::kText, Sample()).size();
  // More than the pipe, the stdio buffer and the queue can hold together.
  size_t total = 4 * (static_cast<size_t>(pipe_bytes) + BUFSIZ) / line_bytes + 1000;
  size_t accepted = 0;
  for (size_t i = 0; i < total; ++i) accepted += (*log)->Submit(Sample()) ? 1 : 0;
  EXPECT_GT((*log)->dropped(), 0u);
  EXPECT_EQ(accepted + (*log)->dropped(), total);
  // Drain the pipe so the writer finishes.
  ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  std::string got;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got.size() < accepted * line_bytes && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got.size(), accepted * line_bytes);
  (*log)->Flush();
  EXPECT_EQ((*log)->written(), accepted);
  log->reset();
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(AccessLogTest, ReopenStartsANewFileAfterTheOldOneWasRenamed) {
  std::string path = TempPath("rotate.log");
  std::string rotated = path + ".1";
  std::remove(path.c_str());
  std::remove(rotated.c_str());
  auto log = AccessLog::Open(path, LogFormat::kText);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  AccessLogEntry before = Sample();
  before.operation = "Before";
  (*log)->Submit(before);
  (*log)->Flush();
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);  // what logrotate does
  ASSERT_TRUE((*log)->Reopen().ok());
  AccessLogEntry after = Sample();
  after.operation = "After";
  (*log)->Submit(after);
  (*log)->Flush();
  EXPECT_EQ(ReadAll(rotated), AccessLog::FormatLine(LogFormat::kText, before));
  EXPECT_EQ(ReadAll(path), AccessLog::FormatLine(LogFormat::kText, after));
  log->reset();
  std::remove(path.c_str());
  std::remove(rotated.c_str());
}

TEST(AccessLogTest, ReopenOfAPathThatCannotBeOpenedKeepsTheOldFile) {
  std::string dir = TempPath("rotate-dir");
  std::string path = dir + "/access.log";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  auto log = AccessLog::Open(path, LogFormat::kText);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::string kept = TempPath("rotate-kept.log");
  ASSERT_EQ(std::rename(path.c_str(), kept.c_str()), 0);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);  // the path's directory is gone
  Status st = (*log)->Reopen();
  EXPECT_EQ(st.code(), ErrorCode::kIoError);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  (*log)->Submit(Sample());
  (*log)->Flush();
  EXPECT_EQ(ReadAll(kept), AccessLog::FormatLine(LogFormat::kText, Sample()));
  log->reset();
  std::remove(kept.c_str());
}

TEST(AccessLogTest, ReopenOfStdoutDoesNothing) {
  auto log = AccessLog::Open("-", LogFormat::kText);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE((*log)->Reopen().ok());
}

TEST(AccessLogTest, UnwritablePathIsRefused) {
  auto log = AccessLog::Open("/nonexistent-dir/access.log", LogFormat::kText);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/access.log"), std::string::npos);
}

}  // namespace
}  // namespace spate::server
