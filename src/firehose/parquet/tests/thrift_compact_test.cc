#include "firehose/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include "firehose/parquet/tests/compact_reader.h"

namespace spate::firehose::parquet {
namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += std::string{d[c >> 4], d[c & 15]} + " ";
  if (!out.empty()) out.pop_back();
  return out;
}

TEST(ThriftCompact, VarintsAreLittleEndianBase128) {
  std::string out;
  CompactWriter::AppendVarint(0, &out);
  CompactWriter::AppendVarint(127, &out);
  CompactWriter::AppendVarint(300, &out);
  EXPECT_EQ(Hex(out), "00 7f ac 02");
}

TEST(ThriftCompact, ZigZagMapsSignedToUnsigned) {
  EXPECT_EQ(CompactWriter::ZigZag(0), 0u);
  EXPECT_EQ(CompactWriter::ZigZag(-1), 1u);
  EXPECT_EQ(CompactWriter::ZigZag(1), 2u);
  EXPECT_EQ(CompactWriter::ZigZag(-2), 3u);
  EXPECT_EQ(CompactWriter::ZigZag(INT64_MIN), UINT64_MAX);
}

TEST(ThriftCompact, ShortDeltaPacksIdAndTypeInOneByte) {
  std::string out;
  CompactWriter w(&out);
  w.I32Field(1, 7);
  w.I64Field(3, -1);
  w.End();
  EXPECT_EQ(Hex(out), "15 0e 26 01 00");
}

TEST(ThriftCompact, LongDeltaWritesZigZagFieldId) {
  std::string out;
  CompactWriter w(&out);
  w.I32Field(1, 0);
  w.I32Field(20, 1);
  w.End();
  EXPECT_EQ(Hex(out), "15 00 05 28 02 00");
}

TEST(ThriftCompact, BoolValueIsInTheFieldType) {
  std::string out;
  CompactWriter w(&out);
  w.BoolField(1, true);
  w.BoolField(2, false);
  w.End();
  EXPECT_EQ(Hex(out), "11 12 00");
}

TEST(ThriftCompact, I16AndByteFields) {
  std::string out;
  CompactWriter w(&out);
  w.ByteField(1, -2);
  w.I16Field(2, 5);
  w.End();
  EXPECT_EQ(Hex(out), "13 fe 14 0a 00");
}

TEST(ThriftCompact, BinaryIsLengthPrefixed) {
  std::string out;
  CompactWriter w(&out);
  w.BinaryField(4, "ab");
  w.End();
  EXPECT_EQ(Hex(out), "48 02 61 62 00");
}

TEST(ThriftCompact, NestedStructRestartsFieldDeltas) {
  std::string out;
  CompactWriter w(&out);
  w.I32Field(1, 1);
  w.BeginStructField(5);
  w.I32Field(1, 2);
  w.EndStruct();
  w.I32Field(6, 3);
  w.End();
  EXPECT_EQ(Hex(out), "15 02 4c 15 04 00 15 06 00");
}

TEST(ThriftCompact, ShortListHeaderHoldsSizeAndType) {
  std::string out;
  CompactWriter w(&out);
  w.BeginListField(2, CompactType::kI32, 2);
  w.I32Element(0);
  w.I32Element(3);
  w.End();
  EXPECT_EQ(Hex(out), "29 25 00 06 00");
}

TEST(ThriftCompact, ListOfFifteenOrMoreUsesLongHeader) {
  std::string out;
  CompactWriter w(&out);
  w.BeginListField(1, CompactType::kBinary, 15);
  for (int i = 0; i < 15; ++i) w.BinaryElement("");
  w.End();
  EXPECT_EQ(Hex(out).substr(0, 8), "19 f8 0f");
}

TEST(ThriftCompact, StructListRoundTripsThroughIndependentReader) {
  std::string out;
  CompactWriter w(&out);
  w.BeginListField(2, CompactType::kStruct, 2);
  for (int i = 0; i < 2; ++i) {
    w.BeginStructElement();
    w.BinaryField(4, "c" + std::to_string(i));
    w.BeginStructField(10);
    w.BeginStructField(1);
    w.EndStruct();
    w.EndStruct();
    w.EndStruct();
  }
  w.I64Field(3, 1LL << 40);
  w.End();
  testing::CompactReader r(out);
  testing::TValue v = r.ReadStruct();
  EXPECT_EQ(r.pos(), out.size());
  ASSERT_EQ(v[2].list.size(), 2u);
  EXPECT_EQ(v[2].list[1][4].bin, "c1");
  EXPECT_TRUE(v[2].list[0][10].has(1));
  EXPECT_EQ(v[3].i, 1LL << 40);
}

}  // namespace
}  // namespace spate::firehose::parquet
