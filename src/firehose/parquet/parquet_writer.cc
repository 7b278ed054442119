#include "firehose/parquet/parquet_writer.h"

#include <snappy.h>

#include <cmath>
#include <cstring>
#include <set>

#include "base/assert.h"
#include "firehose/parquet/thrift_compact.h"
#include "util/gzip.h"

namespace spate::firehose::parquet {
namespace {

PhysicalType PhysicalOf(ColumnKind k) {
  switch (k) {
    case ColumnKind::kString: return PhysicalType::kByteArray;
    case ColumnKind::kBoolean: return PhysicalType::kBoolean;
    case ColumnKind::kInt8:
    case ColumnKind::kInt16:
    case ColumnKind::kInt32:
    case ColumnKind::kDate: return PhysicalType::kInt32;
    case ColumnKind::kInt64: return PhysicalType::kInt64;
    case ColumnKind::kFloat: return PhysicalType::kFloat;
    case ColumnKind::kDouble: return PhysicalType::kDouble;
    case ColumnKind::kDecimal: return PhysicalType::kFixedLenByteArray;
    case ColumnKind::kTimestamp: return PhysicalType::kInt96;
  }
  SPATE_ASSERT(false, "unknown column kind");
  return PhysicalType::kByteArray;
}

template <typename T>
void AppendLittleEndian(T v, std::string* out) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the host is little-endian (x86-64, aarch64)
  out->append(b, sizeof(T));
}

// Compares two PLAIN-encoded values of the column's sort order (Parquet's
// TYPE_DEFINED_ORDER): <0, 0, >0.
int CompareValues(ColumnKind kind, std::string_view a, std::string_view b) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (kind) {
    case ColumnKind::kBoolean: return cmp(a[0], b[0]);
    case ColumnKind::kInt8:
    case ColumnKind::kInt16:
    case ColumnKind::kInt32:
    case ColumnKind::kDate: {
      int32_t x, y;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return cmp(x, y);
    }
    case ColumnKind::kInt64: {
      int64_t x, y;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return cmp(x, y);
    }
    case ColumnKind::kFloat: {
      float x, y;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return cmp(x, y);
    }
    case ColumnKind::kDouble: {
      double x, y;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return cmp(x, y);
    }
    case ColumnKind::kString: {
      const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
      return c != 0 ? c : cmp(a.size(), b.size());
    }
    case ColumnKind::kDecimal: {
      // Big-endian two's complement of equal widths: the first byte signed,
      // the rest unsigned.
      const auto a0 = static_cast<int8_t>(a[0]);
      const auto b0 = static_cast<int8_t>(b[0]);
      if (a0 != b0) return cmp(a0, b0);
      return std::memcmp(a.data() + 1, b.data() + 1, a.size() - 1);
    }
    case ColumnKind::kTimestamp: return 0;  // INT96 has no defined order: no min/max is written
  }
  return 0;
}

// Min/max (PLAIN bytes; a BYTE_ARRAY's without its length) and null count.
struct Stats {
  bool has_min_max = false;
  std::string min, max;
  int64_t null_count = 0;

  void Update(ColumnKind kind, std::string_view v) {
    if (kind == ColumnKind::kTimestamp) return;
    if (!has_min_max) {
      min.assign(v);
      max.assign(v);
      has_min_max = true;
      return;
    }
    if (CompareValues(kind, v, min) < 0) min.assign(v);
    if (CompareValues(kind, v, max) > 0) max.assign(v);
  }
  void Merge(ColumnKind kind, const Stats& o) {
    null_count += o.null_count;
    if (o.has_min_max) {
      Update(kind, o.min);
      Update(kind, o.max);
    }
  }
  // Parquet's rule for floating point: a zero minimum is written as -0.0, a
  // zero maximum as +0.0 (NaNs never enter: see AppendRow).
  void FixSignedZeros(ColumnKind kind) {
    if (!has_min_max) return;
    if (kind == ColumnKind::kFloat) {
      float f;
      std::memcpy(&f, min.data(), 4);
      if (f == 0.0f) f = -0.0f, std::memcpy(min.data(), &f, 4);
      std::memcpy(&f, max.data(), 4);
      if (f == 0.0f) f = 0.0f, std::memcpy(max.data(), &f, 4);
    } else if (kind == ColumnKind::kDouble) {
      double d;
      std::memcpy(&d, min.data(), 8);
      if (d == 0.0) d = -0.0, std::memcpy(min.data(), &d, 8);
      std::memcpy(&d, max.data(), 8);
      if (d == 0.0) d = 0.0, std::memcpy(max.data(), &d, 8);
    }
  }
  // The Statistics struct as field `id` of the enclosing struct.
  void Write(int16_t id, ColumnKind kind, CompactWriter* w) const {
    Stats s = *this;
    s.FixSignedZeros(kind);
    w->BeginStructField(id);
    w->I64Field(3, s.null_count);
    if (s.has_min_max) {
      w->BinaryField(5, s.max);  // max_value
      w->BinaryField(6, s.min);  // min_value
    }
    w->EndStruct();
  }
};

