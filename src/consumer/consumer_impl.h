#pragma once

// The Consumer behind Consumer::Create, for tests that run it over an
// in-memory lease table (consumer/tests/fakes.h).

#include <memory>
#include <string>

#include "consumer/lease_store.h"
#include "spate/consumer.h"
#include "spate/kinesis_client.h"

namespace spate::consumer {

// Consumer::Shutdown in two halves (a KCL Scheduler's startGracefulShutdown
// and the wait for it), so that a test can act between them.
class HandOffConsumer : public Consumer {
 public:
  // Stops taking leases and asks every shard thread to hand its lease off
  // (ShutdownRequested, then release); returns at once. Shutdown() then
  // waits for the hand-off and gives up whatever is still held.
  virtual void BeginShutdown() = 0;
};

// A consumer, not started, over `client` and `store`. `config` must be
// valid as Create checks it, worker_id set; `consumer_arn` is the stream
// consumer of fan-out mode (empty: polling). `client` must outlive it.
std::unique_ptr<HandOffConsumer> NewConsumer(ConsumerConfig config, KinesisClient* client,
                                             std::unique_ptr<LeaseStore> store, std::string consumer_arn);

}  // namespace spate::consumer
