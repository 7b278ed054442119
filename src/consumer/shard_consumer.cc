#include "consumer/shard_consumer.h"

#include <utility>

#include "spate/aggregation.h"

namespace spate::consumer {

int CompareSequenceNumbers(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

class ShardConsumer::CheckpointerImpl final : public Checkpointer {
 public:
  explicit CheckpointerImpl(ShardConsumer* owner, bool at_shard_end) : owner_(owner), at_shard_end_(at_shard_end) {}

  Outcome<Done> Checkpoint() override {
    if (at_shard_end_) return owner_->leases_->Checkpoint(owner_->shard_id_, std::string(kShardEnd), 0);
    if (!owner_->last_delivered_) return Done{};  // nothing delivered yet: nothing to record
    return Checkpoint(owner_->last_delivered_->sequence_number, owner_->last_delivered_->sub_sequence_number);
  }
  Outcome<Done> Checkpoint(std::string_view sequence_number, uint64_t sub_sequence_number) override {
    return owner_->leases_->Checkpoint(owner_->shard_id_, std::string(sequence_number),
                                       static_cast<int64_t>(sub_sequence_number));
  }

 private:
  ShardConsumer* const owner_;
  const bool at_shard_end_;
};

ShardConsumer::ShardConsumer(std::string shard_id, std::string stream, KinesisClient* client, LeaseCoordinator* leases,
                             std::unique_ptr<RecordProcessor> processor, int max_records, std::string consumer_arn)
    : shard_id_(std::move(shard_id)),
      stream_(std::move(stream)),
      client_(client),
      leases_(leases),
      processor_(std::move(processor)),
      max_records_(max_records),
      consumer_arn_(std::move(consumer_arn)) {}

ShardConsumer::StepResult ShardConsumer::Finish(bool lost) {
  if (lost) {
    if (initialized_) processor_->LeaseLost();
  } else {
    (void)leases_->Release(shard_id_);  // a failed release expires after the failover time
  }
  return StepResult::kDone;
}

Outcome<Done> ShardConsumer::OpenIterator(const std::string& checkpoint, uint64_t sub) {
  IteratorPosition position;
  if (checkpoint == kTrimHorizon) {
    position = IteratorPosition::TrimHorizon();
  } else if (checkpoint == kLatest) {
    position = IteratorPosition::Latest();
  } else {
    // AT the checkpointed record, skipping what was processed of it: an
    // aggregate may have been checkpointed half-way.
    position = IteratorPosition::AtSequenceNumber(checkpoint);
    skip_through_ = Position{checkpoint, sub};
  }
  if (!consumer_arn_.empty()) {
    subscribe_from_ = position;
    return Done{};
  }
  auto it = client_->GetShardIterator(stream_, shard_id_, position);
  if (!it.ok()) return it.error();
  iterator_ = std::move(it).value();
  return Done{};
}

ShardConsumer::StepResult ShardConsumer::Step() {
  if (!leases_->Holds(shard_id_)) return Finish(/*lost=*/true);
  if (shutdown_requested_) {
    if (initialized_) {
      CheckpointerImpl checkpointer(this, /*at_shard_end=*/false);
      processor_->ShutdownRequested(checkpointer);
    }
    return Finish(/*lost=*/false);
  }
  switch (state_) {
    case State::kWaitingForParents: {
      std::optional<LeaseRecord> lease = leases_->HeldLease(shard_id_);
      if (!lease) return Finish(/*lost=*/true);
      if (!lease->parent_shard_ids.empty()) {
        if (!leases_->Refresh().ok() || !leases_->ParentsFinished(*lease)) return StepResult::kIdle;
      }
      state_ = State::kInitializing;
      return StepResult::kContinue;
    }
    case State::kInitializing: {
      std::optional<LeaseRecord> lease = leases_->HeldLease(shard_id_);
      if (!lease) return Finish(/*lost=*/true);
      if (lease->checkpoint == kShardEnd) return Finish(/*lost=*/false);  // already finished by a predecessor
      if (!OpenIterator(lease->checkpoint, static_cast<uint64_t>(lease->checkpoint_sub_sequence)).ok()) {
        return StepResult::kIdle;
      }
      processor_->Initialize(shard_id_);
      initialized_ = true;
      state_ = State::kProcessing;
      return StepResult::kContinue;
    }
    case State::kProcessing: return consumer_arn_.empty() ? Read() : Subscribe();
    case State::kShardEnded: {
      CheckpointerImpl checkpointer(this, /*at_shard_end=*/true);
      processor_->ShardEnded(checkpointer);
      std::optional<LeaseRecord> lease = leases_->HeldLease(shard_id_);
      if (!lease) return Finish(/*lost=*/true);
      if (lease->checkpoint == kShardEnd) return Finish(/*lost=*/false);
      return StepResult::kIdle;  // the processor must checkpoint SHARD_END; ask again
    }
  }
  return StepResult::kIdle;
}

ShardConsumer::StepResult ShardConsumer::Read() {
  auto got = client_->GetRecords(iterator_, max_records_);
  if (!got.ok()) {
    if (got.error().type == "ExpiredIteratorException") {
      // Reopen just after what was delivered (or at the checkpoint).
      std::optional<LeaseRecord> lease = leases_->HeldLease(shard_id_);
      if (!lease) return Finish(/*lost=*/true);
      Outcome<Done> reopened =
          last_delivered_ ? OpenIterator(last_delivered_->sequence_number, last_delivered_->sub_sequence_number)
                          : OpenIterator(lease->checkpoint, static_cast<uint64_t>(lease->checkpoint_sub_sequence));
      if (!reopened.ok()) return StepResult::kIdle;
      return StepResult::kContinue;
    }
    return StepResult::kIdle;
  }
  GetRecordsResult& result = got.value();
  const bool delivered = !result.records.empty();
  Deliver(&result.records);
  iterator_ = std::move(result.next_shard_iterator);
  if (iterator_.empty()) {
    state_ = State::kShardEnded;
    return StepResult::kContinue;
  }
  return delivered ? StepResult::kContinue : StepResult::kIdle;
}

void ShardConsumer::Deliver(std::vector<Record>* records) {
  std::vector<ConsumedRecord> batch;
  for (Record& r : *records) {
    for (UserRecord& u : Deaggregate(r.data, r.partition_key, {})) {
      if (skip_through_) {
        const int c = CompareSequenceNumbers(r.sequence_number, skip_through_->sequence_number);
        if (c < 0 || (c == 0 && u.sub_sequence_number <= skip_through_->sub_sequence_number)) continue;
      }
      ConsumedRecord out;
      out.sequence_number = r.sequence_number;
      out.sub_sequence_number = u.sub_sequence_number;
      out.aggregated = u.aggregated;
      out.partition_key = std::move(u.partition_key);
      out.explicit_hash_key = std::move(u.explicit_hash_key);
      out.data = std::move(u.data);
      out.approximate_arrival_timestamp_ms = r.approximate_arrival_timestamp_ms;
      batch.push_back(std::move(out));
    }
  }
  if (batch.empty()) return;
  last_delivered_ = Position{batch.back().sequence_number, batch.back().sub_sequence_number};
  CheckpointerImpl checkpointer(this, /*at_shard_end=*/false);
  processor_->ProcessRecords(batch, checkpointer);
}

ShardConsumer::StepResult ShardConsumer::Subscribe() {
  bool lost = false;
  bool ended = false;
  SubscribeToShardHandler handler;
  handler.on_event = [&](SubscribeToShardEvent& ev) {
    if (!leases_->Holds(shard_id_)) {
      lost = true;
      return false;
    }
    if (shutdown_requested_) return false;
    const bool had_records = !ev.records.empty();
    Deliver(&ev.records);
    // The next subscription continues after the continuation. Before the
    // first record of a TRIM_HORIZON or AT_SEQUENCE_NUMBER start, the start
    // itself is kept: nothing was delivered that a continuation could cover.
    const bool positioned = subscribe_from_.type == IteratorPosition::Type::kLatest ||
                            subscribe_from_.type == IteratorPosition::Type::kAfterSequenceNumber;
    if (!ev.continuation_sequence_number.empty() && (had_records || positioned)) {
      subscribe_from_ = IteratorPosition::AfterSequenceNumber(ev.continuation_sequence_number);
    }
    if (ev.shard_ended) ended = true;
    return !ended;
  };
  handler.cancelled = [this] { return shutdown_requested_.load() || !leases_->Holds(shard_id_); };
  Outcome<Done> done = client_->SubscribeToShard(consumer_arn_, shard_id_, subscribe_from_, handler);
  if (lost || !leases_->Holds(shard_id_)) return Finish(/*lost=*/true);
  if (ended) {
    state_ = State::kShardEnded;
    return StepResult::kContinue;
  }
  // The service ended the subscription (its lifetime): subscribe again at
  // once. An error (another subscription still alive, the network): after
  // the idle time.
  return done.ok() ? StepResult::kContinue : StepResult::kIdle;
}

}  // namespace spate::consumer
