#pragma once

// GZIP (RFC 1952) and raw deflate (RFC 1951) over zlib: the one place Spate
// compresses and inflates with zlib (Firehose's GZIP and ZIP objects and its
// decompression processor, Parquet's GZIP pages). Pure functions, safe from
// any thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::util {

enum class DeflateFormat {
  kGzip,  // one gzip member, zlib's default header: no name, mtime 0, OS 3
  kRaw,   // raw deflate, no header or trailer (a ZIP entry's data)
};

// Deflates all of `data` (of any size: fed to zlib in 1 GiB steps) at the
// default level and appends it to `out`. Deterministic: the same input gives
// the same bytes. Error: kInternal if zlib fails.
Status Deflate(std::string_view data, DeflateFormat format, std::string* out);

// Why Gunzip gave no data.
enum class GunzipError {
  kNone,
  kNotGzip,   // no gzip magic (1f 8b) at the start
  kTooLarge,  // the output would exceed max_bytes
  kCorrupt,   // corrupt or truncated data
  kInternal,  // zlib could not initialise
};

// Inflates GZIP data of one or more concatenated members into `out`
// (replaced), stopping with kTooLarge once more than `max_bytes` came out.
GunzipError Gunzip(std::string_view data, size_t max_bytes, std::string* out);

}  // namespace spate::util
