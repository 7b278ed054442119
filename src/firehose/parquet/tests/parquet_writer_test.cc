#include "firehose/parquet/parquet_writer.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <cstring>
#include <random>

#include "firehose/parquet/tests/compact_reader.h"

namespace spate::firehose::parquet {
namespace {

using testing::CompactReader;
using testing::TValue;

// Decodes the RLE/bit-packed hybrid (independently of the encoder).
std::vector<uint8_t> DecodeHybrid(std::string_view in, int bit_width, size_t count) {
  std::vector<uint8_t> out;
  size_t i = 0;
  while (out.size() < count) {
    uint64_t h = 0;
    int shift = 0;
    while (true) {
      const uint8_t b = static_cast<uint8_t>(in.at(i++));
      h |= static_cast<uint64_t>(b & 0x7F) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    if (h & 1) {
      const size_t groups = h >> 1;
      for (size_t g = 0; g < groups; ++g) {
        uint64_t bits = 0;
        for (int b = 0; b < bit_width; ++b) bits |= static_cast<uint64_t>(static_cast<uint8_t>(in.at(i++))) << (8 * b);
        for (int k = 0; k < 8; ++k)
          out.push_back(static_cast<uint8_t>((bits >> (k * bit_width)) & ((1u << bit_width) - 1)));
      }
    } else {
      const uint8_t v = static_cast<uint8_t>(in.at(i++));
      out.insert(out.end(), h >> 1, v);
    }
  }
  EXPECT_EQ(i, in.size());
  out.resize(count);
  return out;
}

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += std::string{d[c >> 4], d[c & 15]} + " ";
  if (!out.empty()) out.pop_back();
  return out;
}

TEST(Hybrid, AllEqualIsOneRleRun) {
  std::string out;
  EncodeRleBitPackedHybrid(std::vector<uint8_t>(100, 1), 1, &out);
  EXPECT_EQ(Hex(out), "c8 01 01");
}

TEST(Hybrid, AlternatingIsBitPackedLsbFirst) {
  std::string out;
  EncodeRleBitPackedHybrid({1, 0, 1, 0, 1, 0, 1, 0}, 1, &out);
  EXPECT_EQ(Hex(out), "03 55");
}

TEST(Hybrid, PartialLastGroupIsZeroPadded) {
  std::string out;
  EncodeRleBitPackedHybrid({1, 0, 1}, 1, &out);
  EXPECT_EQ(Hex(out), "03 05");
}

TEST(Hybrid, RandomRunsRoundTrip) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    const int width = 1 + trial % 3;
    std::vector<uint8_t> v;
    const size_t n = rng() % 300;
    while (v.size() < n) {
      const uint8_t x = static_cast<uint8_t>(rng() % (1u << width));
      v.insert(v.end(), 1 + rng() % 20, x);
    }
    v.resize(n);
    std::string out;
    EncodeRleBitPackedHybrid(v, width, &out);
    EXPECT_EQ(DecodeHybrid(out, width, n), v) << "trial " << trial;
  }
}

TEST(Decimal, ByteWidthIsTheFewestThatHoldThePrecision) {
  EXPECT_EQ(DecimalByteWidth(1), 1);
  EXPECT_EQ(DecimalByteWidth(2), 1);
  EXPECT_EQ(DecimalByteWidth(3), 2);
  EXPECT_EQ(DecimalByteWidth(9), 4);
  EXPECT_EQ(DecimalByteWidth(10), 5);
  EXPECT_EQ(DecimalByteWidth(18), 8);
  EXPECT_EQ(DecimalByteWidth(19), 9);
  EXPECT_EQ(DecimalByteWidth(38), 16);
}