Result<std::string> CompressPage(Codec codec, const std::string& body) {
  switch (codec) {
    case Codec::kUncompressed: return body;
    case Codec::kSnappy: {
      std::string out;
      snappy::Compress(body.data(), body.size(), &out);
      return out;
    }
    case Codec::kGzip: {
      // A gzip (RFC 1952) member, as parquet-mr's GZIP codec writes.
      std::string out;
      Status deflated = util::Deflate(body, util::DeflateFormat::kGzip, &out);
      if (!deflated.ok()) return Internal("parquet: " + deflated.message());
      return out;
    }
  }
  return Internal("parquet: unknown codec");
}

}  // namespace

int32_t DecimalByteWidth(int32_t precision) {
  SPATE_ASSERT(precision >= 1 && precision <= 38, "decimal precision out of range");
  // The smallest n with 2^(8n-1) > 10^precision - 1.
  int32_t n = 1;
  while (static_cast<double>(8 * n - 1) * std::log10(2.0) < static_cast<double>(precision)) ++n;
  return n;
}

void EncodeRleBitPackedHybrid(const std::vector<uint8_t>& values, int bit_width, std::string* out) {
  SPATE_ASSERT(bit_width >= 1 && bit_width <= 8, "bit width out of range");
  const size_t n = values.size();
  size_t i = 0;
  std::string packed;  // bytes of the pending bit-packed groups
  size_t packed_groups = 0;
  auto flush_packed = [&] {
    if (packed_groups == 0) return;
    CompactWriter::AppendVarint((static_cast<uint64_t>(packed_groups) << 1) | 1, out);
    out->append(packed);
    packed.clear();
    packed_groups = 0;
  };
  while (i < n) {
    // A run of one value covering at least one whole group of 8 from i.
    size_t run = 1;
    while (i + run < n && values[i + run] == values[i]) ++run;
    if (run >= 8 || i + run == n) {
      const size_t take = (i + run == n) ? run : run - run % 8;
      if (take > 0 && (take >= 8 || packed_groups == 0)) {
        flush_packed();
        CompactWriter::AppendVarint(static_cast<uint64_t>(take) << 1, out);
        out->push_back(static_cast<char>(values[i]));  // ceil(bit_width / 8) = 1 byte
        i += take;
        continue;
      }
    }
    // One group of 8 values, bit-packed LSB first (zero-padded at the end).
    uint64_t bits = 0;
    for (size_t k = 0; k < 8; ++k) {
      const uint64_t v = i + k < n ? values[i + k] : 0;
      bits |= v << (k * static_cast<size_t>(bit_width));
    }
    for (int b = 0; b < bit_width; ++b) packed.push_back(static_cast<char>((bits >> (8 * b)) & 0xFF));
    ++packed_groups;
    i += 8;
  }
  flush_packed();
}

struct ParquetWriter::ColumnState {
  // The current page.
  std::vector<uint8_t> def_levels;
  std::vector<uint8_t> bools;  // kBoolean values, packed at FlushPage
  std::string values;          // PLAIN values of the other kinds
  Stats page_stats;
  // The current row group's column chunk.
  std::string chunk;
  int64_t chunk_values = 0;
  int64_t chunk_uncompressed = 0;
  Stats chunk_stats;
};

