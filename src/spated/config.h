#pragma once

#include <cstddef>
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
  // Master keys of encrypted streams; empty: <data_dir>/keys.
  std::string key_store;
  // Transport bounds (server::HttpServerOptions).
  size_t max_body_bytes = 16u << 20;
  size_t max_connections = 4096;
  size_t max_connection_inflight_bytes = 64u << 20;
  size_t max_inflight_bytes = 512u << 20;
  int64_t idle_timeout_ms = 120'000;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 60'000;
};

// Parses argv. kInvalidArgument with a message naming the bad flag.
// Sets *help when --help was given.
Result<Config> ParseFlags(int argc, char** argv, bool* help);

// The --help text: every flag, its default, what it does.
std::string HelpText();

}  // namespace spate::spated
