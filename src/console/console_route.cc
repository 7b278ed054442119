#include "console/console_route.h"

#include <utility>

namespace spate::console {
namespace {

constexpr std::string_view kPrefix = "/console";
constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kConfigName = "config.json";

// The page loads only its own files and talks only to its own origin; no
// inline script or style, no framing (a console is a clickjacking target).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

http::HttpResponse PlainText(int status, std::string body) {
  http::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = std::move(body);
  return r;
}

// RFC 9110 13.1.2: "*" or a list of entity tags, weak ones compared weakly.
bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  size_t i = 0;
  while (i < if_none_match.size()) {
    while (i < if_none_match.size() && (if_none_match[i] == ' ' || if_none_match[i] == ',')) ++i;
    size_t end = if_none_match.find(',', i);
    if (end == std::string_view::npos) end = if_none_match.size();
    std::string_view tag = if_none_match.substr(i, end - i);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) return true;
    i = end;
  }
  return false;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && name.find('/', dot) == std::string_view::npos) {
    std::string_view ext = name.substr(dot);
    for (const auto& [e, type] : kTypes) {
      if (e == ext) return type;
    }
  }
  return "application/octet-stream";
}

ConsoleRoute::ConsoleRoute(std::span<const EmbeddedAsset> assets, ConsoleOptions options) {
  for (const EmbeddedAsset& a : assets) by_name_.emplace(a.name, &a);
  config_body_ = std::string("{\"credentialsRequired\":") + (options.credentials_required ? "true" : "false") +
                 ",\"metricsOnThisPort\":" + (options.metrics_on_this_port ? "true" : "false") + "}";
  config_etag_ = std::string("\"config-") + (options.credentials_required ? "signed" : "development") +
                 (options.metrics_on_this_port ? "" : "-no-metrics") + "\"";
  config_ = EmbeddedAsset{kConfigName, config_body_, config_etag_};
  by_name_[kConfigName] = &config_;
}

http::HttpResponse ConsoleRoute::Get(std::string_view target, std::string_view if_none_match) const {
  std::string_view path = target;
  std::string_view query;
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q);
    path = path.substr(0, q);
  }
  if (path == kPrefix) {
    http::HttpResponse r;
    r.status = 301;
    r.headers.emplace_back("Location", std::string(kPrefix) + "/" + std::string(query));
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  // The router sends only /console and what is below it here.
  std::string_view name = path.substr(kPrefix.size() + 1);
  if (name.empty()) name = kIndex;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return PlainText(404, "no such console file: " + std::string(name) + "\n");
  const EmbeddedAsset& asset = *it->second;

  http::HttpResponse r;
  r.headers.emplace_back("ETag", std::string(asset.etag));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (EtagMatches(if_none_match, asset.etag)) {
    r.status = 304;
    return r;
  }
  r.headers.emplace_back("Content-Type", std::string(ContentTypeFor(asset.name)));
  if (asset.name == kIndex) {
    r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  r.body = std::string(asset.body);
  return r;
}

void ConsoleRoute::Handle(http::HttpRequest&& request, std::unique_ptr<http::Responder> responder) {
  if (request.method != "GET") {
    http::HttpResponse r = PlainText(405, "the console serves GET only\n");
    r.headers.emplace_back("Allow", "GET");
    responder->Send(std::move(r));
    return;
  }
  responder->Send(Get(request.target, request.Header("if-none-match")));
}

}  // namespace spate::console
