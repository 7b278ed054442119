#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "protocol/cbor_codec.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::protocol {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// "0a ff" -> "\x0a\xff"; spaces are ignored.
std::string Hex(std::string_view hex) {
  std::string out;
  int nibbles = 0, acc = 0;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    acc = acc * 16 + v;
    if (++nibbles % 2 == 0) {
      out.push_back(static_cast<char>(acc));
      acc = 0;
    }
  }
  EXPECT_EQ(nibbles % 2, 0) << hex;
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Value Json(std::string_view text) {
  Result<Value> r = ParseJson(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? std::move(r).value() : Value();
}

// Returns the error message.
std::string JsonError(std::string_view text, int max_depth = kDefaultMaxDepth) {
  Result<Value> r = ParseJson(text, max_depth);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  EXPECT_EQ(r.status().code(), ErrorCode::kSerialization) << text;
  EXPECT_FALSE(r.status().message().empty());
  return r.status().message();
}

std::string ToJson(const Value& v) {
  std::string out;
  WriteJson(v, &out);
  return out;
}

Value Cbor(std::string_view hex) {
  Result<Value> r = ParseCbor(Hex(hex));
  EXPECT_TRUE(r.ok()) << hex << ": " << r.status().message();
  return r.ok() ? std::move(r).value() : Value();
}

// Returns the error message.
std::string CborBytesError(std::string_view bytes, int max_depth = kDefaultMaxDepth) {
  Result<Value> r = ParseCbor(bytes, max_depth);
  EXPECT_FALSE(r.ok()) << "parsed: " << ToHex(bytes);
  EXPECT_EQ(r.status().code(), ErrorCode::kSerialization) << ToHex(bytes);
  EXPECT_FALSE(r.status().message().empty());
  return r.status().message();
}

std::string CborError(std::string_view hex) { return CborBytesError(Hex(hex)); }

std::string ToCborHex(const Value& v) {
  std::string out;
  WriteCbor(v, &out);
  return ToHex(out);
}

Value Obj(std::initializer_list<std::pair<const char*, Value>> members) {
  Value v = Value::MakeObject();
  for (const auto& [k, m] : members) v.Set(k, m);
  return v;
}

Value Arr(std::initializer_list<Value> items) {
  Value v = Value::MakeArray();
  for (const auto& i : items) v.Append(i);
  return v;
}

// A document with every kind of value, for round trips.
Value EveryKind() {
  return Obj({{"null", Value::Null()},
              {"t", Value::Bool(true)},
              {"f", Value::Bool(false)},
              {"int", Value::Int(-1234567890123)},
              {"max", Value::Int(kInt64Max)},
              {"min", Value::Int(kInt64Min)},
              {"double", Value::Double(0.1)},
              {"str", Value::String("h\xc3\xa9llo \"w\"\n")},
              {"empty", Value::String("")},
              {"arr", Arr({Value::Int(1), Arr({}), Obj({})})},
              {"nested", Obj({{"a", Arr({Value::String("x"), Value::Null()})}})}});
}

std::string Nested(char open, char close, int depth) { return std::string(depth, open) + std::string(depth, close); }

// ---------------------------------------------------------------- JSON parse

// A body followed by readable bytes is parsed where it is: whatever those
// bytes hold never becomes part of the document.
TEST(JsonParse, PaddedBodyIsParsedInPlaceAndItsPaddingIgnored) {
  const std::string doc = R"({"Data":"AAAA","N":12})";
  std::string buf = doc + std::string(kJsonReadAheadBytes, '9');
  auto v = ParseJson(std::string_view(buf.data(), doc.size()), kDefaultMaxDepth, kJsonReadAheadBytes);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->Find("N")->as_int(), 12);
  EXPECT_EQ(v->GetString("Data"), "AAAA");
  // A truncated body stays malformed even when the bytes after it would complete it.
  const std::string cut = R"({"N":1)";
  buf = cut + "}" + std::string(kJsonReadAheadBytes, ' ');
  EXPECT_FALSE(ParseJson(std::string_view(buf.data(), cut.size()), kDefaultMaxDepth, kJsonReadAheadBytes).ok());
  // A number at the very end is not extended by the digits after it.
  buf = "12" + std::string(kJsonReadAheadBytes, '3');
  auto number = ParseJson(std::string_view(buf.data(), 2), kDefaultMaxDepth, kJsonReadAheadBytes);
  ASSERT_TRUE(number.ok()) << number.status().ToString();
  EXPECT_EQ(number->as_int(), 12);
}

TEST(JsonParse, Scalars) {
  EXPECT_EQ(Json("null"), Value::Null());
  EXPECT_EQ(Json("true"), Value::Bool(true));
  EXPECT_EQ(Json("false"), Value::Bool(false));
  EXPECT_EQ(Json("\"s\""), Value::String("s"));
  EXPECT_EQ(Json(" \t\r\n 42 \n"), Value::Int(42));
}

