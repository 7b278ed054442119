#include "firehose/deliverer.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "firehose/object_keys.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// The namespace UUID of every object key's name-based UUID (a fixed random
// UUID: changing it would rename the objects of a replayed range).
constexpr std::string_view kObjectUuidNamespace = "6c1f3a52-8e0b-4f43-9d55-1b7c2f0e9a31";

}  // namespace

LogTrimmer::LogTrimmer(std::shared_ptr<storage::ShardLog> log, std::string log_group, size_t readers,
                       util::Clock* clock, std::shared_ptr<metrics::Counter> hold_expired_records)
    : log_(std::move(log)),
      log_group_(std::move(log_group)),
      clock_(clock),
      hold_expired_records_(std::move(hold_expired_records)),
      delivered_(readers) {}

void LogTrimmer::Delivered(size_t reader, storage::Offset end) {
  {
    std::lock_guard<std::mutex> l(mu_);
    SPATE_ASSERT(reader < delivered_.size(), "LogTrimmer reader out of range");
    delivered_[reader] = end;
  }
  TrimToLeast();
}

void LogTrimmer::Absent(size_t reader) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_ASSERT(reader < delivered_.size(), "LogTrimmer reader out of range");
  delivered_[reader] = storage::Offset(UINT64_MAX);
}

void LogTrimmer::Hold(const std::string& holder, storage::Offset from) {
  {
    std::lock_guard<std::mutex> l(mu_);
    holds_[holder] = from;
  }
  TrimToLeast();
}

void LogTrimmer::Release(const std::string& holder) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (holds_.erase(holder) == 0) return;
  }
  TrimToLeast();
}

void LogTrimmer::TrimToLeast() {
  bool holds = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    holds = !holds_.empty();
  }
  // The first record young enough to be held, less than kMaxHoldAgeMs old
  // (the log's end if none is).
  std::optional<storage::Offset> young;
  if (holds) {
    Result<storage::Offset> r = log_->OffsetForTime(clock_->NowMs() - kMaxHoldAgeMs + 1);
    if (r.ok()) young = *r;
  }
  const storage::Offset start = log_->StartOffset();
  storage::Offset least(UINT64_MAX);
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [holder, from] : holds_) {
      if (!young || *young <= from) continue;
      uint64_t let_go = young->value() - std::min(*young, std::max(from, start)).value();
      from = *young;
      if (let_go == 0) continue;  // they were trimmed already
      SPATE_LOG_WARN("delivery stream log " + log_group_ + ": the hold of " + holder + " kept records for 24 h; " +
                     std::to_string(let_go) + " records before offset " + std::to_string(young->value()) +
                     " are no longer held");
      if (hold_expired_records_) hold_expired_records_->Add(let_go);
    }
    for (const auto& d : delivered_) {
      if (!d) return;  // a reader that has said nothing holds the whole log
      least = std::min(least, *d);
    }
    for (const auto& [holder, from] : holds_) least = std::min(least, from);
  }
  if (least.value() == UINT64_MAX) return;  // no reader reads the log
  // Delivered segments are no longer needed, whatever their age.
  if (Status st = log_->DropBefore(INT64_MAX, least); !st.ok()) {
    SPATE_LOG_WARN("cannot trim the delivered log of " + log_group_ + ": " + st.ToString());
  }
}

Deliverer::Deliverer(DelivererOptions options, std::shared_ptr<storage::ShardLog> log, metadata::Catalog* catalog,
                     util::Clock* clock, std::string log_group, DeliveryTarget target, std::string id,
                     LogTrimmer* trimmer, size_t reader)
    : options_(options),
      log_(std::move(log)),
      catalog_(catalog),
      clock_(clock),
      log_group_(std::move(log_group)),
      id_(id.empty() ? log_group_ : std::move(id)),
      trimmer_(trimmer),
      reader_(reader),
      target_(std::move(target)) {}

Deliverer::~Deliverer() { Stop(); }

