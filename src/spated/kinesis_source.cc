#include "spated/kinesis_source.h"

#include <memory>

#include "model/types.h"
#include "storage/shard_log.h"
#include "streams/registry.h"
#include "streams/stream_ref.h"

namespace spate::spated {
namespace {

Result<streams::StreamRef> OwnStream(const iam::Caller& caller, std::string_view arn) {
  SPATE_ASSIGN_OR_RETURN(streams::StreamRef ref, streams::ResolveStream(caller, "", arn));
  if (ref.account != caller.account) {
    return Status(ErrorCode::kInvalidArgument, "Stream " + std::string(arn) + " belongs to another account.");
  }
  return ref;
}

}  // namespace

Result<std::vector<service::SourceShard>> RegistryKinesisSource::Shards(const iam::Caller& caller,
                                                                        std::string_view stream_arn) const {
  SPATE_ASSIGN_OR_RETURN(streams::StreamRef ref, OwnStream(caller, stream_arn));
  std::vector<service::SourceShard> out;
  SPATE_TRY(registry_->WithStream(ref, [&](const streams::Stream& stream) {
    if (stream.meta().status == metadata::StreamStatus::kDeleting) {
      return Status(ErrorCode::kNotFound, "Stream " + ref.name + " is being deleted.");
    }
    for (const metadata::ShardMeta& shard : stream.meta().shards) {
      service::SourceShard s;
      s.shard_id = model::ShardIdName(shard.index);
      if (shard.parent) s.parent_ids.push_back(model::ShardIdName(*shard.parent));
      if (shard.adjacent_parent) s.parent_ids.push_back(model::ShardIdName(*shard.adjacent_parent));
      std::shared_ptr<storage::ShardLog> log = stream.Log(shard.index);
      if (!log) continue;
      s.start = log->StartOffset().value();
      s.end = log->EndOffset().value();
      if (shard.closed()) {
        s.closed = true;
        s.end = shard.end_offset->value();
      }
      out.push_back(std::move(s));
    }
    return Status::Ok();
  }));
  return out;
}

Result<service::SourceBatch> RegistryKinesisSource::Read(const iam::Caller& caller, std::string_view stream_arn,
                                                         std::string_view shard_id, uint64_t from,
                                                         size_t max_records) const {
  SPATE_ASSIGN_OR_RETURN(streams::StreamRef ref, OwnStream(caller, stream_arn));
  std::optional<model::ShardIndex> index = model::ParseShardId(shard_id);
  if (!index) return Status(ErrorCode::kInvalidArgument, "Invalid shard id " + std::string(shard_id) + ".");
  std::shared_ptr<storage::ShardLog> log;
  std::optional<model::LogOffset> end;
  uint32_t epoch = 0;
  SPATE_TRY(registry_->WithStream(ref, [&](const streams::Stream& stream) {
    log = stream.Log(*index);
    epoch = stream.meta().epoch;
    const metadata::ShardMeta* shard = stream.FindShard(*index);
    if (shard != nullptr) end = shard->end_offset;
    return log ? Status::Ok() : Status(ErrorCode::kNotFound, "Shard " + std::string(shard_id) + " not found.");
  }));
  storage::ReadLimits limits;
  limits.max_records = max_records;
  SPATE_ASSIGN_OR_RETURN(storage::ReadResult r, log->Read(model::LogOffset(from), limits));
  service::SourceBatch batch;
  batch.next = r.next_offset.value();
  for (storage::StoredRecord& rec : r.records) {
    // A closed shard's log may hold records past its end (written while the
    // reshard was in flight, never acknowledged as the shard's): stop there.
    if (end && rec.offset >= *end) {
      batch.next = end->value();
      break;
    }
    batch.records.push_back({std::move(rec.data), rec.arrival_ms, std::move(rec.partition_key),
                             model::SequenceNumber::OfRecord(*index, epoch, rec.offset).ToString()});
  }
  return batch;
}

}  // namespace spate::spated
