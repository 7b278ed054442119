#include "firehose/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <random>

#include "util/crc32c.h"

namespace spate::firehose {
namespace {

// Records as a delivery stream sees them: JSON lines (compressible) and, for
// the raw-chunk paths, random bytes (incompressible).
std::string JsonLines(size_t bytes) {
  std::string s;
  for (int i = 0; s.size() < bytes; ++i) {
    s += "{\"ticker\":\"AMZN\",\"sector\":\"TECHNOLOGY\",\"price\":" + std::to_string(100 + i % 97) + "." +
         std::to_string(i % 100) + ",\"seq\":" + std::to_string(i) + "}\n";
  }
  s.resize(bytes);
  return s;
}
std::string RandomBytes(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(bytes, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

uint32_t Le16(std::string_view s, size_t at) {
  return static_cast<uint8_t>(s[at]) | (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 8);
}
uint32_t Le32(std::string_view s, size_t at) { return Le16(s, at) | (Le16(s, at + 2) << 16); }
uint32_t Be32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

// zlib inflate: window_bits 15 + 16 for gzip, -15 for raw deflate.
bool Inflate(std::string_view in, int window_bits, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return false;
    }
    out->append(buf, sizeof(buf) - zs.avail_out);
  } while (rc != Z_STREAM_END);
  bool all_consumed = zs.avail_in == 0;
  inflateEnd(&zs);
  return all_consumed;
}

std::string MustCompress(Compression c, std::string_view data, std::string_view name = "entry") {
  Result<std::string> r = Compress(c, data, name);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

// ---- a decoder of the snappy framing format, written from framing_format.txt ----
bool DecodeSnappyFramed(std::string_view in, std::string* out, int* compressed_chunks, int* raw_chunks) {
  static const std::string kId("\xff\x06\x00\x00sNaPpY", 10);
  if (in.substr(0, 10) != kId) return false;
  size_t pos = 10;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return false;
    uint8_t type = static_cast<uint8_t>(in[pos]);
    uint32_t len = Le16(in, pos + 1) | (static_cast<uint32_t>(static_cast<uint8_t>(in[pos + 3])) << 16);
    pos += 4;
    if (in.size() - pos < len || len < 4) return false;
    uint32_t masked = Le32(in, pos);
    std::string_view body = in.substr(pos + 4, len - 4);
    std::string chunk;
    if (type == 0x00) {
      if (!snappy::Uncompress(body.data(), body.size(), &chunk)) return false;
      ++*compressed_chunks;
    } else if (type == 0x01) {
      chunk = std::string(body);
      ++*raw_chunks;
    } else {
      return false;
    }
    if (chunk.size() > 65536) return false;
    uint32_t crc = util::Crc32c(chunk);
    if (((crc >> 15) | (crc << 17)) + 0xa282ead8 != masked) return false;
    out->append(chunk);
    pos += len;
  }
  return true;
}

// ---- a decoder of Hadoop's BlockCompressorStream framing ----
bool DecodeHadoopSnappy(std::string_view in, std::string* out, int* blocks) {
  size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return false;
    uint32_t raw_len = Be32(in, pos);
    pos += 4;
    std::string block;
    while (block.size() < raw_len) {
      if (in.size() - pos < 4) return false;
      uint32_t len = Be32(in, pos);
      pos += 4;
      // Hadoop's decompressor holds a compressed chunk in a 256 KiB buffer.
      if (in.size() - pos < len || len > kHadoopSnappyBufferBytes) return false;
      std::string part;
      if (!snappy::Uncompress(in.data() + pos, len, &part)) return false;
      block += part;
      pos += len;
    }
    if (block.size() != raw_len || raw_len > kHadoopSnappyBufferBytes) return false;
    out->append(block);
    ++*blocks;
  }
  return true;
}

// ---- a reader of the single-entry zip archives Compress writes ----
struct ZipEntry {
  std::string name;
  std::string data;
};
bool ReadZip(std::string_view z, ZipEntry* e) {
  if (z.size() < 22) return false;
  size_t eocd = z.size() - 22;
  if (Le32(z, eocd) != 0x06054b50 || Le16(z, eocd + 8) != 1 || Le16(z, eocd + 10) != 1) return false;
  uint32_t cd_size = Le32(z, eocd + 12), cd_offset = Le32(z, eocd + 16);
  if (uint64_t{cd_offset} + cd_size != eocd) return false;
  if (Le32(z, cd_offset) != 0x02014b50) return false;
  uint32_t method = Le16(z, cd_offset + 10), crc = Le32(z, cd_offset + 16);
  uint32_t csize = Le32(z, cd_offset + 20), usize = Le32(z, cd_offset + 24);
  uint32_t name_len = Le16(z, cd_offset + 28), local = Le32(z, cd_offset + 42);
  if (method != 8 || cd_offset + 46 + name_len != eocd) return false;
  std::string cd_name(z.substr(cd_offset + 46, name_len));
  if (Le32(z, local) != 0x04034b50) return false;
  if (Le32(z, local + 14) != crc || Le32(z, local + 18) != csize || Le32(z, local + 22) != usize) return false;
  uint32_t local_name_len = Le16(z, local + 26), extra = Le16(z, local + 28);
  if (z.substr(local + 30, local_name_len) != cd_name) return false;
  size_t data_at = local + 30 + local_name_len + extra;
  if (data_at + csize != cd_offset) return false;
  std::string data;
  if (!Inflate(z.substr(data_at, csize), -15, &data)) return false;
  if (data.size() != usize) return false;
  if (crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())) != crc) return false;
  e->name = cd_name;
  e->data = std::move(data);
  return true;
}

