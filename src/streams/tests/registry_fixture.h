#pragma once

// The fixture every registry-level test of this folder builds on: a real
// catalog and shard-log store in a fresh directory per test, a ManualClock,
// and a Registry over them. Derived fixtures choose the RegistryOptions and
// add their own helpers; tests drive maintenance with Settle() instead of
// waiting.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "metadata/catalog.h"
#include "storage/log_store.h"
#include "streams/read_outcome.h"
#include "streams/registry.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::streams {

class RegistryFixture : public ::testing::Test {
 protected:
  // The state delay the registries of these tests use unless a test sets
  // state_delay_ms_.
  static constexpr int64_t kStateDelayMs = 500;

  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("spate-" + std::string(info->test_suite_name()) + "-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  // Opens the catalog and the log store in dir_ (reopens after Close()).
  void OpenStores() {
    auto c = metadata::Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(c).value();
    storage::LogStoreOptions o;
    o.dir = (dir_ / "streams").string();
    o.fs = util::PosixFileSystem();
    o.clock = &clock_;
    o.segment_bytes = 1 << 20;
    auto l = storage::LogStore::Open(o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    logs_ = std::move(l).value();
  }
  // Creates the registry over the stores, with state_delay_ms_;
  // not started (so an append observer can still be set).
  void MakeRegistry(RegistryOptions ro) {
    ro.state_delay_ms = state_delay_ms_;
    registry_ = std::make_unique<Registry>(ro, catalog_.get(), logs_.get(), &clock_);
  }
  void StartRegistry() { ASSERT_TRUE(registry_->Start().ok()); }
  // All three of the above.
  void OpenRegistry(RegistryOptions ro) {
    OpenStores();
    MakeRegistry(ro);
    StartRegistry();
  }
  void Close() {
    registry_.reset();
    logs_.reset();
    catalog_.reset();
  }

  // Lets the state delay pass and runs maintenance: CREATING and UPDATING
  // become ACTIVE, DELETING streams go away.
  void Settle() {
    clock_.AdvanceMs(state_delay_ms_);
    registry_->RunMaintenance();
  }

  void CreateActive(const StreamRef& ref, uint32_t shards,
                    metadata::StreamMode mode = metadata::StreamMode::kProvisioned) {
    ASSERT_TRUE(registry_->CreateStream(ref, shards, mode, {}).ok());
    Settle();
  }

  // The stream's record (default-constructed, with a failure, if none).
  metadata::StreamMeta MetaOf(const StreamRef& ref) {
    metadata::StreamMeta m;
    EXPECT_TRUE(registry_
                    ->WithStream(ref,
                                 [&](const Stream& s) {
                                   m = s.meta();
                                   return Status::Ok();
                                 })
                    .ok());
    return m;
  }

  // Registry::Put, waited for.
  Result<std::vector<PutOutcome>> TryPut(const StreamRef& ref, std::vector<PutEntry> entries,
                                         const StreamCheck& entry_fault = {}) {
    std::promise<Result<std::vector<PutOutcome>>> p;
    registry_->Put(
        ref, std::move(entries), [&](Result<std::vector<PutOutcome>> r) { p.set_value(std::move(r)); }, entry_fault);
    return p.get_future().get();
  }

  // Draws `operation`'s injected faults, as the api edge does for
  // PutRecords and GetRecords.
  StreamCheck InjectedFaults(std::string operation) {
    return [this, operation](const Stream& s) {
      return registry_->faults().Draw(operation, s.meta().name, s.meta().account);
    };
  }

  // A shard iterator at `offset` of shard `shard`.
  std::string IteratorAt(const StreamRef& ref, uint32_t shard, uint64_t offset) {
    std::string it;
    EXPECT_TRUE(registry_
                    ->WithStream(ref,
                                 [&](const Stream& s) {
                                   it = registry_->MakeIterator(s, model::ShardIndex{shard}, model::LogOffset(offset));
                                   return Status::Ok();
                                 })
                    .ok());
    return it;
  }

  std::filesystem::path dir_;
  int64_t state_delay_ms_ = kStateDelayMs;  // the registry's; a test may change it before opening
  util::ManualClock clock_;
  std::unique_ptr<metadata::Catalog> catalog_;
  std::unique_ptr<storage::LogStore> logs_;
  std::unique_ptr<Registry> registry_;
  StreamRef ref_{"000000000000", "us-east-1", "orders"};
};

}  // namespace spate::streams
