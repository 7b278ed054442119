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
  --key-store PATH          master keys of encrypted streams (StartStreamEncryption;
                            default DATA_DIR/keys, mode 0600). A copy of the data
                            directory without this file reveals nothing of an
                            encrypted stream's records; with it, everything: keep
                            it on another volume to separate the two.

Resource bounds (a request beyond a memory budget is refused at once with a
retryable throttling error, ProvisionedThroughputExceededException for
PutRecord(s)/GetRecords and LimitExceededException otherwise):
  --max-body-bytes N        largest request body (default 16777216; more: 413)
  --max-connections N       open connections (default 4096; more are closed)
  --max-connection-inflight-bytes N
                            request bytes one connection may hold in memory,
                            over all its HTTP/2 streams (default 67108864)
  --max-inflight-bytes N    request bytes the server holds in memory
                            (default 536870912)
  --idle-timeout-ms MS      close keep-alive connections idle this long
                            (default 120000; 0 = never)
  --header-timeout-ms MS    a request's headers must arrive within this of its
                            first byte (default 10000; else 408 and close)
  --body-timeout-ms MS      its body within this of its headers (default 60000)
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
    } else if (arg == "--log-level") {
      if (!next() || (value != "debug" && value != "info" && value != "warn" && value != "error")) {
        return bad("needs debug, info, warn or error");
      }
      c.log_level = std::string(value);
    } else if (arg == "--key-store") {
      if (!next() || value.empty()) return bad("needs a file path");
      c.key_store = std::string(value);
    } else if (arg == "--max-body-bytes") {
      if (!next() || !ParseNumber(value, &c.max_body_bytes) || c.max_body_bytes < 1024) {
        return bad("needs a number of bytes >= 1024");
      }
    } else if (arg == "--max-connections") {
      if (!next() || !ParseNumber(value, &c.max_connections) || c.max_connections < 1) {
        return bad("needs a positive number");
      }
    } else if (arg == "--max-connection-inflight-bytes") {
      if (!next() || !ParseNumber(value, &c.max_connection_inflight_bytes)) return bad("needs a number of bytes");
    } else if (arg == "--max-inflight-bytes") {
      if (!next() || !ParseNumber(value, &c.max_inflight_bytes)) return bad("needs a number of bytes");
    } else if (arg == "--idle-timeout-ms" || arg == "--header-timeout-ms" || arg == "--body-timeout-ms") {
      int64_t* out = arg == "--idle-timeout-ms"     ? &c.idle_timeout_ms
                     : arg == "--header-timeout-ms" ? &c.header_timeout_ms
                                                    : &c.body_timeout_ms;
      if (!next() || !ParseNumber(value, out) || *out < 0) return bad("needs a non-negative number of milliseconds");
    } else {
      return Status(ErrorCode::kInvalidArgument, "unknown flag " + std::string(argv[i]) + " (see --help)");
    }
  }
  if (c.max_connection_inflight_bytes < c.max_body_bytes || c.max_inflight_bytes < c.max_connection_inflight_bytes) {
    return Status(ErrorCode::kInvalidArgument,
                  "need --max-body-bytes <= --max-connection-inflight-bytes <= --max-inflight-bytes");
  }
  return c;
}

}  // namespace spate::spated
