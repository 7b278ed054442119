#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace spate::spated {

// Everything spated can be told on its command line.
struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 4567;
  std::string data_dir = "./data";
  int64_t state_delay_ms = 500;
  int threads = 0;  // 0 = one per core
  uint32_t shard_limit = 1000;
  uint32_t on_demand_stream_limit = 50;
  std::string log_level = "info";
  // Enhanced fan-out (SubscribeToShard); AWS's values by default.
  int64_t fanout_heartbeat_ms = 5000;
  int64_t fanout_subscription_ms = 300'000;
  int64_t fanout_takeover_guard_ms = 5000;
};

// Parses argv. kInvalidArgument with a message naming the bad flag.
// Sets *help when --help was given.
Result<Config> ParseFlags(int argc, char** argv, bool* help);

// The --help text: every flag, its default, what it does.
std::string HelpText();

}  // namespace spate::spated
