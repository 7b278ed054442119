#include "util/gzip.h"

#include <zlib.h>

#include <algorithm>

namespace spate::util {
namespace {

// zlib counts in uInt: inputs and outputs go to it at most this much at once.
constexpr size_t kStep = 1u << 30;
// windowBits: 15 (32 KiB window), + 16 for a gzip wrapper, negated for none.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kRawWindowBits = -15;
constexpr int kMemLevel = 8;
constexpr size_t kInflateChunk = 65536;

}  // namespace

Status Deflate(std::string_view data, DeflateFormat format, std::string* out) {
  z_stream zs{};
  int window_bits = format == DeflateFormat::kGzip ? kGzipWindowBits : kRawWindowBits;
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("deflateInit2 failed");
  }
  size_t base = out->size();
  out->resize(base + deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kStep))) + 64);
  size_t in_pos = 0;
  int rc = Z_OK;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < data.size()) {
      size_t n = std::min(data.size() - in_pos, kStep);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (base + zs.total_out == out->size()) out->resize(out->size() + out->size() / 2 + 4096);
    size_t produced_before = zs.total_out;
    size_t room = std::min(out->size() - base - produced_before, kStep);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + base + produced_before);
    zs.avail_out = static_cast<uInt>(room);
    rc = deflate(&zs, in_pos == data.size() && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      return Internal("deflate failed");
    }
  }
  out->resize(base + zs.total_out);
  deflateEnd(&zs);
  return Status::Ok();
}

GunzipError Gunzip(std::string_view data, size_t max_bytes, std::string* out) {
  out->clear();
  if (data.size() < 2 || static_cast<uint8_t>(data[0]) != 0x1f || static_cast<uint8_t>(data[1]) != 0x8b) {
    return GunzipError::kNotGzip;
  }
  z_stream z{};
  if (inflateInit2(&z, kGzipWindowBits) != Z_OK) return GunzipError::kInternal;
  size_t in_pos = 0;
  char buf[kInflateChunk];
  int rc = Z_OK;
  for (;;) {
    if (z.avail_in == 0 && in_pos < data.size()) {
      size_t n = std::min(data.size() - in_pos, kStep);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
      z.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out->append(buf, sizeof(buf) - z.avail_out);
    if (out->size() > max_bytes) {
      inflateEnd(&z);
      return GunzipError::kTooLarge;
    }
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && in_pos == data.size()) break;
      // Another member follows (gzip files may be concatenated).
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK) break;
    if (z.avail_in == 0 && in_pos == data.size() && z.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? GunzipError::kNone : GunzipError::kCorrupt;
}

}  // namespace spate::util