TEST(CompressionTest, WireNames) {
  EXPECT_EQ(ParseCompression("UNCOMPRESSED"), Compression::kUncompressed);
  EXPECT_EQ(ParseCompression("GZIP"), Compression::kGzip);
  EXPECT_EQ(ParseCompression("ZIP"), Compression::kZip);
  EXPECT_EQ(ParseCompression("Snappy"), Compression::kSnappy);
  EXPECT_EQ(ParseCompression("HADOOP_SNAPPY"), Compression::kHadoopSnappy);
  for (const char* bad : {"SNAPPY", "snappy", "gzip", "Gzip", "", "HADOOP-SNAPPY", "NONE"}) {
    EXPECT_FALSE(ParseCompression(bad).has_value()) << bad;
  }
  for (Compression c : {Compression::kUncompressed, Compression::kGzip, Compression::kZip, Compression::kSnappy,
                        Compression::kHadoopSnappy}) {
    EXPECT_EQ(ParseCompression(CompressionName(c)), c);
  }
}

TEST(CompressionTest, DefaultExtensions) {
  EXPECT_EQ(DefaultExtension(Compression::kUncompressed), "");
  EXPECT_EQ(DefaultExtension(Compression::kGzip), ".gz");
  EXPECT_EQ(DefaultExtension(Compression::kZip), ".zip");
  EXPECT_EQ(DefaultExtension(Compression::kSnappy), ".snappy");
  EXPECT_EQ(DefaultExtension(Compression::kHadoopSnappy), ".snappy");
}

TEST(CompressionTest, UncompressedIsTheDataItself) {
  std::string data = JsonLines(1000);
  EXPECT_EQ(MustCompress(Compression::kUncompressed, data), data);
}

TEST(CompressionTest, GzipRoundTripsAndHasAnRfc1952Header) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100000}, size_t{3} << 20}) {
    std::string data = JsonLines(size);
    std::string gz = MustCompress(Compression::kGzip, data);
    ASSERT_GE(gz.size(), 18u);
    EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
    EXPECT_EQ(gz[2], 8);                                              // deflate
    EXPECT_EQ(Le32(gz, 4), 0u);                                       // no mtime: the same records give the same object
    EXPECT_EQ(Le32(gz, gz.size() - 4), static_cast<uint32_t>(size));  // ISIZE
    std::string back;
    ASSERT_TRUE(Inflate(gz, 15 + 16, &back)) << size;
    EXPECT_EQ(back, data);
    if (size > 1000) {
      EXPECT_LT(gz.size(), size / 4);
    }
    EXPECT_EQ(MustCompress(Compression::kGzip, data), gz);  // deterministic
  }
}

TEST(CompressionTest, ZipIsAValidSingleEntryArchive) {
  for (size_t size : {size_t{0}, size_t{5}, size_t{200000}}) {
    std::string data = JsonLines(size) + RandomBytes(size / 10, 7);
    std::string zip = MustCompress(Compression::kZip, data, "stream-1-2018-08-27-10-30-00-uuid");
    ZipEntry e;
    ASSERT_TRUE(ReadZip(zip, &e)) << size;
    EXPECT_EQ(e.name, "stream-1-2018-08-27-10-30-00-uuid");
    EXPECT_EQ(e.data, data);
    EXPECT_EQ(MustCompress(Compression::kZip, data, "stream-1-2018-08-27-10-30-00-uuid"), zip);
  }
}

