// Model-based test of the shard log (rocksdb fuzz/db_map_fuzzer.cc, redpanda
// storage/opfuzz): random append / roll / retention / read / reopen / crash
// sequences against a trivial in-memory model, through the fault-injecting
// file system. After every crash, every acknowledged record must be there,
// and nothing that failed definitely (disk full) may ever be visible.

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>

#include "storage/tests/test_util.h"

namespace spate::storage::testing {
namespace {

using Fault = FaultInjectionFileSystem::Fault;
using Op = FaultInjectionFileSystem::Op;
using CrashMode = FaultInjectionFileSystem::CrashMode;

struct ModelRecord {
  std::string key, data;
  int64_t arrival_ms;
};

// What a shard must hold: records [start, start + records.size()).
struct ShardModel {
  Offset start;
  std::deque<ModelRecord> records;
  Offset end() const { return start + records.size(); }
};

class ModelTest : public StoreFixture {
 protected:
  static constexpr int kShards = 3;

  void OpenAll() {
    logs_.clear();
    for (int s = 0; s < kShards; ++s) logs_.push_back(Shard(s));
  }

  std::vector<Rec> RandomBatch(std::mt19937_64& rng, uint64_t* serial) {
    std::vector<Rec> out;
    int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) {
      std::string d = "r" + std::to_string((*serial)++) + ":";
      d.resize(d.size() + rng() % (rng() % 8 == 0 ? 900 : 60), static_cast<char>('a' + rng() % 26));
      out.push_back(Rec{"k" + std::to_string(rng() % 1000), d});
    }
    return out;
  }

  static void Adopt(ShardModel& m, const std::vector<Rec>& batch, int64_t ms) {
    for (const Rec& r : batch) m.records.push_back(ModelRecord{r.key, r.data, ms});
  }

  // The log holds exactly the model's records.
  void Verify(int s) {
    ShardModel& m = models_[s];
    ShardLog& log = *logs_[s];
    ASSERT_EQ(log.StartOffset(), m.start);
    ASSERT_EQ(log.EndOffset(), m.end());
    auto all = ReadAll(log);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), m.records.size());
    for (size_t i = 0; i < all->size(); ++i) {
      const StoredRecord& got = (*all)[i];
      const ModelRecord& want = m.records[i];
      ASSERT_EQ(got.offset, m.start + i);
      ASSERT_EQ(got.data, want.data);
      ASSERT_EQ(got.partition_key, want.key);
      ASSERT_EQ(got.arrival_ms, want.arrival_ms);
    }
  }

  void RandomRead(std::mt19937_64& rng, int s) {
    ShardModel& m = models_[s];
    Offset from = m.start + rng() % (m.records.size() + 3);
    from = from >= Offset(2) ? from - 2 : Offset(0);
    ReadLimits limits;
    limits.max_records = 1 + rng() % 20;
    limits.max_bytes = rng() % 3000;
    auto r = logs_[s]->Read(from, limits);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Offset first = std::max(from, m.start);
    if (first >= m.end()) {
      ASSERT_TRUE(r->records.empty());
      return;
    }
    ASSERT_FALSE(r->records.empty());
    ASSERT_LE(r->records.size(), limits.max_records);
    size_t bytes = 0;
    for (size_t i = 0; i < r->records.size(); ++i) {
      ASSERT_EQ(r->records[i].offset, first + i);
      const ModelRecord& want = m.records[first + i - m.start];
      ASSERT_EQ(r->records[i].data, want.data);
      bytes += r->records[i].data.size() + r->records[i].partition_key.size();
    }
    if (r->records.size() > 1) {
      ASSERT_LE(bytes, limits.max_bytes);
    }
    ASSERT_EQ(r->next_offset, r->records.back().offset + 1);
  }

  void RandomOffsetForTime(std::mt19937_64& rng, int s) {
    ShardModel& m = models_[s];
    int64_t ms = clock_.NowMs() - static_cast<int64_t>(rng() % 400);
    Offset want = m.end();
    for (size_t i = 0; i < m.records.size(); ++i) {
      if (m.records[i].arrival_ms >= ms) {
        want = m.start + i;
        break;
      }
    }
    auto got = logs_[s]->OffsetForTime(ms);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(*got, want) << "ms " << ms;
  }

  void Retention(std::mt19937_64& rng, int s) {
    ShardModel& m = models_[s];
    int64_t cutoff = clock_.NowMs() - static_cast<int64_t>(rng() % 300);
    ASSERT_TRUE(logs_[s]->DropBefore(cutoff).ok());
    Offset start = logs_[s]->StartOffset();
    ASSERT_GE(start, m.start);
    ASSERT_LE(start, m.end());
    // Nothing at or after the cutoff may go.
    for (Offset o = m.start; o < start; ++o) ASSERT_LT(m.records[o - m.start].arrival_ms, cutoff);
    bool all_expired = m.records.empty() || m.records.back().arrival_ms < cutoff;
    if (all_expired) {
      ASSERT_EQ(start, m.end());
    }
    while (m.start < start) {
      m.records.pop_front();
      ++m.start;
    }
  }

  // A burst of appends over all shards without waiting. With `enospc`, one
  // random write fails with disk full part-way. Returns the futures.
  struct InFlight {
    int shard;
    std::vector<Rec> batch;
    int64_t ms;
    std::future<Result<AppendResult>> result;
  };
  std::vector<InFlight> Burst(std::mt19937_64& rng, uint64_t* serial, int n) {
    std::vector<InFlight> out;
    for (int i = 0; i < n; ++i) {
      int s = static_cast<int>(rng() % kShards);
      clock_.AdvanceMs(static_cast<int64_t>(rng() % 5));
      InFlight f{s, RandomBatch(rng, serial), clock_.NowMs(), {}};
      f.result = AppendAsync(*logs_[s], f.batch, f.ms);
      out.push_back(std::move(f));
    }
    return out;
  }

  void RunSeed(uint64_t seed, int steps) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    uint64_t serial = 0;
    models_.assign(kShards, ShardModel{});
    OpenAll();
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      int op = static_cast<int>(rng() % 100);
      int s = static_cast<int>(rng() % kShards);
      if (op < 35) {
        // Appends, some of which hit a disk-full write.
        bool enospc = rng() % 4 == 0;
        if (enospc) fs_->SetFault(Op::kWrite, {Fault::kNoSpace, static_cast<int>(rng() % 3), 1, true, ""});
        auto flights = Burst(rng, &serial, 1 + static_cast<int>(rng() % 12));
        for (InFlight& f : flights) {
          auto r = f.result.get();
          if (r.ok()) {
            ASSERT_EQ(r->base_offset, models_[f.shard].end());
            ASSERT_EQ(r->count, f.batch.size());
            Adopt(models_[f.shard], f.batch, f.ms);
          } else {
            ASSERT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
            ASSERT_TRUE(enospc) << r.status().ToString();
          }
        }
        fs_->ClearFaults();
      } else if (op < 55) {
        RandomRead(rng, s);
      } else if (op < 62) {
        RandomOffsetForTime(rng, s);
      } else if (op < 70) {
        clock_.AdvanceMs(static_cast<int64_t>(rng() % 100));
        Retention(rng, s);
      } else if (op < 78) {
        logs_.clear();
        Reopen();
        OpenAll();
        for (int i = 0; i < kShards; ++i) Verify(i);
      } else if (op < 95) {
        // Power loss while appends are in flight.
        auto flights = Burst(rng, &serial, 1 + static_cast<int>(rng() % 15));
        auto mode = static_cast<CrashMode>(rng() % 3);
        // Let a random number of the appends finish first.
        size_t wait = rng() % (flights.size() + 1);
        for (size_t i = 0; i < wait; ++i) flights[i].result.wait();
        fs_->SimulateCrash(mode);
        logs_.clear();
        store_.reset();  // finishes (fails) whatever is still queued
        fs_->SetActive(true);
        // Acknowledged appends are in the model; the others may or may not
        // have survived, but only as whole batches, in order, per shard.
        std::vector<std::vector<InFlight*>> maybe(kShards);
        for (InFlight& f : flights) {
          auto r = f.result.get();
          if (r.ok()) {
            ASSERT_TRUE(maybe[f.shard].empty()) << "acknowledged after an earlier batch failed";
            ASSERT_EQ(r->base_offset, models_[f.shard].end());
            Adopt(models_[f.shard], f.batch, f.ms);
          } else {
            maybe[f.shard].push_back(&f);
          }
        }
        Reopen();
        OpenAll();
        for (int i = 0; i < kShards; ++i) {
          Offset end = logs_[i]->EndOffset();
          ASSERT_GE(end, models_[i].end()) << "acknowledged records lost, mode " << static_cast<int>(mode);
          for (InFlight* f : maybe[i]) {
            if (models_[i].end() >= end) break;
            Adopt(models_[i], f->batch, f->ms);
          }
          ASSERT_EQ(end, models_[i].end()) << "a partial batch became visible";
          Verify(i);
        }
      } else {
        Verify(s);
      }
      if (HasFatalFailure()) return;
    }
    logs_.clear();
    Reopen();
    OpenAll();
    for (int i = 0; i < kShards; ++i) Verify(i);
  }

  std::vector<std::shared_ptr<ShardLog>> logs_;
  std::vector<ShardModel> models_;
};