TEST(ParquetWriter, RefusesBadSchemas) {
  EXPECT_FALSE(ParquetWriter::Make({}, {}).ok());
  EXPECT_FALSE(ParquetWriter::Make({{"a", ColumnKind::kInt32}, {"a", ColumnKind::kString}}, {}).ok());
  EXPECT_FALSE(ParquetWriter::Make({{"d", ColumnKind::kDecimal, 39, 0}}, {}).ok());
  EXPECT_FALSE(ParquetWriter::Make({{"d", ColumnKind::kDecimal, 5, 6}}, {}).ok());
  EXPECT_FALSE(ParquetWriter::Make({{"", ColumnKind::kInt32}}, {}).ok());
}

struct File {
  std::string bytes;
  TValue meta;
};

File Parse(std::string bytes) {
  File f;
  EXPECT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  std::string_view footer(bytes.data() + bytes.size() - 8 - len, len);
  CompactReader r(footer);
  f.meta = r.ReadStruct();
  EXPECT_EQ(r.pos(), footer.size());
  f.bytes = std::move(bytes);
  return f;
}

TEST(ParquetWriter, EmptyFileHasSchemaAndNoRowGroups) {
  auto w = ParquetWriter::Make({{"a", ColumnKind::kInt64}}, {}).value();
  File f = Parse(w->Finish().value());
  EXPECT_EQ(f.meta[1].i, 1);  // version
  EXPECT_EQ(f.meta[3].i, 0);  // num_rows
  EXPECT_TRUE(f.meta[4].list.empty());
  ASSERT_EQ(f.meta[2].list.size(), 2u);
  EXPECT_EQ(f.meta[2].list[0][5].i, 1);  // the root's num_children
  EXPECT_EQ(f.meta[2].list[1][4].bin, "a");
  EXPECT_EQ(f.meta[2].list[1][1].i, static_cast<int>(PhysicalType::kInt64));
  EXPECT_EQ(f.meta[2].list[1][3].i, static_cast<int>(Repetition::kOptional));
}

TEST(ParquetWriter, SchemaCarriesLogicalAndConvertedTypes) {
  auto w = ParquetWriter::Make({{"s", ColumnKind::kString},
                                {"t", ColumnKind::kInt8},
                                {"d", ColumnKind::kDecimal, 12, 3},
                                {"day", ColumnKind::kDate},
                                {"ts", ColumnKind::kTimestamp}},
                               {})
               .value();
  File f = Parse(w->Finish().value());
  const auto& s = f.meta[2].list;
  EXPECT_EQ(s[1][6].i, static_cast<int>(ConvertedType::kUtf8));
  EXPECT_TRUE(s[1][10].has(logical_type_field::kString));
  EXPECT_EQ(s[2][10][logical_type_field::kInteger][1].i, 8);
  EXPECT_EQ(s[2][10][logical_type_field::kInteger][2].i, 1);
  EXPECT_EQ(s[3][1].i, static_cast<int>(PhysicalType::kFixedLenByteArray));
  EXPECT_EQ(s[3][2].i, DecimalByteWidth(12));
  EXPECT_EQ(s[3][7].i, 3);
  EXPECT_EQ(s[3][8].i, 12);
  EXPECT_EQ(s[3][10][logical_type_field::kDecimal][2].i, 12);
  EXPECT_TRUE(s[4][10].has(logical_type_field::kDate));
  EXPECT_EQ(s[5][1].i, static_cast<int>(PhysicalType::kInt96));
  EXPECT_EQ(f.meta[7].list.size(), 5u);  // a column order for each leaf
}

