#include "firehose/compression.h"

#include <snappy.h>
#include <zlib.h>

#include <algorithm>

#include "util/crc32c.h"
#include "util/gzip.h"

namespace spate::firehose {

namespace {

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr size_t kStep = 1u << 30;
  for (size_t pos = 0; pos < data.size(); pos += kStep) {
    size_t n = std::min(kStep, data.size() - pos);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + pos), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

void PutLe16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
}
void PutLe24(std::string* out, uint32_t v) {
  PutLe16(out, v & 0xFFFF);
  out->push_back(static_cast<char>((v >> 16) & 0xFF));
}
void PutLe32(std::string* out, uint32_t v) {
  PutLe16(out, v & 0xFFFF);
  PutLe16(out, v >> 16);
}
void PutBe32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>((v >> 24) & 0xFF));
  out->push_back(static_cast<char>((v >> 16) & 0xFF));
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
  out->push_back(static_cast<char>(v & 0xFF));
}

// ---- ZIP (PKWARE APPNOTE 6.3: local header, data, central directory, EOCD) ----

constexpr uint32_t kZipLocalHeaderSig = 0x04034b50;
constexpr uint32_t kZipCentralHeaderSig = 0x02014b50;
constexpr uint32_t kZipEndOfCentralDirSig = 0x06054b50;
constexpr uint32_t kZipVersionNeeded = 20;             // 2.0: deflate
constexpr uint32_t kZipVersionMadeBy = (3 << 8) | 20;  // UNIX, 2.0
constexpr uint32_t kZipMethodDeflate = 8;
constexpr uint32_t kZipFlagUtf8Name = 1 << 11;
constexpr uint32_t kZipDosTime = 0;                        // 00:00:00
constexpr uint32_t kZipDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the DOS epoch
constexpr uint32_t kZipExternalAttrs = 0100644u << 16;     // regular file, rw-r--r--
constexpr size_t kZipMaxNameBytes = 0xFFFF;

Result<std::string> Zip(std::string_view data, std::string_view name) {
  if (data.size() >= kMaxZipInputBytes) {
    return InvalidArgument("ZIP input of " + std::to_string(data.size()) + " bytes needs zip64, which is not written");
  }
  if (name.size() >= kZipMaxNameBytes) return InvalidArgument("ZIP entry name too long");
  bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  const uint32_t flags = ascii ? 0 : kZipFlagUtf8Name;
  const uint32_t crc = Crc32(data);

  std::string deflated;
  SPATE_TRY(util::Deflate(data, util::DeflateFormat::kRaw, &deflated));
  if (deflated.size() >= kMaxZipInputBytes) return InvalidArgument("ZIP compressed data needs zip64");

  std::string out;
  out.reserve(deflated.size() + 2 * name.size() + 128);
  auto common = [&](std::string* o) {
    PutLe16(o, flags);
    PutLe16(o, kZipMethodDeflate);
    PutLe16(o, kZipDosTime);
    PutLe16(o, kZipDosDate);
    PutLe32(o, crc);
    PutLe32(o, static_cast<uint32_t>(deflated.size()));
    PutLe32(o, static_cast<uint32_t>(data.size()));
    PutLe16(o, static_cast<uint32_t>(name.size()));
    PutLe16(o, 0);  // extra field length
  };
  PutLe32(&out, kZipLocalHeaderSig);
  PutLe16(&out, kZipVersionNeeded);
  common(&out);
  out.append(name);
  out.append(deflated);

  const uint64_t cd_offset = out.size();
  PutLe32(&out, kZipCentralHeaderSig);
  PutLe16(&out, kZipVersionMadeBy);
  PutLe16(&out, kZipVersionNeeded);
  common(&out);
  PutLe16(&out, 0);  // comment length
  PutLe16(&out, 0);  // disk number start
  PutLe16(&out, 0);  // internal attributes
  PutLe32(&out, kZipExternalAttrs);
  PutLe32(&out, 0);  // offset of the local header
  out.append(name);
  const uint64_t cd_size = out.size() - cd_offset;
  if (cd_offset > 0xFFFFFFFEull) return InvalidArgument("ZIP archive needs zip64");

  PutLe32(&out, kZipEndOfCentralDirSig);
  PutLe16(&out, 0);  // this disk
  PutLe16(&out, 0);  // disk of the central directory
  PutLe16(&out, 1);  // entries on this disk
  PutLe16(&out, 1);  // entries in all
  PutLe32(&out, static_cast<uint32_t>(cd_size));
  PutLe32(&out, static_cast<uint32_t>(cd_offset));
  PutLe16(&out, 0);  // comment length
  return out;
}

