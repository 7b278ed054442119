#pragma once

#include <atomic>

#include "analytics/record_sink.h"

namespace spate::streams {
class Registry;
}
namespace spate::firehose {
class DeliveryStreams;
}

namespace spate::spated {

// Analytics' RecordSink over the streams registry (PutRecords) and
// Firehose's delivery streams (PutRecordBatch), through their public
// interfaces only: what an application's outputs write to. Each call waits
// for the durable acknowledgement up to kPutDeadlineMs. Thread-safe; the
// registry and the delivery streams must outlive it.
class ServicesRecordSink final : public analytics::RecordSink {
 public:
  ServicesRecordSink(streams::Registry* registry, firehose::DeliveryStreams* delivery_streams)
      : registry_(registry), delivery_streams_(delivery_streams) {}

  Result<std::vector<Status>> Put(const iam::Caller& owner, Kind kind, std::string_view arn,
                                  const std::vector<std::string>& records) override;

 private:
  Result<std::vector<Status>> PutKinesis(const iam::Caller& owner, std::string_view arn,
                                         const std::vector<std::string>& records);
  Result<std::vector<Status>> PutFirehose(const iam::Caller& owner, std::string_view arn,
                                          const std::vector<std::string>& records);

  streams::Registry* const registry_;
  firehose::DeliveryStreams* const delivery_streams_;
  // Partition keys: a counter, so that records spread over the shards.
  std::atomic<uint64_t> next_key_{0};
};

}  // namespace spate::spated
