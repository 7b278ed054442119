#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "lambda/invoker.h"
#include "streams/throughput.h"

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
  std::string log_format = "text";  // text or json: the log and the access log
  std::string access_log;           // request log: a file, "-" for stdout, empty for none
  // SigV4 credentials; empty = development mode (signatures not verified).
  std::string credentials_file;
  // HTTPS (HTTP/1.1 and HTTP/2 chosen by ALPN) on a second port. The three
  // flags go together (ParseFlags refuses one without the others).
  int32_t tls_port = -1;  // -1 = no TLS port
  std::string tls_cert;   // PEM certificate chain
  std::string tls_key;    // PEM private key
  // GET /metrics on a listener of its own (and no longer on the API port):
  // -1 = none (served on --port); 0 = a free port. Host empty = --host.
  int32_t metrics_port = -1;
  std::string metrics_host;
  uint64_t segment_bytes = 0;              // shard-log segment size; 0 = the storage default (128 MiB)
  int64_t log_cache_mb = -1;               // page cache left to durable log bytes; -1 = the storage default
  bool limits = true;                      // --limits=aws (true) or --limits=off
  std::vector<streams::FaultRule> faults;  // --inject-fault, repeatable
  int64_t on_demand_scale_after_ms = 60'000;
  // Enhanced fan-out (SubscribeToShard); AWS's values by default.
  int64_t fanout_heartbeat_ms = 5000;
  int64_t fanout_subscription_ms = 300'000;
  int64_t fanout_takeover_guard_ms = 5000;
  // Master keys of encrypted streams; empty: <data_dir>/keys.
  std::string key_store;
  // Firehose: the longest wait between attempts of a failed delivery
  // (attempts back off from 200 ms up to this).
  int64_t delivery_retry_max_ms = 30'000;
  int64_t delivery_retry_window_ms = 24LL * 3600 * 1000;
  // Firehose's Redshift destination: the wait between COPY attempts
  // (Redshift's 5 minutes), and ClusterJDBCURL hosts mapped to addresses.
  int64_t redshift_retry_interval_ms = 300'000;
  std::map<std::string, std::string> redshift_host_addresses;
  int64_t redshift_kill_after_copies = 0;  // crash tests only
  // Firehose record format conversion: DIR/<database>/<table>.json per Glue
  // table; empty: none.
  std::string glue_schema_dir;
  // Firehose's S3 destinations on an S3-compatible server instead of the
  // local directory DATA_DIR/s3 (empty endpoint). Credentials default to
  // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
  std::string s3_endpoint;
  std::string s3_region = "us-east-1";
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  std::string s3_session_token;
  bool s3_virtual_host = false;
  int64_t s3_timeout_ms = 30'000;  // per S3 request (connect and total)
  // Firehose's OpenSearch domains: DomainARN -> endpoint URL
  // (--opensearch-domain ARN=URL, repeatable).
  std::map<std::string, std::string, std::less<>> opensearch_domains;
  // How long an HTTP endpoint destination has to answer (AWS: 3 minutes).
  int64_t http_endpoint_timeout_ms = 180'000;
  // What the Lambda functions of Firehose's data transformation run:
  // --lambda-map FILE, then each --lambda NAME=TARGET (src/lambda/README.md).
  lambda::FunctionMap lambda_functions;
  // Transport bounds (server::HttpServerOptions).
  size_t max_body_bytes = 16u << 20;
  size_t max_connections = 4096;
  size_t max_connection_inflight_bytes = 64u << 20;
  size_t max_inflight_bytes = 512u << 20;
  int64_t idle_timeout_ms = 120'000;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 60'000;
  // Cluster mode (src/cluster/): "etcd://host:port[,host:port...]"; empty:
  // a single node, as without cluster mode. The other three need it.
  std::string cluster;
  std::string node_id;                   // unique among the live nodes
  std::string advertise;                 // host:port the other nodes reach this one at; default host:port
  int64_t cluster_lease_ttl_s = 3;       // how long a dead node keeps its shards
  int64_t replication_factor = 3;        // nodes holding each shard
  int64_t replica_replace_grace_s = 60;  // a dead node's replicas are replaced after this (0: never)
  int64_t balance_moves_per_s = 4;       // leaderships a node hands over per second (0: never)
  // The replication port (cluster/replication/), on --host; advertised in
  // the node's etcd key. -1: not given (0, any free port).
  int64_t replication_port = -1;
  // The secret every node shares, signing the requests one forwards to
  // another (service/peer_auth.h): the content of --cluster-secret-file.
  std::string cluster_secret_file;
};

// What the command line asks for besides serving.
enum class Action { kServe, kHelp, kVersion };

// Parses argv. kInvalidArgument with a message naming the bad flag.
// Sets *action to kHelp for --help, kVersion for --version.
Result<Config> ParseFlags(int argc, char** argv, Action* action);

// The --version text: "spated <version> (git <revision>)\n".
std::string VersionText();

// Whether --host ADDR accepts connections from this machine only
// (127.0.0.0/8, ::1, localhost): beyond it, development mode (no
// --credentials-file) deserves a warning.
bool IsLoopbackHost(const std::string& host);

// The --help text: every flag, its default, what it does.
std::string HelpText();

}  // namespace spate::spated
