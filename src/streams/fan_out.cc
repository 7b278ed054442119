#include "streams/fan_out.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "base/log.h"
#include "protocol/event_stream.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "storage/shard_log.h"
#include "streams/shard_shapes.h"
#include "streams/throughput.h"
#include "util/hash_key.h"

namespace spate::streams {
namespace {

using protocol::Value;
namespace es = protocol::event_stream;

constexpr std::string_view kEventType = "SubscribeToShardEvent";
// Passes over one hub per Poll while subscribers are catching up, so one
// far-behind shard cannot starve the others for long.
constexpr int kMaxRoundsPerPoll = 32;

// The SubscribeToShardEvent after delivering everything before `position`.
// ContinuationSequenceNumber is the number just before `position` (the last
// delivered record's, or the shard's starting number), so a client resumes
// with AFTER_SEQUENCE_NUMBER (as the KCL does) without skipping a record.
std::string EncodeShardEvent(model::ShardIndex shard, uint32_t epoch, std::vector<storage::StoredRecord>* records,
                             model::LogOffset position, int64_t millis_behind,
                             const std::vector<metadata::ShardMeta>* children) {
  Value recs = Value::MakeArray();
  recs.mutable_array().reserve(records->size());
  for (storage::StoredRecord& r : *records) {
    Value v = Value::MakeObject();
    v.mutable_object().reserve(4);
    v.Set("SequenceNumber", Value::String(model::SequenceNumber::OfRecord(shard, epoch, r.offset).ToString()));
    v.Set("ApproximateArrivalTimestamp", Value::TimestampMs(r.arrival_ms));
    v.Set("Data", Value::Blob(std::move(r.data)));
    v.Set("PartitionKey", Value::String(std::move(r.partition_key)));
    recs.Append(std::move(v));
  }
  Value ev = Value::MakeObject();
  ev.Set("Records", std::move(recs));
  ev.Set("ContinuationSequenceNumber", Value::String(model::SequenceNumber::Before(shard, epoch, position).ToString()));
  ev.Set("MillisBehindLatest", Value::Int(millis_behind));
  if (children != nullptr) {
    Value list = Value::MakeArray();
    for (const metadata::ShardMeta& c : *children) list.Append(ChildShardValue(c));
    ev.Set("ChildShards", std::move(list));
  }
  std::string payload;
  protocol::WriteJson(ev, &payload);
  return es::EncodeEvent(kEventType, std::move(payload));
}

std::string InUseMessage(const SubscribeRequest& r) {
  return "Another active subscription exists for this consumer: " + r.stream.account + ":" + r.stream.name + ":" +
         model::ShardIdName(r.shard) + ":" + r.consumer_name;
}

}  // namespace

struct FanOut::Subscription {
  SubscribeRequest request;
  std::shared_ptr<EventSink> sink;
  std::shared_ptr<std::atomic<bool>> closed = std::make_shared<std::atomic<bool>>(false);
  model::LogOffset position;  // next offset to deliver
  int64_t started_ms = 0;     // monotonic
  int64_t last_event_ms = 0;  // monotonic
  bool done = false;
  std::optional<TokenBucket> read_budget;  // set when options_.read_bytes_per_second > 0
  std::shared_ptr<const ConsumerMetrics> metrics;
};

struct FanOut::Hub {
  std::string key;
  StreamRef stream;
  std::string storage_group;
  uint32_t epoch = 0;
  model::ShardIndex shard;
  std::shared_ptr<storage::ShardLog> log;
  std::vector<std::unique_ptr<Subscription>> subs;
  bool needs_validate = true;
  std::optional<model::LogOffset> end_offset;  // set once the shard is closed
  std::vector<metadata::ShardMeta> children;
  // The shard's enhanced-monitoring metrics (null when none is enabled),
  // refreshed by Validate: a push is bytes and records retrieved from the
  // shard, CloudWatch's OutgoingBytes/OutgoingRecords, as a GetRecords is.
  std::shared_ptr<const ShardMetrics> shard_metrics;
};

FanOut::FanOut(FanOutOptions options, Registry* registry, util::Clock* clock)
    : options_(options), registry_(registry), clock_(clock) {}

FanOut::~FanOut() { Stop(); }

std::string FanOut::HubKey(std::string_view storage_group, model::ShardIndex shard) {
  return std::string(storage_group) + "/" + std::to_string(shard.value);
}

void FanOut::Start() {
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void FanOut::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, hub] : hubs_) {
    for (auto& sub : hub->subs) {
      if (!sub->done) Finish(*sub, {}, {});
    }
  }
  hubs_.clear();
  subscription_count_ = 0;
}

