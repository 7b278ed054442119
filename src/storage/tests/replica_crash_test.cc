// Crash safety of the follower side of replication: a child process appends
// a leader's batches (AppendReplicated, pipelined) and sometimes truncates
// (TruncateTo, as a new leader makes it), and is killed with SIGKILL at a
// random point. After each kill the follower's log must open, be a prefix of
// the leader's log (batch for batch, byte for byte), hold at least every
// batch the child saw acknowledged, and keep the highest epoch it was told.
//
// The child is forked while this process runs no other thread (every store
// is closed first), so fork is safe.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "storage/format.h"
#include "storage/log_store.h"
#include "storage/tests/test_util.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::storage::testing {
namespace {

constexpr int kLeaderBatches = 240;
constexpr int kKills = 6;
constexpr int kInFlight = 8;  // replicated appends a child keeps queued

LogStoreOptions Options(const std::string& dir, util::Clock* clock) {
  LogStoreOptions o;
  o.dir = dir;
  o.fs = util::PosixFileSystem();
  o.clock = clock;
  o.segment_bytes = 64 << 10;  // rolls every few dozen batches
  o.sync_threads = 1;
  o.journal_max_batch_bytes = 8 << 10;  // small batches go through the journal, big ones do not
  o.journal_bytes = 256 << 10;
  return o;
}

// One record per line of the pipe to the parent: 'A' <end> after an
// acknowledged append, 'T' <end> before a truncation starts.
void Report(int fd, char kind, uint64_t end) {
  char line[32];
  int n = std::snprintf(line, sizeof line, "%c%llu\n", kind, static_cast<unsigned long long>(end));
  if (::write(fd, line, static_cast<size_t>(n)) != n) ::_exit(3);
}

// The child: never returns. Truncates to `truncate_to` (when not UINT64_MAX)
// under `epoch`, then appends the leader's batches from its end on.
[[noreturn]] void RunFollower(const std::string& dir, const std::vector<std::string>& batches, uint64_t truncate_to,
                              int64_t epoch, int fd) {
  util::ManualClock clock;
  auto store = LogStore::Open(Options(dir, &clock));
  if (!store.ok()) ::_exit(4);
  auto log = (*store)->OpenShard("g", model::ShardIndex{0});
  if (!log.ok()) ::_exit(5);
  if (truncate_to != UINT64_MAX) {
    Report(fd, 'T', truncate_to);
    if (!(*log)->TruncateTo(Offset(truncate_to), epoch).ok()) ::_exit(6);
  }
  // Index of the leader batch that starts at the follower's end.
  size_t next = 0;
  uint64_t at = 0;
  while (next < batches.size() && Offset(at) < (*log)->EndOffset()) {
    format::BatchHeader h;
    format::ParseHeader(batches[next].data(), &h);
    at += h.record_count;
    ++next;
  }
  if (Offset(at) != (*log)->EndOffset()) ::_exit(7);
  std::atomic<int> inflight{0};
  std::atomic<bool> failed{false};
  while (next < batches.size()) {
    while (inflight.load() >= kInFlight) ::usleep(100);
    if (failed.load()) ::_exit(8);
    ++inflight;
    (*log)->AppendReplicated(batches[next], epoch, [&, fd](Result<AppendResult> r) {
      if (!r.ok()) {
        failed = true;
      } else {
        Report(fd, 'A', (r->base_offset + r->count).value());
      }
      --inflight;
    });
    ++next;
  }
  while (inflight.load() > 0) ::usleep(100);
  ::close(fd);  // the parent reads EOF: everything was acknowledged
  ::pause();    // wait for the kill
  ::_exit(0);
}

class ReplicaCrashTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = MakeTempDir(); }
  void TearDown() override { util::PosixFileSystem()->RemoveAll(root_).IgnoreError(); }
  std::string root_;
};

