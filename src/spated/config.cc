#include "spated/config.h"

#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <charconv>
#include <functional>
#include <map>
#include <string_view>

#include "base/version.h"

namespace spate::spated {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// A number in [min, max] into *out.
template <typename T>
std::function<bool(const std::string&)> Number(T* out, T min, T max) {
  return [out, min, max](const std::string& v) {
    T n{};
    if (!ParseNumber(v, &n) || n < min || n > max) return false;
    *out = n;
    return true;
  };
}

// A non-empty string into *out.
std::function<bool(const std::string&)> NonEmpty(std::string* out) {
  return [out](const std::string& v) {
    if (v.empty()) return false;
    *out = v;
    return true;
  };
}

// What each flag needs, by "--NAME": the message for a bad or missing value.
using Needs = std::map<std::string, std::string>;

// Declares --NAME (one value; given twice, the last wins) on `app`. `parse`
// checks and stores the value; when it refuses, parsing fails with
// "--NAME: <need>". In a --config file the key is NAME.
void Add(CLI::App* app, Needs* needs, const std::string& name, std::function<bool(const std::string&)> parse,
         const std::string& need) {
  std::string flag = "--" + name;
  (*needs)[flag] = need;
  app->add_option_function<std::string>(flag,
                                        [flag, parse = std::move(parse), need](const std::string& v) {
                                          if (!parse(v)) throw CLI::ValidationError(flag, need);
                                        })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

constexpr int64_t kMaxMs = INT64_MAX;

}  // namespace

std::string HelpText() {
  return R"(spated: the Spate server (Amazon Kinesis Data Streams API on one port).

Usage: spated [--config FILE] [flags]

  --config FILE             read flags from FILE: one `name = value` a line, the
                            flag's name without its dashes (`port = 4567`,
                            `data-dir = "/var/lib/spate"`, `s3-virtual-host = true`,
                            `inject-fault = ["RULE1", "RULE2"]`; '#' comments).
                            Every flag below may be given there; one given on
                            the command line as well wins over the file.
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
  --log-level LEVEL         debug, info, warn or error (default info). Logs go to
                            stderr: one line per lifecycle event (stream
                            created, deleted, resharded, mode, retention and
                            encryption changes, consumers, delivery streams),
                            storage trouble (shard log failed, disk full, fsync
                            error) and the recovery summary at start
  --log-format text|json    text (default): <time> <LEVEL> <message>; json: one
                            object a line, {"time","level","msg"}; the access
                            log follows the same choice
  --access-log PATH|-       log every API request to PATH (appended), or to
                            stdout for -: time, caller account, operation,
                            stream, HTTP status, error type, latency (ms),
                            request and response bytes, request id. Written by
                            a thread of its own from a bounded queue (65536
                            lines): when the disk cannot keep up, lines are
                            dropped and counted (spate_access_log_dropped_total
                            on /metrics), never making a request wait.
                            SIGHUP reopens PATH (after logrotate renamed it)
  --credentials-file PATH   verify AWS Signature V4 against these credentials:
                            one per line, ACCESS_KEY_ID SECRET_ACCESS_KEY
                            [ACCOUNT_ID] ('#' comments; default account
                            000000000000). Without it: development mode.
  --tls-port N              also serve HTTPS on this port (HTTP/1.1 and HTTP/2
                            by ALPN); needs --tls-cert and --tls-key
  --tls-cert PEM            certificate (chain) file for --tls-port
  --tls-key PEM             private key file for --tls-port
  --metrics-port N          serve GET /metrics (Prometheus) on this port, and
                            nothing else there; the API port then no longer
                            answers /metrics (0 picks a free port, reported on
                            stderr). /metrics is never signed, as Prometheus
                            scrapes expect, and its series name every stream of
                            every account: with --credentials-file, put it on
                            a listener only the operator's network reaches
  --metrics-host ADDR       address of the --metrics-port listener (default:
                            --host), e.g. 127.0.0.1 while --host is 0.0.0.0
  --segment-bytes N         size at which a shard's log file is rolled
                            (default 134217728; 4096 to 1073741824)
  --log-cache-mb N          page cache left to the newest durable log data
                            (default 1024): beyond it the oldest is dropped
                            from the cache as it is written, so the log does
                            not grow the page cache without bound; reads of
                            older data go to the disk. 0: leave it to the
                            kernel
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

Cluster mode (several spated coordinated by etcd 3.4; src/cluster/README.md):
  --cluster etcd://HOST:PORT[,HOST:PORT...]  join the cluster whose state is in
                            this etcd; without it spated is a single node
  --node-id ID              this node's name, unique among live nodes (needed
                            with --cluster)
  --advertise HOST:PORT     where the other nodes reach this one (default
                            --host:--port)
  --cluster-lease-ttl-s S   the node's etcd lease TTL: a node that stops
                            renewing it stops acknowledging writes, and the
                            cluster forgets it, this long after (default 3)
  --replication-factor N    nodes holding each shard (default 3; fewer live
                            nodes: all of them); a put is acknowledged once a
                            majority of them has it on disk
  --replication-port P      where the shard leaders stream batches to this
                            node, on --host (default 0: any free port; the
                            node publishes the one it bound in etcd)
  --replica-replace-grace-s S  a node dead this long is replaced in its
                            shards' replica sets by a live node (default 60;
                            0: never)
  --balance-moves-per-s N   shard leaderships a node hands over per second,
                            balancing and draining (default 4; 0: never)
  --cluster-secret-file F   a secret shared by every node (needed with
                            --cluster): signs the requests one node forwards
                            to another; keep it readable by spated only

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
  --opensearch-domain ARN=URL  the endpoint of the OpenSearch/Elasticsearch
                            domain ARN (a DomainARN of a destination), e.g.
                            arn:aws:es:us-east-1:123456789012:domain/logs=http://127.0.0.1:9200;
                            repeatable. A ClusterEndpoint needs no mapping.
  --http-endpoint-timeout-ms MS  how long an HTTP endpoint destination has to
                            answer a request (default 180000: AWS's 3 minutes)
  --delivery-retry-max-ms MS  longest wait between attempts of a failed
                            delivery; attempts back off from 200 ms up to this
                            (default 30000)
  --delivery-retry-window-ms MS  how long an object may keep failing before it
                            is written to the error output,
                            DATA_DIR/firehose/error-output/BUCKET/KEY, instead
                            (default 86400000: S3's 24 hours)
  --redshift-retry-interval-ms MS  wait between COPY attempts of a failing
                            batch to a Redshift destination (default 300000:
                            Redshift's 5 minutes)
  --redshift-host-address HOST=ADDRESS  connect to ADDRESS for a ClusterJDBCURL
                            naming HOST (repeatable; the model only accepts
                            *.redshift.* hosts; others are resolved as usual)
  --redshift-kill-after-copies N  crash tests only: SIGKILL the process right
                            after its Nth COPY commits (default 0: never)
  --lambda-map FILE         what Lambda functions run (Firehose data
                            transformation, Analytics preprocessing and
                            Lambda outputs): a JSON object
                            {"<function ARN or name>": {"url": URL}
                            or {"command": [PROGRAM, ARGS...]}, optionally with
                            "timeout_seconds": N}; an HTTP URL gets a POST of
                            the Lambda event, a command the event on stdin
  --lambda NAME=TARGET      one more function (repeatable): TARGET is an
                            http(s):// URL or cmd:PROGRAM ARGS...
  --glue-schema-dir DIR     the Glue tables of record format conversion (JSON to
                            Parquet): DIR/DATABASE/TABLE.json holds a table's
                            columns ({"Columns": [{"Name", "Type"}...]}, or
                            glue get-table's output); read at each delivery

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
  --version                 print the version (and git revision) and exit

Health and readiness: GET /health (or /healthcheck) answers 200
  {"status":"ok","version":"VERSION","revision":"GIT"} once the server is
  ready: spated listens only after it has recovered every shard log, the
  catalog and the delivery streams, so the first answer means ready (a failed
  recovery exits with status 1 instead). Every response carries
  "Server: spated/VERSION"; `spated --version` prints the same.

Clients: point any AWS SDK or the AWS CLI at http://HOST:PORT (or
https://HOST:TLS_PORT), e.g.
  aws --endpoint-url http://127.0.0.1:4567 kinesis list-streams
Without --credentials-file the server runs in development mode: any
well-formed signature is accepted, and the account is the access key id when
it is 12 digits, else 000000000000. The region is the signature's.
Records are acknowledged only after they are on disk (fdatasync).
)";
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::string VersionText() { return "spated " + std::string(VersionLine()) + "\n"; }

Result<Config> ParseFlags(int argc, char** argv, Action* action) {
  Config c;
  *action = Action::kServe;
  CLI::App app("spated");
  // --help and --version are ours (HelpText, VersionText), not CLI11's.
  app.set_help_flag();
  bool help = false, version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("--version", version);
  // Every flag below may also be a line of this file (TOML/INI: `port = 4567`;
  // see packaging/spated.conf); the command line wins over the file.
  app.set_config("--config", "", "", false);
  app.allow_config_extras(CLI::config_extras_mode::error);
  Needs needs;

  Add(&app, &needs, "host", NonEmpty(&c.host), "needs an address");
  Add(&app, &needs, "port", Number<uint16_t>(&c.port, 0, 65535), "needs a port number 0-65535");
  Add(&app, &needs, "data-dir", NonEmpty(&c.data_dir), "needs a directory");
  Add(&app, &needs, "state-delay-ms", Number<int64_t>(&c.state_delay_ms, 0, kMaxMs),
      "needs a non-negative number of milliseconds");
  Add(&app, &needs, "threads", Number<int>(&c.threads, 1, 256), "needs a number from 1 to 256");
  Add(&app, &needs, "shard-limit", Number<uint32_t>(&c.shard_limit, 1, UINT32_MAX), "needs a positive number");
  Add(&app, &needs, "on-demand-stream-limit", Number<uint32_t>(&c.on_demand_stream_limit, 0, UINT32_MAX),
      "needs a number");
  Add(&app, &needs, "segment-bytes", Number<uint64_t>(&c.segment_bytes, 4096, 1ull << 30),
      "needs a number of bytes from 4096 to 1073741824");
  Add(&app, &needs, "log-cache-mb", Number<int64_t>(&c.log_cache_mb, 0, 1 << 24),
      "needs a number of MiB from 0 to 16777216");
  Add(&app, &needs, "fanout-heartbeat-ms", Number<int64_t>(&c.fanout_heartbeat_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "fanout-subscription-ms", Number<int64_t>(&c.fanout_subscription_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "fanout-takeover-guard-ms", Number<int64_t>(&c.fanout_takeover_guard_ms, 0, kMaxMs),
      "needs a positive number of milliseconds");
  Add(
      &app, &needs, "log-level",
      [&c](const std::string& v) {
        if (v != "debug" && v != "info" && v != "warn" && v != "error") return false;
        c.log_level = v;
        return true;
      },
      "needs debug, info, warn or error");
  Add(
      &app, &needs, "log-format",
      [&c](const std::string& v) {
        if (v != "text" && v != "json") return false;
        c.log_format = v;
        return true;
      },
      "needs text or json");
  Add(&app, &needs, "access-log", NonEmpty(&c.access_log), "needs a file path or -");
  Add(&app, &needs, "credentials-file", NonEmpty(&c.credentials_file), "needs a file");
  Add(
      &app, &needs, "tls-port",
      [&c](const std::string& v) {
        uint16_t port = 0;
        if (!ParseNumber(std::string_view(v), &port)) return false;
        c.tls_port = port;
        return true;
      },
      "needs a port number 0-65535");
  Add(
      &app, &needs, "metrics-port",
      [&c](const std::string& v) {
        uint16_t port = 0;
        if (!ParseNumber(std::string_view(v), &port)) return false;
        c.metrics_port = port;
        return true;
      },
      "needs a port number 0-65535");
  Add(&app, &needs, "metrics-host", NonEmpty(&c.metrics_host), "needs an address");
  Add(&app, &needs, "tls-cert", NonEmpty(&c.tls_cert), "needs a PEM file");
  Add(&app, &needs, "tls-key", NonEmpty(&c.tls_key), "needs a PEM file");
  Add(
      &app, &needs, "limits",
      [&c](const std::string& v) {
        if (v != "aws" && v != "off") return false;
        c.limits = v == "aws";
        return true;
      },
      "needs aws or off");
  Add(&app, &needs, "on-demand-scale-after-ms", Number<int64_t>(&c.on_demand_scale_after_ms, 0, kMaxMs),
      "needs a non-negative number of milliseconds");
  // Repeatable: every rule given, in order (a --config file's array, or the
  // command line's, which then replaces the file's).
  app.add_option_function<std::vector<std::string>>("--inject-fault",
                                                    [&c](const std::vector<std::string>& rules) {
                                                      for (const std::string& text : rules) {
                                                        auto rule = streams::ParseFaultRule(text);
                                                        if (!rule.ok())
                                                          throw CLI::ValidationError("--inject-fault",
                                                                                     rule.status().message());
                                                        c.faults.push_back(std::move(rule).value());
                                                      }
                                                    })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  Add(&app, &needs, "key-store", NonEmpty(&c.key_store), "needs a file path");
  Add(&app, &needs, "glue-schema-dir", NonEmpty(&c.glue_schema_dir), "needs a directory");
  Add(
      &app, &needs, "s3-endpoint",
      [&c](const std::string& v) {
        if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) return false;
        c.s3_endpoint = v;
        return true;
      },
      "needs an http:// or https:// URL");
  Add(&app, &needs, "s3-region", NonEmpty(&c.s3_region), "needs a region");
  Add(&app, &needs, "s3-access-key-id", NonEmpty(&c.s3_access_key_id), "needs a value");
  Add(&app, &needs, "s3-secret-access-key", NonEmpty(&c.s3_secret_access_key), "needs a value");
  Add(&app, &needs, "s3-session-token", NonEmpty(&c.s3_session_token), "needs a value");
  app.add_flag("--s3-virtual-host", c.s3_virtual_host);
  Add(&app, &needs, "s3-timeout-ms", Number<int64_t>(&c.s3_timeout_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  app.add_option_function<std::vector<std::string>>(
         "--opensearch-domain",
         [&c](const std::vector<std::string>& maps) {
           for (const std::string& m : maps) {
             size_t eq = m.find('=');
             std::string url = eq == std::string::npos ? "" : m.substr(eq + 1);
             if (eq == 0 || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)) {
               throw CLI::ValidationError("--opensearch-domain", "needs ARN=URL (an http:// or https:// URL)");
             }
             c.opensearch_domains[m.substr(0, eq)] = url;
           }
         })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  Add(&app, &needs, "http-endpoint-timeout-ms", Number<int64_t>(&c.http_endpoint_timeout_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "delivery-retry-max-ms", Number<int64_t>(&c.delivery_retry_max_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "delivery-retry-window-ms", Number<int64_t>(&c.delivery_retry_window_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "redshift-retry-interval-ms", Number<int64_t>(&c.redshift_retry_interval_ms, 1, kMaxMs),
      "needs a positive number of milliseconds");
  Add(&app, &needs, "redshift-kill-after-copies", Number<int64_t>(&c.redshift_kill_after_copies, 0, INT64_MAX),
      "needs a non-negative number");
  app.add_option_function<std::vector<std::string>>(
         "--redshift-host-address",
         [&c](const std::vector<std::string>& pairs) {
           for (const std::string& pair : pairs) {
             size_t eq = pair.find('=');
             if (eq == 0 || eq == std::string::npos || eq + 1 == pair.size())
               throw CLI::ValidationError("--redshift-host-address", "needs HOST=ADDRESS");
             c.redshift_host_addresses[pair.substr(0, eq)] = pair.substr(eq + 1);
           }
         })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  std::string lambda_map_file;
  std::vector<std::string> lambda_flags;
  Add(&app, &needs, "lambda-map", NonEmpty(&lambda_map_file), "needs a JSON file (src/lambda/README.md)");
  app.add_option("--lambda", lambda_flags)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  Add(&app, &needs, "max-body-bytes", Number<size_t>(&c.max_body_bytes, 1024, SIZE_MAX),
      "needs a number of bytes >= 1024");
  Add(&app, &needs, "max-connections", Number<size_t>(&c.max_connections, 1, SIZE_MAX), "needs a positive number");
  Add(&app, &needs, "max-connection-inflight-bytes", Number<size_t>(&c.max_connection_inflight_bytes, 0, SIZE_MAX),
      "needs a number of bytes");
  Add(&app, &needs, "max-inflight-bytes", Number<size_t>(&c.max_inflight_bytes, 0, SIZE_MAX),
      "needs a number of bytes");
  Add(&app, &needs, "idle-timeout-ms", Number<int64_t>(&c.idle_timeout_ms, 0, kMaxMs),
      "needs a non-negative number of milliseconds");
  Add(&app, &needs, "header-timeout-ms", Number<int64_t>(&c.header_timeout_ms, 0, kMaxMs),
      "needs a non-negative number of milliseconds");
  Add(&app, &needs, "body-timeout-ms", Number<int64_t>(&c.body_timeout_ms, 0, kMaxMs),
      "needs a non-negative number of milliseconds");

  Add(
      &app, &needs, "cluster",
      [&c](const std::string& v) {
        if (v.rfind("etcd://", 0) != 0 || v.size() == 7) return false;
        c.cluster = v;
        return true;
      },
      "needs etcd://host:port[,host:port...]");
  Add(
      &app, &needs, "node-id",
      [&c](const std::string& v) {
        if (v.empty() || v.size() > 64 ||
            v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-_.") != std::string::npos) {
          return false;
        }
        c.node_id = v;
        return true;
      },
      "needs 1 to 64 letters, digits, '-', '_' or '.'");
  Add(
      &app, &needs, "advertise",
      [&c](const std::string& v) {
        size_t colon = v.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == v.size()) return false;
        c.advertise = v;
        return true;
      },
      "needs host:port");
  Add(&app, &needs, "cluster-lease-ttl-s", Number<int64_t>(&c.cluster_lease_ttl_s, 1, 60),
      "needs a number of seconds from 1 to 60");
  Add(&app, &needs, "replication-factor", Number<int64_t>(&c.replication_factor, 1, 9),
      "needs a number of nodes from 1 to 9");
  Add(&app, &needs, "replication-port", Number<int64_t>(&c.replication_port, 0, 65535),
      "needs a port number from 0 to 65535");
  Add(&app, &needs, "replica-replace-grace-s", Number<int64_t>(&c.replica_replace_grace_s, 0, 86'400),
      "needs a number of seconds from 0 to 86400");
  Add(&app, &needs, "balance-moves-per-s", Number<int64_t>(&c.balance_moves_per_s, 0, 1000),
      "needs a number from 0 to 1000");
  Add(
      &app, &needs, "cluster-secret-file",
      [&c](const std::string& v) {
        if (v.empty()) return false;
        c.cluster_secret_file = v;
        return true;
      },
      "needs a file name");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ExtrasError& e) {
    if (help || version) {
      *action = help ? Action::kHelp : Action::kVersion;
      return c;
    }
    return Status(ErrorCode::kInvalidArgument, std::string(e.what()) + " (see --help)");
  } catch (const CLI::ParseError& e) {
    if (help || version) {
      *action = help ? Action::kHelp : Action::kVersion;
      return c;
    }
    // CLI11's own complaint about a flag's value ("--port: 1 required TEXT
    // missing") becomes ours: what the flag needs.
    std::string what = e.what();
    if (constexpr std::string_view kExtra = "INI was not able to parse "; what.rfind(kExtra, 0) == 0) {
      return Status(ErrorCode::kInvalidArgument,
                    "--config: unknown flag " + what.substr(kExtra.size()) + " (see --help)");
    }
    if (size_t colon = what.find(':'); colon != std::string::npos) {
      auto it = needs.find(what.substr(0, colon));
      if (it != needs.end() && what.compare(0, colon + 2, it->first + ": " + it->second) != 0) {
        return Status(ErrorCode::kInvalidArgument, it->first + ": " + it->second);
      }
    }
    return Status(ErrorCode::kInvalidArgument, what);
  }
  if (help || version) {
    *action = help ? Action::kHelp : Action::kVersion;
    return c;
  }
  if (!lambda_map_file.empty()) {
    std::ifstream in(lambda_map_file, std::ios::binary);
    if (!in) return Status(ErrorCode::kInvalidArgument, "--lambda-map: cannot read " + lambda_map_file);
    std::stringstream text;
    text << in.rdbuf();
    auto map = lambda::ParseFunctionMap(text.str());
    if (!map.ok())
      return Status(ErrorCode::kInvalidArgument, "--lambda-map " + lambda_map_file + ": " + map.status().message());
    c.lambda_functions = std::move(map).value();
  }
  for (const std::string& flag : lambda_flags) {
    if (Status st = lambda::AddFunctionFlag(flag, &c.lambda_functions); !st.ok()) return st;
  }
  bool tls = c.tls_port >= 0, cert = !c.tls_cert.empty(), key = !c.tls_key.empty();
  if ((tls || cert || key) && !(tls && cert && key)) {
    return Status(ErrorCode::kInvalidArgument, "--tls-port, --tls-cert and --tls-key go together");
  }
  if (!c.metrics_host.empty() && c.metrics_port < 0) {
    return Status(ErrorCode::kInvalidArgument, "--metrics-host needs --metrics-port");
  }
  if (c.cluster.empty() && (!c.node_id.empty() || !c.advertise.empty())) {
    return Status(ErrorCode::kInvalidArgument, "--node-id and --advertise need --cluster");
  }
  if (c.cluster.empty() && c.replication_port >= 0) {
    return Status(ErrorCode::kInvalidArgument, "--replication-port needs --cluster");
  }
  if (!c.cluster.empty() && c.node_id.empty()) {
    return Status(ErrorCode::kInvalidArgument, "--cluster needs --node-id");
  }
  if (!c.cluster.empty() && c.cluster_secret_file.empty()) {
    return Status(ErrorCode::kInvalidArgument, "--cluster needs --cluster-secret-file");
  }
  if (c.cluster.empty() && !c.cluster_secret_file.empty()) {
    return Status(ErrorCode::kInvalidArgument, "--cluster-secret-file needs --cluster");
  }
  if (c.max_connection_inflight_bytes < c.max_body_bytes || c.max_inflight_bytes < c.max_connection_inflight_bytes) {
    return Status(ErrorCode::kInvalidArgument,
                  "need --max-body-bytes <= --max-connection-inflight-bytes <= --max-inflight-bytes");
  }
  return c;
}

}  // namespace spate::spated
