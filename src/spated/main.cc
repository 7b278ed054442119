// spated: reads its configuration, wires the modules together, serves until
// SIGINT or SIGTERM (SIGHUP reopens the access log). No business logic lives
// here.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "analytics/applications.h"
#include "analytics/runner.h"
#include "analytics/service.h"
#include "base/log.h"
#include "base/version.h"
#include "cluster/admin_service.h"
#include "cluster/coordinator.h"
#include "cluster/etcd_client.h"
#include "cluster/forwarder.h"
#include "cluster/leader_sync.h"
#include "cluster/membership.h"
#include "cluster/replica_wiring.h"
#include "cluster/replication/replica_server.h"
#include "cluster/replication/shard_replicator.h"
#include "cluster/shared_catalog.h"
#include "console/console_route.h"
#include "firehose/delivery_streams.h"
#include "firehose/endpoint_settings.h"
#include "firehose/object_store.h"
#include "firehose/redshift_destination.h"
#include "firehose/service.h"
#include "http/http_server.h"
#include "http/router.h"
#include "lambda/invoker.h"
#include "leases/service.h"
#include "metadata/catalog.h"
#include "metrics/registry.h"
#include "server/access_log.h"
#include "server/front_door.h"
#include "server/metrics_route.h"
#include "server/sigv4.h"
#include "spated/analytics_sink.h"
#include "spated/config.h"
#include "spated/kinesis_source.h"
#include "spated/process_metrics.h"
#include "storage/log_store.h"
#include "streams/fan_out.h"
#include "streams/producer_service.h"
#include "streams/registry.h"
#include "streams/service.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::spated {
namespace {

// The shortest --cluster-secret-file content accepted (an HMAC key).
constexpr size_t kMinClusterSecretBytes = 16;

// Holds an exclusive lock on <data-dir>/LOCK for the life of the process, so
// two servers never share a data directory.
Result<int> LockDataDir(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status(ErrorCode::kIoError, "cannot open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status(ErrorCode::kResourceInUse, "another spated is using " + dir);
  }
  return fd;
}

int Run(const Config& config) {
  if (config.log_level == "debug") SetLogLevel(LogLevel::kDebug);
  if (config.log_level == "warn") SetLogLevel(LogLevel::kWarn);
  if (config.log_level == "error") SetLogLevel(LogLevel::kError);
  SetLogFormat(config.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  auto recovery_start = std::chrono::steady_clock::now();

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    SPATE_LOG_ERROR("cannot create data directory " + config.data_dir + ": " + ec.message());
    return 1;
  }
  auto lock = LockDataDir(config.data_dir);
  if (!lock.ok()) {
    SPATE_LOG_ERROR(lock.status().message());
    return 1;
  }

  // Block the signals spated acts on in every thread; the main thread waits
  // for them: SIGINT and SIGTERM stop, SIGHUP reopens the access log.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Every metric of the process, served at GET /metrics. Declared before
  // the components that register in it, so it outlives them.
  metrics::Registry metrics;
  RegisterProcessMetrics(&metrics);

  auto catalog = metadata::Catalog::Open(config.data_dir + "/catalog");
  if (!catalog.ok()) {
    SPATE_LOG_ERROR("cannot open the catalog: " + catalog.status().ToString());
    return 1;
  }
  std::string key_store_path = config.key_store.empty() ? config.data_dir + "/keys" : config.key_store;
  auto key_store = storage::KeyStore::Open(key_store_path);
  if (!key_store.ok()) {
    SPATE_LOG_ERROR("cannot open the key store: " + key_store.status().ToString());
    return 1;
  }
  storage::LogStoreOptions log_options;
  log_options.key_store = key_store->get();
  log_options.dir = config.data_dir + "/streams";
  log_options.fs = util::PosixFileSystem();
  log_options.clock = util::SystemClock();
  if (config.segment_bytes > 0) log_options.segment_bytes = config.segment_bytes;
  if (config.log_cache_mb >= 0) log_options.page_cache_bytes = static_cast<uint64_t>(config.log_cache_mb) << 20;
  log_options.metrics = &metrics;
  auto logs = storage::LogStore::Open(log_options);
  if (!logs.ok()) {
    SPATE_LOG_ERROR("cannot open the shard logs: " + logs.status().ToString());
    return 1;
  }

  // Cluster mode: this node's membership, under an etcd lease, gates every
  // append (streams::WriteGate). Declared before the registry, which uses it.
  std::unique_ptr<cluster::EtcdClient> etcd;
  std::unique_ptr<cluster::Membership> membership;
  // Whether a replica holds a shard's committed end (set once replication exists).
  std::function<bool(std::string_view, std::string_view)> successor_ready;
  std::unique_ptr<cluster::Coordinator> coordinator;
  std::unique_ptr<cluster::SharedCatalog> shared_catalog;
  std::unique_ptr<cluster::ReplicationPlacement> replication_placement;
  // What this node knows of each shard's committed end (the end reads stop
  // at, leader or follower), shared by the replicator, the replica server
  // and the leader catch-up; outlives all three.
  cluster::replication::CommittedEnds committed_ends;
  // Reset explicitly after the registry has stopped and the logs are closed
  // (its failed waiters call back into the registry).
  std::unique_ptr<cluster::replication::ShardReplicator> replicator;
  std::string cluster_secret;
  if (!config.cluster.empty()) {
    auto endpoints = cluster::EtcdClient::ParseClusterUrl(config.cluster);
    if (!endpoints.ok()) {
      SPATE_LOG_ERROR(endpoints.status().message());
      return 1;
    }
    auto client = cluster::EtcdClient::Create(cluster::EtcdOptions{*endpoints});
    if (!client.ok()) {
      SPATE_LOG_ERROR("cannot use etcd at " + config.cluster + ": " + client.status().ToString());
      return 1;
    }
    etcd = std::move(client).value();
    cluster::MembershipOptions member_options;
    member_options.node_id = config.node_id;
    member_options.advertise = config.advertise;  // or, once listening, --host and the port
    member_options.version = std::string(Version());
    member_options.lease.ttl_s = config.cluster_lease_ttl_s;
    // Started once the server listens: until then the gate refuses appends.
    membership = std::make_unique<cluster::Membership>(etcd.get(), member_options, util::SystemClock());
    std::ifstream secret_in(config.cluster_secret_file, std::ios::binary);
    std::stringstream secret_text;
    secret_text << secret_in.rdbuf();
    cluster_secret = secret_text.str();
    while (!cluster_secret.empty() && (cluster_secret.back() == '\n' || cluster_secret.back() == '\r')) {
      cluster_secret.pop_back();
    }
    if (!secret_in || cluster_secret.size() < kMinClusterSecretBytes) {
      SPATE_LOG_ERROR("--cluster-secret-file " + config.cluster_secret_file + " must hold at least " +
                      std::to_string(kMinClusterSecretBytes) + " bytes");
      return 1;
    }
    cluster::CoordinatorOptions coordinator_options;
    coordinator_options.node_id = config.node_id;
    coordinator_options.replication_factor = static_cast<size_t>(config.replication_factor);
    coordinator_options.replace_grace_ms = config.replica_replace_grace_s * 1000;
    coordinator_options.max_moves_per_s = static_cast<double>(config.balance_moves_per_s);
    // A leadership goes only to a replica holding the committed end, as the
    // leader's replication knows it (set once the logs exist, below).
    coordinator_options.successor_ready = [&successor_ready](std::string_view shard_key, std::string_view node) {
      return successor_ready && successor_ready(shard_key, node);
    };
    coordinator = std::make_unique<cluster::Coordinator>(etcd.get(), membership.get(), coordinator_options);
    // Stream records go to etcd while this node owns the catalog.
    shared_catalog = std::make_unique<cluster::SharedCatalog>(catalog->get(), etcd.get(), coordinator.get());
    // Replication: a put is acknowledged once a majority of the shard's
    // replicas holds it (docs/formats/replication.md).
    replication_placement = std::make_unique<cluster::ReplicationPlacement>(coordinator.get());
    cluster::replication::ReplicatorOptions replicator_options;
    replicator_options.secret = cluster_secret;
    replicator_options.committed_ends = &committed_ends;
    replicator =
        std::make_unique<cluster::replication::ShardReplicator>(replication_placement.get(), replicator_options);
  }

  streams::RegistryOptions reg_options;
  // Appends only on the shard's leader, under its epoch (cluster mode).
  reg_options.write_gate = coordinator.get();
  if (coordinator) reg_options.owns_catalog = [c = coordinator.get()] { return c->OwnsCatalog(); };
  reg_options.replicator = replicator.get();
  reg_options.state_delay_ms = config.state_delay_ms;
  reg_options.shard_limit = config.shard_limit;
  reg_options.on_demand_stream_limit = config.on_demand_stream_limit;
  reg_options.throughput.enabled = config.limits;
  reg_options.faults = config.faults;
  reg_options.on_demand_scale_after_ms = config.on_demand_scale_after_ms;
  reg_options.key_store = key_store->get();
  reg_options.metrics = &metrics;
  streams::Registry registry(reg_options, shared_catalog ? shared_catalog.get() : catalog->get(), logs->get(),
                             util::SystemClock());
  if (coordinator) coordinator->SetRegistry(&registry);
  // Cluster mode: the follower side of replication on its own port, and the
  // catch-up a new shard leader runs before it serves (rule 5).
  std::unique_ptr<cluster::RegistryReplicaLogs> replica_logs;
  std::unique_ptr<cluster::replication::ReplicaServer> replica_server;
  std::unique_ptr<cluster::LeaderSync> leader_sync;
  if (coordinator) {
    replica_logs = std::make_unique<cluster::RegistryReplicaLogs>(&registry);
    cluster::replication::ReplicaServerOptions replica_options;
    replica_options.host = config.host;
    replica_options.port = static_cast<uint16_t>(std::max<int64_t>(config.replication_port, 0));
    replica_options.secret = cluster_secret;
    replica_options.committed_ends = &committed_ends;
    auto started = cluster::replication::ReplicaServer::Start(replica_options, replica_logs.get());
    if (!started.ok()) {
      SPATE_LOG_ERROR("cannot listen for replication on " + config.host + ":" + std::to_string(replica_options.port) +
                      ": " + started.status().ToString());
      return 1;
    }
    replica_server = std::move(started).value();
    // Peers reach it at the advertised host.
    std::string host = config.advertise.empty() ? config.host : config.advertise.substr(0, config.advertise.rfind(':'));
    membership->SetReplicationAddress(host + ":" + std::to_string(replica_server->port()));
    cluster::LeaderSyncOptions sync_options;
    sync_options.secret = cluster_secret;
    sync_options.committed_ends = &committed_ends;
    leader_sync = std::make_unique<cluster::LeaderSync>(replication_placement.get(), replica_logs.get(),
                                                        replicator.get(), sync_options);
    coordinator->SetLeaderReadiness(
        [s = leader_sync.get()](const std::string& shard_key, int64_t epoch) { return s->Ready(shard_key, epoch); });
    // `spate cluster status` on every node, and the replacement rule's
    // "caught up": the progress of the shards this node leads, published in
    // etcd by the coordinator (docs/formats/cluster-protocol.md).
    successor_ready = [logs = replica_logs.get(), r = replicator.get()](std::string_view shard_key,
                                                                        std::string_view node) {
      auto parts = cluster::ParseShardKey(shard_key);
      auto log = logs->LogFor(shard_key);
      auto end = r->FollowerDurableEnd(shard_key, node);
      if (!parts || !log.ok() || !end.has_value()) return false;
      auto committed =
          r->CommittedEnd(streams::ReplicatedShard{parts->account, parts->region, parts->stream, parts->shard}, **log);
      return committed.value() > 0 && *end >= committed;
    };
    coordinator->SetProgressSource(
        [logs = replica_logs.get(), r = replicator.get(), c = coordinator.get()](
            std::string_view shard_key,
            const std::vector<std::string>& replicas) -> std::optional<cluster::LeaderProgress> {
          auto parts = cluster::ParseShardKey(shard_key);
          auto log = logs->LogFor(shard_key);
          auto set = c->ReplicasOf(shard_key);
          if (!parts || !log.ok() || !set.has_value() || set->leader != c->SelfId()) return std::nullopt;
          const streams::ReplicatedShard shard{parts->account, parts->region, parts->stream, parts->shard};
          cluster::LeaderProgress p;
          p.end = static_cast<int64_t>((*log)->EndOffset().value());
          p.committed = static_cast<int64_t>(r->CommittedEnd(shard, **log).value());
          bool idle_newcomer = false;
          for (const std::string& node : replicas) {
            if (node == c->SelfId()) continue;
            if (auto end = r->FollowerDurableEnd(shard_key, node); end.has_value()) {
              p.followers[node] = static_cast<int64_t>(end->value());
            } else if (c->AddressOf(node).has_value()) {
              idle_newcomer = true;
            }
          }
          // A live replica the replicator is not streaming to (one just added to
          // the set of a shard nobody writes to) is reached only by a batch:
          // offer the log's end again, as a write would, so that it is caught
          // up without waiting for one. Only once this leadership has committed
          // its own first batch (LeaderSync done); the outcome does not matter.
          if (idle_newcomer && p.committed > 0) {
            r->Replicate(shard, *log, (*log)->EndOffset(), set->epoch, [](Status) {});
          }
          return p;
        });
  }
  // Enhanced fan-out: woken by every durable append (set before Start).
  streams::FanOutOptions fan_out_options;
  fan_out_options.heartbeat_ms = config.fanout_heartbeat_ms;
  fan_out_options.subscription_ms = config.fanout_subscription_ms;
  fan_out_options.takeover_guard_ms = config.fanout_takeover_guard_ms;
  // AWS: 2 MiB/s per consumer per shard, apart from the shard's GetRecords limit.
  fan_out_options.read_bytes_per_second = config.limits ? 2.0 * (1 << 20) : 0;
  streams::FanOut fan_out(fan_out_options, &registry, util::SystemClock());
  registry.SetAppendObserver(
      [&fan_out](const std::string& group, model::ShardIndex shard) { fan_out.OnAppend(group, shard); });
  if (Status st = registry.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load streams: " + st.ToString());
    return 1;
  }

  // Firehose: its delivery streams' buffers in a log store of their own (the
  // same segmented log and group commit as shards, apart from the streams'
  // groups), delivered to DATA_DIR/s3 by default.
  storage::LogStoreOptions firehose_log_options = log_options;
  firehose_log_options.dir = config.data_dir + "/firehose";
  firehose_log_options.segment_bytes = std::min<uint64_t>(log_options.segment_bytes, 16u << 20);
  firehose_log_options.preallocate_bytes = 1u << 20;
  firehose_log_options.journal_bytes = 4u << 20;
  // A buffer is read back once, for its delivery, soon after it is written.
  firehose_log_options.page_cache_bytes = std::min<uint64_t>(log_options.page_cache_bytes, 256u << 20);
  // The spate_storage_* families describe the shards' store; Firehose's
  // metrics are its own (DeliveryToS3.*), not the storage layer's.
  firehose_log_options.metrics = nullptr;
  auto firehose_logs = storage::LogStore::Open(firehose_log_options);
  if (!firehose_logs.ok()) {
    SPATE_LOG_ERROR("cannot open the delivery stream buffers: " + firehose_logs.status().ToString());
    return 1;
  }
  std::unique_ptr<firehose::ObjectStore> object_store;
  if (config.s3_endpoint.empty()) {
    object_store = firehose::NewLocalObjectStore(config.data_dir + "/s3");
  } else {
    auto env = [](const char* name) {
      const char* v = std::getenv(name);
      return v != nullptr ? std::string(v) : std::string();
    };
    firehose::S3Options s3;
    s3.endpoint = config.s3_endpoint;
    s3.region = config.s3_region;
    s3.access_key_id = !config.s3_access_key_id.empty() ? config.s3_access_key_id : env("AWS_ACCESS_KEY_ID");
    s3.secret_access_key =
        !config.s3_secret_access_key.empty() ? config.s3_secret_access_key : env("AWS_SECRET_ACCESS_KEY");
    s3.session_token = !config.s3_session_token.empty() ? config.s3_session_token : env("AWS_SESSION_TOKEN");
    s3.path_style = !config.s3_virtual_host;
    s3.timeout_ms = config.s3_timeout_ms;
    auto store = firehose::NewS3ObjectStore(s3);
    if (!store.ok()) {
      SPATE_LOG_ERROR("cannot use the S3 endpoint " + config.s3_endpoint + ": " + store.status().ToString());
      return 1;
    }
    object_store = std::move(store).value();
  }
  SPATE_LOG_INFO("Firehose delivers to " + object_store->Describe());
  firehose::EndpointSettings endpoint_settings;
  endpoint_settings.opensearch_domains = config.opensearch_domains;
  endpoint_settings.http_endpoint_timeout_ms = config.http_endpoint_timeout_ms;
  firehose::SetEndpointSettings(std::move(endpoint_settings));
  firehose::FirehoseOptions firehose_options;
  firehose_options.state_delay_ms = config.state_delay_ms;
  firehose_options.limits = config.limits;
  firehose_options.metrics = &metrics;
  firehose_options.delivery.max_backoff_ms = config.delivery_retry_max_ms;
  firehose_options.delivery.retry_window_ms = config.delivery_retry_window_ms;
  firehose::RedshiftOptions redshift;
  redshift.retry_interval_ms = config.redshift_retry_interval_ms;
  redshift.host_addresses = config.redshift_host_addresses;
  redshift.kill_after_copies = config.redshift_kill_after_copies;
  firehose::SetRedshiftOptions(std::move(redshift));
  firehose_options.glue_schema_dir = config.glue_schema_dir;
  // The error output is a local directory whatever the destination, so that
  // an object the destination refused for the whole window has a place to go.
  std::unique_ptr<firehose::ObjectStore> error_output =
      firehose::NewLocalObjectStore(config.data_dir + "/firehose/error-output");
  firehose_options.delivery.error_output = error_output.get();
  // Data transformation's Lambda functions (--lambda-map, --lambda).
  std::unique_ptr<lambda::Invoker> lambda_invoker = lambda::NewInvoker(config.lambda_functions);
  firehose_options.lambda = lambda_invoker.get();
  RegistryKinesisSource kinesis_source(&registry);  // KinesisStreamAsSource reads Data Streams through it
  firehose_options.kinesis = &kinesis_source;
  firehose::DeliveryStreams delivery_streams(firehose_options, catalog->get(), firehose_logs->get(), object_store.get(),
                                             util::SystemClock());
  if (Status st = delivery_streams.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load delivery streams: " + st.ToString());
    return 1;
  }

  {
    auto totals = registry.CountAll();
    storage::LogStoreStats st = (*logs)->Stats();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - recovery_start);
    SPATE_LOG_INFO("recovered in " + std::to_string(ms.count()) + " ms: " + std::to_string(totals.streams) +
                   " streams, " + std::to_string(totals.shards) + " shards (" + std::to_string(totals.open_shards) +
                   " open), " + std::to_string(st.segments) + " segments, " + std::to_string(st.segment_bytes) +
                   " bytes, " + std::to_string(st.journal_replayed) + " batches replayed from the journal, " +
                   std::to_string(delivery_streams.Count()) + " delivery streams");
  }

