#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::firehose {

// A delivery stream's CompressionFormat: how an S3 object's bytes are framed.
// The byte layouts are specified in docs/formats/firehose_compression.md.
enum class Compression {
  kUncompressed,  // UNCOMPRESSED: the records as they are
  kGzip,          // GZIP: one RFC 1952 member
  kZip,           // ZIP: a PKZIP archive of one deflated entry
  kSnappy,        // Snappy: the snappy framing format (stream identifier + CRC-32C'd chunks)
  kHadoopSnappy,  // HADOOP_SNAPPY: Hadoop's BlockCompressorStream framing of snappy blocks
};

// The model's enum values, exactly ("Snappy" is mixed case on the wire).
// nullopt for anything else.
std::optional<Compression> ParseCompression(std::string_view wire_name);
std::string_view CompressionName(Compression c);

// The extension Firehose appends when FileExtension is unset: "", ".gz",
// ".zip", ".snappy", ".snappy".
std::string_view DefaultExtension(Compression c);

// Largest input Compress accepts for ZIP (no zip64 records are written).
inline constexpr uint64_t kMaxZipInputBytes = 0xFFFFFFFEull;
// The uncompressed bytes per snappy framing chunk (the format's limit).
inline constexpr size_t kSnappyFrameChunkBytes = 65536;
// Hadoop's SnappyCodec buffer (io.compression.codec.snappy.buffersize,
// 256 KiB) less its compression overhead (size / 6 + 32): the uncompressed
// bytes per block, so that even an incompressible block's snappy form fits
// the buffer of Hadoop's decompressor, as Hadoop's own writer keeps it.
inline constexpr size_t kHadoopSnappyBufferBytes = 256 * 1024;
inline constexpr size_t kHadoopSnappyBlockBytes = kHadoopSnappyBufferBytes - (kHadoopSnappyBufferBytes / 6 + 32);

// The object body for `data` under `c`. `zip_entry_name` names the single
// archive entry (ZIP only; typically the object name without ".zip").
// Deterministic: the same input gives the same bytes (the gzip and zip
// timestamps are zero), so a retried delivery rewrites an identical object.
// Errors: kInvalidArgument for ZIP input of kMaxZipInputBytes or more, or an
// entry name of 64 KiB or more; kInternal if zlib fails.
Result<std::string> Compress(Compression c, std::string_view data, std::string_view zip_entry_name);

}  // namespace spate::firehose