// Reads column 0's pages (UNCOMPRESSED or SNAPPY) of every row group: the
// definition levels and the INT32 values.
void ReadInt32Column(const File& f, std::vector<int32_t>* values, int64_t* nulls, int* pages) {
  for (const TValue& rg : f.meta[4].list) {
    const TValue& md = rg[1].list[0][3];
    size_t pos = static_cast<size_t>(md[9].i);
    const size_t end = pos + static_cast<size_t>(md[7].i);
    while (pos < end) {
      CompactReader r(std::string_view(f.bytes).substr(pos));
      TValue h = r.ReadStruct();
      pos += r.pos();
      std::string body = f.bytes.substr(pos, static_cast<size_t>(h[3].i));
      pos += static_cast<size_t>(h[3].i);
      if (md[4].i == static_cast<int>(Codec::kSnappy)) {
        std::string raw;
        ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
        body = raw;
      }
      ASSERT_EQ(body.size(), static_cast<size_t>(h[2].i));
      const size_t n = static_cast<size_t>(h[5][1].i);
      uint32_t len;
      std::memcpy(&len, body.data(), 4);
      auto levels = DecodeHybrid(std::string_view(body).substr(4, len), 1, n);
      size_t at = 4 + len;
      for (uint8_t l : levels) {
        if (l == 0) {
          ++*nulls;
          continue;
        }
        int32_t v;
        std::memcpy(&v, body.data() + at, 4);
        at += 4;
        values->push_back(v);
      }
      EXPECT_EQ(at, body.size());
      ++*pages;
    }
    EXPECT_EQ(pos, end);
  }
}

TEST(ParquetWriter, PagesAndRowGroupsSplitBySize) {
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy}) {
    WriterOptions o;
    o.codec = codec;
    o.page_size_bytes = 400;
    o.block_size_bytes = 2000;
    auto w = ParquetWriter::Make({{"i", ColumnKind::kInt32}}, o).value();
    std::vector<int32_t> want;
    for (int32_t i = 0; i < 2000; ++i) {
      if (i % 7 == 0) {
        ASSERT_TRUE(w->AppendRow({std::monostate{}}).ok());
      } else {
        ASSERT_TRUE(w->AppendRow({i * 3 - 1000}).ok());
        want.push_back(i * 3 - 1000);
      }
    }
    File f = Parse(w->Finish().value());
    EXPECT_EQ(f.meta[3].i, 2000);
    EXPECT_GT(f.meta[4].list.size(), 1u);
    int64_t rows = 0;
    for (const TValue& rg : f.meta[4].list) rows += rg[3].i;
    EXPECT_EQ(rows, 2000);
    std::vector<int32_t> got;
    int64_t nulls = 0;
    int pages = 0;
    ReadInt32Column(f, &got, &nulls, &pages);
    EXPECT_EQ(got, want);
    EXPECT_EQ(nulls, 286);
    EXPECT_GT(pages, static_cast<int>(f.meta[4].list.size()));
  }
}

TEST(ParquetWriter, StatisticsHoldMinMaxAndNullCount) {
  auto w = ParquetWriter::Make({{"i", ColumnKind::kInt32}, {"s", ColumnKind::kString}, {"d", ColumnKind::kDouble}}, {})
               .value();
  ASSERT_TRUE(w->AppendRow({5, std::string("pear"), 0.0}).ok());
  ASSERT_TRUE(w->AppendRow({-3, std::string("apple"), std::nan("")}).ok());
  ASSERT_TRUE(w->AppendRow({std::monostate{}, std::string("zoo"), 2.5}).ok());
  File f = Parse(w->Finish().value());
  const auto& cols = f.meta[4].list[0][1].list;
  const TValue& si = cols[0][3][12];
  EXPECT_EQ(si[3].i, 1);
  int32_t mn, mx;
  std::memcpy(&mn, si[6].bin.data(), 4);
  std::memcpy(&mx, si[5].bin.data(), 4);
  EXPECT_EQ(mn, -3);
  EXPECT_EQ(mx, 5);
  EXPECT_EQ(cols[1][3][12][6].bin, "apple");
  EXPECT_EQ(cols[1][3][12][5].bin, "zoo");
  double dmin, dmax;
  std::memcpy(&dmin, cols[2][3][12][6].bin.data(), 8);
  std::memcpy(&dmax, cols[2][3][12][5].bin.data(), 8);
  EXPECT_EQ(dmax, 2.5);
  EXPECT_EQ(dmin, 0.0);
  EXPECT_TRUE(std::signbit(dmin));  // a zero minimum is written as -0.0; the NaN is left out
}

}  // namespace
}  // namespace spate::firehose::parquet
