// The data plane: puts (routing, metering, appends) and reads (iterators,
// GetRecords).

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dedup/shard_dedup.h"
#include "storage/shard_log.h"
#include "streams/read_outcome.h"
#include "streams/registry.h"
#include "streams/stream_errors.h"
#include "streams/token_codec.h"
#include "util/hash_key.h"

namespace spate::streams {
namespace {

using metadata::ShardMeta;
using metadata::StreamStatus;

// "Thu Jan 22 01:22:02 UTC 2015", the Java Date form AWS uses in messages.
std::string AmzUtcString(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

}  // namespace

// Closing a shard (resharding) versus Put. Put routes its entries and
// calls ShardLog::Append for every batch while holding mu_ shared; Append
// assigns the batch's offsets before it returns. Reshard() holds mu_
// exclusively while it reads each parent's AssignedEndOffset() and swaps
// the routes. So every Put either finished its Appends before the reshard
// took the lock (its offsets, acknowledged or still queued in the storage
// writer, are below the parent's end offset) or routes after it (to the
// children, never to a closed shard). A disk-full rewind can only lower a
// closed log's assigned end, so the parent's tail above it stays empty;
// GetRecords treats a closed shard whose log has settled as fully read.
void Registry::Put(const StreamRef& ref, std::vector<PutEntry> entries, PutCallback done,
                   const StreamCheck& entry_fault) {
  Put(Find(ref), std::move(entries), std::move(done), entry_fault);
}

void Registry::Put(const StreamHandle& stream, std::vector<PutEntry> entries, PutCallback done,
                   const StreamCheck& entry_fault, const dedup::ProducerStamp* stamp, int64_t received_ns) {
  struct Batch {
    model::ShardIndex shard;
    std::shared_ptr<storage::ShardLog> log;
    std::vector<size_t> entry_positions;
    std::string storage_group;
    uint64_t bytes = 0;
    std::shared_ptr<const ShardMetrics> metrics;  // null unless enhanced monitoring is on
    uint32_t epoch = 0;                           // the stream's, for the sequence numbers
    int64_t authority = 0;                        // what options_.write_gate admitted the batch under
    Status refused;                               // why options_.write_gate refused the shard's records
  };
  struct Pending {
    std::vector<PutEntry> entries;
    std::vector<PutOutcome> outcomes;
    // Batches in flight plus one for the issuing call, so done never runs
    // while Put still holds mu_ (Append may complete inline).
    std::atomic<size_t> remaining{1};
    PutCallback done;
    std::shared_ptr<const StreamMetrics> metrics;
    void Release() {
      if (remaining.fetch_sub(1) == 1) done(std::move(outcomes));
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->entries = std::move(entries);
  pending->outcomes.resize(pending->entries.size());
  pending->done = std::move(done);

  Status st;
  std::string key_id;  // non-empty: the stream is encrypted (StartStreamEncryption)
  // Stamped parts that failed before their append: their tables forget them
  // once mu_ is released.
  std::vector<std::pair<std::shared_ptr<dedup::ShardDedup>, Status>> aborted;
  // Stamped: tables not rebuilt since this process started, with their
  // logs. Nothing is decided then: the call waits for dedup_recovery_.
  std::vector<std::pair<std::shared_ptr<dedup::ShardDedup>, std::shared_ptr<storage::ShardLog>>> to_recover;
  // Stamped parts answered from a table, to run once mu_ is released.
  std::vector<std::function<void()>> duplicates;
  {
    std::shared_lock lock(mu_);
    const Stream* s = stream.stream == nullptr || stream.stream->removed_ ? nullptr : stream.stream.get();
    if (s == nullptr || (s->meta().status != StreamStatus::kActive && s->meta().status != StreamStatus::kUpdating)) {
      st = StreamNotFound(stream.ref);
    } else if (s->meta().encryption_type == "KMS") {
      key_id = s->meta().key_id;
    }
    if (s != nullptr) pending->metrics = s->metrics();
    // WriteProvisionedThroughputExceeded, per stream and (if enabled) per shard.
    auto count_throttled = [s](model::ShardIndex shard) {
      s->metrics()->write_throttled->Add();
      if (auto m = s->ShardMetricsFor(shard); m != nullptr && m->write_throttled != nullptr) m->write_throttled->Add();
    };
    std::vector<Batch> batches;
    // Exactly-once (stamped) puts, docs/exactly-once.md: each shard's part
    // of the request is looked up in the shard's table before anything is
    // metered, so that a resend of a part appended before is answered from
    // the table, never throttled (a throttled answer would have the producer
    // send its records again under a new stamp).
    std::vector<char> answered(pending->entries.size(), 0);        // by the table (or refused by it)
    std::map<uint32_t, std::shared_ptr<dedup::ShardDedup>> begun;  // shard -> table: parts to append
    if (st.ok() && stamp != nullptr) {
      std::map<uint32_t, std::vector<size_t>> parts;  // shard -> entry positions, in request order
      for (size_t i = 0; i < pending->entries.size(); ++i) {
        const PutEntry& e = pending->entries[i];
        const ShardMeta* shard =
            s->Route(e.explicit_hash_key ? *e.explicit_hash_key : util::PartitionKeyHash(e.partition_key));
        if (shard == nullptr) {
          st = Status(ErrorCode::kInternal, "no open shard holds hash key");
          break;
        }
        parts[shard->index.value].push_back(i);
      }
      for (const auto& part : parts) {
        if (!st.ok()) break;
        const model::ShardIndex shard{part.first};
        auto table = DedupTable(s->meta().storage_group, shard);
        if (!table->recovered()) to_recover.emplace_back(std::move(table), s->Log(shard));
      }
      // Decided below, once every table is recovered: after the recovery
      // thread's scans, which put again.
      if (st.ok() && !to_recover.empty()) st = Unavailable("exactly-once tables not recovered yet");
      const int64_t now = clock_->NowMs();
      for (auto& [index, positions] : parts) {
        if (!st.ok()) break;
        const model::ShardIndex shard{index};
        for (size_t pos : positions) {
          pending->outcomes[pos].shard = shard;
          answered[pos] = 1;
        }
        // An init-capture: clang 14 (the fuzz build) cannot capture a
        // structured binding by name.
        auto fill = [pending, shard, epoch = s->meta().epoch, encrypted = !key_id.empty(),
                     positions = positions](Result<uint64_t> first) {
          for (size_t j = 0; j < positions.size(); ++j) {
            PutOutcome& o = pending->outcomes[positions[j]];
            o.encrypted = encrypted;
            if (first.ok()) {
              o.sequence = model::SequenceNumber::OfRecord(shard, epoch, model::LogOffset(*first + j));
            } else {
              o.status = first.status();
            }
          }
          pending->Release();
        };
        // A part the table knows was appended to this node's log, which in
        // cluster mode need not mean acknowledged: its first append may have
        // failed replication. It is answered like the first copy would have
        // been, once a majority of the replicas holds it.
        dedup::Waiter answer = fill;
        if (options_.replicator != nullptr) {
          Result<int64_t> authority = options_.write_gate != nullptr ? options_.write_gate->Admit(s->meta(), shard)
                                                                     : Result<int64_t>(int64_t{0});
          answer = [this, fill, authority, count = positions.size(), log = s->Log(shard),
                    target = ReplicatedShard{s->meta().account, s->meta().region, s->meta().name, shard}](
                       Result<uint64_t> first) {
            if (!first.ok()) return fill(first);
            if (!authority.ok()) return fill(authority.status());
            options_.replicator->Replicate(target, log, model::LogOffset(*first + count), *authority,
                                           [fill, first](Status st) { fill(st.ok() ? first : Result<uint64_t>(st)); });
          };
        }
        pending->remaining += 1;  // released by `fill`, or below for a part to append
        std::shared_ptr<dedup::ShardDedup> table = DedupTable(s->meta().storage_group, shard);
        dedup::Decision d = table->Begin(*stamp, static_cast<uint32_t>(positions.size()), now, answer);
        switch (d.verdict) {
          case dedup::Verdict::kAppend:
            for (size_t pos : positions) answered[pos] = 0;
            pending->remaining -= 1;
            begun.emplace(index, std::move(table));
            break;
          case dedup::Verdict::kDuplicate:
            duplicates.push_back([answer, base = d.base_offset] { answer(base); });
            break;
          case dedup::Verdict::kRefused: fill(d.status); break;
          case dedup::Verdict::kWait:  // `answer` runs with the original's outcome
            break;
        }
      }
    }
    // Routing, then metering per shard: each shard's records are offered to
    // its meter in request order under one lock and one clock reading
    // (ShardThroughput::AdmitWrites) rather than one each, and the shards'
    // logs and meters are looked up once per call, not per record.
    struct Share {
      const ShardMeta* shard;
      size_t count = 0;               // entries routed to it
      std::vector<size_t> positions;  // which, in request order
    };
    std::vector<Share> shares;
    constexpr uint32_t kNoShare = UINT32_MAX;
    // By the shard's position in meta().shards: its index in `shares`.
    std::vector<uint32_t> share_of;
    // By entry: its index in `shares`, kNoShare when answered or failed.
    std::vector<uint32_t> entry_share;
    if (st.ok()) {
      share_of.assign(s->meta().shards.size(), kNoShare);
      entry_share.assign(pending->entries.size(), kNoShare);
    }
    for (size_t i = 0; st.ok() && i < pending->entries.size(); ++i) {
      if (answered[i]) continue;
      const PutEntry& e = pending->entries[i];
      model::uint128 hash = e.explicit_hash_key ? *e.explicit_hash_key : util::PartitionKeyHash(e.partition_key);
      const ShardMeta* shard = s->Route(hash);
      if (shard == nullptr) {
        st = Status(ErrorCode::kInternal, "no open shard holds hash key");
        break;
      }
      PutOutcome& o = pending->outcomes[i];
      o.shard = shard->index;
      o.bytes = e.data.size() + e.partition_key.size();
      if (entry_fault) {
        o.status = entry_fault(*s);
        if (o.status.code() == ErrorCode::kThroughputExceeded) {
          o.status = ShardRateExceeded(s->meta(), shard->index);
          count_throttled(shard->index);
        }
        if (!o.status.ok()) continue;
      }
      uint32_t& share = share_of[static_cast<size_t>(shard - s->meta().shards.data())];
      if (share == kNoShare) {
        share = static_cast<uint32_t>(shares.size());
        shares.push_back(Share{shard, 0, {}});
      }
      shares[share].count += 1;
      entry_share[i] = share;
    }
    for (Share& share : shares) share.positions.reserve(share.count);
    for (size_t i = 0; st.ok() && i < entry_share.size(); ++i) {
      if (entry_share[i] != kNoShare) shares[entry_share[i]].positions.push_back(i);
    }
    std::vector<uint64_t> share_bytes;
    std::unique_ptr<bool[]> admitted(st.ok() ? new bool[pending->entries.size()] : nullptr);
    batches.reserve(shares.size());
    for (size_t k = 0; st.ok() && k < shares.size(); ++k) {
      Share& share = shares[k];
      const model::ShardIndex index = share.shard->index;
      share_bytes.clear();
      for (size_t pos : share.positions) share_bytes.push_back(pending->outcomes[pos].bytes);
      s->Meter(index)->AdmitWrites(share_bytes, std::span<bool>(admitted.get(), share.positions.size()));
      size_t kept = 0;  // admitted positions, compacted in place
      uint64_t bytes = 0;
      for (size_t j = 0; j < share.positions.size(); ++j) {
        const size_t pos = share.positions[j];
        if (!admitted[j]) {
          pending->outcomes[pos].status = ShardRateExceeded(s->meta(), index);
          count_throttled(index);
          continue;
        }
        share.positions[kept++] = pos;
        bytes += pending->outcomes[pos].bytes;
      }
      share.positions.resize(kept);
      if (kept == 0) continue;
      Batch b{index,
              s->Log(index),
              std::move(share.positions),
              s->meta().storage_group,
              bytes,
              s->ShardMetricsFor(index),
              s->meta().epoch,
              0,
              Status::Ok()};
      if (options_.write_gate != nullptr) {
        auto authority = options_.write_gate->Admit(s->meta(), index);
        if (authority.ok()) {
          b.authority = *authority;
        } else {
          // Refused after metering, as each record was before.
          for (size_t pos : b.entry_positions) pending->outcomes[pos].status = authority.status();
          b.entry_positions.clear();
          b.bytes = 0;
          b.refused = authority.status();
        }
      }
      batches.push_back(std::move(b));
    }
    // Stamped puts: a shard's part is appended whole or not at all, so that
    // a resend maps onto it record for record. A part with a refused entry
    // (throttled, or the write gate) fails whole and is forgotten by its
    // table (after mu_ is released: Abort runs waiting resends' callbacks).
    if (stamp != nullptr) {
      for (auto it = begun.begin(); it != begun.end();) {
        const model::ShardIndex shard{it->first};
        Status why;
        for (size_t i = 0; i < pending->outcomes.size() && why.ok(); ++i) {
          if (!answered[i] && pending->outcomes[i].shard == shard) why = pending->outcomes[i].status;
        }
        if (st.ok() && why.ok()) {
          ++it;
          continue;
        }
        if (!st.ok()) why = st;
        for (size_t i = 0; i < pending->outcomes.size(); ++i) {
          if (!answered[i] && pending->outcomes[i].shard == shard) pending->outcomes[i].status = why;
        }
        for (Batch& b : batches) {
          if (b.shard == shard) b.entry_positions.clear();
        }
        aborted.emplace_back(std::move(it->second), why);
        it = begun.erase(it);
      }
    }
    if (st.ok()) {
      pending->remaining += batches.size();
      int64_t arrival = clock_->NowMs();
      storage::AppendOptions append_options;
      append_options.encryption_key_id = key_id;
      append_options.received_ns = received_ns;
      const bool encrypted = !key_id.empty();
      for (Batch& b : batches) {
        if (b.entry_positions.empty()) {  // every entry refused by the write gate
          pending->remaining -= 1;
          continue;
        }
        std::vector<storage::RecordInput> records;
        records.reserve(b.entry_positions.size() + 1);
        std::shared_ptr<dedup::ShardDedup> dedup_table;  // stamped: the table the part was begun in
        std::string control;                             // the stamped batch's control record (dedup/stamp.h)
        if (stamp != nullptr) {
          dedup_table = std::move(begun.at(b.shard.value));
          control = dedup::EncodeStampRecord(*stamp, static_cast<uint32_t>(b.entry_positions.size()));
          records.push_back({std::string_view(), control});
        }
        const uint64_t first_user = records.size();  // 1 behind a control record
        for (size_t pos : b.entry_positions) {
          records.push_back({pending->entries[pos].partition_key, pending->entries[pos].data});
        }
        model::ShardIndex shard = b.shard;
        // The leadership's fencing epoch, stamped into the batch (0 on a
        // single node).
        append_options.epoch = b.authority;
        auto finish = [this, pending, shard, encrypted, epoch = b.epoch, group = std::move(b.storage_group),
                       positions = std::move(b.entry_positions), bytes = b.bytes, authority = b.authority,
                       shard_metrics = std::move(b.metrics), first_user, dedup_table = std::move(dedup_table),
                       stamp = stamp != nullptr ? *stamp : dedup::ProducerStamp{}](Result<storage::AppendResult> r,
                                                                                   Status replicated = Status::Ok()) {
          if (dedup_table != nullptr) {
            // In this node's log (or not) whatever the write gate and the
            // replicas say now: a resend must see it, and is answered once
            // the batch is replicated (`answer` above).
            if (r.ok()) {
              dedup_table->Commit(stamp, r->base_offset.value() + first_user);
            } else {
              dedup_table->Abort(stamp, r.status());
            }
          }
          if (r.ok() && !replicated.ok()) r = std::move(replicated);
          if (r.ok() && options_.write_gate != nullptr && !options_.write_gate->StillHolds(authority)) {
            r = Status(ErrorCode::kUnavailable,
                       "this node lost its cluster authority before the records were acknowledged");
          }
          if (r.ok()) {
            // Wake enhanced fan-out: the batch is durable now.
            if (append_observer_) append_observer_(group, shard);
            pending->metrics->incoming_records->Add(positions.size());
            pending->metrics->incoming_bytes->Add(bytes);
            if (shard_metrics != nullptr) {
              if (shard_metrics->incoming_records) shard_metrics->incoming_records->Add(positions.size());
              if (shard_metrics->incoming_bytes) shard_metrics->incoming_bytes->Add(bytes);
            }
          }
          for (size_t j = 0; j < positions.size(); ++j) {
            PutOutcome& o = pending->outcomes[positions[j]];
            o.encrypted = encrypted;
            if (r.ok()) {
              o.sequence = model::SequenceNumber::OfRecord(shard, epoch, r->base_offset + (first_user + j));
            } else {
              o.status = r.status();
            }
          }
          pending->Release();
        };
        if (options_.replicator == nullptr) {
          b.log->Append(records, arrival, append_options, std::move(finish));
          continue;
        }
        // Cluster mode: durable here, then on a majority of the shard's
        // replicas, then acknowledged.
        b.log->Append(
            records, arrival, append_options,
            [this, log = b.log, authority = b.authority, finish = std::move(finish),
             target = ReplicatedShard{s->meta().account, s->meta().region, s->meta().name, shard}](
                Result<storage::AppendResult> r) mutable {
              if (!r.ok()) {
                finish(std::move(r));
                return;
              }
              storage::AppendResult appended = *r;
              options_.replicator->Replicate(
                  target, std::move(log), appended.base_offset + appended.count, authority,
                  [finish = std::move(finish), appended](Status st) mutable { finish(appended, std::move(st)); });
            });
      }
    }
  }
  for (auto& [table, why] : aborted) table->Abort(*stamp, why);
  for (auto& answer : duplicates) answer();
  if (!to_recover.empty()) {
    // Nothing was decided nor appended. The recovery thread rebuilds the
    // tables (scans of up to dedup_recovery_records records each), then
    // makes this call again from there, where a shard added by a reshard
    // meanwhile would wait for its own scan in turn.
    dedup_recovery_.Run([this, stream, entries = std::move(pending->entries), done = std::move(pending->done),
                         entry_fault, stamp = *stamp, to_recover = std::move(to_recover),
                         received_ns](Status ready) mutable {
      for (const auto& [table, log] : to_recover) {
        if (ready.ok()) ready = RecoverDedupTable(table.get(), *log);
      }
      if (!ready.ok()) return done(ready);
      Put(stream, std::move(entries), std::move(done), entry_fault, &stamp, received_ns);
    });
    return;
  }
  if (!st.ok()) {
    // Nothing was appended: no batch holds a reference.
    pending->done(st);
    return;
  }
  // The logs copied the records' bytes before Append returned. Free them
  // here, on the thread that allocated them, rather than with `pending` on
  // the storage writer thread that runs the last callback: 500 strings of a
  // PutRecords freed across threads, on the thread every commit waits for.
  std::vector<PutEntry>().swap(pending->entries);
  pending->Release();
}

std::string Registry::MakeIterator(const Stream& stream, model::ShardIndex shard, model::LogOffset offset) const {
  IteratorState it;
  it.issued_ms = clock_->NowMs();
  it.stream_created_ms = stream.meta().created_ms;
  it.shard = shard;
  it.offset = offset;
  it.account = stream.meta().account;
  it.region = stream.meta().region;
  it.stream_name = stream.meta().name;
  return EncodeIterator(*tokens_, it);
}

Result<GetRecordsOutcome> Registry::GetRecords(std::string_view iterator, size_t limit, const StreamCheck& authorize,
                                               const StreamCheck& read_fault) const {
  auto state = DecodeIterator(*tokens_, iterator);
  if (!state) return Status(ErrorCode::kInvalidArgument, "Invalid ShardIterator.");
  int64_t now = clock_->NowMs();
  if (now - state->issued_ms > options_.iterator_ttl_ms) {
    return Status(ErrorCode::kExpiredIterator, "Iterator expired. The iterator was created at time " +
                                                   AmzUtcString(state->issued_ms) + " while right now it is " +
                                                   AmzUtcString(now) +
                                                   " which is further in the future than the tolerated delay of " +
                                                   std::to_string(options_.iterator_ttl_ms) + " milliseconds.");
  }
  model::ShardIndex shard = state->shard;
  StreamRef ref{state->account, state->region, state->stream_name};
  auto shard_missing = [&] {
    return Status(ErrorCode::kNotFound, "Shard " + model::ShardIdName(shard) + " in stream " + ref.name +
                                            " under account " + ref.account + " does not exist");
  };
  std::shared_ptr<storage::ShardLog> log;
  std::shared_ptr<ShardThroughput> meter;
  std::shared_ptr<const StreamMetrics> stream_metrics;
  std::shared_ptr<const ShardMetrics> shard_metrics;
  std::optional<model::LogOffset> end_offset;
  std::vector<ShardMeta> children;
  uint32_t epoch = 0;
  Status authorized;
  std::optional<ReplicatedShard> replicated;  // cluster mode: reads stop at the committed end
  Status st = WithStream(ref, [&](const Stream& s) {
    if (authorize) {
      authorized = authorize(s);
      if (!authorized.ok()) return authorized;
    }
    const ShardMeta* meta = s.FindShard(shard);
    if (s.meta().created_ms != state->stream_created_ms || meta == nullptr) return shard_missing();
    // ReadProvisionedThroughputExceeded, per stream and (if enabled) per shard.
    auto throttled = [&] {
      s.metrics()->read_throttled->Add();
      if (auto m = s.ShardMetricsFor(shard); m != nullptr && m->read_throttled != nullptr) m->read_throttled->Add();
      return ShardRateExceeded(s.meta(), shard);
    };
    Status injected = read_fault ? read_fault(s) : Status::Ok();
    if (injected.code() == ErrorCode::kThroughputExceeded) return throttled();
    SPATE_TRY(injected);
    meter = s.Meter(shard);
    if (!meter->AdmitRead()) return throttled();
    stream_metrics = s.metrics();
    shard_metrics = s.ShardMetricsFor(shard);
    log = s.Log(shard);
    if (options_.replicator != nullptr) {
      replicated = ReplicatedShard{s.meta().account, s.meta().region, s.meta().name, shard};
    }
    end_offset = meta->end_offset;
    epoch = s.meta().epoch;
    if (end_offset) {
      for (const ShardMeta& c : s.meta().shards) {
        if ((c.parent && *c.parent == shard) || (c.adjacent_parent && *c.adjacent_parent == shard)) {
          children.push_back(c);
        }
      }
    }
    return Status::Ok();
  });
  if (!authorized.ok()) return authorized;
  if (st.code() == ErrorCode::kNotFound) return shard_missing();
  SPATE_TRY(st);

  storage::ReadLimits limits;
  limits.max_records = limit;
  GetRecordsOutcome out;
  out.shard = shard;
  out.epoch = epoch;
  model::LogOffset from = std::max(state->offset, log->StartOffset());
  model::LogOffset tip = log->EndOffset();
  model::LogOffset next = from;
  // Cluster mode: nothing at or past the committed end is served (it could
  // vanish in a failover), and nothing at all is read there (a new leader
  // may be truncating it).
  const model::LogOffset readable =
      replicated ? std::min(tip, options_.replicator->CommittedEnd(*replicated, *log)) : tip;
  if (from < readable || readable == tip) {
    // Read even at the tip: a log that failed verification reports it there
    // (InternalFailure) instead of looking empty.
    auto read = log->ReadViews(from, limits);
    if (!read.ok()) return read.status();
    out.records = std::move(read->records);
    next = std::max(from, read->next_offset);
    if (readable < tip && next > readable) {
      auto past = std::find_if(out.records.begin(), out.records.end(),
                               [&](const storage::RecordView& r) { return r.offset >= readable; });
      out.records.erase(past, out.records.end());
      next = readable;
    }
    out.bytes = std::move(*read);
  }
  tip = readable;
  if (next < tip && !out.records.empty()) {
    out.millis_behind_latest = std::max<int64_t>(0, now - out.records.back().arrival_ms);
  }
  uint64_t response_bytes = 0;
  for (const storage::RecordView& r : out.records) response_bytes += r.data.size() + r.partition_key.size();
  meter->ChargeRead(response_bytes);
  stream_metrics->get_records_records->Add(out.records.size());
  stream_metrics->get_records_bytes->Add(response_bytes);
  stream_metrics->get_records_iterator_age->Observe(static_cast<uint64_t>(out.millis_behind_latest));
  if (shard_metrics != nullptr) {
    if (shard_metrics->outgoing_records) shard_metrics->outgoing_records->Add(out.records.size());
    if (shard_metrics->outgoing_bytes) shard_metrics->outgoing_bytes->Add(response_bytes);
    if (shard_metrics->iterator_age_ms) shard_metrics->iterator_age_ms->Set(out.millis_behind_latest);
  }
  out.metrics = std::move(stream_metrics);
  // A closed shard is fully read at its end offset, or at its settled tip
  // when a disk-full rewind failed its last queued batches (see Put). Read
  // the tip before the assigned end: after closing, the tip only grows and
  // the assigned end only shrinks, so equality means nothing is in flight.
  bool at_end = false;
  if (end_offset) {
    model::LogOffset acked = log->EndOffset();
    const bool settled = !replicated || options_.replicator->CommittedEnd(*replicated, *log) >= acked;
    at_end = next >= *end_offset || (next >= acked && settled && log->AssignedEndOffset() == acked);
  }
  if (at_end) {
    out.children = std::move(children);
  } else {
    IteratorState it = *state;
    it.issued_ms = now;
    it.offset = next;
    out.next_iterator = EncodeIterator(*tokens_, it);
  }
  return out;
}

model::LogOffset Registry::ReadableEnd(const StreamRef& stream, model::ShardIndex shard,
                                       const storage::ShardLog& log) const {
  model::LogOffset end = log.EndOffset();
  if (options_.replicator == nullptr) return end;
  return std::min(
      end, options_.replicator->CommittedEnd(ReplicatedShard{stream.account, stream.region, stream.name, shard}, log));
}

Status Registry::AdmitShardIterator(const Stream& stream, model::ShardIndex shard) const {
  std::shared_ptr<ShardThroughput> meter = stream.Meter(shard);
  if (meter != nullptr && !meter->AdmitIterator()) return ShardRateExceeded(stream.meta(), shard);
  return Status::Ok();
}

}  // namespace spate::streams
