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
  --credentials-file PATH   verify AWS Signature V4 against these credentials:
                            one per line, ACCESS_KEY_ID SECRET_ACCESS_KEY
                            [ACCOUNT_ID] ('#' comments; default account
                            000000000000). Without it: development mode.
  --tls-port N              also serve HTTPS on this port (HTTP/1.1 and HTTP/2
                            by ALPN); needs --tls-cert and --tls-key
  --tls-cert PEM            certificate (chain) file for --tls-port
  --tls-key PEM             private key file for --tls-port
  --segment-bytes N         size at which a shard's log file is rolled
                            (default 134217728; 4096 to 1073741824)
  --limits=aws|off          aws (default): meter every shard as AWS does and
                            throttle with ProvisionedThroughputExceededException:
                            writes 1 MiB/s or 1,000 records/s, reads 2 MiB/s and
                            5 GetRecords/s (a 10 MiB response blocks reads for
                            5 s), GetShardIterator 5/s; control-plane calls at
                            AWS's rates (LimitExceededException "Rate exceeded").
                            off: no throughput limit at all (benchmarks, or
                            hardware you size yourself); quotas still apply.
  --on-demand-scale-after-ms MS  an ON_DEMAND stream splits a shard whose
                            offered writes stayed above 1 MiB/s or 1,000
                            records/s for this long (default 60000)
  --inject-fault RULE       make calls fail on purpose (repeatable). RULE is
                            comma-separated key=value: operation=OP (required),
                            stream=NAME (default any),
                            error=ProvisionedThroughputExceededException or
                            InternalFailure (required), rate=R in (0,1]
                            (default 1), count=N failures at most (default no
                            cap), seed=S (default 1). Deterministic: the same
                            sequence of calls fails the same way. PutRecords
                            fails record by record (FailedRecordCount).
                            e.g. --inject-fault operation=PutRecords,rate=0.1,
                                 error=ProvisionedThroughputExceededException
  --fanout-heartbeat-ms MS  SubscribeToShard sends an event at least this often
                            (default 5000)
  --fanout-subscription-ms MS  a SubscribeToShard subscription ends after this
                            long (default 300000, AWS's 5 minutes)
  --fanout-takeover-guard-ms MS  a second subscription of the same consumer and
                            shard sooner than this is refused (default 5000)
  --key-store PATH          master keys of encrypted streams (StartStreamEncryption;
                            default DATA_DIR/keys, mode 0600). A copy of the data
                            directory without this file reveals nothing of an
                            encrypted stream's records; with it, everything: keep
                            it on another volume to separate the two.

Firehose (delivery streams, on the same port):
  Without --s3-endpoint, delivered objects go to DATA_DIR/s3/<bucket>/<key>:
  bucket B of a destination's BucketARN arn:aws:s3:::B is the directory
  DATA_DIR/s3/B.
  --s3-endpoint URL         deliver to this S3-compatible server instead
                            (http://host:port or https://...; SigV4, service s3)
  --s3-region REGION        region the S3 requests are signed for (default us-east-1)
  --s3-access-key-id ID     S3 credentials (default $AWS_ACCESS_KEY_ID,
  --s3-secret-access-key K  $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN)
  --s3-session-token T
  --s3-virtual-host         virtual-host addressing (http://bucket.host/key)
                            instead of path style (http://host/bucket/key)
  --s3-timeout-ms MS        connect and total time allowed to one S3 request;
                            a slower answer is a failed attempt, retried
                            (default 30000)
  --delivery-retry-max-ms MS  longest wait between attempts of a failed
                            delivery; attempts back off from 200 ms up to this
                            (default 30000)
  --delivery-retry-window-ms MS  how long an object may keep failing before it
                            is written to the error output,
                            DATA_DIR/firehose/error-output/BUCKET/KEY, instead
                            (default 86400000: S3's 24 hours)

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

Clients: point any AWS SDK or the AWS CLI at http://HOST:PORT (or
https://HOST:TLS_PORT), e.g.
  aws --endpoint-url http://127.0.0.1:4567 kinesis list-streams
Without --credentials-file the server runs in development mode: any
well-formed signature is accepted, and the account is the access key id when
it is 12 digits, else 000000000000. The region is the signature's.
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
    } else if (arg == "--segment-bytes") {
      if (!next() || !ParseNumber(value, &c.segment_bytes) || c.segment_bytes < 4096 ||
          c.segment_bytes > (1ull << 30)) {
        return bad("needs a number of bytes from 4096 to 1073741824");
      }
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
    } else if (arg == "--credentials-file") {
      if (!next() || value.empty()) return bad("needs a file");
      c.credentials_file = std::string(value);
    } else if (arg == "--tls-port") {
      uint16_t port = 0;
      if (!next() || !ParseNumber(value, &port)) return bad("needs a port number 0-65535");
      c.tls_port = port;
    } else if (arg == "--tls-cert") {
      if (!next() || value.empty()) return bad("needs a PEM file");
      c.tls_cert = std::string(value);
    } else if (arg == "--tls-key") {
      if (!next() || value.empty()) return bad("needs a PEM file");
      c.tls_key = std::string(value);
    } else if (arg == "--limits") {
      if (!next() || (value != "aws" && value != "off")) return bad("needs aws or off");
      c.limits = value == "aws";
    } else if (arg == "--on-demand-scale-after-ms") {
      if (!next() || !ParseNumber(value, &c.on_demand_scale_after_ms) || c.on_demand_scale_after_ms < 0) {
        return bad("needs a non-negative number of milliseconds");
      }
    } else if (arg == "--inject-fault") {
      if (!next()) return bad("needs a rule (see --help)");
      auto rule = streams::ParseFaultRule(value);
      if (!rule.ok()) return bad(rule.status().message());
      c.faults.push_back(std::move(rule).value());
    } else if (arg == "--key-store") {
      if (!next() || value.empty()) return bad("needs a file path");
      c.key_store = std::string(value);
    } else if (arg == "--s3-endpoint") {
      if (!next() || (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)) {
        return bad("needs an http:// or https:// URL");
      }
      c.s3_endpoint = std::string(value);
    } else if (arg == "--s3-region") {
      if (!next() || value.empty()) return bad("needs a region");
      c.s3_region = std::string(value);
    } else if (arg == "--s3-access-key-id" || arg == "--s3-secret-access-key" || arg == "--s3-session-token") {
      std::string* field = arg == "--s3-access-key-id"       ? &c.s3_access_key_id
                           : arg == "--s3-secret-access-key" ? &c.s3_secret_access_key
                                                             : &c.s3_session_token;
      if (!next() || value.empty()) return bad("needs a value");
      *field = std::string(value);
    } else if (arg == "--s3-virtual-host") {
      c.s3_virtual_host = true;
    } else if (arg == "--s3-timeout-ms") {
      if (!next() || !ParseNumber(value, &c.s3_timeout_ms) || c.s3_timeout_ms < 1) {
        return bad("needs a positive number of milliseconds");
      }
    } else if (arg == "--delivery-retry-max-ms") {
      if (!next() || !ParseNumber(value, &c.delivery_retry_max_ms) || c.delivery_retry_max_ms < 1) {
        return bad("needs a positive number of milliseconds");
      }
    } else if (arg == "--delivery-retry-window-ms") {
      if (!next() || !ParseNumber(value, &c.delivery_retry_window_ms) || c.delivery_retry_window_ms < 1) {
        return bad("needs a positive number of milliseconds");
      }
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
  bool tls = c.tls_port >= 0, cert = !c.tls_cert.empty(), key = !c.tls_key.empty();
  if ((tls || cert || key) && !(tls && cert && key)) {
    return Status(ErrorCode::kInvalidArgument, "--tls-port, --tls-cert and --tls-key go together");
  }
  if (c.max_connection_inflight_bytes < c.max_body_bytes || c.max_inflight_bytes < c.max_connection_inflight_bytes) {
    return Status(ErrorCode::kInvalidArgument,
                  "need --max-body-bytes <= --max-connection-inflight-bytes <= --max-inflight-bytes");
  }
  return c;
}

}  // namespace spate::spated