std::vector<std::string> BatchesOf(ShardLog& log) {
  auto r = log.ReadBatches(log.StartOffset(), SIZE_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST_F(ReplicaCrashTest, KilledFollowerKeepsAPrefixOfTheLeadersLog) {
  std::mt19937_64 rng(20261207);
  util::ManualClock clock;
  // The leader's log: batches of 1..40 records of varied sizes, the first
  // half stamped under epoch 3, the rest under epoch 5.
  std::vector<std::string> leader;
  {
    auto store = LogStore::Open(Options(root_ + "/leader", &clock));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto log = (*store)->OpenShard("g", model::ShardIndex{0});
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < kLeaderBatches; ++i) {
      std::vector<std::string> datas;
      std::vector<RecordInput> in;
      int n = 1 + static_cast<int>(rng() % 40);
      for (int j = 0; j < n; ++j) datas.push_back(std::string(1 + rng() % 300, static_cast<char>('a' + j % 26)));
      for (const auto& d : datas) in.push_back(RecordInput{"pk", d});
      AppendOptions o;
      o.epoch = i < kLeaderBatches / 2 ? 3 : 5;
      std::promise<Result<AppendResult>> p;
      (*log)->Append(in, 1000 + i, o, [&p](Result<AppendResult> r) { p.set_value(std::move(r)); });
      ASSERT_TRUE(p.get_future().get().ok());
    }
    leader = BatchesOf(**log);
  }
  ASSERT_EQ(leader.size(), static_cast<size_t>(kLeaderBatches));
  std::vector<uint64_t> ends;  // ends[i]: the end offset of leader batch i
  for (const std::string& b : leader) {
    format::BatchHeader h;
    ASSERT_EQ(format::ParseHeader(b.data(), &h), format::HeaderCheck::kOk);
    ends.push_back((h.base_offset + h.record_count).value());
  }

  const std::string follower_dir = root_ + "/follower";
  int64_t epoch = 5;
  uint64_t guaranteed = 0;  // the follower must end at or after this
  for (int kill = 0; kill < kKills; ++kill) {
    uint64_t truncate_to = UINT64_MAX;
    if (kill % 2 == 1 && guaranteed > 0) {
      // A new leader cuts the follower back to a batch boundary at or
      // below what it holds.
      size_t i = rng() % static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), guaranteed) - ends.begin());
      truncate_to = i == 0 ? 0 : ends[i - 1];
      ++epoch;
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunFollower(follower_dir, leader, truncate_to, epoch, fds[1]);
    }
    ::close(fds[1]);
    // Let it acknowledge a random number of batches (or finish), then kill.
    const int acks_before_kill = 1 + static_cast<int>(rng() % 60);
    FILE* in = ::fdopen(fds[0], "r");
    ASSERT_NE(in, nullptr);
    char line[64];
    int acks = 0;
    uint64_t last_ack = guaranteed;
    while (acks < acks_before_kill && std::fgets(line, sizeof line, in) != nullptr) {
      uint64_t v = std::strtoull(line + 1, nullptr, 10);
      if (line[0] == 'T') {
        guaranteed = std::min(guaranteed, v);
        last_ack = v;
      } else {
        last_ack = std::max(last_ack, v);
        ++acks;
      }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the follower exited on its own with status " << WEXITSTATUS(status);
    ::fclose(in);
    guaranteed = std::max(guaranteed, last_ack);

    auto store = LogStore::Open(Options(follower_dir, &clock));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto log = (*store)->OpenShard("g", model::ShardIndex{0});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::vector<std::string> got = BatchesOf(**log);
    ASSERT_LE(got.size(), leader.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], leader[i]) << "kill " << kill << ", batch " << i;
    const uint64_t end = (*log)->EndOffset().value();
    EXPECT_GE(end, guaranteed) << "kill " << kill << ": an acknowledged batch was lost";
    EXPECT_GE((*log)->Epoch(), epoch) << "kill " << kill;
    guaranteed = end;
  }
}

}  // namespace
}  // namespace spate::storage::testing
