#include "spated/config.h"

#include <charconv>
#include <string_view>

namespace spate::spated {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string HelpText() {
  return R"(spated: the Spate server (Amazon Kinesis Data Streams API on one port).

Usage: spated [flags]

  --host ADDR               address to listen on (default 127.0.0.1)
  --port N                  port for HTTP/1.1 and HTTP/2 cleartext (default 4567;
                            0 picks a free port, reported on stderr)
  --data-dir DIR            where streams, shards and records are kept
                            (default ./data; created if missing)
  --state-delay-ms MS       how long CREATING, UPDATING and DELETING last before
                            the stream becomes ACTIVE or disappears (default 500)
  --threads N               I/O threads (default: one per core)
  --shard-limit N           open shards allowed per account and region
                            (default 1000; DescribeLimits reports it)
  --on-demand-stream-limit N  on-demand streams per account and region (default 50)
  --log-level LEVEL         debug, info, warn or error (default info)
  --fanout-heartbeat-ms MS  SubscribeToShard sends an event at least this often
                            (default 5000)
  --fanout-subscription-ms MS  a SubscribeToShard subscription ends after this
                            long (default 300000, AWS's 5 minutes)
  --fanout-takeover-guard-ms MS  a second subscription of the same consumer and
                            shard sooner than this is refused (default 5000)
  --help                    this text

Clients: point any AWS SDK or the AWS CLI at http://HOST:PORT with any
credentials, e.g.
  aws --endpoint-url http://127.0.0.1:4567 kinesis list-streams
Signatures are checked for presence only (development mode).
Records are acknowledged only after they are on disk (fdatasync).
)";
}

Result<Config> ParseFlags(int argc, char** argv, bool* help) {
  Config c;
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    auto bad = [&](std::string_view why) {
      return Status(ErrorCode::kInvalidArgument, std::string(arg) + ": " + std::string(why));
    };
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return c;
    } else if (arg == "--host") {
      if (!next()) return bad("needs an address");
      c.host = std::string(value);
    } else if (arg == "--port") {
      if (!next() || !ParseNumber(value, &c.port)) return bad("needs a port number 0-65535");
    } else if (arg == "--data-dir") {
      if (!next() || value.empty()) return bad("needs a directory");
      c.data_dir = std::string(value);
    } else if (arg == "--state-delay-ms") {
      if (!next() || !ParseNumber(value, &c.state_delay_ms) || c.state_delay_ms < 0) {
        return bad("needs a non-negative number of milliseconds");
      }
    } else if (arg == "--threads") {
      if (!next() || !ParseNumber(value, &c.threads) || c.threads < 1 || c.threads > 256) {
        return bad("needs a number from 1 to 256");
      }
    } else if (arg == "--shard-limit") {
      if (!next() || !ParseNumber(value, &c.shard_limit) || c.shard_limit < 1) return bad("needs a positive number");
    } else if (arg == "--on-demand-stream-limit") {
      if (!next() || !ParseNumber(value, &c.on_demand_stream_limit)) return bad("needs a number");
    } else if (arg == "--fanout-heartbeat-ms" || arg == "--fanout-subscription-ms" ||
               arg == "--fanout-takeover-guard-ms") {
      int64_t* field = arg == "--fanout-heartbeat-ms"      ? &c.fanout_heartbeat_ms
                       : arg == "--fanout-subscription-ms" ? &c.fanout_subscription_ms
                                                           : &c.fanout_takeover_guard_ms;
      if (!next() || !ParseNumber(value, field) || *field < (field == &c.fanout_takeover_guard_ms ? 0 : 1)) {
        return bad("needs a positive number of milliseconds");
      }
    } else if (arg == "--log-level") {
      if (!next() || (value != "debug" && value != "info" && value != "warn" && value != "error")) {
        return bad("needs debug, info, warn or error");
      }
      c.log_level = std::string(value);
    } else {
      return Status(ErrorCode::kInvalidArgument, "unknown flag " + std::string(argv[i]) + " (see --help)");
    }
  }
  return c;
}

}  // namespace spate::spated
