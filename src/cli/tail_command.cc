// spate tail NAME: every shard's records, parents finished before children,
// KPL aggregates de-aggregated into their user records.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/tail_position.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "spate/aggregation.h"
#include "util/base64.h"

namespace spate::cli {
namespace {

// Between rounds in which no shard had records: --follow polls each shard at
// most about four times a second (AWS allows five GetRecords per shard and
// second); a catching-up read without --follow barely waits.
constexpr int64_t kFollowIdleMs = 250;
constexpr int64_t kCatchUpIdleMs = 20;
constexpr int64_t kBaseBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 5000;
constexpr int kMaxRetries = 20;  // consecutive retryable failures before giving up

struct TailFlags {
  std::string name;
  std::string from = "trim-horizon";
  bool follow = false;
  std::string format = "raw";
};

struct ShardReader {
  Shard shard;
  IteratorPosition start;  // where GetShardIterator starts (again, after expiry)
  std::string iterator;    // empty: get one
  bool done = false;       // read to its end (closed), caught up (open, no --follow), or skipped
};

class Tail {
 public:
  Tail(Context& ctx, KinesisClient& client, const TailFlags& flags, IteratorPosition from)
      : ctx_(ctx), client_(client), flags_(flags), from_(std::move(from)) {}

  int Run() {
    if (int rc = Refresh(); rc != kExitOk) return rc;
    if (from_.type == IteratorPosition::Type::kAtSequenceNumber) {
      if (int rc = FindSequenceHolder(); rc != kExitOk) return rc;
    }
    int retries = 0;
    while (true) {
      bool any_records = false;
      bool any_open = false;
      bool refresh = false;
      for (auto& [id, reader] : readers_) {
        if (reader.done || !Ready(reader)) {
          any_open = any_open || !reader.done;
          continue;
        }
        any_open = true;
        Step step = Read(reader);
        if (step.error.has_value()) {
          if (!step.error->retryable() || ++retries > kMaxRetries) return ctx_.Fail(*step.error);
          SleepMs(std::min(kMaxBackoffMs, kBaseBackoffMs << std::min(retries, 10)));
          continue;
        }
        retries = 0;
        any_records = any_records || step.records > 0;
        refresh = refresh || step.closed_ended;
      }
      if (refresh) {
        if (int rc = Refresh(); rc != kExitOk) return rc;
        continue;
      }
      if (!any_open) return kExitOk;
      if (!any_records) SleepMs(flags_.follow ? kFollowIdleMs : kCatchUpIdleMs);
    }
  }

 private:
  struct Step {
    std::optional<ApiError> error;
    size_t records = 0;
    bool closed_ended = false;  // a closed shard read to its end: its children may be new
  };

  // A shard starts once each parent it names is done or unknown (expired).
  bool Ready(const ShardReader& r) const {
    for (const std::string* parent : {&r.shard.parent_shard_id, &r.shard.adjacent_parent_shard_id}) {
      if (parent->empty()) continue;
      auto it = readers_.find(*parent);
      if (it != readers_.end() && !it->second.done) return false;
    }
    return true;
  }

  // Learns the shards ListShards names that are new; answers an exit code.
  int Refresh() {
    Outcome<std::vector<Shard>> shards = client_.ListShards(flags_.name);
    if (!shards.ok()) return ctx_.Fail(shards.error());
    const bool first = readers_.empty();
    for (const Shard& s : shards.value()) {
      if (readers_.contains(s.shard_id)) continue;
      ShardReader r;
      r.shard = s;
      r.start = StartOf(first);
      r.done = Skipped(r, first);
      readers_.emplace(s.shard_id, std::move(r));
    }
    return kExitOk;
  }

  // Where a shard is read from: --from for the shards there at the start;
  // a shard born later (a reshard's child) holds only records newer than any
  // position, so from its start unless --from is a timestamp.
  IteratorPosition StartOf(bool initial) const {
    if (initial || from_.type == IteratorPosition::Type::kAtTimestamp) return from_;
    return IteratorPosition::TrimHorizon();
  }

