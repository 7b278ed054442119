#include "storage/log_store.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "base/log.h"
#include "storage/checkpointer.h"
#include "storage/format.h"
#include "storage/group_commit.h"
#include "storage/journal.h"
#include "storage/shard_log_impl.h"

namespace spate::storage {

namespace {

constexpr size_t kMaxGroupNameLength = 200;
constexpr std::string_view kTrashPrefix = ".trash-";

// Microseconds, exposed in seconds: fine around the milliseconds an
// acknowledgement takes (where a 10 ms latency target sits), coarse beyond.
metrics::Buckets AppendStageBuckets() {
  return metrics::Buckets{{10,    25,     50,     100,    250,    500,    1'000,   2'000,   3'000,     5'000,
                           7'500, 10'000, 15'000, 20'000, 30'000, 50'000, 100'000, 250'000, 1'000'000, 5'000'000},
                          1e6};
}

bool ValidGroupName(std::string_view g) {
  if (g.empty() || g.size() > kMaxGroupNameLength || g[0] == '.') return false;
  return std::all_of(g.begin(), g.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

class LogStoreImpl final : public LogStore {
 public:
  explicit LogStoreImpl(LogStoreOptions options) : options_(std::move(options)) {}

  // Finishes queued appends, then checkpoints every open log so the next
  // open scans nothing.
  ~LogStoreImpl() override {
    // First, so no scrape reads the store while it goes away.
    if (options_.metrics != nullptr) {
      for (const std::string& name : metric_names_) options_.metrics->Remove(name);
    }
    if (writer_ == nullptr) return;  // Init failed
    writer_->Close();
    checkpointer_->Stop();
    std::vector<std::shared_ptr<Slot>> slots;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [key, slot] : logs_) slots.push_back(slot);
    }
    for (const auto& slot : slots) {
      std::shared_ptr<ShardLogImpl> log;
      {
        std::lock_guard<std::mutex> sl(slot->mu);
        log = slot->log;
      }
      if (log == nullptr) continue;
      Status s = log->WriteCheckpoint();
      if (!s.ok()) SPATE_LOG_WARN("storage: final checkpoint of " + log->dir() + " failed: " + s.message());
    }
  }

  Result<std::shared_ptr<ShardLog>> OpenShard(std::string_view group, model::ShardIndex shard) override {
    if (!ValidGroupName(group)) return InvalidArgument("invalid log group name '" + std::string(group) + "'");
    std::string group_dir = options_.dir + "/" + std::string(group);
    std::string shard_name = format::ShardDirName(shard);
    std::string key = std::string(group) + "/" + shard_name;
    // The store lock only finds or creates the slot; recovery runs under the
    // slot's own lock, so different shards open in parallel.
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto& entry = logs_[key];
      if (entry == nullptr) entry = std::make_shared<Slot>();
      slot = entry;
    }
    std::lock_guard<std::mutex> sl(slot->mu);
    if (slot->log != nullptr) return std::shared_ptr<ShardLog>(slot->log);
    auto forget = [&](Status s) -> Status {
      std::lock_guard<std::mutex> l(mu_);
      auto it = logs_.find(key);
      if (it != logs_.end() && it->second == slot) logs_.erase(it);
      return s;
    };
    {
      // Creating the group directory is serialised: two shards of a new
      // group must not both create it.
      std::lock_guard<std::mutex> dl(dir_mu_);
      if (!options_.fs->Exists(group_dir)) {
        Status s = options_.fs->CreateDir(group_dir);
        if (s.ok()) s = options_.fs->SyncDir(options_.dir);
        if (!s.ok()) return forget(s);
      }
    }
    std::string shard_dir = group_dir + "/" + shard_name;
    if (!options_.fs->Exists(shard_dir)) {
      Status s = options_.fs->CreateDir(shard_dir);
      if (s.ok()) s = options_.fs->SyncDir(group_dir);
      if (!s.ok()) return forget(s);
    }
    Result<std::shared_ptr<ShardLogImpl>> log = ShardLogImpl::Open(options_, writer_, checkpointer_, shard_dir, key);
    if (!log.ok()) return forget(log.status());
    slot->log = *log;
    return std::shared_ptr<ShardLog>(std::move(log).value());
  }

