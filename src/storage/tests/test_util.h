#pragma once

// Helpers shared by the storage tests.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "storage/log_store.h"
#include "storage/shard_log.h"
#include "storage/tests/fault_injection_file_system.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::storage::testing {

inline std::string MakeTempDir() {
  char tmpl[] = "/tmp/spate_storage_test_XXXXXX";
  char* d = ::mkdtemp(tmpl);
  SPATE_ASSERT(d != nullptr, "mkdtemp");
  return d;
}

struct Rec {
  std::string key, data;
  bool operator==(const Rec&) const = default;
};

inline std::future<Result<AppendResult>> AppendAsync(ShardLog& log, const std::vector<Rec>& recs, int64_t ms) {
  auto p = std::make_shared<std::promise<Result<AppendResult>>>();
  auto f = p->get_future();
  std::vector<RecordInput> in;
  for (const Rec& r : recs) in.push_back(RecordInput{r.key, r.data});
  log.Append(in, ms, [p](Result<AppendResult> r) { p->set_value(std::move(r)); });
  return f;
}

inline Result<AppendResult> AppendSync(ShardLog& log, const std::vector<Rec>& recs, int64_t ms) {
  return AppendAsync(log, recs, ms).get();
}

// Every record from StartOffset() to EndOffset(), in small reads.
inline Result<std::vector<StoredRecord>> ReadAll(const ShardLog& log, Offset from = Offset(0)) {
  std::vector<StoredRecord> out;
  Offset next = std::max(from, log.StartOffset());
  while (next < log.EndOffset()) {
    ReadLimits limits;
    limits.max_records = 7;
    SPATE_ASSIGN_OR_RETURN(ReadResult r, log.Read(next, limits));
    if (r.records.empty()) break;
    for (auto& rec : r.records) out.push_back(std::move(rec));
    next = r.next_offset;
  }
  return out;
}

// A store over a FaultInjectionFileSystem in a fresh temp dir.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    fs_ = std::make_unique<FaultInjectionFileSystem>(util::PosixFileSystem(), 42);
    options_.dir = root_ + "/data";
    options_.fs = fs_.get();
    options_.clock = &clock_;
    options_.segment_bytes = 2 << 10;
    options_.index_interval_bytes = 256;
    options_.sync_threads = 2;
    // A small journal: tests switch its files often.
    options_.journal_max_batch_bytes = 8 << 10;
    options_.journal_bytes = 96 << 10;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    util::PosixFileSystem()->RemoveAll(root_).IgnoreError();
  }
  void Reopen() {
    store_.reset();
    auto s = LogStore::Open(options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::shared_ptr<ShardLog> Shard(uint32_t i = 0, const std::string& group = "stream-1") {
    auto r = store_->OpenShard(group, model::ShardIndex{i});
    if (!r.ok()) std::fprintf(stderr, "OpenShard(%s, %u): %s\n", group.c_str(), i, r.status().ToString().c_str());
    SPATE_ASSERT(r.ok(), "OpenShard");
    return std::move(r).value();
  }
  std::string ShardDir(uint32_t i = 0, const std::string& group = "stream-1") {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%012u", i);
    return options_.dir + "/" + group + "/" + buf;
  }
  std::vector<std::string> FilesWithSuffix(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> out;
    auto names = util::PosixFileSystem()->ListDir(dir);
    if (!names.ok()) return out;
    for (auto& n : *names) {
      if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(dir + "/" + n);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string root_;
  util::ManualClock clock_;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  LogStoreOptions options_;
  std::unique_ptr<LogStore> store_;
};

}  // namespace spate::storage::testing
