#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "metadata/stream_meta.h"

namespace spate::metadata {

// The durable catalog of streams, shards, tags and server settings. Backed
// by RocksDB (kept out of this header): every write is synced before it
// returns, so a change the server acknowledged survives a crash. Thread-safe.
// Keys, values and versions: docs/formats/catalog.md.
class Catalog {
 public:
  // Opens (creating if needed) the catalog in `dir`.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& dir);
  virtual ~Catalog() = default;

  virtual Status PutStream(const StreamMeta& meta) = 0;
  virtual Status DeleteStream(std::string_view key) = 0;
  // Every stream, in key order. kCorruption if a record cannot be decoded.
  virtual Result<std::vector<StreamMeta>> LoadStreams() = 0;

  // Records of other services (Firehose delivery streams, their delivery
  // checkpoints), opaque to the catalog: `value` under `key` in namespace
  // `ns` (1-64 characters of [a-z0-9-]; `key` any bytes). Synced like every
  // write. LoadEntries returns a namespace's (key, value) pairs in key order.
  virtual Status PutEntry(std::string_view ns, std::string_view key, std::string_view value) = 0;
  virtual Status DeleteEntry(std::string_view ns, std::string_view key) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> LoadEntries(std::string_view ns) = 0;
  // One entry's value; nullopt if absent.
  virtual Result<std::optional<std::string>> GetEntry(std::string_view ns, std::string_view key) = 0;

  // Small named settings (e.g. the iterator-token key). nullopt if absent.
  virtual Result<std::optional<std::string>> GetSetting(std::string_view name) = 0;
  virtual Status PutSetting(std::string_view name, std::string_view value) = 0;
};

}  // namespace spate::metadata