  // Shards not read at all: with --from latest the shards already closed;
  // with at-sequence every shard that is not the holder's descendant
  // (decided in FindSequenceHolder and for later shards by their parents).
  bool Skipped(const ShardReader& r, bool initial) const {
    if (from_.type == IteratorPosition::Type::kLatest && initial) return !r.shard.open();
    if (from_.type == IteratorPosition::Type::kAtSequenceNumber && !initial) {
      for (const std::string* parent : {&r.shard.parent_shard_id, &r.shard.adjacent_parent_shard_id}) {
        if (!parent->empty() && lineage_.contains(*parent)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  // at-sequence:S: the shard that holds S (the one whose GetShardIterator
  // takes it) is read from S, its descendants from their start, every other
  // shard not at all.
  int FindSequenceHolder() {
    std::optional<ApiError> last;
    for (auto& [id, reader] : readers_) {
      Outcome<std::string> it = client_.GetShardIterator(flags_.name, id, from_);
      if (it.ok()) {
        reader.iterator = std::move(it).value();
        lineage_.insert(id);
        // Shard ids grow with creation, so a parent comes before its children.
        for (auto& [other_id, other] : readers_) {
          if (other_id == id) continue;
          bool descendant =
              lineage_.contains(other.shard.parent_shard_id) || lineage_.contains(other.shard.adjacent_parent_shard_id);
          if (descendant) lineage_.insert(other_id);
          other.done = !descendant;
          other.start = IteratorPosition::TrimHorizon();
        }
        return kExitOk;
      }
      if (it.error().type != "InvalidArgumentException") return ctx_.Fail(it.error());
      last = it.error();
    }
    return ctx_.Fail("sequence number " + from_.sequence_number + " is in no shard of stream " + flags_.name +
                     (last.has_value() ? " (" + last->ToString() + ")" : ""));
  }

  Step Read(ShardReader& r) {
    Step step;
    if (r.iterator.empty()) {
      Outcome<std::string> it = client_.GetShardIterator(flags_.name, r.shard.shard_id, r.start);
      if (!it.ok()) {
        step.error = it.error();
        return step;
      }
      r.iterator = std::move(it).value();
    }
    Outcome<GetRecordsResult> got = client_.GetRecords(r.iterator, 0);
    if (!got.ok()) {
      if (got.error().type == "ExpiredIteratorException") {
        r.iterator.clear();  // the next round gets a fresh one after the last record printed
        return step;
      }
      step.error = got.error();
      return step;
    }
    GetRecordsResult& res = got.value();
    Print(r.shard.shard_id, res.records);
    step.records = res.records.size();
    if (!res.records.empty()) r.start = IteratorPosition::AfterSequenceNumber(res.records.back().sequence_number);
    r.iterator = res.next_shard_iterator;
    if (res.next_shard_iterator.empty()) {
      r.done = true;
      step.closed_ended = true;
      if (lineage_.contains(r.shard.shard_id)) {
        for (const std::string& child : res.child_shards) lineage_.insert(child);
      }
    } else if (!flags_.follow && res.records.empty() && res.millis_behind_latest == 0) {
      r.done = true;  // the end of an open shard, for now
    }
    return step;
  }

  // One line per user record: a KPL aggregate's records in order (json:
  // their own partition keys and "subSequenceNumber"), any other record as
  // itself (Deaggregate reads what is not a well-formed aggregate as one
  // plain record, so nothing is lost to a malformed one).
  void Print(const std::string& shard_id, const std::vector<Record>& records) {
    if (records.empty()) return;
    std::string out;
    for (const Record& rec : records) {
      for (const UserRecord& user : Deaggregate(rec.data, rec.partition_key)) {
        if (flags_.format == "json") {
          protocol::Value v = protocol::Value::MakeObject();
          v.Set("shardId", protocol::Value::String(shard_id));
          v.Set("sequenceNumber", protocol::Value::String(rec.sequence_number));
          if (user.aggregated) {
            v.Set("subSequenceNumber", protocol::Value::Int(static_cast<int64_t>(user.sub_sequence_number)));
          }
          v.Set("partitionKey", protocol::Value::String(user.partition_key));
          v.Set("approximateArrivalTimestamp", protocol::Value::String(IsoTime(rec.approximate_arrival_timestamp_ms)));
          v.Set("data", protocol::Value::String(util::Base64Encode(user.data)));
          protocol::WriteJson(v, &out);
        } else {
          out += user.data;
        }
        out += '\n';
      }
    }
    WriteOut(out);
    FlushOut();
  }

  Context& ctx_;
  KinesisClient& client_;
  const TailFlags& flags_;
  const IteratorPosition from_;
  // Every shard seen, by id (shard ids sort in creation order).
  std::map<std::string, ShardReader> readers_;
  // at-sequence: the holder shard and its descendants.
  std::set<std::string> lineage_;
};

int RunTail(Context& ctx, const TailFlags& flags) {
  std::string error;
  std::optional<IteratorPosition> from = ParseTailPosition(flags.from, &error);
  if (!from.has_value()) return ctx.Fail(error);
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  return Tail(ctx, *client, flags, *from).Run();
}

}  // namespace

void AddTailCommand(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<TailFlags>();
  CLI::App* tail = app.add_subcommand("tail", "Print a stream's records, one per line, from every shard");
  tail->add_option("NAME", flags->name, "Stream name or ARN")->required();
  tail->add_option("--from", flags->from, "trim-horizon | latest | at-timestamp:T | at-sequence:S")
      ->capture_default_str();
  tail->add_flag("--follow,-f", flags->follow, "Keep reading new records (else exit at the end of every shard)");
  tail->add_option("--format", flags->format, "raw (the data bytes) or json")
      ->check(CLI::IsMember({"raw", "json"}))
      ->capture_default_str();
  tail->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunTail(ctx, *flags); }; });
}

}  // namespace spate::cli
