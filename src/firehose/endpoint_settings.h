#pragma once

// What the destinations reached over HTTP (OpenSearch / Elasticsearch, HTTP
// endpoints) take from spated's command line rather than from the API.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace spate::firehose {

struct EndpointSettings {
  // DomainARN -> the domain's endpoint URL (http://host:port or https://...),
  // from `--opensearch-domain ARN=URL`: AWS resolves a domain's ARN to its
  // endpoint; a self-hosted server has to be told.
  std::map<std::string, std::string, std::less<>> opensearch_domains;
  // How long an HTTP endpoint has to answer (AWS: 3 minutes); shorter in
  // tests (`--http-endpoint-timeout-ms`).
  int64_t http_endpoint_timeout_ms = 180'000;
  // How long one _bulk request may take (AWS documents none).
  int64_t opensearch_timeout_ms = 60'000;
};

// Set once by spated before any delivery stream is opened; read by the
// destination kinds (thread-safe only in that order).
void SetEndpointSettings(EndpointSettings settings);
const EndpointSettings& GetEndpointSettings();

}  // namespace spate::firehose