void FanOut::Wake() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

void FanOut::OnAppend(const std::string& /*storage_group*/, model::ShardIndex /*shard*/) {
  // Every hub is checked on a wake-up (one tip comparison per position
  // group); waking only while someone subscribes keeps appends to unwatched
  // streams free.
  if (subscription_count_.load(std::memory_order_relaxed) > 0) Wake();
}

Status FanOut::Subscribe(SubscribeRequest request, const EventSinkOpener& open) {
  int64_t now = NowMonoMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = HubKey(request.storage_group, request.shard);
    auto& slot = hubs_[key];
    if (!slot) {
      slot = std::make_unique<Hub>();
      slot->key = key;
      slot->stream = request.stream;
      slot->storage_group = request.storage_group;
      slot->epoch = request.epoch;
      slot->shard = request.shard;
      slot->log = request.log;
    }
    Hub& hub = *slot;
    for (auto& sub : hub.subs) {
      if (sub->done || sub->request.consumer_arn != request.consumer_arn) continue;
      if (now - sub->started_ms < options_.takeover_guard_ms) {
        return Status(ErrorCode::kResourceInUse, InUseMessage(request));
      }
      Finish(*sub, "ResourceInUseException", InUseMessage(request));
    }
    auto sub = std::make_unique<Subscription>();
    sub->position = request.start_offset;
    sub->started_ms = now;
    if (options_.read_bytes_per_second > 0) {
      sub->read_budget.emplace(options_.read_bytes_per_second, options_.read_bytes_per_second, clock_->MonotonicNs());
    }
    sub->last_event_ms = now;
    sub->metrics = registry_->metrics().ForConsumer(request.stream, request.consumer_name);
    sub->metrics->subscribe_success->Add();
    sub->request = std::move(request);
    sub->sink = open();
    // botocore refuses a stream that does not begin with initial-response;
    // its payload is the output's non-event members (none).
    sub->sink->Write(es::EncodeEvent("initial-response", "{}"));
    sub->sink->OnClose([this, closed = sub->closed] {
      closed->store(true);
      Wake();
    });
    hub.needs_validate = true;
    hub.subs.push_back(std::move(sub));
    ++subscription_count_;
  }
  Wake();
  return Status::Ok();
}

void FanOut::EndConsumer(std::string_view consumer_arn, std::string_view exception_type, std::string_view message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, hub] : hubs_) {
      for (auto& sub : hub->subs) {
        if (!sub->done && sub->request.consumer_arn == consumer_arn) Finish(*sub, exception_type, message);
      }
    }
  }
  Wake();
}

size_t FanOut::SubscriptionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, hub] : hubs_) {
    for (const auto& sub : hub->subs) n += sub->done ? 0 : 1;
  }
  return n;
}

void FanOut::Finish(Subscription& sub, std::string_view exception_type, std::string_view message) {
  if (sub.done) return;
  if (!exception_type.empty()) sub.sink->Write(es::EncodeException(exception_type, message));
  sub.sink->End();
  sub.done = true;
}