Status Deliverer::Start() {
  SPATE_TRY(LoadCheckpoint());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Deliverer::Stop() {
  cancel_.store(true);
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Deliverer::Notify() {
  {
    std::lock_guard<std::mutex> l(mu_);
    appended_ = true;
  }
  cv_.notify_all();
}

void Deliverer::Update(DeliveryTarget target) {
  {
    std::lock_guard<std::mutex> l(mu_);
    target_ = std::move(target);
    appended_ = true;  // re-evaluate the buffer against the new hints
  }
  cv_.notify_all();
}

DeliveryStats Deliverer::Stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Status Deliverer::LoadCheckpoint() {
  SPATE_ASSIGN_OR_RETURN(std::optional<std::string> saved, catalog_->GetEntry(kCheckpointNamespace, id_));
  delivered_ = log_->StartOffset();
  if (saved) {
    auto doc = protocol::ParseJson(*saved);
    if (!doc.ok() || !doc->is_object()) return Corruption("delivery checkpoint of " + id_ + " unreadable");
    delivered_ = std::max(delivered_, storage::Offset(static_cast<uint64_t>(doc->GetInt("delivered", 0))));
    if (const Value* p = doc->Find("pending"); p != nullptr && p->is_object()) {
      Pending pending;
      pending.first = storage::Offset(static_cast<uint64_t>(p->GetInt("first", 0)));
      pending.end = storage::Offset(static_cast<uint64_t>(p->GetInt("end", 0)));
      pending.oldest_ms = p->GetInt("oldest_ms", 0);
      pending.failing_since_ms = p->GetInt("failing_since_ms", 0);
      if (const Value* plan = p->Find("plan"); plan != nullptr && plan->is_object()) {
        pending.plan = *plan;
      } else {
        // Written before sinks had plans: an S3 object's bucket, key and
        // compression (uncompressed before the format was kept).
        pending.plan = Value::MakeObject();
        pending.plan.Set("bucket", Value::String(std::string(p->GetString("bucket"))));
        pending.plan.Set("key", Value::String(std::string(p->GetString("key"))));
        pending.plan.Set("compression", Value::String(std::string(p->GetString("compression", "UNCOMPRESSED"))));
      }
      if (pending.end > pending.first) pending_ = std::move(pending);
    }
  }
  return Status::Ok();
}

Status Deliverer::SaveCheckpoint() {
  Value doc = Value::MakeObject();
  doc.Set("delivered", Value::Int(static_cast<int64_t>(delivered_.value())));
  if (pending_) {
    Value p = Value::MakeObject();
    p.Set("first", Value::Int(static_cast<int64_t>(pending_->first.value())));
    p.Set("end", Value::Int(static_cast<int64_t>(pending_->end.value())));
    p.Set("oldest_ms", Value::Int(pending_->oldest_ms));
    p.Set("plan", pending_->plan);
    if (pending_->failing_since_ms != 0) p.Set("failing_since_ms", Value::Int(pending_->failing_since_ms));
    doc.Set("pending", std::move(p));
  }
  std::string out;
  protocol::WriteJson(doc, &out);
  return catalog_->PutEntry(kCheckpointNamespace, id_, out);
}

bool Deliverer::Sleep(int64_t ms) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(ms), [this] { return stop_; });
  return !stop_;
}

std::string Deliverer::BatchId(storage::Offset first, storage::Offset end) const {
  return NameBasedUuid(kObjectUuidNamespace,
                       id_ + "/" + std::to_string(first.value()) + "-" + std::to_string(end.value()));
}

Result<Batch> Deliverer::ReadBatch(const Pending& p, const DeliveryTarget& target) {
  Batch batch;
  batch.id = BatchId(p.first, p.end);
  batch.first = p.first;
  batch.end = p.end;
  batch.oldest_ms = p.oldest_ms;
  batch.plan = p.plan;
  storage::Offset pos = p.first;
  while (pos < p.end) {
    storage::ReadLimits limits;
    limits.max_records = static_cast<size_t>(std::min<uint64_t>(p.end.value() - pos.value(), 10000));
    limits.control_records = true;  // a buffer log: no record has a partition key
    SPATE_ASSIGN_OR_RETURN(storage::ReadResult r, log_->Read(pos, limits));
    if (r.records.empty()) return Internal("delivery range of " + log_group_ + " no longer in the log");
    for (auto& rec : r.records) {
      if (rec.offset >= p.end) break;
      BatchRecord out;
      out.data = std::move(rec.data);
      out.arrival_ms = rec.arrival_ms;
      out.offset = rec.offset;
      batch.records.push_back(std::move(out));
    }
    pos = r.next_offset;
  }
  if (target.processor) SPATE_TRY(target.processor->Process(&batch, &cancel_));
  return batch;
}