TEST(CompressionTest, ZipMarksNonAsciiNamesUtf8) {
  std::string zip = MustCompress(Compression::kZip, "x", "caf\xc3\xa9");
  EXPECT_EQ(Le16(zip, 6) & (1u << 11), 1u << 11);
  ZipEntry e;
  ASSERT_TRUE(ReadZip(zip, &e));
  EXPECT_EQ(e.name, "caf\xc3\xa9");
}

TEST(CompressionTest, ZipRefusesWhatNeedsZip64) {
  // A 4 GiB readable range that costs no memory: never touched, refused first.
  const size_t size = kMaxZipInputBytes;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) GTEST_SKIP() << "cannot reserve 4 GiB of address space";
  Result<std::string> r = Compress(Compression::kZip, std::string_view(static_cast<const char*>(p), size), "big");
  ::munmap(p, size);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Compress(Compression::kZip, "x", std::string(70000, 'n')).status().code(), ErrorCode::kInvalidArgument);
}

TEST(CompressionTest, SnappyFramingRoundTripsWithChecksums) {
  // 300 KiB of JSON (compressed chunks) then 100 KiB of noise (stored raw).
  std::string data = JsonLines(300 * 1024) + RandomBytes(100 * 1024, 1);
  std::string framed = MustCompress(Compression::kSnappy, data);
  std::string back;
  int compressed = 0, raw = 0;
  ASSERT_TRUE(DecodeSnappyFramed(framed, &back, &compressed, &raw));
  EXPECT_EQ(back, data);
  EXPECT_GE(compressed, 4);
  EXPECT_GE(raw, 1);
  EXPECT_EQ(compressed + raw, static_cast<int>((data.size() + 65535) / 65536));
}

TEST(CompressionTest, SnappyFramingDetectsACorruptedChunk) {
  std::string framed = MustCompress(Compression::kSnappy, RandomBytes(1000, 3));
  framed[framed.size() - 1] ^= 0x01;
  std::string back;
  int c = 0, r = 0;
  EXPECT_FALSE(DecodeSnappyFramed(framed, &back, &c, &r));
}

TEST(CompressionTest, SnappyFramingOfNothingIsTheStreamIdentifier) {
  EXPECT_EQ(MustCompress(Compression::kSnappy, ""), std::string("\xff\x06\x00\x00sNaPpY", 10));
}

TEST(CompressionTest, HadoopSnappyBlocksRoundTrip) {
  std::string data = JsonLines(600 * 1024) + RandomBytes(kHadoopSnappyBlockBytes + 5, 2);
  std::string framed = MustCompress(Compression::kHadoopSnappy, data);
  std::string back;
  int blocks = 0;
  ASSERT_TRUE(DecodeHadoopSnappy(framed, &back, &blocks));
  EXPECT_EQ(back, data);
  EXPECT_EQ(blocks, static_cast<int>((data.size() + kHadoopSnappyBlockBytes - 1) / kHadoopSnappyBlockBytes));
  EXPECT_EQ(Be32(framed, 0), kHadoopSnappyBlockBytes);  // first block's raw length
  EXPECT_EQ(MustCompress(Compression::kHadoopSnappy, ""), "");
}

// An independent reader: Python's gzip and zipfile modules open what
// Compress wrote (python3 is a test dependency, scripts/install-deps.sh --test).
TEST(CompressionTest, PythonReadsTheGzipAndZipObjects) {
  std::string data = JsonLines(256 * 1024);
  std::string dir = ::testing::TempDir() + "/compression_py_" + std::to_string(::getpid());
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  auto write = [](const std::string& path, std::string_view bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  };
  write(dir + "/data", data);
  write(dir + "/o.gz", MustCompress(Compression::kGzip, data));
  write(dir + "/o.zip", MustCompress(Compression::kZip, data, "o"));
  write(dir + "/check.py",
        "import gzip, sys, zipfile\n"
        "d = sys.argv[1]\n"
        "data = open(d + '/data', 'rb').read()\n"
        "assert gzip.open(d + '/o.gz').read() == data, 'gzip'\n"
        "z = zipfile.ZipFile(d + '/o.zip')\n"
        "assert z.testzip() is None, 'zip crc'\n"
        "assert z.namelist() == ['o'], z.namelist()\n"
        "assert z.read('o') == data, 'zip data'\n"
        "print('ok')\n");
  FILE* p = ::popen(("python3 " + dir + "/check.py " + dir + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[512] = {0};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, p);
  int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << std::string(buf, n);
  EXPECT_EQ(std::string(buf, n), "ok\n");
  EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

}  // namespace
}  // namespace spate::firehose
