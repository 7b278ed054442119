#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "console/assets.h"
#include "http/http_types.h"

namespace spate::console {

// What the console's page is told about the server (GET /console/config.json).
struct ConsoleOptions {
  // spated runs with --credentials-file: the page asks for an access key id
  // and secret before any call. Otherwise (development mode) it signs with a
  // fixed development key, which the server accepts as any other.
  bool credentials_required = false;
  // GET /metrics is served on the console's port (the live charts read it).
  // False when spated runs with --metrics-port, which moves /metrics to a
  // listener of its own: the page then says where the metrics are instead
  // of drawing charts.
  bool metrics_on_this_port = true;
};

// The web console's files, for `FrontDoor::AddRoute({"", "/console/*", ""}, ...)`:
//
//   GET /console              -> 301 to /console/ (the page's relative URLs need the slash)
//   GET /console/             -> index.html
//   GET /console/config.json  -> {"credentialsRequired": bool}
//   GET /console/<name>       -> the embedded asset of that name, or 404
//   any other method          -> 405 with Allow: GET
//
// Every asset answer carries its Content-Type, a strong ETag (a matching
// If-None-Match gets 304 and no body) and Cache-Control: no-cache (the names
// carry no version, so a browser revalidates and a new binary's files are
// seen at once). The route serves files only: every piece of data the page
// shows comes from the signed AWS API and /metrics on the same port.
//
// Immutable after construction; Handle runs on any I/O thread, never blocks.
class ConsoleRoute final : public http::RequestHandler {
 public:
  // `assets` (normally EmbeddedAssets()) must outlive this.
  ConsoleRoute(std::span<const EmbeddedAsset> assets, ConsoleOptions options);

  void Handle(http::HttpRequest&& request, std::unique_ptr<http::Responder> responder) override;

  // The answer to a GET of `target` (path and query) with that If-None-Match
  // header (empty when absent): Handle's work, apart for tests.
  http::HttpResponse Get(std::string_view target, std::string_view if_none_match) const;

 private:
  std::unordered_map<std::string_view, const EmbeddedAsset*> by_name_;
  EmbeddedAsset config_;
  std::string config_body_;
  std::string config_etag_;
};

}  // namespace spate::console