  // Analytics: applications in the catalog; their runners read streams
  // through the same KinesisSource as Firehose and delivery streams through
  // Firehose's RecordReader, call Lambda functions through the same invoker
  // as Firehose, and write through the registry and the delivery streams.
  ServicesRecordSink analytics_sink(&registry, &delivery_streams);
  analytics::RunnerOptions runner_options;
  runner_options.kinesis = &kinesis_source;
  runner_options.firehose = &delivery_streams;  // delivery-stream inputs, through firehose/record_reader.h
  runner_options.sink = &analytics_sink;
  runner_options.lambda = lambda_invoker.get();  // preprocessing and Lambda outputs
  runner_options.object_root = config.data_dir + "/s3";
  runner_options.metrics = &metrics;
  analytics::EngineRuntime analytics_runtime(runner_options, catalog->get(), util::SystemClock());
  analytics::AnalyticsOptions analytics_options;
  analytics_options.state_delay_ms = config.state_delay_ms;
  analytics_options.kinesis = &kinesis_source;
  analytics_options.firehose = &delivery_streams;
  analytics_options.lambda = lambda_invoker.get();
  analytics_options.object_root = config.data_dir + "/s3";
  analytics::Applications applications(analytics_options, catalog->get(), &analytics_runtime, util::SystemClock());
  if (Status st = applications.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load analytics applications: " + st.ToString());
    return 1;
  }

