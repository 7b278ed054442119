#pragma once

// The Redshift destination's process-wide settings (spated's flags). The
// kind itself is RedshiftDestinationKind() in destination.h.

#include <cstdint>
#include <map>
#include <string>

namespace spate::firehose {

struct RedshiftOptions {
  // The wait between COPY attempts of a failing batch: Redshift's 5 minutes
  // (spated --redshift-retry-interval-ms, for tests).
  int64_t retry_interval_ms = 300'000;
  // ClusterJDBCURL host -> the address to connect to (spated
  // --redshift-host-address HOST=ADDRESS). The service model only accepts
  // hosts of the form *.redshift[-serverless].*, which a self-hosted
  // PostgreSQL rarely has in DNS; a host not listed is resolved as usual.
  std::map<std::string, std::string> host_addresses;
  // libpq's connect_timeout.
  int connect_timeout_s = 10;
  // Failure point for crash tests (spated --redshift-kill-after-copies N):
  // the process kills itself with SIGKILL right after its Nth COPY commits,
  // before the deliverer records the batch as delivered. 0: never.
  int64_t kill_after_copies = 0;
};

// Set once by spated before any delivery stream opens; read by every new
// Redshift sink. Thread-safe.
void SetRedshiftOptions(RedshiftOptions options);
RedshiftOptions GetRedshiftOptions();

}  // namespace spate::firehose
