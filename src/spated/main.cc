// spated: reads its configuration, wires the modules together, serves until
// SIGINT or SIGTERM. No business logic lives here.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "base/log.h"
#include "metadata/catalog.h"
#include "server/api_dispatcher.h"
#include "server/http_server.h"
#include "spated/config.h"
#include "storage/log_store.h"
#include "streams/registry.h"
#include "util/clock.h"
#include "util/file_system.h"

namespace spate::spated {
namespace {

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

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

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
  auto logs = storage::LogStore::Open(log_options);
  if (!logs.ok()) {
    SPATE_LOG_ERROR("cannot open the shard logs: " + logs.status().ToString());
    return 1;
  }

  streams::RegistryOptions reg_options;
  reg_options.state_delay_ms = config.state_delay_ms;
  reg_options.shard_limit = config.shard_limit;
  reg_options.on_demand_stream_limit = config.on_demand_stream_limit;
  reg_options.key_store = key_store->get();
  streams::Registry registry(reg_options, catalog->get(), logs->get(), util::SystemClock());
  if (Status st = registry.Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot load streams: " + st.ToString());
    return 1;
  }

  server::ApiDispatcher dispatcher(&registry);
  server::HttpServerOptions http;
  http.host = config.host;
  http.port = config.port;
  http.threads = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  http.max_body_bytes = config.max_body_bytes;
  http.max_connections = config.max_connections;
  http.max_connection_inflight_bytes = config.max_connection_inflight_bytes;
  http.max_inflight_bytes = config.max_inflight_bytes;
  http.idle_timeout_ms = config.idle_timeout_ms;
  http.header_timeout_ms = config.header_timeout_ms;
  http.body_timeout_ms = config.body_timeout_ms;
  auto srv = server::HttpServer::Create(http, &dispatcher);
  if (!srv.ok()) {
    SPATE_LOG_ERROR(srv.status().ToString());
    return 1;
  }
  if (Status st = (*srv)->Start(); !st.ok()) {
    SPATE_LOG_ERROR("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + st.ToString());
    return 1;
  }
  SPATE_LOG_INFO("spated listening on " + config.host + ":" + std::to_string((*srv)->port()) + " (data in " +
                 config.data_dir + "; signatures not verified: development mode)");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SPATE_LOG_INFO(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  (*srv)->Stop();
  registry.Stop();
  logs->reset();
  catalog->reset();
  ::close(*lock);
  return 0;
}

}  // namespace
}  // namespace spate::spated

int main(int argc, char** argv) {
  bool help = false;
  auto config = spate::spated::ParseFlags(argc, argv, &help);
  if (!config.ok()) {
    std::fprintf(stderr, "spated: %s\n", config.status().message().c_str());
    return 2;
  }
  if (help) {
    std::cout << spate::spated::HelpText();
    return 0;
  }
  return spate::spated::Run(*config);
}
