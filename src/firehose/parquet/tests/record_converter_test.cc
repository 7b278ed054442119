#include "firehose/parquet/record_converter.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::firehose::parquet {
namespace {

std::unique_ptr<RecordConverter> Make(std::vector<Column> cols, DeserializerOptions o = {}) {
  return RecordConverter::Make(std::move(cols), std::move(o)).value();
}

std::vector<Cell> One(const RecordConverter& c, std::string_view record) {
  std::vector<std::vector<Cell>> rows;
  Status st = c.Convert(record, &rows);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? std::vector<Cell>{} : rows[0];
}

// The error message of a record that must fail.
std::string Fails(const RecordConverter& c, std::string_view record) {
  std::vector<std::vector<Cell>> rows;
  Status st = c.Convert(record, &rows);
  EXPECT_FALSE(st.ok()) << record;
  EXPECT_TRUE(rows.empty());
  return st.message();
}

int64_t EpochNanos(const Cell& c) {
  const Int96 t = std::get<Int96>(c);
  return (static_cast<int64_t>(t.julian_day) - kJulianDayOfUnixEpoch) * 86'400'000'000'000LL + t.nanos_of_day;
}

TEST(RecordConverter, KeysMatchColumnsCaseInsensitively) {
  auto c = Make({{"name", ColumnKind::kString}, {"age", ColumnKind::kInt32}});
  auto row = One(*c, R"({"NAME":"ann","Age":7,"extra":true})");
  EXPECT_EQ(std::get<std::string>(row[0]), "ann");
  EXPECT_EQ(std::get<int32_t>(row[1]), 7);
}

TEST(RecordConverter, CaseSensitiveWhenAsked) {
  DeserializerOptions o;
  o.case_insensitive = false;
  auto c = Make({{"name", ColumnKind::kString}}, o);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(One(*c, R"({"NAME":"ann"})")[0]));
}

TEST(RecordConverter, MissingKeysAndJsonNullsAreNull) {
  auto c = Make({{"a", ColumnKind::kInt64}, {"b", ColumnKind::kString}});
  auto row = One(*c, R"({"b":null})");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(row[0]));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(row[1]));
}

TEST(RecordConverter, ColumnToJsonKeyMappings) {
  DeserializerOptions o;
  o.column_to_json_key = {{"ts_text", "timestamp"}};
  auto c = Make({{"ts_text", ColumnKind::kString}}, o);
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"timestamp":"x"})")[0]), "x");
  o.column_to_json_key = {{"nope", "x"}};
  EXPECT_FALSE(RecordConverter::Make({{"a", ColumnKind::kString}}, o).ok());
}

TEST(RecordConverter, DotsBecomeUnderscoresWhenAsked) {
  DeserializerOptions o;
  o.convert_dots_to_underscores = true;
  auto c = Make({{"a_b", ColumnKind::kInt32}}, o);
  EXPECT_EQ(std::get<int32_t>(One(*c, R"({"a.b":1})")[0]), 1);
  auto plain = Make({{"a_b", ColumnKind::kInt32}});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(One(*plain, R"({"a.b":1})")[0]));
}

TEST(RecordConverter, ConcatenatedObjectsAreRows) {
  auto c = Make({{"a", ColumnKind::kInt32}});
  std::vector<std::vector<Cell>> rows;
  ASSERT_TRUE(c->Convert("{\"a\":1}{\"a\":2}\n {\"a\":\"}{\"}", &rows).ok() == false);
  rows.clear();
  ASSERT_TRUE(c->Convert("{\"a\":1}{\"a\":2}\n {\"a\":3}\n", &rows).ok());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(std::get<int32_t>(rows[2][0]), 3);
}

TEST(RecordConverter, ArraysScalarsAndMalformedJsonFail) {
  auto c = Make({{"a", ColumnKind::kInt32}});
  EXPECT_NE(Fails(*c, R"([{"a":1}])").find("array"), std::string::npos);
  Fails(*c, "42");
  Fails(*c, R"({"a":1)");
  Fails(*c, R"({"a":})");
  Fails(*c, "");
  Fails(*c, R"({"a":1}{"a":"x"})");  // the record fails as a whole
}

TEST(RecordConverter, IntegersAreRangeChecked) {
  auto c =
      Make({{"t", ColumnKind::kInt8}, {"s", ColumnKind::kInt16}, {"i", ColumnKind::kInt32}, {"b", ColumnKind::kInt64}});
  auto row = One(*c, R"({"t":-128,"s":"32767","i":-2147483648,"b":9223372036854775807})");
  EXPECT_EQ(std::get<int32_t>(row[0]), -128);
  EXPECT_EQ(std::get<int32_t>(row[1]), 32767);
  EXPECT_EQ(std::get<int64_t>(row[3]), INT64_MAX);
  Fails(*c, R"({"t":128})");
  Fails(*c, R"({"s":40000})");
  Fails(*c, R"({"i":2147483648})");
  Fails(*c, R"({"i":1.5})");
  Fails(*c, R"({"i":"12x"})");
  Fails(*c, R"({"i":{"x":1}})");
}

