#include "firehose/source_poller.h"

#include <chrono>
#include <future>
#include <optional>
#include <set>

#include "base/log.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

}  // namespace

SourcePoller::SourcePoller(SourcePollerOptions options, const service::KinesisSource* source, iam::Caller owner,
                           std::string stream_arn, std::shared_ptr<storage::ShardLog> log, metadata::Catalog* catalog,
                           std::string log_group, std::function<void()> on_append)
    : options_(options),
      source_(source),
      owner_(std::move(owner)),
      stream_arn_(std::move(stream_arn)),
      log_(std::move(log)),
      catalog_(catalog),
      log_group_(std::move(log_group)),
      on_append_(std::move(on_append)) {}

SourcePoller::~SourcePoller() { Stop(); }

Status SourcePoller::Start() {
  SPATE_ASSIGN_OR_RETURN(std::optional<std::string> saved, catalog_->GetEntry(kPositionNamespace, log_group_));
  if (saved) {
    auto doc = protocol::ParseJson(*saved);
    if (!doc.ok() || !doc->is_object()) return Corruption("source positions of " + log_group_ + " unreadable");
    started_before_ = true;
    if (const Value* shards = doc->Find("shards"); shards != nullptr && shards->is_object()) {
      for (const auto& [id, p] : shards->as_object()) {
        Position pos;
        pos.next = static_cast<uint64_t>(p.GetInt("next", 0));
        if (const Value* d = p.Find("done"); d != nullptr && d->is_bool()) pos.done = d->as_bool();
        positions_[id] = pos;
      }
    }
  }
  if (!started_before_) {
    // First start: every open shard from LATEST, as AWS's Firehose begins.
    auto shards = source_->Shards(owner_, stream_arn_);
    if (!shards.ok()) return shards.status();
    for (const service::SourceShard& s : *shards) positions_[s.shard_id] = Position{s.end, s.closed};
    started_before_ = true;
    SPATE_TRY(Save());
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void SourcePoller::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status SourcePoller::Save() {
  Value doc = Value::MakeObject();
  Value shards = Value::MakeObject();
  for (const auto& [id, p] : positions_) {
    Value v = Value::MakeObject();
    v.Set("next", Value::Int(static_cast<int64_t>(p.next)));
    v.Set("done", Value::Bool(p.done));
    shards.Set(id, std::move(v));
  }
  doc.Set("shards", std::move(shards));
  std::string out;
  protocol::WriteJson(doc, &out);
  return catalog_->PutEntry(kPositionNamespace, log_group_, out);
}

Status SourcePoller::Append(const std::vector<service::SourceRecord>& records) {
  // Batches in arrival order; each batch keeps its records' source arrival
  // time as the batch's (the oldest of the batch), so object keys follow the
  // time records reached Kinesis.
  size_t i = 0;
  while (i < records.size()) {
    std::vector<storage::RecordInput> in;
    size_t bytes = 0;
    int64_t arrival = records[i].arrival_ms;
    while (i < records.size() && in.size() < 1000 && bytes < (4u << 20)) {
      in.push_back({std::string_view(), records[i].data});
      bytes += records[i].data.size();
      ++i;
    }
    std::promise<Status> done;
    auto fut = done.get_future();
    log_->Append(in, arrival, [&done](Result<storage::AppendResult> r) { done.set_value(r.status()); });
    SPATE_TRY(fut.get());
  }
  return Status::Ok();
}

Result<bool> SourcePoller::PollOnce() {
  SPATE_ASSIGN_OR_RETURN(std::vector<service::SourceShard> shards, source_->Shards(owner_, stream_arn_));
  std::map<std::string, const service::SourceShard*> by_id;
  for (const service::SourceShard& s : shards) by_id[s.shard_id] = &s;
  bool appended = false;
  bool changed = false;
  for (const service::SourceShard& s : shards) {
    auto it = positions_.find(s.shard_id);
    if (it == positions_.end()) {
      // A shard born after the start (a reshard's child): from its beginning.
      it = positions_.emplace(s.shard_id, Position{s.start, false}).first;
      changed = true;
    }
    Position& pos = it->second;
    if (pos.done) continue;
    bool parents_done = true;
    for (const std::string& parent : s.parent_ids) {
      auto p = positions_.find(parent);
      // A parent we never followed (closed before this delivery stream began,
      // or expired) does not hold its children back.
      if (p != positions_.end() && !p->second.done && by_id.count(parent) != 0) parents_done = false;
    }
    if (!parents_done) continue;
    while (pos.next < s.end) {
      SPATE_ASSIGN_OR_RETURN(service::SourceBatch batch,
                             source_->Read(owner_, stream_arn_, s.shard_id, pos.next, options_.max_records_per_read));
      if (batch.records.empty()) {
        pos.next = std::max(pos.next, batch.next);
        break;
      }
      SPATE_TRY(Append(batch.records));
      pos.next = batch.next;
      appended = changed = true;
    }
    if (s.closed && pos.next >= s.end) {
      pos.done = true;
      changed = true;
    }
  }
  if (appended) on_append_();
  if (changed) SPATE_TRY(Save());
  return appended;
}

void SourcePoller::Run() {
  // A failure that lasts (the source stream deleted) is logged when it
  // starts, when it changes, once every kRepeatWarningMs while it lasts, and
  // when reading resumes: not once a poll.
  std::string failing;
  int64_t last_warning_ns = 0;
  constexpr int64_t kRepeatWarningNs = 60'000'000'000;
  for (;;) {
    auto r = PollOnce();
    int64_t now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    if (!r.ok()) {
      std::string error = r.status().ToString();
      if (error != failing || now_ns - last_warning_ns >= kRepeatWarningNs) {
        SPATE_LOG_WARN("reading " + stream_arn_ + " for " + log_group_ + " failed: " + error +
                       " (retried every poll; repeated once a minute while it lasts)");
        last_warning_ns = now_ns;
      }
      failing = std::move(error);
    } else if (!failing.empty()) {
      SPATE_LOG_INFO("reading " + stream_arn_ + " for " + log_group_ + " resumed");
      failing.clear();
    }
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(options_.poll_interval_ms), [this] { return stop_; });
    if (stop_) return;
  }
}

}  // namespace spate::firehose