// SPATE_MODEL_SEEDS=<n> runs more seeds (a longer soak, outside CI).
uint64_t SeedCount() {
  const char* e = std::getenv("SPATE_MODEL_SEEDS");
  return e != nullptr ? std::strtoull(e, nullptr, 10) : 12;
}

TEST_F(ModelTest, RandomSequencesWithCrashes) {
  const uint64_t first =
      std::getenv("SPATE_MODEL_FIRST_SEED") ? std::strtoull(std::getenv("SPATE_MODEL_FIRST_SEED"), nullptr, 10) : 1;
  for (uint64_t seed = first; seed < first + SeedCount(); ++seed) {
    // Each seed starts from an empty directory.
    logs_.clear();
    store_.reset();
    ASSERT_TRUE(util::PosixFileSystem()->RemoveAll(options_.dir).ok());
    Reopen();
    RunSeed(seed, 250);
    if (HasFatalFailure()) return;
  }
}

TEST_F(ModelTest, RandomSequencesWithLargeSegments) {
  options_.segment_bytes = 64 << 10;
  options_.sync_threads = 0;
  Reopen();
  RunSeed(1000, 300);
}

// Checkpoints written in the background after (nearly) every round race
// with appends, rolls, retention and crashes: recovery from them must still
// find every acknowledged record.
TEST_F(ModelTest, RandomSequencesWithFrequentCheckpoints) {
  options_.segment_bytes = 64 << 10;
  options_.checkpoint_interval_bytes = 512;
  for (uint64_t seed = 2000; seed < 2000 + SeedCount() / 2; ++seed) {
    logs_.clear();
    store_.reset();
    ASSERT_TRUE(util::PosixFileSystem()->RemoveAll(options_.dir).ok());
    Reopen();
    RunSeed(seed, 250);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace spate::storage::testing