ParquetWriter::ParquetWriter(std::vector<Column> columns, WriterOptions options)
    : columns_(std::move(columns)), options_(std::move(options)) {
  for (size_t i = 0; i < columns_.size(); ++i) states_.push_back(std::make_unique<ColumnState>());
  out_.append(kMagic);
}

ParquetWriter::~ParquetWriter() = default;

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Make(std::vector<Column> columns, WriterOptions options) {
  if (columns.empty()) return InvalidArgument("a Parquet schema needs at least one column");
  std::set<std::string> names;
  for (const Column& c : columns) {
    if (c.name.empty()) return InvalidArgument("a Parquet column needs a name");
    if (!names.insert(c.name).second) return InvalidArgument("duplicate column name: " + c.name);
    if (c.kind == ColumnKind::kDecimal &&
        (c.precision < 1 || c.precision > 38 || c.scale < 0 || c.scale > c.precision)) {
      return InvalidArgument("decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ") of column " +
                             c.name + ": precision must be 1..38 and scale 0..precision");
    }
  }
  return std::unique_ptr<ParquetWriter>(new ParquetWriter(std::move(columns), std::move(options)));
}

Status ParquetWriter::AppendRow(const std::vector<Cell>& row) {
  SPATE_ASSERT(!finished_, "AppendRow after Finish");
  SPATE_ASSERT(row.size() == columns_.size(), "row width differs from the schema");
  for (size_t i = 0; i < row.size(); ++i) {
    const Column& col = columns_[i];
    ColumnState& s = *states_[i];
    const Cell& cell = row[i];
    if (std::holds_alternative<std::monostate>(cell)) {
      s.def_levels.push_back(0);
      ++s.page_stats.null_count;
      continue;
    }
    s.def_levels.push_back(1);
    const size_t start = s.values.size();
    switch (col.kind) {
      case ColumnKind::kBoolean: {
        const bool b = std::get<bool>(cell);
        s.bools.push_back(b ? 1 : 0);
        const char c = b ? 1 : 0;
        s.page_stats.Update(col.kind, std::string_view(&c, 1));
        continue;
      }
      case ColumnKind::kInt8:
      case ColumnKind::kInt16:
      case ColumnKind::kInt32:
      case ColumnKind::kDate: AppendLittleEndian(std::get<int32_t>(cell), &s.values); break;
      case ColumnKind::kInt64: AppendLittleEndian(std::get<int64_t>(cell), &s.values); break;
      case ColumnKind::kFloat:
        AppendLittleEndian(std::get<float>(cell), &s.values);
        if (std::isnan(std::get<float>(cell))) continue;  // NaN never enters min/max
        break;
      case ColumnKind::kDouble:
        AppendLittleEndian(std::get<double>(cell), &s.values);
        if (std::isnan(std::get<double>(cell))) continue;
        break;
      case ColumnKind::kString: {
        const std::string& v = std::get<std::string>(cell);
        AppendLittleEndian(static_cast<uint32_t>(v.size()), &s.values);
        s.values.append(v);
        s.page_stats.Update(col.kind, v);
        continue;
      }
      case ColumnKind::kDecimal: {
        const std::string& v = std::get<std::string>(cell);
        SPATE_ASSERT(static_cast<int32_t>(v.size()) == DecimalByteWidth(col.precision), "decimal cell width");
        s.values.append(v);
        break;
      }
      case ColumnKind::kTimestamp: {
        const Int96 t = std::get<Int96>(cell);
        AppendLittleEndian(t.nanos_of_day, &s.values);
        AppendLittleEndian(t.julian_day, &s.values);
        break;
      }
    }
    s.page_stats.Update(col.kind, std::string_view(s.values).substr(start));
  }
  ++rows_;
  ++row_group_rows_;
  uint64_t group_bytes = 0;
  for (auto& s : states_) {
    // A boolean is one bit; the rest are counted as written.
    if (s->values.size() + s->bools.size() / 8 >= options_.page_size_bytes) SPATE_TRY(FlushPage(*s));
    group_bytes += s->chunk.size() + s->values.size() + s->bools.size() / 8;
  }
  if (group_bytes >= options_.block_size_bytes) SPATE_TRY(FlushRowGroup());
  return Status::Ok();
}