void FanOut::Validate(Hub& hub) {
  hub.needs_validate = false;
  // What to end, decided under the registry's lock, done after it.
  std::vector<std::pair<Subscription*, std::string>> gone;
  bool stream_gone = false;
  Status st = registry_->WithStream(hub.stream, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    const metadata::ShardMeta* shard = s.FindShard(hub.shard);
    if (m.storage_group != hub.storage_group || m.status == metadata::StreamStatus::kDeleting || shard == nullptr) {
      stream_gone = true;
      return Status::Ok();
    }
    hub.end_offset = shard->end_offset;
    hub.shard_metrics = s.ShardMetricsFor(hub.shard);
    hub.children.clear();
    if (shard->end_offset) {
      for (const metadata::ShardMeta& c : m.shards) {
        if ((c.parent && *c.parent == hub.shard) || (c.adjacent_parent && *c.adjacent_parent == hub.shard)) {
          hub.children.push_back(c);
        }
      }
    }
    for (auto& sub : hub.subs) {
      if (sub->done) continue;
      const metadata::ConsumerMeta* c = m.FindConsumer(sub->request.consumer_name);
      if (c == nullptr || c->created_ms != sub->request.consumer_created_ms ||
          c->status != metadata::ConsumerStatus::kActive) {
        gone.emplace_back(sub.get(), "Consumer " + sub->request.consumer_arn + " is not ACTIVE or no longer exists.");
      }
    }
    return Status::Ok();
  });
  if (!st.ok() || stream_gone) {
    for (auto& sub : hub.subs) {
      Finish(*sub, "ResourceNotFoundException",
             "Shard " + model::ShardIdName(hub.shard) + " in stream " + hub.stream.name + " under account " +
                 hub.stream.account + " does not exist");
    }
    return;
  }
  for (auto& [sub, message] : gone) Finish(*sub, "ResourceNotFoundException", message);
}