  std::optional<server::CredentialStore> credentials;
  if (!config.credentials_file.empty()) {
    auto loaded = server::CredentialStore::Load(config.credentials_file);
    if (!loaded.ok()) {
      SPATE_LOG_ERROR(loaded.status().message());
      return 1;
    }
    credentials = std::move(*loaded);
  }
  server::SigV4Verifier verifier(credentials ? &*credentials : nullptr, util::SystemClock());
  fan_out.Start();
  // One port for every service: the front door routes by X-Amz-Target.
  // Cluster mode: any node answers any request, forwarding it to the shard's
  // leader or the catalog owner.
  std::unique_ptr<cluster::Forwarder> forwarder;
  if (coordinator) {
    cluster::ForwarderOptions forwarder_options;
    forwarder_options.secret = cluster_secret;
    forwarder = std::make_unique<cluster::Forwarder>(&registry, coordinator.get(), forwarder_options);
  }
  streams::StreamsService streams_service(&registry, &fan_out, forwarder.get());
  server::FrontDoor front_door(&verifier);
  if (coordinator) front_door.SetPeerSecret(cluster_secret);
  front_door.AddService(&streams_service);
  firehose::FirehoseService firehose_service(&delivery_streams);
  front_door.AddService(&firehose_service);
  std::unique_ptr<server::AccessLog> access_log;
  if (!config.access_log.empty()) {
    auto opened =
        server::AccessLog::Open(config.access_log, config.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
    if (!opened.ok()) {
      SPATE_LOG_ERROR(opened.status().message());
      return 1;
    }
    access_log = std::move(opened).value();
    front_door.SetAccessLog(access_log.get());
    server::AccessLog* log = access_log.get();
    metrics.AddCallback("spate_access_log_dropped_total",
                        "Access log lines dropped because the writer's queue was full.", metrics::Type::kCounter,
                        [log] { return static_cast<double>(log->dropped()); });
  }
  analytics::AnalyticsService analytics_service(&applications);
  front_door.AddService(&analytics_service);
  // The consumer library's lease table (docs/leases.md), in the catalog.
  leases::LeaseTable lease_table(catalog->get());
  if (Status st = lease_table.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load leases: " + st.ToString());
    return 1;
  }
  leases::LeaseService lease_service(&lease_table);
  front_door.AddService(&lease_service);
  // The exactly-once append extension (docs/exactly-once.md): producer
  // epochs in the catalog, stamped PutRecords through the registry.
  dedup::ProducerEpochs producer_epochs(catalog->get());
  if (Status st = producer_epochs.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load producer epochs: " + st.ToString());
    return 1;
  }
  streams::ProducerService producer_service(&registry, &producer_epochs);
  front_door.AddService(&producer_service);
  // Cluster operation (status, drain): SpateCluster_20261207.
  std::unique_ptr<cluster::AdminService> cluster_admin;
  if (coordinator) {
    cluster_admin = std::make_unique<cluster::AdminService>(coordinator.get());
    front_door.AddService(cluster_admin.get());
  }
  // GET /metrics: on the API port, or with --metrics-port on a listener of
  // its own that serves nothing else (so the API port can face clients while
  // scrapers reach the metrics on the operator's network).
  server::MetricsRoute metrics_route(&metrics);
  server::MetricsPortFallback metrics_port_fallback;
  http::Router metrics_router(&metrics_port_fallback);
  bool metrics_port = config.metrics_port >= 0;
  if (metrics_port) {
    metrics_router.Add({"GET", "/metrics", ""}, &metrics_route);
  } else {
    front_door.AddRoute({"GET", "/metrics", ""}, &metrics_route);
  }
  // The web console's files; its data comes from the signed API and /metrics above.
  console::ConsoleRoute console_route(
      console::EmbeddedAssets(),
      console::ConsoleOptions{.credentials_required = credentials.has_value(), .metrics_on_this_port = !metrics_port});
  front_door.AddRoute({"", "/console/*", ""}, &console_route);
  metrics.AddCallback("spate_kinesis_subscriptions", "Open SubscribeToShard subscriptions.", metrics::Type::kGauge,
                      [&fan_out] { return static_cast<double>(fan_out.SubscriptionCount()); });
  http::HttpServerOptions http_options;
  http_options.host = config.host;
  http_options.port = config.port;
  if (config.tls_port >= 0) {
    http_options.tls_port = config.tls_port;
    http_options.tls_cert_file = config.tls_cert;
    http_options.tls_key_file = config.tls_key;
  }
  http_options.threads = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  http_options.max_body_bytes = config.max_body_bytes;
  http_options.max_connections = config.max_connections;
  http_options.max_connection_inflight_bytes = config.max_connection_inflight_bytes;
  http_options.max_inflight_bytes = config.max_inflight_bytes;
  http_options.idle_timeout_ms = config.idle_timeout_ms;
  http_options.header_timeout_ms = config.header_timeout_ms;
  http_options.body_timeout_ms = config.body_timeout_ms;
  http_options.server_header = "spated/" + std::string(Version());
  auto srv = http::HttpServer::Create(http_options, front_door.handler());
  if (!srv.ok()) {
    SPATE_LOG_ERROR(srv.status().ToString());
    return 1;
  }
  http::HttpServer* http_server = srv->get();
  auto http_stat = [http_server](uint64_t http::HttpServerStats::*field) {
    return [http_server, field] { return static_cast<double>(http_server->Stats().*field); };
  };
  metrics.AddCallback("spate_http_open_connections", "Open client connections (plain and TLS).", metrics::Type::kGauge,
                      http_stat(&http::HttpServerStats::open_connections));
  metrics.AddCallback("spate_http_inflight_bytes",
                      "Request bytes held in memory (bodies being read and requests not yet answered).",
                      metrics::Type::kGauge, http_stat(&http::HttpServerStats::inflight_bytes));
  metrics.AddCallback("spate_http_connections_accepted_total", "Client connections accepted.", metrics::Type::kCounter,
                      http_stat(&http::HttpServerStats::accepted_connections));
  metrics.AddCallback("spate_http_connections_refused_total",
                      "Client connections closed at once for --max-connections.", metrics::Type::kCounter,
                      http_stat(&http::HttpServerStats::refused_connections));
  std::unique_ptr<http::HttpServer> metrics_server;
  if (metrics_port) {
    http::HttpServerOptions m;
    m.host = config.metrics_host.empty() ? config.host : config.metrics_host;
    m.port = static_cast<uint16_t>(config.metrics_port);
    m.threads = 1;  // a scrape every few seconds
    m.max_body_bytes = 64u << 10;
    m.max_connections = 64;
    m.max_connection_inflight_bytes = 1u << 20;
    m.max_inflight_bytes = 4u << 20;
    m.server_header = http_options.server_header;
    auto created = http::HttpServer::Create(m, &metrics_router);
    Status st = created.ok() ? (*created)->Start() : created.status();
    if (!st.ok()) {
      SPATE_LOG_ERROR("cannot listen for /metrics on " + m.host + ":" + std::to_string(config.metrics_port) + ": " +
                      st.ToString());
      return 1;
    }
    metrics_server = std::move(created).value();
  }
  if (Status st = (*srv)->Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + st.ToString());
    return 1;
  }
  if (membership) {
    if (config.advertise.empty()) membership->SetAdvertise(config.host + ":" + std::to_string((*srv)->port()));
    if (Status st = membership->Start(); !st.ok()) {
      SPATE_LOG_ERROR("cannot join the cluster at " + config.cluster + ": " + st.ToString());
      (*srv)->Stop();
      return 1;
    }
    if (Status st = coordinator->Start(); !st.ok()) {
      SPATE_LOG_ERROR("cannot read the cluster's state at " + config.cluster + ": " + st.ToString());
      (*srv)->Stop();
      return 1;
    }
  }
  std::string auth = credentials ? "signatures verified against " + std::to_string(credentials->size()) +
                                       " credential(s) from " + config.credentials_file
                                 : std::string("signatures not verified: development mode");
  SPATE_LOG_INFO("spated " + std::string(VersionLine()) + " listening on " + config.host + ":" +
                 std::to_string((*srv)->port()) + " (data in " + config.data_dir + "; " + auth + ")");
  if (!credentials && !IsLoopbackHost(config.host)) {
    SPATE_LOG_WARN("listening on " + config.host +
                   " without --credentials-file: signatures are not verified, so anyone who reaches this port "
                   "can read and write every stream");
  }
  if (credentials && !metrics_port && !IsLoopbackHost(config.host)) {
    SPATE_LOG_WARN("GET /metrics on " + config.host +
                   " is not signed (Prometheus scrapes without SigV4) and its series name every account's streams: "
                   "--metrics-port moves it to a listener of its own (--metrics-host)");
  }
  if (config.tls_port >= 0) {
    SPATE_LOG_INFO("spated listening for HTTPS (h2, http/1.1) on " + config.host + ":" +
                   std::to_string((*srv)->tls_port()));
  }
  if (metrics_server) {
    SPATE_LOG_INFO("spated serving /metrics on " + (config.metrics_host.empty() ? config.host : config.metrics_host) +
                   ":" + std::to_string(metrics_server->port()) + " (and not on the API port)");
  }

  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    // logrotate renamed the access log (packaging/spated.logrotate): start a
    // new file at the same path.
    if (access_log == nullptr) {
      SPATE_LOG_INFO("SIGHUP: no --access-log to reopen");
    } else if (Status st = access_log->Reopen(); !st.ok()) {
      SPATE_LOG_ERROR("SIGHUP: " + st.message() + "; still writing to the old file");
    } else {
      SPATE_LOG_INFO("SIGHUP: reopened the access log " + config.access_log);
    }
  }
  SPATE_LOG_INFO(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  (*srv)->Stop();
  if (metrics_server) metrics_server->Stop();
  if (access_log) access_log->Flush();
  fan_out.Stop();
  applications.Stop();  // its runners write to streams and delivery streams
  delivery_streams.Stop();
  // No more mirroring or claims into a registry that is stopping.
  if (coordinator) coordinator->Stop();
  leader_sync.reset();
  replica_server.reset();
  registry.Stop();
  if (membership) membership->Stop();  // revokes the lease: the cluster forgets this node now
  logs->reset();
  replicator.reset();  // fails the batches still waiting for a majority
  firehose_logs->reset();
  catalog->reset();
  ::close(*lock);
  return 0;
}

}  // namespace
}  // namespace spate::spated

int main(int argc, char** argv) {
  spate::spated::Action action = spate::spated::Action::kServe;
  auto config = spate::spated::ParseFlags(argc, argv, &action);
  if (!config.ok()) {
    std::fprintf(stderr, "spated: %s\n", config.status().message().c_str());
    return 2;
  }
  if (action == spate::spated::Action::kHelp) {
    std::cout << spate::spated::HelpText();
    return 0;
  }
  if (action == spate::spated::Action::kVersion) {
    std::cout << spate::spated::VersionText();
    return 0;
  }
  return spate::spated::Run(*config);
}