TEST(JsonParse, IntegersThatFitInt64AreInts) {
  EXPECT_EQ(Json("0"), Value::Int(0));
  EXPECT_EQ(Json("-17"), Value::Int(-17));
  EXPECT_EQ(Json("9223372036854775807"), Value::Int(kInt64Max));
  EXPECT_EQ(Json("-9223372036854775808"), Value::Int(kInt64Min));
}

TEST(JsonParse, IntegersBeyondInt64AreDoubles) {
  EXPECT_EQ(Json("9223372036854775808"), Value::Double(9223372036854775808.0));
  EXPECT_EQ(Json("18446744073709551615"), Value::Double(18446744073709551615.0));
}

// simdjson 3.0.1 rejects these; AWS would parse them and then fail validation,
// since no Kinesis member takes such a number.
TEST(JsonParse, NumbersBeyondParserRangeAreErrors) {
  JsonError("123456789012345678901234567890");
  JsonError("-9223372036854775809");
  JsonError("1e400");
}

TEST(JsonParse, FractionsAndExponentsAreDoubles) {
  EXPECT_EQ(Json("1.0"), Value::Double(1.0));
  EXPECT_EQ(Json("1e2"), Value::Double(100.0));
  EXPECT_EQ(Json("1506440188.749"), Value::Double(1506440188.749));
  EXPECT_EQ(Json("-2.5E-3"), Value::Double(-0.0025));
}

TEST(JsonParse, NeverProducesBlobOrTimestamp) {
  const Value v = Json(R"({"Data":"Zm9v","Timestamp":1506440188.749})");
  EXPECT_TRUE(v.Find("Data")->is_string());
  EXPECT_TRUE(v.Find("Timestamp")->is_double());
}

TEST(JsonParse, StringEscapesAreDecoded) {
  EXPECT_EQ(Json(R"("a\"b\\c\/d\b\f\n\r\t")"), Value::String("a\"b\\c/d\b\f\n\r\t"));
  EXPECT_EQ(Json(R"("\u00e9\u6c34\ud83d\ude00")"), Value::String("\xc3\xa9\xe6\xb0\xb4\xf0\x9f\x98\x80"));
  EXPECT_EQ(Json(R"("nul\u0000byte")"), Value::String(std::string("nul\0byte", 8)));
}

TEST(JsonParse, RawUtf8PassesThrough) {
  EXPECT_EQ(Json("\"h\xc3\xa9 \xf0\x9f\x98\x80\""), Value::String("h\xc3\xa9 \xf0\x9f\x98\x80"));
}

TEST(JsonParse, ObjectKeepsMemberOrder) {
  const Value v = Json(R"({"b":1,"a":2,"c":{"z":true,"y":null}})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.as_object().size(), 3u);
  EXPECT_EQ(v.as_object()[0].first, "b");
  EXPECT_EQ(v.as_object()[1].first, "a");
  EXPECT_EQ(v.as_object()[2].first, "c");
  EXPECT_EQ(v.Find("c")->as_object()[0].first, "z");
}

TEST(JsonParse, DuplicateMemberLastValueWinsAtFirstPosition) {
  const Value v = Json(R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(v, Obj({{"a", Value::Int(3)}, {"b", Value::Int(2)}}));
}

TEST(JsonParse, DuplicateMembersInLargeObject) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k7\":\"last\",\"k39\":null}";
  const Value v = Json(text);
  ASSERT_EQ(v.as_object().size(), 40u);
  EXPECT_EQ(v.as_object()[7], (Value::Member{"k7", Value::String("last")}));
  EXPECT_EQ(v.as_object()[39], (Value::Member{"k39", Value::Null()}));
  EXPECT_EQ(v.as_object()[8], (Value::Member{"k8", Value::Int(8)}));
}

TEST(JsonParse, EmptyBodyIsError) {
  JsonError("");
  JsonError("   \n");
}

TEST(JsonParse, MalformedDocumentsAreErrors) {
  for (const char* text : {"{",
                           "}",
                           "[1,]",
                           "[1 2]",
                           "{\"a\":}",
                           "{\"a\" 1}",
                           "{a:1}",
                           "'a'",
                           "tru",
                           "nul",
                           "01",
                           "1.",
                           ".5",
                           "-",
                           "+1",
                           "\"unterminated",
                           "{} {}",
                           "[] x",
                           "NaN",
                           "Infinity",
                           "\"bad escape \\x\"",
                           "\"\\ud800\""}) {
    JsonError(text);
  }
}

TEST(JsonParse, UnescapedControlCharacterIsError) { JsonError("\"a\x01z\""); }

TEST(JsonParse, InvalidUtf8IsError) {
  JsonError("\"\xff\"");
  JsonError("\"\xc3\"");          // truncated sequence
  JsonError("\"\xc0\xaf\"");      // overlong
  JsonError("\"\xed\xa0\x80\"");  // encoded surrogate
}

TEST(JsonParse, DepthAtLimitIsAccepted) {
  Result<Value> r = ParseJson(Nested('[', ']', 64));
  EXPECT_TRUE(r.ok()) << r.status().message();
  Result<Value> small = ParseJson(R"({"a":[1]})", 2);
  EXPECT_TRUE(small.ok()) << small.status().message();
}

TEST(JsonParse, DepthBeyondLimitIsError) {
  JsonError(Nested('[', ']', 65));
  JsonError(R"({"a":[[1]]})", 2);
  const std::string message = JsonError(R"({"a":{"b":{}}})", 2);
  EXPECT_NE(message.find("depth"), std::string::npos) << message;
}

TEST(JsonParse, VeryDeepDocumentIsErrorNotCrash) {
  JsonError(Nested('[', ']', 100000));
  JsonError(std::string(100000, '['));
}

TEST(JsonParse, LargeBodyParsesAndParserIsReusable) {
  std::string big = "[";
  for (int i = 0; i < 200000; ++i) big += "\"0123456789\",";
  big += "1]";
  Result<Value> r = ParseJson(big);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->as_array().size(), 200001u);
  EXPECT_EQ(Json("[1]"), Arr({Value::Int(1)}));  // after the parser was released
}

