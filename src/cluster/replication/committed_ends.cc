#include "cluster/replication/committed_ends.h"

#include <algorithm>

#include "base/log.h"

namespace spate::cluster::replication {

CommittedEnds::Entry& CommittedEnds::EntryLocked(std::string_view shard_key,
                                                 const std::shared_ptr<storage::ShardLog>& log) {
  auto it = entries_.find(shard_key);
  if (it == entries_.end()) {
    if (entries_.size() >= prune_at_) {
      // Entries of logs that are gone (deleted streams) are dropped, so the
      // table holds about the shards this node has now.
      std::erase_if(entries_, [](const auto& e) { return e.second.log.expired(); });
      prune_at_ = std::max<size_t>(64, entries_.size() * 2);
    }
    it = entries_.emplace(std::string(shard_key), Entry{}).first;
  }
  Entry& e = it->second;
  if (e.log.expired() || e.identity != log.get()) e = Entry{log, log.get(), 0, 0};
  return e;
}

void CommittedEnds::Raise(std::string_view shard_key, const std::shared_ptr<storage::ShardLog>& log, int64_t epoch,
                          uint64_t end) {
  if (log == nullptr || epoch < log->Epoch()) return;
  std::lock_guard<std::mutex> l(mu_);
  Entry& e = EntryLocked(shard_key, log);
  if (epoch < e.epoch) return;
  e.epoch = epoch;
  e.end = std::max(e.end, end);
}

void CommittedEnds::NoteEpoch(std::string_view shard_key, const std::shared_ptr<storage::ShardLog>& log,
                              int64_t epoch) {
  if (log == nullptr) return;
  std::lock_guard<std::mutex> l(mu_);
  Entry& e = EntryLocked(shard_key, log);
  e.epoch = std::max(e.epoch, epoch);
}

void CommittedEnds::Lower(std::string_view shard_key, const storage::ShardLog& log, uint64_t end) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = entries_.find(shard_key);
  if (it == entries_.end() || it->second.log.expired() || it->second.identity != &log) return;
  if (it->second.end > end) {
    SPATE_LOG_WARN("replication: " + std::string(shard_key) + ": the log was cut to " + std::to_string(end) +
                   ", below its known committed end " + std::to_string(it->second.end));
    it->second.end = end;
  }
}

uint64_t CommittedEnds::Get(std::string_view shard_key, const storage::ShardLog& log) const {
  uint64_t end = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = entries_.find(shard_key);
    if (it == entries_.end() || it->second.log.expired() || it->second.identity != &log) return 0;
    end = it->second.end;
  }
  return std::min(end, log.EndOffset().value());
}

}  // namespace spate::cluster::replication