void FanOut::PollHub(Hub& hub, int64_t now) {
  for (auto& sub : hub.subs) {
    if (sub->done) continue;
    if (sub->closed->load()) {
      Finish(*sub, {}, {});
    } else if (now - sub->started_ms >= options_.subscription_ms) {
      Finish(*sub, {}, {});  // AWS ends a subscription after 5 minutes; the client subscribes again
    }
  }
  int64_t wall = clock_->NowMs();
  int64_t now_ns = clock_->MonotonicNs();
  storage::ReadLimits limits;
  limits.max_records = options_.max_event_records;
  limits.max_bytes = options_.max_event_bytes;
  for (int round = 0; round < kMaxRoundsPerPoll; ++round) {
    model::LogOffset start = hub.log->StartOffset();
    // Cluster mode: only what a majority of the replicas holds.
    model::LogOffset tip = registry_->ReadableEnd(hub.stream, hub.shard, *hub.log);
    std::map<model::LogOffset, std::vector<Subscription*>> groups;
    for (auto& sub : hub.subs) {
      if (sub->done || sub->sink->Buffered() > options_.max_buffered_bytes) continue;
      if (sub->read_budget && sub->read_budget->Tokens(now_ns) <= 0) continue;  // over its 2 MiB/s
      groups[std::max(sub->position, start)].push_back(sub.get());
    }
    bool progressed = false;
    for (auto& [pos, members] : groups) {
      bool at_end = hub.end_offset && pos >= *hub.end_offset;
      std::string bytes;
      model::LogOffset next = pos;
      uint64_t record_bytes = 0;
      size_t record_count = 0;
      int64_t behind = 0;
      if (pos < tip && !at_end) {
        auto read = hub.log->Read(pos, limits);
        reads_.fetch_add(1, std::memory_order_relaxed);
        if (!read.ok()) {
          SPATE_LOG_ERROR("fan-out read of " + hub.key + ": " + read.status().ToString());
          for (Subscription* s : members) Finish(*s, "InternalFailureException", "Internal service failure.");
          continue;
        }
        next = read->next_offset;
        if (next > tip) {
          auto past = std::find_if(read->records.begin(), read->records.end(),
                                   [&](const storage::StoredRecord& r) { return r.offset >= tip; });
          read->records.erase(past, read->records.end());
          next = tip;
        }
        record_count = read->records.size();
        if (next < tip && !read->records.empty()) behind = std::max<int64_t>(0, wall - read->records.back().arrival_ms);
        for (const storage::StoredRecord& r : read->records) record_bytes += r.data.size() + r.partition_key.size();
        at_end = hub.end_offset && next >= *hub.end_offset;
        bytes = EncodeShardEvent(hub.shard, hub.epoch, &read->records, next, behind, at_end ? &hub.children : nullptr);
        progressed = true;
      } else if (at_end) {
        std::vector<storage::StoredRecord> none;
        bytes = EncodeShardEvent(hub.shard, hub.epoch, &none, pos, 0, &hub.children);
      } else {
        bool due = false;
        for (Subscription* s : members) due = due || now - s->last_event_ms >= options_.heartbeat_ms;
        if (!due) continue;
        std::vector<storage::StoredRecord> none;
        bytes = EncodeShardEvent(hub.shard, hub.epoch, &none, pos, 0, nullptr);
        for (Subscription* s : members) {
          if (now - s->last_event_ms < options_.heartbeat_ms) continue;
          s->last_event_ms = now;
          if (!s->sink->Write(bytes)) Finish(*s, {}, {});
        }
        continue;
      }
      for (Subscription* s : members) {
        s->position = next;
        s->last_event_ms = now;
        if (s->read_budget) s->read_budget->Take(static_cast<double>(record_bytes), now_ns);
        if (record_count > 0) {
          s->metrics->event_records->Add(record_count);
          s->metrics->event_bytes->Add(record_bytes);
          s->metrics->event_millis_behind->Observe(static_cast<uint64_t>(behind));
          if (const ShardMetrics* shard = hub.shard_metrics.get(); shard != nullptr) {
            if (shard->outgoing_records) shard->outgoing_records->Add(record_count);
            if (shard->outgoing_bytes) shard->outgoing_bytes->Add(record_bytes);
          }
        }
        if (!s->sink->Write(bytes) || at_end) Finish(*s, {}, {});
      }
    }
    if (!progressed) break;
  }
}

void FanOut::Poll() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    woken_ = false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = NowMonoMs();
  bool validate = now - last_validate_ms_ >= options_.validate_ms;
  if (validate) last_validate_ms_ = now;
  for (auto it = hubs_.begin(); it != hubs_.end();) {
    Hub& hub = *it->second;
    if (validate || hub.needs_validate) Validate(hub);
    PollHub(hub, now);
    size_t before = hub.subs.size();
    hub.subs.erase(std::remove_if(hub.subs.begin(), hub.subs.end(), [](const auto& s) { return s->done; }),
                   hub.subs.end());
    subscription_count_ -= before - hub.subs.size();
    if (hub.subs.empty()) {
      it = hubs_.erase(it);
    } else {
      ++it;
    }
  }
}

void FanOut::Loop() {
  // While anyone is subscribed, wake at least this often for heartbeats,
  // expiry, validation and subscribers that were over their buffer limit.
  auto tick =
      std::chrono::milliseconds(std::clamp<int64_t>(std::min(options_.validate_ms, options_.heartbeat_ms) / 4, 5, 50));
  std::unique_lock<std::mutex> lock(wake_mu_);
  while (!stopping_) {
    if (!woken_) {
      if (subscription_count_.load() > 0) {
        wake_cv_.wait_for(lock, tick, [this] { return woken_ || stopping_; });
      } else {
        wake_cv_.wait(lock, [this] { return woken_ || stopping_; });
      }
    }
    if (stopping_) break;
    lock.unlock();
    Poll();
    lock.lock();
  }
}

}  // namespace spate::streams