// ---- Snappy framing format (google/snappy framing_format.txt) ----

constexpr char kSnappyStreamIdentifier[] = "\xff\x06\x00\x00sNaPpY";
constexpr size_t kSnappyStreamIdentifierBytes = 10;
constexpr uint8_t kSnappyChunkCompressed = 0x00;
constexpr uint8_t kSnappyChunkUncompressed = 0x01;
constexpr uint32_t kSnappyCrcMaskDelta = 0xa282ead8;

uint32_t MaskedCrc32c(std::string_view data) {
  uint32_t crc = util::Crc32c(data);
  return ((crc >> 15) | (crc << 17)) + kSnappyCrcMaskDelta;
}

std::string SnappyFramed(std::string_view data) {
  std::string out(kSnappyStreamIdentifier, kSnappyStreamIdentifierBytes);
  std::string block;
  for (size_t pos = 0; pos < data.size(); pos += kSnappyFrameChunkBytes) {
    std::string_view raw = data.substr(pos, kSnappyFrameChunkBytes);
    block.clear();
    snappy::Compress(raw.data(), raw.size(), &block);
    // Store a chunk raw when compressing saves less than 1/8 of it, as the
    // reference encoders do.
    bool compressed = block.size() < raw.size() - raw.size() / 8;
    std::string_view body = compressed ? std::string_view(block) : raw;
    out.push_back(static_cast<char>(compressed ? kSnappyChunkCompressed : kSnappyChunkUncompressed));
    PutLe24(&out, static_cast<uint32_t>(body.size() + 4));
    PutLe32(&out, MaskedCrc32c(raw));
    out.append(body);
  }
  return out;
}

// ---- Hadoop BlockCompressorStream of SnappyCodec ----

// Per block: the uncompressed length, then one (compressed length, snappy
// block) pair holding all of it; both lengths 32-bit big-endian.
std::string HadoopSnappy(std::string_view data) {
  std::string out;
  std::string block;
  for (size_t pos = 0; pos < data.size(); pos += kHadoopSnappyBlockBytes) {
    std::string_view raw = data.substr(pos, kHadoopSnappyBlockBytes);
    block.clear();
    snappy::Compress(raw.data(), raw.size(), &block);
    PutBe32(&out, static_cast<uint32_t>(raw.size()));
    PutBe32(&out, static_cast<uint32_t>(block.size()));
    out.append(block);
  }
  return out;
}

}  // namespace

std::optional<Compression> ParseCompression(std::string_view s) {
  if (s == "UNCOMPRESSED") return Compression::kUncompressed;
  if (s == "GZIP") return Compression::kGzip;
  if (s == "ZIP") return Compression::kZip;
  if (s == "Snappy") return Compression::kSnappy;
  if (s == "HADOOP_SNAPPY") return Compression::kHadoopSnappy;
  return std::nullopt;
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return "UNCOMPRESSED";
    case Compression::kGzip: return "GZIP";
    case Compression::kZip: return "ZIP";
    case Compression::kSnappy: return "Snappy";
    case Compression::kHadoopSnappy: return "HADOOP_SNAPPY";
  }
  return "UNCOMPRESSED";
}

std::string_view DefaultExtension(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return "";
    case Compression::kGzip: return ".gz";
    case Compression::kZip: return ".zip";
    case Compression::kSnappy:
    case Compression::kHadoopSnappy: return ".snappy";
  }
  return "";
}

Result<std::string> Compress(Compression c, std::string_view data, std::string_view zip_entry_name) {
  switch (c) {
    case Compression::kUncompressed: return std::string(data);
    case Compression::kGzip: {
      std::string out;
      SPATE_TRY(util::Deflate(data, util::DeflateFormat::kGzip, &out));
      return out;
    }
    case Compression::kZip: return Zip(data, zip_entry_name);
    case Compression::kSnappy: return SnappyFramed(data);
    case Compression::kHadoopSnappy: return HadoopSnappy(data);
  }
  return Internal("unknown compression");
}

}  // namespace spate::firehose
