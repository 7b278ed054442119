#pragma once

#include "dedup/producer_epochs.h"
#include "service/service.h"

namespace spate::streams {

class Registry;

// The exactly-once append extension behind the front door, under its own
// X-Amz-Target prefix SpateProducers_20261207 (docs/exactly-once.md), signed
// as "kinesis":
// - InitProducer {ProducerId?} -> {ProducerId, ProducerEpoch}: a new epoch,
//   durable in the catalog; older epochs of the id are fenced.
// - PutRecords: Kinesis' PutRecords plus ProducerId, ProducerEpoch and
//   ProducerSequence; same output. A stale epoch fails the whole call with
//   ConcurrentModificationException.
// Kinesis' own operations are untouched: a request without this prefix is
// served exactly as before. Thread-safe; `registry` and `epochs` must
// outlive it.
class ProducerService final : public service::Service {
 public:
  ProducerService(Registry* registry, dedup::ProducerEpochs* epochs) : registry_(registry), epochs_(epochs) {}

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  Status Admit(const service::Call& call, const protocol::Value& input) override;
  ErrorCode OverloadError(std::string_view operation) const override;
  std::string ResourceName(const protocol::OperationInfo& op, const protocol::Value& input) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  Registry* const registry_;
  dedup::ProducerEpochs* const epochs_;
};

}  // namespace spate::streams