Status ParquetWriter::FlushPage(ColumnState& s) {
  if (s.def_levels.empty()) return Status::Ok();
  std::string body;
  std::string levels;
  EncodeRleBitPackedHybrid(s.def_levels, 1, &levels);
  AppendLittleEndian(static_cast<uint32_t>(levels.size()), &body);
  body.append(levels);
  if (!s.bools.empty()) {
    const size_t start = body.size();
    body.append((s.bools.size() + 7) / 8, '\0');
    for (size_t k = 0; k < s.bools.size(); ++k) {
      if (s.bools[k]) body[start + k / 8] = static_cast<char>(body[start + k / 8] | (1 << (k % 8)));
    }
  }
  body.append(s.values);
  SPATE_ASSIGN_OR_RETURN(std::string compressed, CompressPage(options_.codec, body));
  // Column kind is needed for the stats' sort order: find this state's column.
  size_t idx = 0;
  while (states_[idx].get() != &s) ++idx;
  const ColumnKind kind = columns_[idx].kind;

  std::string header;
  CompactWriter w(&header);
  w.I32Field(1, static_cast<int32_t>(PageType::kDataPage));
  w.I32Field(2, static_cast<int32_t>(body.size()));
  w.I32Field(3, static_cast<int32_t>(compressed.size()));
  w.BeginStructField(5);  // DataPageHeader
  w.I32Field(1, static_cast<int32_t>(s.def_levels.size()));
  w.I32Field(2, static_cast<int32_t>(Encoding::kPlain));
  w.I32Field(3, static_cast<int32_t>(Encoding::kRle));  // definition levels
  w.I32Field(4, static_cast<int32_t>(Encoding::kRle));  // repetition levels (none: max level 0)
  s.page_stats.Write(5, kind, &w);
  w.EndStruct();
  w.End();

  s.chunk.append(header);
  s.chunk.append(compressed);
  s.chunk_values += static_cast<int64_t>(s.def_levels.size());
  s.chunk_uncompressed += static_cast<int64_t>(header.size() + body.size());
  s.chunk_stats.Merge(kind, s.page_stats);
  s.def_levels.clear();
  s.bools.clear();
  s.values.clear();
  s.page_stats = Stats{};
  return Status::Ok();
}

Status ParquetWriter::FlushRowGroup() {
  if (row_group_rows_ == 0) return Status::Ok();
  CompactWriter w(&row_groups_);
  w.BeginStructElement();  // RowGroup
  w.BeginListField(1, CompactType::kStruct, static_cast<uint32_t>(columns_.size()));
  int64_t total_uncompressed = 0;
  int64_t total_compressed = 0;
  const int64_t group_offset = static_cast<int64_t>(out_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    ColumnState& s = *states_[i];
    SPATE_TRY(FlushPage(s));
    const int64_t offset = static_cast<int64_t>(out_.size());
    out_.append(s.chunk);
    const Column& col = columns_[i];
    w.BeginStructElement();  // ColumnChunk
    w.I64Field(2, offset);   // file_offset
    w.BeginStructField(3);   // ColumnMetaData
    w.I32Field(1, static_cast<int32_t>(PhysicalOf(col.kind)));
    w.BeginListField(2, CompactType::kI32, 2);
    w.I32Element(static_cast<int32_t>(Encoding::kPlain));
    w.I32Element(static_cast<int32_t>(Encoding::kRle));
    w.BeginListField(3, CompactType::kBinary, 1);
    w.BinaryElement(col.name);
    w.I32Field(4, static_cast<int32_t>(options_.codec));
    w.I64Field(5, s.chunk_values);
    w.I64Field(6, s.chunk_uncompressed);
    w.I64Field(7, static_cast<int64_t>(s.chunk.size()));
    w.I64Field(9, offset);  // data_page_offset
    s.chunk_stats.Write(12, col.kind, &w);
    w.EndStruct();
    w.EndStruct();
    total_uncompressed += s.chunk_uncompressed;
    total_compressed += static_cast<int64_t>(s.chunk.size());
    s.chunk.clear();
    s.chunk_values = 0;
    s.chunk_uncompressed = 0;
    s.chunk_stats = Stats{};
  }
  w.I64Field(2, total_uncompressed);  // total_byte_size
  w.I64Field(3, row_group_rows_);
  w.I64Field(5, group_offset);  // file_offset
  w.I64Field(6, total_compressed);
  w.I16Field(7, static_cast<int16_t>(row_group_count_));  // ordinal
  w.EndStruct();
  ++row_group_count_;
  row_group_rows_ = 0;
  return Status::Ok();
}

