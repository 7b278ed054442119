// DecodePutRecordsJson against the generic path it stands in for: every
// body it decodes, the generic path (simdjson -> Value, the model's
// validation, MakePutEntry) must accept with the same entries; and it must
// decode the forms SDKs send.

#include "streams/api/put_records_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/json_codec.h"
#include "protocol/model_pattern.h"
#include "protocol/service_model.h"
#include "streams/api/common.h"
#include "util/base64.h"

namespace spate::streams::api {
namespace {

struct Generic {
  Status status;
  std::string stream_name;
  std::vector<PutEntry> entries;
};

Generic DecodeGeneric(const std::string& body) {
  Generic g;
  Result<protocol::Value> v = protocol::ParseJson(body, 64, 0);
  if (!v.ok()) {
    g.status = v.status();
    return g;
  }
  if (!v->is_object()) {
    g.status = Status(ErrorCode::kSerialization, "not an object");
    return g;
  }
  const protocol::ServiceModel& model = protocol::ServiceModel::Kinesis();
  g.status = model.ValidateInput(*model.FindOperation("PutRecords"), &*v, protocol::WireFormat::kJson);
  if (!g.status.ok()) return g;
  g.stream_name = std::string(v->GetString("StreamName"));
  protocol::Value::Array& records = v->FindMutable("Records")->mutable_array();
  g.entries.resize(records.size());
  for (size_t i = 0; i < records.size() && g.status.ok(); ++i) {
    g.status = MakePutEntry(&records[i], SIZE_MAX, i + 1, &g.entries[i]);
  }
  return g;
}

// Decodes `body` both ways; returns whether the fast path took it.
bool CheckAgainstGeneric(const std::string& body) {
  std::unique_ptr<PutRecordsInput> fast = DecodePutRecordsJson(body);
  if (fast == nullptr) return false;
  Generic g = DecodeGeneric(body);
  EXPECT_TRUE(g.status.ok()) << "the fast path took a body the generic path refuses (" << g.status.message()
                             << "): " << body;
  if (!g.status.ok()) return true;
  EXPECT_EQ(fast->summary.GetString("StreamName"), g.stream_name) << body;
  EXPECT_EQ(fast->entries.size(), g.entries.size()) << body;
  for (size_t i = 0; i < std::min(fast->entries.size(), g.entries.size()); ++i) {
    EXPECT_EQ(fast->entries[i].data, g.entries[i].data) << i << ": " << body;
    EXPECT_EQ(fast->entries[i].partition_key, g.entries[i].partition_key) << i << ": " << body;
    EXPECT_EQ(fast->entries[i].explicit_hash_key, g.entries[i].explicit_hash_key) << i << ": " << body;
  }
  return true;
}

std::string Record(std::string_view data, std::string_view key, std::string_view hash = {}) {
  std::string r = R"({"Data":")" + util::Base64Encode(data) + R"(","PartitionKey":")" + std::string(key) + "\"";
  if (!hash.empty()) r += R"(,"ExplicitHashKey":")" + std::string(hash) + "\"";
  return r + "}";
}

std::string Body(std::string_view stream, const std::vector<std::string>& records) {
  std::string b = R"({"StreamName":")" + std::string(stream) + R"(","Records":[)";
  for (size_t i = 0; i < records.size(); ++i) b += (i ? "," : "") + records[i];
  return b + "]}";
}

TEST(PutRecordsJsonTest, DecodesWhatSdksSend) {
  const std::string body =
      Body("s1", {Record("hello", "k1"), Record("", "k2", "0"),
                  Record(std::string("\0\xff\x80", 3), "k 3", "340282366920938463463374607431768211455")});
  ASSERT_TRUE(CheckAgainstGeneric(body));
  auto fast = DecodePutRecordsJson(body);
  ASSERT_EQ(fast->entries.size(), 3u);
  EXPECT_EQ(fast->entries[0].data, "hello");
  EXPECT_EQ(fast->entries[0].partition_key, "k1");
  EXPECT_FALSE(fast->entries[0].explicit_hash_key.has_value());
  EXPECT_EQ(fast->entries[1].data, "");
  EXPECT_EQ(fast->entries[1].explicit_hash_key, model::uint128{0});
  EXPECT_EQ(fast->entries[2].data, std::string("\0\xff\x80", 3));
  EXPECT_EQ(fast->entries[2].explicit_hash_key, util::kMaxHashKey);
}

TEST(PutRecordsJsonTest, WhiteSpaceAndMemberOrder) {
  EXPECT_TRUE(CheckAgainstGeneric(
      " {\n\t\"Records\" : [ { \"PartitionKey\" : \"a\" , \"ExplicitHashKey\":\"12\", \"Data\" : \"QUJD\" } ] ,\r\n"
      "  \"StreamName\" : \"x.y-z_1\" } \n"));
}