  Status DropGroup(std::string_view group) override {
    if (!ValidGroupName(group)) return InvalidArgument("invalid log group name '" + std::string(group) + "'");
    std::string prefix = std::string(group) + "/";
    std::vector<std::shared_ptr<Slot>> closing;
    std::string trash;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto it = logs_.lower_bound(prefix);
           it != logs_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
        closing.push_back(it->second);
        it = logs_.erase(it);
      }
      trash = options_.dir + "/" + std::string(kTrashPrefix) + std::string(group) + "-" + std::to_string(++trash_seq_);
    }
    for (const auto& slot : closing) {
      std::lock_guard<std::mutex> sl(slot->mu);
      if (slot->log != nullptr) slot->log->Close();
    }
    // No journal record of the group may outlive it: a group of the same
    // name created later would get the old batches replayed into its files.
    writer_->RetireJournal();
    std::string group_dir = options_.dir + "/" + std::string(group);
    if (!options_.fs->Exists(group_dir)) return Status::Ok();
    // Rename first so a crash never leaves a half-deleted group behind.
    SPATE_TRY(options_.fs->Rename(group_dir, trash));
    SPATE_TRY(options_.fs->SyncDir(options_.dir));
    return options_.fs->RemoveAll(trash);
  }

  Result<std::vector<std::string>> ListGroups() override {
    SPATE_ASSIGN_OR_RETURN(std::vector<std::string> names, options_.fs->ListDir(options_.dir));
    std::vector<std::string> out;
    for (std::string& n : names) {
      if (!ValidGroupName(n)) continue;
      SPATE_ASSIGN_OR_RETURN(bool is_dir, options_.fs->IsDirectory(options_.dir + "/" + n));
      if (is_dir) out.push_back(std::move(n));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  LogStoreStats Stats() const override {
    LogStoreStats s = writer_->Stats();
    std::vector<std::shared_ptr<Slot>> slots;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [key, slot] : logs_) slots.push_back(slot);
    }
    for (const auto& slot : slots) {
      // A slot is held for the whole recovery of a log being opened: skip
      // it rather than wait.
      std::unique_lock<std::mutex> sl(slot->mu, std::try_to_lock);
      if (!sl.owns_lock() || slot->log == nullptr) continue;
      ++s.open_logs;
      slot->log->AddUsage(&s);
    }
    return s;
  }

  void WaitForBackgroundJobs() override {
    writer_->WaitForRoundInProgress();  // its page-cache drops are queued once it ends
    checkpointer_->WaitForQueuedJobs();
  }

  Status Init() {
    SPATE_TRY(options_.fs->CreateDir(options_.dir));
    SPATE_ASSIGN_OR_RETURN(std::vector<std::string> names, options_.fs->ListDir(options_.dir));
    for (const std::string& n : names) {
      if (n.compare(0, kTrashPrefix.size(), kTrashPrefix) == 0) {
        SPATE_TRY(options_.fs->RemoveAll(options_.dir + "/" + n));  // a DropGroup interrupted by a crash
      }
    }
    // Replay before any shard recovers: shard logs then see every
    // acknowledged batch in its segment file.
    std::unique_ptr<Journal> journal;
    uint64_t replayed = 0;
    if (options_.journal_bytes > 0) {
      Result<std::unique_ptr<Journal>> j = Journal::Open(options_.fs, options_.dir, options_.journal_bytes, &replayed);
      if (j.ok()) {
        journal = std::move(j).value();
      } else if (util::IsNoSpace(j.status())) {
        // Only creating the files can run out of space (replay overwrites):
        // nothing is lost, every round syncs its shard files instead.
        SPATE_LOG_WARN("storage: no room for the commit journal (" + j.status().message() + "); running without it");
      } else {
        return j.status();
      }
    }
    checkpointer_ = std::make_shared<Checkpointer>();
    writer_ =
        std::make_shared<GroupCommitWriter>(options_, std::move(journal), replayed, RegisterMetrics(), checkpointer_);
    return Status::Ok();
  }

 private:
  // One open (or opening) log. Lock order: Slot::mu -> mu_.
  struct Slot {
    std::mutex mu;
    std::shared_ptr<ShardLogImpl> log;  // guarded by mu; null while opening or after a failed open
  };

  // Registers the spate_storage_* families in options_.metrics (if set)
  // and returns the writer's histograms.
  CommitMetrics RegisterMetrics() {
    metrics::Registry* r = options_.metrics;
    if (r == nullptr) return {};
    CommitMetrics m;
    auto name = [this](const char* n) {
      metric_names_.emplace_back(n);
      return std::string(n);
    };
    m.fdatasync_micros = r->AddHistogram(name("spate_storage_fdatasync_seconds"),
                                         "Latency of each fdatasync of a segment or commit-journal file.",
                                         metrics::Buckets{{50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000,
                                                           50'000, 100'000, 250'000, 500'000, 1'000'000, 5'000'000},
                                                          1e6})
                             ->Get({});
    m.round_batches = r->AddHistogram(name("spate_storage_commit_round_batches"),
                                      "Batches (one per shard and put call) made durable by each group-commit round.",
                                      metrics::Buckets{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}, 1})
                          ->Get({});
    metrics::Family<metrics::Histogram>* stages =
        r->AddHistogram(name("spate_storage_append_stage_seconds"),
                        "Time of each acknowledged batch in each stage of its way from the request to its "
                        "acknowledgement: admit (received -> queued for the writer), queued (-> taken into a "
                        "commit round), write (-> written, journal record included), sync (-> the round's "
                        "fdatasyncs returned), acknowledge (-> its callback runs).",
                        AppendStageBuckets(), {"stage"});
    for (size_t i = 0; i < kAppendStages; ++i) m.stage_micros[i] = stages->Get({kAppendStageNames[i]});
    using metrics::Type;
    auto writer_stat = [this](uint64_t LogStoreStats::*field) {
      return [this, field] { return static_cast<double>(writer_->Stats().*field); };
    };
    auto usage_stat = [this](uint64_t LogStoreStats::*field) {
      return [this, field] { return static_cast<double>(Stats().*field); };
    };
    r->AddCallback(name("spate_storage_commit_rounds_total"), "Group-commit rounds.", Type::kCounter,
                   writer_stat(&LogStoreStats::rounds));
    r->AddCallback(name("spate_storage_acknowledged_batches_total"), "Batches made durable and acknowledged.",
                   Type::kCounter, writer_stat(&LogStoreStats::batches));
    r->AddCallback(name("spate_storage_acknowledged_bytes_total"), "Bytes of the batches acknowledged.", Type::kCounter,
                   writer_stat(&LogStoreStats::bytes));
    r->AddCallback(name("spate_storage_fdatasyncs_total"), "fdatasync calls on segment and commit-journal files.",
                   Type::kCounter, writer_stat(&LogStoreStats::file_syncs));
    r->AddCallback(name("spate_storage_journaled_batches_total"), "Batches made durable through the commit journal.",
                   Type::kCounter, writer_stat(&LogStoreStats::journaled_batches));
    r->AddCallback(name("spate_storage_journal_switches_total"),
                   "Commit-journal file switches (the segments it covered synced, on the round that met it).",
                   Type::kCounter, writer_stat(&LogStoreStats::journal_switches));
    r->AddCallback(name("spate_storage_writeback_hints_total"),
                   "Early writeback requests (sync_file_range) for segment data made durable through the journal.",
                   Type::kCounter, writer_stat(&LogStoreStats::writeback_hints));
    r->AddCallback(name("spate_storage_page_cache_dropped_bytes_total"),
                   "Durable segment bytes the writer asked the kernel to drop from the page cache, oldest first, "
                   "beyond the page-cache budget.",
                   Type::kCounter, writer_stat(&LogStoreStats::cache_dropped_bytes));
    r->AddCallback(name("spate_storage_shard_logs"), "Open shard logs.", Type::kGauge,
                   usage_stat(&LogStoreStats::open_logs));
    r->AddCallback(name("spate_storage_segments"), "Segment files of the open shard logs.", Type::kGauge,
                   usage_stat(&LogStoreStats::segments));
    r->AddCallback(name("spate_storage_segment_bytes"),
                   "Acknowledged bytes in the segment files of the open shard logs (bytes on disk, before "
                   "pre-allocation).",
                   Type::kGauge, usage_stat(&LogStoreStats::segment_bytes));
    return m;
  }

  const LogStoreOptions options_;
  std::vector<std::string> metric_names_;       // registered in options_.metrics by Init
  std::shared_ptr<GroupCommitWriter> writer_;   // set by Init
  std::shared_ptr<Checkpointer> checkpointer_;  // set by Init
  mutable std::mutex mu_;
  std::mutex dir_mu_;                                  // serialises group directory creation
  std::map<std::string, std::shared_ptr<Slot>> logs_;  // guarded by mu_; key "<group>/<shard>"
  uint64_t trash_seq_ = 0;                             // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(LogStoreOptions options) {
  if (options.fs == nullptr || options.clock == nullptr || options.dir.empty()) {
    return InvalidArgument("LogStoreOptions needs dir, fs and clock");
  }
  if (options.segment_bytes < format::kBatchHeaderSize || options.segment_bytes > format::kMaxSegmentBytes) {
    return InvalidArgument("segment_bytes out of range");
  }
  if (options.index_interval_bytes == 0 || options.sync_threads < 0 || options.max_queued_bytes == 0) {
    return InvalidArgument("invalid LogStoreOptions");
  }
  if (options.journal_bytes != 0 && (options.journal_bytes < 4 * options.journal_max_batch_bytes + (64u << 10) ||
                                     options.journal_bytes > (1u << 30))) {
    return InvalidArgument("journal_bytes must be 0 or in [4 x journal_max_batch_bytes + 64 KiB, 1 GiB]");
  }
  auto store = std::make_unique<LogStoreImpl>(std::move(options));
  SPATE_TRY(store->Init());
  return std::unique_ptr<LogStore>(std::move(store));
}

}  // namespace spate::storage
