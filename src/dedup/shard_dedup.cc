#include "dedup/shard_dedup.h"

#include <utility>

namespace spate::dedup {
namespace {

Status Fenced(const ProducerStamp& stamp, uint64_t current) {
  return Status(ErrorCode::kConcurrentModification, "Producer " + stamp.producer_id + " is fenced: epoch " +
                                                        std::to_string(stamp.epoch) +
                                                        " is older than its current epoch " + std::to_string(current) +
                                                        " (another InitProducer took over this producer id).");
}

}  // namespace

Status ShardDedup::RecoverOnce(const std::function<Status(ShardDedup*)>& scan) {
  std::lock_guard recover(recover_mu_);
  {
    std::lock_guard lock(mu_);
    if (recovered_) return Status::Ok();
  }
  SPATE_TRY(scan(this));
  std::lock_guard lock(mu_);
  recovered_ = true;
  return Status::Ok();
}

bool ShardDedup::recovered() const {
  std::lock_guard lock(mu_);
  return recovered_;
}

void ShardDedup::Observe(const StampRecord& record, uint64_t offset, int64_t arrival_ms) {
  std::lock_guard lock(mu_);
  Producer* p = Touch(record.stamp.producer_id, arrival_ms);
  if (p == nullptr) return;
  if (record.stamp.epoch < p->epoch) return;  // an older epoch's request, fenced since
  if (record.stamp.epoch > p->epoch) {
    p->epoch = record.stamp.epoch;
    p->window.clear();
    // As in Begin: only the window bounds which sequences are refused. A
    // sequence not seen in the scanned tail is new: with several requests in
    // flight at a crash, a lower one may not have become durable while a
    // higher one did, and its resend must be appended. (One appended before
    // the scanned tail would be appended again: docs/exactly-once.md, Bounds.)
    p->floor = 0;
  }
  if (record.stamp.sequence < p->floor) return;  // below the window already
  Entry& e = p->window[record.stamp.sequence];
  e.count = record.count;
  e.base_offset = offset + 1;
  Trim(p);
}

ShardDedup::Producer* ShardDedup::Touch(const std::string& id, int64_t now_ms) {
  auto it = producers_.find(id);
  if (it == producers_.end()) {
    Expire(now_ms);
    if (producers_.size() >= limits_.max_producers) {
      // Forget the least recently used producer with nothing in flight.
      for (auto victim = lru_.rbegin(); victim != lru_.rend(); ++victim) {
        auto v = producers_.find(*victim);
        if (v->second.in_flight == 0) {
          lru_.erase(v->second.lru);
          producers_.erase(v);
          break;
        }
      }
      if (producers_.size() >= limits_.max_producers) return nullptr;
    }
    lru_.push_front(id);
    it = producers_.emplace(id, Producer{}).first;
    it->second.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.last_used_ms = std::max(it->second.last_used_ms, now_ms);
  return &it->second;
}

void ShardDedup::Expire(int64_t now_ms) {
  while (!lru_.empty()) {
    auto it = producers_.find(lru_.back());
    if (it->second.in_flight != 0 || now_ms - it->second.last_used_ms < limits_.expiry_ms) return;
    producers_.erase(it);
    lru_.pop_back();
  }
}

void ShardDedup::Trim(Producer* p) {
  for (auto it = p->window.begin(); p->window.size() > limits_.window && it != p->window.end();) {
    if (it->second.in_flight) {
      ++it;
      continue;
    }
    p->floor = std::max(p->floor, it->first + 1);
    it = p->window.erase(it);
  }
}

Decision ShardDedup::Begin(const ProducerStamp& stamp, uint32_t count, int64_t now_ms, Waiter waiter) {
  std::vector<Waiter> orphans;  // waiters of an older epoch, failed outside the lock
  ProducerStamp orphaned;       // their stamp's epoch, for the message
  Decision d;
  {
    std::lock_guard lock(mu_);
    Producer* p = Touch(stamp.producer_id, now_ms);
    if (p == nullptr) {
      d.verdict = Verdict::kRefused;
      d.status = Status(ErrorCode::kThroughputExceeded,
                        "Too many producers with requests in flight on this shard; retry later.");
      return d;
    }
    if (stamp.epoch < p->epoch) {
      d.verdict = Verdict::kRefused;
      d.status = Fenced(stamp, p->epoch);
      return d;
    }
    if (stamp.epoch > p->epoch) {
      orphaned = ProducerStamp{stamp.producer_id, p->epoch, 0};
      for (auto& [seq, e] : p->window) {
        for (Waiter& w : e.waiters) orphans.push_back(std::move(w));
      }
      p->epoch = stamp.epoch;
      p->window.clear();
      p->floor = 0;
      p->in_flight = 0;
    }
    auto it = p->window.find(stamp.sequence);
    if (it != p->window.end()) {
      if (it->second.count != count) {
        d.verdict = Verdict::kRefused;
        d.status = Status(ErrorCode::kInvalidArgument,
                          "ProducerSequence " + std::to_string(stamp.sequence) + " of producer " + stamp.producer_id +
                              " was used with " + std::to_string(it->second.count) + " records for this shard, not " +
                              std::to_string(count) + ": a resend must carry the same records.");
      } else if (it->second.in_flight) {
        d.verdict = Verdict::kWait;
        it->second.waiters.push_back(std::move(waiter));
      } else {
        d.verdict = Verdict::kDuplicate;
        d.base_offset = it->second.base_offset;
      }
    } else if (stamp.sequence < p->floor) {
      d.verdict = Verdict::kRefused;
      d.status = Status(ErrorCode::kInvalidArgument,
                        "ProducerSequence " + std::to_string(stamp.sequence) + " of producer " + stamp.producer_id +
                            " is older than the requests this shard remembers (from " + std::to_string(p->floor) +
                            "); it cannot be told from one never appended.");
    } else {
      Entry& e = p->window[stamp.sequence];
      e.count = count;
      e.in_flight = true;
      ++p->in_flight;
      d.verdict = Verdict::kAppend;
    }
  }
  for (Waiter& w : orphans) w(Fenced(orphaned, stamp.epoch));
  return d;
}

void ShardDedup::Commit(const ProducerStamp& stamp, uint64_t base_offset) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    auto p = producers_.find(stamp.producer_id);
    if (p == producers_.end() || p->second.epoch != stamp.epoch) return;
    auto it = p->second.window.find(stamp.sequence);
    if (it == p->second.window.end() || !it->second.in_flight) return;
    it->second.in_flight = false;
    it->second.base_offset = base_offset;
    waiters = std::move(it->second.waiters);
    --p->second.in_flight;
    Trim(&p->second);
  }
  for (Waiter& w : waiters) w(base_offset);
}

void ShardDedup::Abort(const ProducerStamp& stamp, const Status& error) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    auto p = producers_.find(stamp.producer_id);
    if (p == producers_.end() || p->second.epoch != stamp.epoch) return;
    auto it = p->second.window.find(stamp.sequence);
    if (it == p->second.window.end() || !it->second.in_flight) return;
    waiters = std::move(it->second.waiters);
    p->second.window.erase(it);
    --p->second.in_flight;
  }
  for (Waiter& w : waiters) w(error);
}

size_t ShardDedup::producer_count() const {
  std::lock_guard lock(mu_);
  return producers_.size();
}

}  // namespace spate::dedup