TEST(PutRecordsJsonTest, FiveHundredRecordsOfOneKibibyte) {
  std::mt19937 rng(7);
  std::vector<std::string> records;
  for (int i = 0; i < 500; ++i) {
    std::string data(1024, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    records.push_back(Record(data, "key-" + std::to_string(i)));
  }
  EXPECT_TRUE(CheckAgainstGeneric(Body("bulk", records)));
  records.push_back(Record("x", "k"));
  EXPECT_EQ(DecodePutRecordsJson(Body("bulk", records)), nullptr);  // 501: the model's error
}

// Each record's buffer is first sized like the previous record's data: a
// large record must not make every later small one allocate (and zero) as
// much.
TEST(PutRecordsJsonTest, ALargeRecordDoesNotInflateTheNextOnes) {
  std::vector<std::string> records = {Record(std::string(1 << 20, 'L'), "big")};
  for (int i = 0; i < 50; ++i) records.push_back(Record("small", "k" + std::to_string(i)));
  records.push_back(Record(std::string(40000, 'M'), "medium"));
  const std::string body = Body("s", records);
  ASSERT_TRUE(CheckAgainstGeneric(body));
  auto fast = DecodePutRecordsJson(body);
  ASSERT_EQ(fast->entries.size(), 52u);
  for (size_t i = 1; i <= 50; ++i) EXPECT_LE(fast->entries[i].data.capacity(), 128u) << i;
  EXPECT_EQ(fast->entries[51].data, std::string(40000, 'M'));
}

// The model's bound on a member of PutRecords' input, as a length.
size_t ModelMax(std::initializer_list<std::string_view> path) {
  const protocol::ServiceModel& model = protocol::ServiceModel::Kinesis();
  auto c = model.InputMember(*model.FindOperation("PutRecords"), path);
  EXPECT_TRUE(c.has_value() && c->max.has_value());
  return c.has_value() && c->max.has_value() ? static_cast<size_t>(*c->max) : 0;
}

// The decoder's bounds are the model's: compared with what the model says,
// and at each bound and one past it with the generic path, which validates
// with the model. A bound written into the decoder by hand would fail here
// as soon as the model changed it.
TEST(PutRecordsJsonTest, BoundsAreTheModels) {
  const protocol::ServiceModel& model = protocol::ServiceModel::Kinesis();
  const PutRecordsJsonDecoder decoder(model);
  const PutRecordsBounds& b = decoder.bounds();
  const size_t max_records = ModelMax({"Records"});
  const size_t max_name = ModelMax({"StreamName"});
  const size_t max_key = ModelMax({"Records", "PartitionKey"});
  const size_t max_data = ModelMax({"Records", "Data"});
  EXPECT_EQ(b.max_records, max_records);
  EXPECT_EQ(b.max_stream_name, max_name);
  EXPECT_EQ(b.max_partition_key, max_key);
  EXPECT_EQ(b.max_data, max_data);
  const auto op = model.FindOperation("PutRecords");
  EXPECT_EQ(b.min_records, static_cast<size_t>(*model.InputMember(*op, {"Records"})->min));
  EXPECT_EQ(b.min_stream_name, static_cast<size_t>(*model.InputMember(*op, {"StreamName"})->min));
  EXPECT_EQ(b.min_partition_key, static_cast<size_t>(*model.InputMember(*op, {"Records", "PartitionKey"})->min));
  EXPECT_EQ(b.stream_name_pattern, model.InputMember(*op, {"StreamName"})->pattern);
  EXPECT_EQ(b.hash_key_pattern, model.InputMember(*op, {"Records", "ExplicitHashKey"})->pattern);
  // The hand-written HashKey check stands in for the model's pattern only
  // while the model's pattern is the one it implements.
  ASSERT_NE(b.hash_key_pattern, nullptr);
  EXPECT_EQ(b.hash_key_pattern_is_decimal, b.hash_key_pattern->source() == R"(0|([1-9]\d{0,38}))");
  EXPECT_TRUE(b.hash_key_pattern_is_decimal);

  auto fast_takes = [&](const std::string& body) { return decoder.Decode(body) != nullptr; };
  auto generic_takes = [&](const std::string& body) { return DecodeGeneric(body).status.ok(); };
  const std::string ok = Record("abc", "k");
  // Records: max_records, then one more.
  std::vector<std::string> records(max_records, ok);
  EXPECT_TRUE(fast_takes(Body("s", records)));
  EXPECT_TRUE(CheckAgainstGeneric(Body("s", records)));
  records.push_back(ok);
  EXPECT_FALSE(fast_takes(Body("s", records)));
  EXPECT_FALSE(generic_takes(Body("s", records)));
  // StreamName.
  EXPECT_TRUE(CheckAgainstGeneric(Body(std::string(max_name, 'n'), {ok})));
  EXPECT_FALSE(fast_takes(Body(std::string(max_name + 1, 'n'), {ok})));
  EXPECT_FALSE(generic_takes(Body(std::string(max_name + 1, 'n'), {ok})));
  // PartitionKey.
  EXPECT_TRUE(CheckAgainstGeneric(Body("s", {Record("a", std::string(max_key, 'k'))})));
  EXPECT_FALSE(fast_takes(Body("s", {Record("a", std::string(max_key + 1, 'k'))})));
  EXPECT_FALSE(generic_takes(Body("s", {Record("a", std::string(max_key + 1, 'k'))})));
  // Data, in decoded bytes.
  EXPECT_TRUE(CheckAgainstGeneric(Body("s", {Record(std::string(max_data, 'd'), "k")})));
  EXPECT_FALSE(fast_takes(Body("s", {Record(std::string(max_data + 1, 'd'), "k")})));
  EXPECT_FALSE(generic_takes(Body("s", {Record(std::string(max_data + 1, 'd'), "k")})));
}

// Each valid for the generic path or not, none taken by the fast path: the
// generic path decodes or refuses it as before.
TEST(PutRecordsJsonTest, LeavesEverythingElseToTheGenericPath) {
  const std::string ok = Record("abc", "k");
  const std::vector<std::string> bodies = {
      "",
      "[]",
      "{}",
      R"({"StreamName":"s"})",
      Body("s", {}),
      R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","Records":[)" + ok + "]}",
      R"({"StreamName":"s","StreamId":"x","Records":[)" + ok + "]}",
      R"({"StreamName":"s","Other":1,"Records":[)" + ok + "]}",
      R"({"StreamName":"s","StreamName":"t","Records":[)" + ok + "]}",
      R"({"StreamName":"s","Records":[)" + ok + "],\"Records\":[" + ok + "]}",
      R"({"StreamName":"s\u0031","Records":[)" + ok + "]}",
      R"({"StreamName":"s s","Records":[)" + ok + "]}",
      R"({"StreamName":"","Records":[)" + ok + "]}",
      Body(std::string(129, 'a'), {ok}),
      Body("s", {R"({"D\u0061ta":"QUJD","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QUJD\/","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QR==","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QUJ","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QU JD","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":null,"PartitionKey":"k"})"}),
      Body("s", {R"({"Data":12,"PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QUJD","Data":"QUJD","PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QUJD"})"}),
      Body("s", {R"({"PartitionKey":"k"})"}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":""})"}),
      Body("s", {Record("a", std::string(257, 'k'))}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":"k\tk"})"}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":"k\\u0041"})"}),
      Body("s", {"{\"Data\":\"QUJD\",\"PartitionKey\":\"\xc3\xa9\"}"}),
      Body("s", {Record("a", "k", "00")}),
      Body("s", {Record("a", "k", "01")}),
      Body("s", {Record("a", "k", "-1")}),
      Body("s", {Record("a", "k", "340282366920938463463374607431768211456")}),
      Body("s", {Record("a", "k", "1000000000000000000000000000000000000000")}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":"k","ExplicitHashKey":""})"}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":"k","ExplicitHashKey":5})"}),
      Body("s", {R"({"Data":"QUJD","PartitionKey":"k","Extra":"x"})"}),
      Body("s", {ok, ""}),
      Body("s", {ok}) + "x",
      Body("s", {ok}) + "{}",
      Body("s", {ok}).substr(0, 40),
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(DecodePutRecordsJson(body), nullptr) << body;
  }
}

// Random edits of valid bodies: whatever the fast path takes, the generic
// path takes with the same entries.
TEST(PutRecordsJsonTest, RandomEditsAgreeWithTheGenericPath) {
  const std::vector<std::string> seeds = {
      Body("s1", {Record("hello", "k1"), Record("", "k2", "0"), Record("xyz!", "k3", "99")}),
      " { \"Records\" : [ { \"PartitionKey\" : \"a\" , \"Data\" : \"QUJDRA==\" } ] , \"StreamName\" : \"t\" } ",
  };
  const std::string alphabet = std::string("{}[]:,\"\\ \t\nazAZ09=+/-._") + "\x80\xc3\x01";
  std::mt19937 rng(20261207);
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t at = rng() % body.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: body[at] = c; break;
        case 1: body.erase(at, 1); break;
        default: body.insert(at, 1, c); break;
      }
    }
    if (CheckAgainstGeneric(body)) ++taken;
  }
  // Some edits keep a body valid (white space, key and data characters).
  EXPECT_GT(taken, 100);
}

}  // namespace
}  // namespace spate::streams::api