bool Deliverer::Deliver(Pending* p, const DeliveryTarget& target) {
  Sink* sink = target.sink.get();
  int64_t first_backoff = sink->RetryBackoffMs() > 0 ? sink->RetryBackoffMs() : options_.initial_backoff_ms;
  int64_t backoff = first_backoff;
  std::optional<Batch> batch;
  for (;;) {
    SinkCounts counts;
    Status st;
    if (!batch) {
      auto read = ReadBatch(*p, target);
      if (read.ok()) {
        batch = std::move(*read);
      } else {
        st = read.status();
      }
    }
    // When this attempt began: AWS's retry windows of S3, Redshift and
    // OpenSearch include the first attempt.
    const int64_t attempt_start_ms = clock_->NowMs();
    if (batch) st = sink->Deliver(*batch, &counts, &cancel_);
    if (st.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      stats_.objects += counts.objects;
      stats_.records += counts.records;
      stats_.bytes += counts.bytes;
      stats_.last_error.clear();
      return true;
    }
    if (cancel_.load()) return false;  // stopped: the pending batch is replayed at the next start
    int64_t now = clock_->NowMs();
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.failed_attempts;
      if (metrics_) metrics_->failed_attempts->Add();
      stats_.last_error = st.ToString();
    }
    if (p->failing_since_ms == 0 || counts.window_excluded_ms > 0) {
      // The retry window starts when the first failed attempt began (a
      // restart does not reset it). What the attempts spent that the sink's
      // window does not count (waiting for an HTTP endpoint's answers, whose
      // window starts once the first attempt has failed) moves its start
      // later by as much, durably too.
      p->failing_since_ms =
          (p->failing_since_ms == 0 ? attempt_start_ms : p->failing_since_ms) + counts.window_excluded_ms;
      if (Status saved = SaveCheckpoint(); !saved.ok()) {
        SPATE_LOG_ERROR("cannot save the delivery checkpoint of " + id_ + ": " + saved.ToString());
      }
    }
    if (batch && now - p->failing_since_ms >= sink->RetryWindowMs()) {
      SinkCounts expired_counts;
      Status expired = sink->Expire(*batch, st, &expired_counts, &cancel_);
      if (expired.ok()) {
        SPATE_LOG_ERROR("delivery of " + std::to_string(batch->records.size()) + " records of " + id_ + " to " +
                        sink->Describe() + " failed for " + std::to_string(sink->RetryWindowMs() / 1000) +
                        " s; they went to the error output instead. Last error: " + st.ToString());
        // What the sink says it sent to the error output (a subset for sinks
        // that delivered part of the batch), else the whole batch.
        uint64_t expired = expired_counts.failed > 0 ? expired_counts.failed : batch->records.size();
        std::lock_guard<std::mutex> l(mu_);
        ++stats_.expired_objects;
        stats_.expired_records += expired;
        if (metrics_) metrics_->expired_records->Add(expired);
        return true;
      }
      if (cancel_.load()) return false;
      SPATE_LOG_ERROR("the error output of " + sink->Describe() + " refused " + batch->id +
                      " too (retrying both): " + expired.ToString());
    }
    SPATE_LOG_WARN("delivery of " + id_ + " [" + std::to_string(p->first.value()) + ", " +
                   std::to_string(p->end.value()) + ") to " + sink->Describe() + " failed (retrying in " +
                   std::to_string(backoff) + " ms): " + st.ToString());
    if (!Sleep(backoff)) return false;
    backoff = std::max(first_backoff, std::min(backoff * 2, options_.max_backoff_ms));
  }
}

void Deliverer::Trim() {
  if (trimmer_ != nullptr) {
    trimmer_->Delivered(reader_, delivered_);
    return;
  }
  // Delivered segments are no longer needed, whatever their age.
  if (Status st = log_->DropBefore(INT64_MAX, delivered_); !st.ok()) {
    SPATE_LOG_WARN("cannot trim the delivered log of " + log_group_ + ": " + st.ToString());
  }
}

void Deliverer::SaveDeliveredAndTrim() {
  if (Status st = SaveCheckpoint(); !st.ok()) {
    // The catalog still names the batch pending (or an older end): the log
    // must keep it, for a restart replays it from there. The next saved
    // checkpoint trims it.
    SPATE_LOG_ERROR("cannot save the delivery checkpoint of " + id_ +
                    " (the log is not trimmed until it is saved): " + st.ToString());
    return;
  }
  Trim();
}