// ---------------------------------------------------------------- JSON write

TEST(JsonWrite, Scalars) {
  EXPECT_EQ(ToJson(Value::Null()), "null");
  EXPECT_EQ(ToJson(Value::Bool(true)), "true");
  EXPECT_EQ(ToJson(Value::Bool(false)), "false");
  EXPECT_EQ(ToJson(Value::Int(0)), "0");
  EXPECT_EQ(ToJson(Value::Int(kInt64Min)), "-9223372036854775808");
  EXPECT_EQ(ToJson(Value::Int(kInt64Max)), "9223372036854775807");
}

TEST(JsonWrite, IsCompactAndKeepsOrder) {
  EXPECT_EQ(ToJson(Obj({{"b", Value::Int(1)}, {"a", Arr({Value::Null(), Obj({})})}})), R"({"b":1,"a":[null,{}]})");
  EXPECT_EQ(ToJson(Value::MakeArray()), "[]");
  EXPECT_EQ(ToJson(Value::MakeObject()), "{}");
}

TEST(JsonWrite, AppendsToExistingOutput) {
  std::string out = "x";
  WriteJson(Value::Int(1), &out);
  EXPECT_EQ(out, "x1");
}

TEST(JsonWrite, EscapesQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(ToJson(Value::String("a\"b\\c")), R"("a\"b\\c")");
  EXPECT_EQ(ToJson(Value::String("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(ToJson(Value::String(std::string("\0\x01\x1f", 3))), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(ToJson(Value::String("/ \x7f")), "\"/ \x7f\"");  // '/' and DEL need no escape
}

TEST(JsonWrite, Utf8PassesThrough) {
  EXPECT_EQ(ToJson(Value::String("h\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80")),
            "\"h\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"");
}

TEST(JsonWrite, EscapesMemberNames) { EXPECT_EQ(ToJson(Obj({{"a\"\n", Value::Int(1)}})), R"({"a\"\n":1})"); }

TEST(JsonWrite, BlobIsBase64) {
  EXPECT_EQ(ToJson(Value::Blob("foobar")), R"("Zm9vYmFy")");
  EXPECT_EQ(ToJson(Value::Blob(std::string("\xfb\xff", 2))), R"("+/8=")");
  EXPECT_EQ(ToJson(Value::Blob("")), R"("")");
}

TEST(JsonTimestamp, IsEpochSecondsWithMillisecondFraction) {
  EXPECT_EQ(ToJson(Value::TimestampMs(1506440188749)), "1506440188.749");
  EXPECT_EQ(ToJson(Value::TimestampMs(1506440188001)), "1506440188.001");
}

TEST(JsonTimestamp, TrailingZerosTrimmed) {
  EXPECT_EQ(ToJson(Value::TimestampMs(1506440188740)), "1506440188.74");
  EXPECT_EQ(ToJson(Value::TimestampMs(1506440188100)), "1506440188.1");
}

TEST(JsonTimestamp, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(ToJson(Value::TimestampMs(1506440188000)), "1506440188");
  EXPECT_EQ(ToJson(Value::TimestampMs(0)), "0");
}

TEST(JsonTimestamp, HasNoExponent) {
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{1506440188749}, int64_t{253402300799999}, kInt64Max}) {
    const std::string text = ToJson(Value::TimestampMs(ms));
    EXPECT_EQ(text.find_first_of("eE"), std::string::npos) << text;
  }
  EXPECT_EQ(ToJson(Value::TimestampMs(1)), "0.001");
  EXPECT_EQ(ToJson(Value::TimestampMs(kInt64Max)), "9223372036854775.807");
}

TEST(JsonTimestamp, NegativeBeforeEpoch) {
  EXPECT_EQ(ToJson(Value::TimestampMs(-1)), "-0.001");
  EXPECT_EQ(ToJson(Value::TimestampMs(-1500)), "-1.5");
  EXPECT_EQ(ToJson(Value::TimestampMs(kInt64Min)), "-9223372036854775.808");
}

TEST(JsonTimestamp, ReadsBackAsTheSameSeconds) {
  const Value v = Json(ToJson(Value::TimestampMs(1506440188749)));
  ASSERT_TRUE(v.is_double());
  EXPECT_EQ(std::llround(v.as_double() * 1000), 1506440188749);
}

TEST(JsonDouble, ShortestRoundTripWithoutExponent) {
  EXPECT_EQ(ToJson(Value::Double(1.5)), "1.5");
  EXPECT_EQ(ToJson(Value::Double(0.1)), "0.1");
  EXPECT_EQ(ToJson(Value::Double(-2.25)), "-2.25");
  EXPECT_EQ(ToJson(Value::Double(1506440188.749)), "1506440188.749");
  EXPECT_EQ(ToJson(Value::Double(1e6)), "1000000.0");
  EXPECT_EQ(ToJson(Value::Double(1e20)), "100000000000000000000.0");
  EXPECT_EQ(ToJson(Value::Double(0.000001)), "0.000001");
}

TEST(JsonDouble, IntegralValuesKeepAFraction) {
  EXPECT_EQ(ToJson(Value::Double(3.0)), "3.0");
  EXPECT_EQ(ToJson(Value::Double(0.0)), "0.0");
  EXPECT_EQ(ToJson(Value::Double(-0.0)), "-0.0");
  EXPECT_EQ(Json(ToJson(Value::Double(3.0))), Value::Double(3.0));
}

TEST(JsonDouble, ExtremeMagnitudesUseExponent) {
  EXPECT_EQ(ToJson(Value::Double(1e21)), "1e+21");
  EXPECT_EQ(ToJson(Value::Double(1e-7)), "1e-07");
  EXPECT_EQ(ToJson(Value::Double(-1.5e300)), "-1.5e+300");
  EXPECT_EQ(Json(ToJson(Value::Double(5e-324))), Value::Double(5e-324));
  EXPECT_EQ(Json(ToJson(Value::Double(1.7976931348623157e308))), Value::Double(1.7976931348623157e308));
}

TEST(JsonDouble, NonFiniteIsNull) {
  EXPECT_EQ(ToJson(Value::Double(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(ToJson(Value::Double(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(ToJson(Value::Double(-std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonRoundTrip, EveryKindExceptBlobAndTimestamp) {
  const Value v = EveryKind();
  EXPECT_EQ(Json(ToJson(v)), v);
}

TEST(JsonRoundTrip, TextIsStable) {
  const std::string text = R"({"StreamName":"s","Records":[{"Data":"Zm9v","PartitionKey":"p\u0001"}],"N":-1,"D":0.5})";
  EXPECT_EQ(ToJson(Json(text)), text);
}

// ------------------------------------------------- CBOR decode, RFC 8949 App. A

TEST(CborDecodeRfcVectors, UnsignedIntegers) {
  EXPECT_EQ(Cbor("00"), Value::Int(0));
  EXPECT_EQ(Cbor("01"), Value::Int(1));
  EXPECT_EQ(Cbor("0a"), Value::Int(10));
  EXPECT_EQ(Cbor("17"), Value::Int(23));
  EXPECT_EQ(Cbor("1818"), Value::Int(24));
  EXPECT_EQ(Cbor("1819"), Value::Int(25));
  EXPECT_EQ(Cbor("1864"), Value::Int(100));
  EXPECT_EQ(Cbor("1903e8"), Value::Int(1000));
  EXPECT_EQ(Cbor("1a000f4240"), Value::Int(1000000));
  EXPECT_EQ(Cbor("1b000000e8d4a51000"), Value::Int(1000000000000));
}

TEST(CborDecodeRfcVectors, NegativeIntegers) {
  EXPECT_EQ(Cbor("20"), Value::Int(-1));
  EXPECT_EQ(Cbor("29"), Value::Int(-10));
  EXPECT_EQ(Cbor("3863"), Value::Int(-100));
  EXPECT_EQ(Cbor("3903e7"), Value::Int(-1000));
}

TEST(CborDecode, Int64LimitsAreInts) {
  EXPECT_EQ(Cbor("1b7fffffffffffffff"), Value::Int(kInt64Max));
  EXPECT_EQ(Cbor("3b7fffffffffffffff"), Value::Int(kInt64Min));
}

TEST(CborDecode, IntegersBeyondInt64AreDoubles) {
  EXPECT_EQ(Cbor("1bffffffffffffffff"), Value::Double(18446744073709551615.0));
  EXPECT_EQ(Cbor("3bffffffffffffffff"), Value::Double(-18446744073709551616.0));
  EXPECT_EQ(Cbor("1b8000000000000000"), Value::Double(9223372036854775808.0));
}

TEST(CborDecodeRfcVectors, Floats) {
  EXPECT_EQ(Cbor("f90000"), Value::Double(0.0));
  EXPECT_TRUE(std::signbit(Cbor("f98000").as_double()));
  EXPECT_EQ(Cbor("f93c00"), Value::Double(1.0));
  EXPECT_EQ(Cbor("fb3ff199999999999a"), Value::Double(1.1));
  EXPECT_EQ(Cbor("f93e00"), Value::Double(1.5));
  EXPECT_EQ(Cbor("f97bff"), Value::Double(65504.0));
  EXPECT_EQ(Cbor("fa47c35000"), Value::Double(100000.0));
  EXPECT_EQ(Cbor("fa7f7fffff"), Value::Double(3.4028234663852886e+38));
  EXPECT_EQ(Cbor("fb7e37e43c8800759c"), Value::Double(1.0e+300));
  EXPECT_EQ(Cbor("f90001"), Value::Double(5.960464477539063e-8));
  EXPECT_EQ(Cbor("f90400"), Value::Double(0.00006103515625));
  EXPECT_EQ(Cbor("f9c400"), Value::Double(-4.0));
  EXPECT_EQ(Cbor("fbc010666666666666"), Value::Double(-4.1));
  EXPECT_EQ(Cbor("f97c00"), Value::Double(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Cbor("f9fc00"), Value::Double(-std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(std::isnan(Cbor("f97e00").as_double()));
  EXPECT_EQ(Cbor("fa7f800000"), Value::Double(std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(std::isnan(Cbor("fa7fc00000").as_double()));
  EXPECT_TRUE(std::isnan(Cbor("fb7ff8000000000000").as_double()));
}

TEST(CborDecodeRfcVectors, SimpleValues) {
  EXPECT_EQ(Cbor("f4"), Value::Bool(false));
  EXPECT_EQ(Cbor("f5"), Value::Bool(true));
  EXPECT_EQ(Cbor("f6"), Value::Null());
  EXPECT_EQ(Cbor("f7"), Value::Null());  // undefined
}

TEST(CborDecodeRfcVectors, OtherSimpleValuesAreErrors) {
  CborError("f0");    // simple(16)
  CborError("f8ff");  // simple(255)
  CborError("f818");  // simple(24) in two bytes: not well-formed
}

TEST(CborDecodeRfcVectors, UnknownTagsAreIgnored) {
  EXPECT_EQ(Cbor("c074323031332d30332d32315432303a30343a30305a"), Value::String("2013-03-21T20:04:00Z"));
  EXPECT_EQ(Cbor("d74401020304"), Value::Blob(Hex("01020304")));
  EXPECT_EQ(Cbor("d818456449455446"), Value::Blob("dIETF"));
  EXPECT_EQ(Cbor("d82076687474703a2f2f7777772e6578616d706c652e636f6d"), Value::String("http://www.example.com"));
  EXPECT_EQ(Cbor("d9d9f7 83 010203"), Arr({Value::Int(1), Value::Int(2), Value::Int(3)}));  // self-describe
}

TEST(CborDecodeRfcVectors, Strings) {
  EXPECT_EQ(Cbor("40"), Value::Blob(""));
  EXPECT_EQ(Cbor("4401020304"), Value::Blob(Hex("01020304")));
  EXPECT_EQ(Cbor("60"), Value::String(""));
  EXPECT_EQ(Cbor("6161"), Value::String("a"));
  EXPECT_EQ(Cbor("6449455446"), Value::String("IETF"));
  EXPECT_EQ(Cbor("62225c"), Value::String("\"\\"));
  EXPECT_EQ(Cbor("62c3bc"), Value::String("\xc3\xbc"));
  EXPECT_EQ(Cbor("63e6b0b4"), Value::String("\xe6\xb0\xb4"));
  EXPECT_EQ(Cbor("64f0908591"), Value::String("\xf0\x90\x85\x91"));
}

TEST(CborDecodeRfcVectors, ArraysAndMaps) {
  EXPECT_EQ(Cbor("80"), Value::MakeArray());
  EXPECT_EQ(Cbor("83010203"), Arr({Value::Int(1), Value::Int(2), Value::Int(3)}));
  const Value nested = Arr({Value::Int(1), Arr({Value::Int(2), Value::Int(3)}), Arr({Value::Int(4), Value::Int(5)})});
  EXPECT_EQ(Cbor("8301820203820405"), nested);
  Value twenty_five = Value::MakeArray();
  for (int i = 1; i <= 25; ++i) twenty_five.Append(Value::Int(i));
  EXPECT_EQ(Cbor("98190102030405060708090a0b0c0d0e0f101112131415161718181819"), twenty_five);
  EXPECT_EQ(Cbor("a0"), Value::MakeObject());
  EXPECT_EQ(Cbor("a26161016162820203"), Obj({{"a", Value::Int(1)}, {"b", Arr({Value::Int(2), Value::Int(3)})}}));
  EXPECT_EQ(Cbor("826161a161626163"), Arr({Value::String("a"), Obj({{"b", Value::String("c")}})}));
  EXPECT_EQ(Cbor("a56161614161626142616361436164614461656145"), Obj({{"a", Value::String("A")},
                                                                     {"b", Value::String("B")},
                                                                     {"c", Value::String("C")},
                                                                     {"d", Value::String("D")},
                                                                     {"e", Value::String("E")}}));
}

TEST(CborDecodeRfcVectors, IndefiniteLength) {
  EXPECT_EQ(Cbor("7f657374726561646d696e67ff"), Value::String("streaming"));
  EXPECT_EQ(Cbor("9fff"), Value::MakeArray());
  const Value nested = Arr({Value::Int(1), Arr({Value::Int(2), Value::Int(3)}), Arr({Value::Int(4), Value::Int(5)})});
  EXPECT_EQ(Cbor("9f018202039f0405ffff"), nested);
  EXPECT_EQ(Cbor("9f01820203820405ff"), nested);
  EXPECT_EQ(Cbor("83018202039f0405ff"), nested);
  EXPECT_EQ(Cbor("83019f0203ff820405"), nested);
  Value twenty_five = Value::MakeArray();
  for (int i = 1; i <= 25; ++i) twenty_five.Append(Value::Int(i));
  EXPECT_EQ(Cbor("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff"), twenty_five);
  EXPECT_EQ(Cbor("bf61610161629f0203ffff"), Obj({{"a", Value::Int(1)}, {"b", Arr({Value::Int(2), Value::Int(3)})}}));
  EXPECT_EQ(Cbor("826161bf61626163ff"), Arr({Value::String("a"), Obj({{"b", Value::String("c")}})}));
  EXPECT_EQ(Cbor("bf6346756ef563416d7421ff"), Obj({{"Fun", Value::Bool(true)}, {"Amt", Value::Int(-2)}}));
}

TEST(CborDecode, IndefiniteByteString) {
  EXPECT_EQ(Cbor("5f42010243030405ff"), Value::Blob(Hex("0102030405")));
  EXPECT_EQ(Cbor("5fff"), Value::Blob(""));
  EXPECT_EQ(Cbor("5f40ff"), Value::Blob(""));
}

TEST(CborDecode, IndefiniteStringChunkOfOtherTypeIsError) {
  CborError("5f6161ff");      // text chunk in a byte string
  CborError("7f4161ff");      // byte chunk in a text string
  CborError("5f5f4101ffff");  // nested indefinite chunk
  CborError("5f01ff");        // integer chunk
}

TEST(CborDecode, TextChunkMustBeValidUtf8OnItsOwn) {
  EXPECT_EQ(Cbor("7f62c3bcff"), Value::String("\xc3\xbc"));
  CborError("7f61c361bcff");  // one character split across two chunks
}

TEST(CborDecode, InvalidUtf8TextIsError) {
  CborError("61ff");
  CborError("62c0af");
  CborError("63eda080");
}

TEST(CborDecode, MapKeyMustBeText) {
  CborError("a201020304");  // RFC vector {1: 2, 3: 4}
  CborError("a1410161");    // byte-string key
  CborError("a1f661");      // null key
  CborError("bf01 02ff");   // indefinite map, integer key
}

TEST(CborDecode, TaggedMapKeyIsText) { EXPECT_EQ(Cbor("a1d820616101"), Obj({{"a", Value::Int(1)}})); }

TEST(CborDecode, DuplicateMapKeyLastValueWins) {
  EXPECT_EQ(Cbor("a3616101616202616103"), Obj({{"a", Value::Int(3)}, {"b", Value::Int(2)}}));
}

// --------------------------------------------------------- CBOR timestamps

TEST(CborTag1, IntegerIsMilliseconds) {
  EXPECT_EQ(Cbor("c11a514b67b0"), Value::TimestampMs(1363896240));  // RFC's seconds, read as millis (AWS)
  EXPECT_EQ(Cbor("c11b0000015ebed5134d"), Value::TimestampMs(1506440188749));
  EXPECT_EQ(Cbor("c100"), Value::TimestampMs(0));
}

TEST(CborTag1, NegativeIntegerIsBeforeEpoch) {
  EXPECT_EQ(Cbor("c120"), Value::TimestampMs(-1));
  EXPECT_EQ(Cbor("c13b7fffffffffffffff"), Value::TimestampMs(kInt64Min));
}

TEST(CborTag1, FloatIsSeconds) {
  EXPECT_EQ(Cbor("c1fb41d452d9ec200000"), Value::TimestampMs(1363896240500));  // RFC vector 1363896240.5
  EXPECT_EQ(Cbor("c1f93e00"), Value::TimestampMs(1500));                       // half 1.5
  EXPECT_EQ(Cbor("c1fa47c35000"), Value::TimestampMs(100000000));              // single 100000.0
}

TEST(CborTag1, FloatSecondsRoundToNearestMillisecond) {
  std::string bytes = Hex("c1fb");
  const uint64_t bits = std::bit_cast<uint64_t>(1506440188.749);
  for (int i = 7; i >= 0; --i) bytes.push_back(static_cast<char>(bits >> (8 * i)));
  Result<Value> r = ParseCbor(bytes);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, Value::TimestampMs(1506440188749));
}

TEST(CborTag1, OutOfRangeIsError) {
  CborError("c11b8000000000000000");  // 2^63 ms
  CborError("c13b8000000000000000");  // -2^63 - 1 ms
  CborError("c1fb7e37e43c8800759c");  // 1e300 s
  CborError("c1f97e00");              // NaN
  CborError("c1f97c00");              // infinity
}

TEST(CborTag1, AroundNonNumberIsError) {
  CborError("c16161");
  CborError("c180");
  CborError("c1f6");
}

TEST(CborTag1, InnermostTagDecides) {
  EXPECT_EQ(Cbor("d9d9f7 c1 1903e8"), Value::TimestampMs(1000));
  EXPECT_EQ(Cbor("c1 d820 1903e8"), Value::Int(1000));
}

// ------------------------------------------------------------ CBOR errors

TEST(CborErrors, EmptyInputIsError) { CborError(""); }

TEST(CborErrors, TrailingBytesAreError) {
  CborError("0000");
  CborError("a0ff");
  CborError("6161 61");
}

TEST(CborErrors, TruncatedInputIsError) {
  Value every_kind = EveryKind();
  every_kind.Set("blob", Value::Blob("bytes"));
  every_kind.Set("ts", Value::TimestampMs(1506440188749));
  std::string written;
  WriteCbor(every_kind, &written);
  // Every proper prefix of a well-formed item is truncated.
  for (const std::string& doc :
       {written, Hex("5f42010243030405ff"), Hex("bf61610161629f0203ffff"), Hex("c1fb41d452d9ec200000")}) {
    for (size_t len = 1; len < doc.size(); ++len) {
      CborBytesError(std::string_view(doc).substr(0, len));
    }
  }
  for (const char* hex : {"18",
                          "19 01",
                          "1a 0000 00",
                          "1b 00000000 000000",
                          "62 61",
                          "5f 41",
                          "5f",
                          "7f 6161",
                          "9f",
                          "9f 01",
                          "bf",
                          "bf 6161",
                          "bf 6161 01",
                          "82 01",
                          "a1 6161",
                          "c1",
                          "f9 00",
                          "fa 0000",
                          "fb 00000000 000000",
                          "5f 42 01"}) {
    CborError(hex);
  }
}

TEST(CborErrors, HugeClaimedLengthsAreTruncationNotAllocation) {
  CborError("5b ffffffffffffffff 00");
  CborError("7b 7fffffffffffffff 61");
  CborError("9b ffffffffffffffff 00");
  CborError("bb 7fffffffffffffff 616100");
  CborError("9a ffffffff 01 02");
  CborError("ba 00000002 6161 01");  // two members claimed, one present
}

TEST(CborErrors, ReservedAdditionalInformationIsError) {
  for (int major = 0; major < 8; ++major) {
    for (int ai = 28; ai <= 30; ++ai) {
      CborBytesError(std::string(1, static_cast<char>(major << 5 | ai)) + std::string(9, '\0'));
    }
  }
}

TEST(CborErrors, IndefiniteLengthIntegerOrTagIsError) {
  CborError("1f");
  CborError("3f");
  CborError("df 00");
}

TEST(CborErrors, BreakOutsideIndefiniteItemIsError) {
  CborError("ff");
  CborError("81 ff");
  CborError("a1 6161 ff");
  CborError("bf 6161 ff ff");  // break where a value is due
}

TEST(CborErrors, DepthAtLimitIsAccepted) {
  const std::string doc = std::string(64, '\x81') + '\0';
  Result<Value> r = ParseCbor(doc);
  EXPECT_TRUE(r.ok()) << r.status().message();
  Result<Value> small = ParseCbor(Hex("a1 6161 81 00"), 2);
  EXPECT_TRUE(small.ok()) << small.status().message();
}

TEST(CborErrors, DepthBeyondLimitIsError) {
  CborBytesError(std::string(65, '\x81') + '\0');
  CborBytesError(std::string(65, '\x9f') + std::string(65, '\xff'));
  CborBytesError(Hex("a1 6161 a1 6161 80"), 2);
}

TEST(CborErrors, VeryDeepInputIsErrorNotCrash) {
  CborBytesError(std::string(1000000, '\x81'));
  CborBytesError(std::string(1000000, '\xbf'));
}

TEST(CborDecode, LongTagChainDoesNotRecurse) {
  const std::string doc = std::string(1000000, '\xc6') + '\x07';
  Result<Value> r = ParseCbor(doc);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, Value::Int(7));
}

// ------------------------------------------------------------ CBOR encode

TEST(CborEncode, IntegersUseShortestHead) {
  EXPECT_EQ(ToCborHex(Value::Int(0)), "00");
  EXPECT_EQ(ToCborHex(Value::Int(23)), "17");
  EXPECT_EQ(ToCborHex(Value::Int(24)), "1818");
  EXPECT_EQ(ToCborHex(Value::Int(255)), "18ff");
  EXPECT_EQ(ToCborHex(Value::Int(256)), "190100");
  EXPECT_EQ(ToCborHex(Value::Int(65535)), "19ffff");
  EXPECT_EQ(ToCborHex(Value::Int(65536)), "1a00010000");
  EXPECT_EQ(ToCborHex(Value::Int(4294967295)), "1affffffff");
  EXPECT_EQ(ToCborHex(Value::Int(4294967296)), "1b0000000100000000");
  EXPECT_EQ(ToCborHex(Value::Int(kInt64Max)), "1b7fffffffffffffff");
  EXPECT_EQ(ToCborHex(Value::Int(-1)), "20");
  EXPECT_EQ(ToCborHex(Value::Int(-24)), "37");
  EXPECT_EQ(ToCborHex(Value::Int(-25)), "3818");
  EXPECT_EQ(ToCborHex(Value::Int(-1000)), "3903e7");
  EXPECT_EQ(ToCborHex(Value::Int(kInt64Min)), "3b7fffffffffffffff");
}

TEST(CborEncode, DoubleIsEightBytes) {
  EXPECT_EQ(ToCborHex(Value::Double(1.1)), "fb3ff199999999999a");
  EXPECT_EQ(ToCborHex(Value::Double(1.0)), "fb3ff0000000000000");
  EXPECT_EQ(ToCborHex(Value::Double(-4.1)), "fbc010666666666666");
}

TEST(CborEncode, SimpleValues) {
  EXPECT_EQ(ToCborHex(Value::Bool(false)), "f4");
  EXPECT_EQ(ToCborHex(Value::Bool(true)), "f5");
  EXPECT_EQ(ToCborHex(Value::Null()), "f6");
}

TEST(CborEncode, StringsAndBlobs) {
  EXPECT_EQ(ToCborHex(Value::String("")), "60");
  EXPECT_EQ(ToCborHex(Value::String("IETF")), "6449455446");
  EXPECT_EQ(ToCborHex(Value::Blob(Hex("01020304"))), "4401020304");
  EXPECT_EQ(ToCborHex(Value::Blob(std::string(24, 'x'))), "5818" + ToHex(std::string(24, 'x')));
  EXPECT_EQ(ToCborHex(Value::Blob(std::string(256, '\0'))).substr(0, 6), "590100");
}

TEST(CborEncode, TimestampIsTag1IntegerMilliseconds) {
  EXPECT_EQ(ToCborHex(Value::TimestampMs(1506440188749)), "c11b0000015ebed5134d");
  EXPECT_EQ(ToCborHex(Value::TimestampMs(0)), "c100");
  EXPECT_EQ(ToCborHex(Value::TimestampMs(-1)), "c120");
}

TEST(CborEncode, TimestampIsNeverAFloat) {
  std::string out;
  WriteCbor(Obj({{"StreamCreationTimestamp", Value::TimestampMs(1506440188749)}}), &out);
  EXPECT_EQ(out.find("StreamCreationTimestamp\xc1\xfb"), std::string::npos);
  EXPECT_NE(out.find("StreamCreationTimestamp\xc1\x1b"), std::string::npos);
}

TEST(CborEncode, ContainersAreDefiniteLength) {
  EXPECT_EQ(ToCborHex(Value::MakeArray()), "80");
  EXPECT_EQ(ToCborHex(Value::MakeObject()), "a0");
  EXPECT_EQ(ToCborHex(Obj({{"a", Value::Int(1)}, {"b", Arr({Value::Int(2), Value::Int(3)})}})), "a26161016162820203");
  Value twenty_five = Value::MakeArray();
  for (int i = 1; i <= 25; ++i) twenty_five.Append(Value::Int(i));
  EXPECT_EQ(ToCborHex(twenty_five), "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
}

TEST(CborEncode, AppendsToExistingOutput) {
  std::string out = "x";
  WriteCbor(Value::Int(1), &out);
  EXPECT_EQ(out, "x\x01");
}

TEST(CborRoundTrip, EveryKind) {
  Value v = EveryKind();
  v.Set("blob", Value::Blob(std::string("\0\xff\x80", 3)));
  v.Set("ts", Value::TimestampMs(1506440188749));
  v.Set("before_epoch", Value::TimestampMs(-86400000));
  v.Set("big_blob", Value::Blob(std::string(70000, 'z')));
  std::string out;
  WriteCbor(v, &out);
  Result<Value> r = ParseCbor(out);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, v);
}

}  // namespace
}  // namespace spate::protocol
