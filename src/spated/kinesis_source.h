#pragma once

#include "service/kinesis_source.h"

namespace spate::streams {
class Registry;
}

namespace spate::spated {

// The services' KinesisSource over the streams registry: how a
// KinesisStreamAsSource delivery stream or an Analytics input sees a Data
// Streams stream. Only
// the registry's public interface is used. Reads go to the shard logs
// directly (a Firehose reader is not metered against the shard's GetRecords
// limits). Thread-safe; the registry must outlive it.
class RegistryKinesisSource final : public service::KinesisSource {
 public:
  explicit RegistryKinesisSource(streams::Registry* registry) : registry_(registry) {}

  Result<std::vector<service::SourceShard>> Shards(const iam::Caller& caller,
                                                   std::string_view stream_arn) const override;
  Result<service::SourceBatch> Read(const iam::Caller& caller, std::string_view stream_arn, std::string_view shard_id,
                                    uint64_t from, size_t max_records) const override;

 private:
  streams::Registry* registry_;
};

}  // namespace spate::spated