void Deliverer::Run() {
  // What was delivered before a restart may be trimmed once every reader says so.
  if (trimmer_ != nullptr) trimmer_->Delivered(reader_, delivered_);
  if (pending_) {
    DeliveryTarget target;
    {
      std::lock_guard<std::mutex> l(mu_);
      target = target_;
    }
    if (!Deliver(&*pending_, target)) return;
    delivered_ = pending_->end;
    pending_.reset();
    SaveDeliveredAndTrim();
  }
  // The records buffered for the next object: [delivered_, read_pos).
  storage::Offset read_pos = delivered_;
  uint64_t buffered_bytes = 0;
  int64_t oldest_ms = -1;
  for (;;) {
    DeliveryTarget target;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
      appended_ = false;
      target = target_;
    }
    const BufferingHints hints = target.sink->Buffering();
    // Take in what the log acknowledged since the last look, up to the size hint.
    while (read_pos < log_->EndOffset() && buffered_bytes < hints.bytes) {
      storage::ReadLimits limits;
      limits.max_bytes = static_cast<size_t>(hints.bytes - buffered_bytes);
      limits.control_records = true;  // a buffer log: no record has a partition key
      auto r = log_->Read(read_pos, limits);
      if (!r.ok()) {
        SPATE_LOG_ERROR("cannot read the buffer of " + log_group_ + ": " + r.status().ToString());
        if (!Sleep(options_.max_backoff_ms)) return;
        break;
      }
      if (r->records.empty()) break;
      for (const auto& rec : r->records) {
        if (oldest_ms < 0) oldest_ms = rec.arrival_ms;
        buffered_bytes += rec.data.size();
      }
      read_pos = r->next_offset;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      stats_.oldest_undelivered_ms = oldest_ms;
      if (metrics_) {
        metrics_->data_freshness_seconds->Set(oldest_ms < 0 ? 0 : (clock_->NowMs() - oldest_ms) / 1000);
      }
    }
    int64_t now = clock_->NowMs();
    bool full = buffered_bytes >= hints.bytes;
    bool due = oldest_ms >= 0 && now >= oldest_ms + hints.interval_ms;
    if (read_pos > delivered_ && (full || due)) {
      Pending p;
      p.first = delivered_;
      p.end = read_pos;
      p.oldest_ms = oldest_ms;
      Batch header;
      header.id = BatchId(p.first, p.end);
      header.first = p.first;
      header.end = p.end;
      header.oldest_ms = oldest_ms;
      auto plan = target.sink->Plan(header);
      if (!plan.ok()) {
        SPATE_LOG_ERROR("cannot plan the delivery of " + log_group_ + ": " + plan.status().ToString());
        if (!Sleep(options_.max_backoff_ms)) return;
        continue;
      }
      p.plan = std::move(*plan);
      pending_ = std::move(p);
      if (Status st = SaveCheckpoint(); !st.ok()) {
        SPATE_LOG_ERROR("cannot save the delivery checkpoint of " + id_ + ": " + st.ToString());
        pending_.reset();
        if (!Sleep(options_.max_backoff_ms)) return;
        continue;
      }
      if (!Deliver(&*pending_, target)) return;  // stopped: the pending batch is replayed at the next start
      delivered_ = pending_->end;
      pending_.reset();
      SaveDeliveredAndTrim();
      buffered_bytes = 0;
      oldest_ms = -1;
      {
        std::lock_guard<std::mutex> l(mu_);
        stats_.oldest_undelivered_ms = -1;
        if (metrics_) metrics_->data_freshness_seconds->Set(0);
      }
      continue;
    }
    // Wait for more records, the interval's end, or Stop.
    std::unique_lock<std::mutex> l(mu_);
    if (stop_ || appended_) continue;
    if (oldest_ms >= 0 && !full) {
      int64_t wait_ms = std::max<int64_t>(1, oldest_ms + hints.interval_ms - clock_->NowMs());
      cv_.wait_for(l, std::chrono::milliseconds(wait_ms), [this] { return stop_ || appended_; });
    } else {
      // Nothing buffered (or full and waiting on nothing): wait for an append;
      // wake up now and then in case one was missed.
      cv_.wait_for(l, std::chrono::milliseconds(1000), [this] { return stop_ || appended_; });
    }
  }
}

}  // namespace spate::firehose
