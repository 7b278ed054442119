#pragma once

#include <span>
#include <string_view>

namespace spate::console {

// One file of the console, compiled into the binary (src/console/README.md,
// "How the assets are embedded").
struct EmbeddedAsset {
  std::string_view name;  // path below /console/, e.g. "app.js", "vendor/uPlot.iife.min.js"
  std::string_view body;  // the file's bytes
  std::string_view etag;  // strong ETag, quoted: a prefix of the SHA-256 of `body`
};

// Every embedded asset, in the order the build listed them; static storage,
// thread-safe. Defined by the generated console_assets.cc.
std::span<const EmbeddedAsset> EmbeddedAssets();

// The Content-Type of a file by its extension (".js" -> "text/javascript;
// charset=utf-8"); "application/octet-stream" for an unknown one.
std::string_view ContentTypeFor(std::string_view name);

}  // namespace spate::console
