#include "cluster/replica_wiring.h"

#include "cluster/shard_leaders.h"
#include "streams/registry.h"

namespace spate::cluster {

Result<std::shared_ptr<storage::ShardLog>> RegistryReplicaLogs::LogFor(std::string_view shard_key) {
  auto parts = ParseShardKey(shard_key);
  if (!parts) return Status(ErrorCode::kInvalidArgument, "not a shard key: " + std::string(shard_key));
  std::shared_ptr<storage::ShardLog> log;
  Status st = registry_->WithStream(streams::StreamRef{parts->account, parts->region, parts->stream},
                                    [&](const streams::Stream& s) {
                                      log = s.Log(parts->shard);
                                      return Status::Ok();
                                    });
  SPATE_TRY(st);
  if (log == nullptr) return Status(ErrorCode::kNotFound, "no shard " + std::string(shard_key) + " here yet");
  return log;
}

}  // namespace spate::cluster
