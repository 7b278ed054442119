#include "protocol/stream_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/cbor_codec.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::protocol {
namespace {

// A GetRecords-shaped record as the fast path sees it.
struct Record {
  std::string sequence_number;  // digits only
  int64_t arrival_ms = 0;
  std::string data;
  std::string partition_key;
  bool encrypted = false;
};

// The document as a handler would build it as a Value tree.
Value AsValue(const std::vector<Record>& records, const std::string* next_iterator, int64_t behind,
              const Value& children) {
  Value list = Value::MakeArray();
  for (const Record& r : records) {
    Value v = Value::MakeObject();
    v.Set("SequenceNumber", Value::String(r.sequence_number));
    v.Set("ApproximateArrivalTimestamp", Value::TimestampMs(r.arrival_ms));
    v.Set("Data", Value::Blob(r.data));
    v.Set("PartitionKey", Value::String(r.partition_key));
    if (r.encrypted) v.Set("EncryptionType", Value::String("KMS"));
    list.Append(std::move(v));
  }
  Value out = Value::MakeObject();
  out.Set("Records", std::move(list));
  if (next_iterator) out.Set("NextShardIterator", Value::String(*next_iterator));
  out.Set("MillisBehindLatest", Value::Int(behind));
  if (!next_iterator) out.Set("ChildShards", children);
  return out;
}

// The same document through StreamWriter.
std::string Stream(WireFormat format, const std::vector<Record>& records, const std::string* next_iterator,
                   int64_t behind, const Value& children) {
  std::string out = "prefix";  // the writer appends
  StreamWriter w(format, &out);
  w.BeginObject(3);
  w.Key("Records");
  w.BeginArray(records.size());
  for (const Record& r : records) {
    w.BeginObject(r.encrypted ? 5 : 4);
    w.Key("SequenceNumber");
    w.PlainString(r.sequence_number);
    w.Key("ApproximateArrivalTimestamp");
    w.TimestampMs(r.arrival_ms);
    w.Key("Data");
    w.Blob(r.data);
    w.Key("PartitionKey");
    w.String(r.partition_key);
    if (r.encrypted) {
      w.Key("EncryptionType");
      w.String("KMS");
    }
    w.EndObject();
  }
  w.EndArray();
  if (next_iterator) {
    w.Key("NextShardIterator");
    w.String(*next_iterator);
  }
  w.Key("MillisBehindLatest");
  w.Int(behind);
  if (!next_iterator) {
    w.Key("ChildShards");
    w.BeginArray(children.as_array().size());
    for (const Value& c : children.as_array()) w.Embed(c);
    w.EndArray();
  }
  w.EndObject();
  return out.substr(6);
}

std::string Json(const Value& v) {
  std::string s;
  WriteJson(v, &s);
  return s;
}
std::string Cbor(const Value& v) {
  std::string s;
  WriteCbor(v, &s);
  return s;
}

void ExpectSameBytes(const std::vector<Record>& records, const std::string* next_iterator, int64_t behind,
                     const Value& children) {
  const Value doc = AsValue(records, next_iterator, behind, children);
  EXPECT_EQ(Stream(WireFormat::kJson, records, next_iterator, behind, children), Json(doc));
  EXPECT_EQ(Stream(WireFormat::kCbor, records, next_iterator, behind, children), Cbor(doc));
}

// PutRecords' entries: objects of plain strings, written whole, give the
// bytes the member by member calls give, after other elements or first.
TEST(StreamWriterTest, PlainStringObjectIsTheSameBytesAsItsMembers) {
  for (WireFormat format : {WireFormat::kJson, WireFormat::kCbor}) {
    std::string whole = "x", parts = "x";
    StreamWriter a(format, &whole), b(format, &parts);
    a.BeginArray(4);
    b.BeginArray(4);
    a.PlainStringObject({{"SequenceNumber", "49590338271490256608559692538361571095921575989136588898"},
                         {"ShardId", "shardId-000000000007"}});
    b.BeginObject(2);
    b.Key("SequenceNumber");
    b.PlainString("49590338271490256608559692538361571095921575989136588898");
    b.Key("ShardId");
    b.PlainString("shardId-000000000007");
    b.EndObject();
    a.PlainStringObject({{"A", ""}});
    b.BeginObject(1);
    b.Key("A");
    b.PlainString("");
    b.EndObject();
    a.PlainStringObject({});
    b.BeginObject(0);
    b.EndObject();
    a.Int(3);
    b.Int(3);
    a.EndArray();
    b.EndArray();
    EXPECT_EQ(whole, parts) << static_cast<int>(format);
  }
  std::string json;
  StreamWriter w(WireFormat::kJson, &json);
  w.PlainStringObject({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(json, R"({"a":"1","b":"2"})");
}

Value TwoChildren() {
  Value children = Value::MakeArray();
  for (const char* id : {"shardId-000000000001", "shardId-000000000002"}) {
    Value c = Value::MakeObject();
    c.Set("ShardId", Value::String(id));
    Value parents = Value::MakeArray();
    parents.Append(Value::String("shardId-000000000000"));
    c.Set("ParentShards", std::move(parents));
    Value range = Value::MakeObject();
    range.Set("StartingHashKey", Value::String("0"));
    range.Set("EndingHashKey", Value::String("340282366920938463463374607431768211455"));
    c.Set("HashKeyRange", std::move(range));
    children.Append(std::move(c));
  }
  return children;
}

TEST(StreamWriterTest, NoRecordsWithNextIterator) {
  const std::string it = "AAAAiterator+/=";
  ExpectSameBytes({}, &it, 0, Value::MakeArray());
}

TEST(StreamWriterTest, EndOfClosedShardWithoutChildren) { ExpectSameBytes({}, nullptr, 0, Value::MakeArray()); }

TEST(StreamWriterTest, EndOfClosedShardWithChildren) {
  ExpectSameBytes({{"49590338271490256608559692538361571095921575989136588898", 1, "x", "k", false}}, nullptr, 5,
                  TwoChildren());
}

TEST(StreamWriterTest, EdgeCaseRecords) {
  const std::string it = "it";
  std::vector<Record> records = {
      {"0", 0, "", "", false},                                   // empty data and key
      {"1", -1, std::string(1, '\0'), "\"quote\\back\n", true},  // escapes; negative time
      {"2", 1506440188100, "ab", "ключ-キー-🔑", false},          // non-ASCII key
      {"3", 1506440188749, std::string(1000, '\xff'), std::string(256, 'p'), true},
      {"4", INT64_MAX, "abc", std::string("\x01\x1f\x7f", 3), false},
  };
  ExpectSameBytes(records, &it, INT64_MAX, Value::MakeArray());
}

TEST(StreamWriterTest, RandomRecordsMatchTheValueCodecs) {
  std::mt19937_64 rng(20261122);
  auto bytes = [&rng](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<Record> records(rng() % 40);
    for (Record& r : records) {
      r.sequence_number = std::to_string(rng());
      r.arrival_ms = static_cast<int64_t>(rng() % 4000000000000ull) - 1000;
      // Sizes around the CBOR head boundaries (23/24, 255/256, 65535/65536).
      static constexpr size_t kSizes[] = {0, 1, 2, 3, 23, 24, 255, 256, 1024, 65535, 65536};
      r.data = bytes(rng() % 4 == 0 ? kSizes[rng() % 11] : rng() % 300);
      r.partition_key = bytes(rng() % 257);  // arbitrary bytes: escapes, UTF-8 lead bytes
      r.encrypted = rng() % 2 == 0;
    }
    const std::string it = bytes(rng() % 300);
    const int64_t behind = static_cast<int64_t>(rng() >> 1) * (rng() % 2 == 0 ? 1 : -1);
    ExpectSameBytes(records, rng() % 4 == 0 ? nullptr : &it, behind,
                    rng() % 2 == 0 ? TwoChildren() : Value::MakeArray());
  }
}

TEST(StreamWriterTest, NestedContainersSeparateTheirElements) {
  // [[], {}, [1, "a"], {"k": [true]}] built both ways.
  Value inner = Value::MakeArray();
  inner.Append(Value::Int(1));
  inner.Append(Value::String("a"));
  Value tail = Value::MakeObject();
  Value t = Value::MakeArray();
  t.Append(Value::Bool(true));
  tail.Set("k", t);
  Value doc = Value::MakeArray();
  doc.Append(Value::MakeArray());
  doc.Append(Value::MakeObject());
  doc.Append(inner);
  doc.Append(tail);
  for (WireFormat f : {WireFormat::kJson, WireFormat::kCbor}) {
    std::string out;
    StreamWriter w(f, &out);
    w.BeginArray(4);
    w.BeginArray(0);
    w.EndArray();
    w.BeginObject(0);
    w.EndObject();
    w.BeginArray(2);
    w.Int(1);
    w.String("a");
    w.EndArray();
    w.BeginObject(1);
    w.Key("k");
    w.Embed(t);
    w.EndObject();
    w.EndArray();
    EXPECT_EQ(out, f == WireFormat::kJson ? Json(doc) : Cbor(doc));
  }
}

}  // namespace
}  // namespace spate::protocol