Result<std::string> ParquetWriter::Finish() {
  SPATE_ASSERT(!finished_, "Finish called twice");
  finished_ = true;
  SPATE_TRY(FlushRowGroup());
  std::string footer;
  CompactWriter w(&footer);
  w.I32Field(1, kFormatVersion);
  // The schema: a root group, then one leaf per column.
  w.BeginListField(2, CompactType::kStruct, static_cast<uint32_t>(columns_.size() + 1));
  w.BeginStructElement();
  w.BinaryField(4, "schema");
  w.I32Field(5, static_cast<int32_t>(columns_.size()));
  w.EndStruct();
  for (const Column& col : columns_) {
    w.BeginStructElement();
    w.I32Field(1, static_cast<int32_t>(PhysicalOf(col.kind)));
    if (col.kind == ColumnKind::kDecimal) w.I32Field(2, DecimalByteWidth(col.precision));
    w.I32Field(3, static_cast<int32_t>(Repetition::kOptional));
    w.BinaryField(4, col.name);
    switch (col.kind) {
      case ColumnKind::kString:
        w.I32Field(6, static_cast<int32_t>(ConvertedType::kUtf8));
        w.BeginStructField(10);
        w.BeginStructField(logical_type_field::kString);
        w.EndStruct();
        w.EndStruct();
        break;
      case ColumnKind::kInt8:
      case ColumnKind::kInt16:
        w.I32Field(6,
                   static_cast<int32_t>(col.kind == ColumnKind::kInt8 ? ConvertedType::kInt8 : ConvertedType::kInt16));
        w.BeginStructField(10);
        w.BeginStructField(logical_type_field::kInteger);
        w.ByteField(1, col.kind == ColumnKind::kInt8 ? 8 : 16);
        w.BoolField(2, true);
        w.EndStruct();
        w.EndStruct();
        break;
      case ColumnKind::kDecimal:
        w.I32Field(6, static_cast<int32_t>(ConvertedType::kDecimal));
        w.I32Field(7, col.scale);
        w.I32Field(8, col.precision);
        w.BeginStructField(10);
        w.BeginStructField(logical_type_field::kDecimal);
        w.I32Field(1, col.scale);
        w.I32Field(2, col.precision);
        w.EndStruct();
        w.EndStruct();
        break;
      case ColumnKind::kDate:
        w.I32Field(6, static_cast<int32_t>(ConvertedType::kDate));
        w.BeginStructField(10);
        w.BeginStructField(logical_type_field::kDate);
        w.EndStruct();
        w.EndStruct();
        break;
      default: break;
    }
    w.EndStruct();
  }
  w.I64Field(3, rows_);
  w.BeginListField(4, CompactType::kStruct, static_cast<uint32_t>(row_group_count_));
  footer.append(row_groups_);
  w.BinaryField(6, options_.created_by);
  // column_orders: TYPE_ORDER for every column, so readers trust min_value/max_value.
  w.BeginListField(7, CompactType::kStruct, static_cast<uint32_t>(columns_.size()));
  for (size_t i = 0; i < columns_.size(); ++i) {
    w.BeginStructElement();
    w.BeginStructField(1);
    w.EndStruct();
    w.EndStruct();
  }
  w.End();
  out_.append(footer);
  AppendLittleEndian(static_cast<uint32_t>(footer.size()), &out_);
  out_.append(kMagic);
  return std::move(out_);
}

}  // namespace spate::firehose::parquet