TEST(RecordConverter, StringsTakeTheTextOfScalarsAndNestedJson) {
  auto c = Make({{"s", ColumnKind::kString}});
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"s":12})")[0]), "12");
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"s":true})")[0]), "true");
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"s":{"k":[1,2]}})")[0]), R"({"k":[1,2]})");
  DeserializerOptions hive;
  hive.kind = DeserializerOptions::Kind::kHive;
  Fails(*Make({{"s", ColumnKind::kString}}, hive), R"({"s":{"k":1}})");
}

TEST(RecordConverter, BooleansAndFloats) {
  auto c = Make({{"b", ColumnKind::kBoolean}, {"f", ColumnKind::kFloat}, {"d", ColumnKind::kDouble}});
  auto row = One(*c, R"({"b":"TRUE","f":1.5,"d":"2.25"})");
  EXPECT_TRUE(std::get<bool>(row[0]));
  EXPECT_EQ(std::get<float>(row[1]), 1.5f);
  EXPECT_EQ(std::get<double>(row[2]), 2.25);
  Fails(*c, R"({"b":"yes"})");
  Fails(*c, R"({"d":"abc"})");
}

std::string Unscaled(__int128 v, int32_t precision) {
  std::string out(static_cast<size_t>(DecimalByteWidth(precision)), '\0');
  for (int k = static_cast<int>(out.size()) - 1; k >= 0; --k, v >>= 8)
    out[static_cast<size_t>(k)] = static_cast<char>(v & 0xFF);
  return out;
}

TEST(RecordConverter, DecimalsRoundHalfUpAndOverflowToNull) {
  auto c = Make({{"d", ColumnKind::kDecimal, 5, 2}});
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"d":1.005})")[0]), Unscaled(101, 5));
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"d":"-1.005"})")[0]), Unscaled(-101, 5));
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"d":"123.4"})")[0]), Unscaled(12340, 5));
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"d":"1.5e2"})")[0]), Unscaled(15000, 5));
  EXPECT_EQ(std::get<std::string>(One(*c, R"({"d":7})")[0]), Unscaled(700, 5));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(One(*c, R"({"d":1234})")[0]));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(One(*c, R"({"d":"999.995"})")[0]));
  Fails(*c, R"({"d":"1.2.3"})");
  auto wide = Make({{"d", ColumnKind::kDecimal, 38, 0}});
  __int128 big = 1;
  for (int i = 0; i < 37; ++i) big *= 10;
  EXPECT_EQ(std::get<std::string>(One(*wide, R"({"d":"10000000000000000000000000000000000000"})")[0]),
            Unscaled(big, 38));
}

TEST(RecordConverter, DatesAreDaysSinceTheEpoch) {
  auto c = Make({{"d", ColumnKind::kDate}});
  EXPECT_EQ(std::get<int32_t>(One(*c, R"({"d":"1970-01-02"})")[0]), 1);
  EXPECT_EQ(std::get<int32_t>(One(*c, R"({"d":"1969-12-31"})")[0]), -1);
  EXPECT_EQ(std::get<int32_t>(One(*c, R"({"d":"2024-2-29"})")[0]), 19782);
  Fails(*c, R"({"d":"2023-02-29"})");
  Fails(*c, R"({"d":19782})");
}

TEST(RecordConverter, OpenXTimestampForms) {
  auto c = Make({{"t", ColumnKind::kTimestamp}});
  const int64_t base = 1486480381LL * 1'000'000'000;  // 2017-02-07T15:13:01Z
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"2017-02-07T15:13:01.39256Z"})")[0]), base + 392'560'000);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"2017-02-07 15:13:01.14"})")[0]), base + 140'000'000);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"2017-2-7 15:13:01"})")[0]), base);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"2017-02-07T17:13:01+02:00"})")[0]), base);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"2017-02-07T15:13:01.123456789Z"})")[0]), base + 123'456'789);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":1486480381})")[0]), base);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":1486480381123})")[0]), base + 123'000'000);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":1486480381.5})")[0]), base + 500'000'000);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":-1})")[0]), -1'000'000'000);
  Fails(*c, R"({"t":"yesterday"})");
  Fails(*c, R"({"t":"2017-02-07T25:13:01Z"})");
}

TEST(RecordConverter, HiveTimestampFormats) {
  DeserializerOptions o;
  o.kind = DeserializerOptions::Kind::kHive;
  auto plain = Make({{"t", ColumnKind::kTimestamp}}, o);
  EXPECT_EQ(EpochNanos(One(*plain, R"({"T":"1970-01-01 00:00:01.5"})")[0]), 1'500'000'000);
  Fails(*plain, R"({"t":"1970-01-01T00:00:01Z"})");
  o.timestamp_formats = {"yyyy/MM/dd'T'HH:mm:ssZ", "yyyyMMddHHmmss", "millis"};
  auto c = Make({{"t", ColumnKind::kTimestamp}}, o);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"1970/01/01T01:00:00+01:00"})")[0]), 0);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":1500})")[0]), 1'500'000'000);
  EXPECT_EQ(EpochNanos(One(*c, R"({"t":"19700101000002"})")[0]), 2'000'000'000);
  Fails(*c, R"({"t":"1970-01-01"})");
  o.timestamp_formats = {"yyyy-MM-dd EEE"};
  EXPECT_FALSE(RecordConverter::Make({{"t", ColumnKind::kTimestamp}}, o).ok());
}

}  // namespace
}  // namespace spate::firehose::parquet
