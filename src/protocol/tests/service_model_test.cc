#include "protocol/service_model.h"

#include <gtest/gtest.h>

#include "protocol/model_pattern.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace spate::protocol {
namespace {

// Expected messages are AWS's, as captured in kinesalite's test suite
// (mhart/kinesalite test/*.js) unless a test says otherwise.

Value Obj(std::initializer_list<std::pair<const char*, Value>> members) {
  Value v = Value::MakeObject();
  for (const auto& [k, m] : members) v.Set(k, m);
  return v;
}

Value Arr(std::initializer_list<Value> elements) {
  Value v = Value::MakeArray();
  for (const Value& e : elements) v.Append(e);
  return v;
}

Value Str(std::string s) { return Value::String(std::move(s)); }

Status Validate(std::string_view operation, Value* input, WireFormat format = WireFormat::kJson) {
  const ServiceModel& model = ServiceModel::Kinesis();
  const OperationInfo* op = model.FindOperation(operation);
  EXPECT_NE(op, nullptr) << operation;
  if (op == nullptr) return Internal("no such operation");
  return model.ValidateInput(*op, input, format);
}

void ExpectValidation(std::string_view operation, Value input, const std::string& message) {
  const Status st = Validate(operation, &input);
  EXPECT_EQ(st.code(), ErrorCode::kValidation) << st.ToString();
  EXPECT_EQ(st.message(), message);
}

void ExpectSerialization(std::string_view operation, Value input, const std::string& message) {
  const Status st = Validate(operation, &input);
  EXPECT_EQ(st.code(), ErrorCode::kSerialization) << st.ToString();
  EXPECT_EQ(st.message(), message);
}

TEST(ServiceModelTest, KinesisModelLoads) {
  const ServiceModel& m = ServiceModel::Kinesis();
  EXPECT_EQ(m.target_prefix(), "Kinesis_20131202");
  EXPECT_EQ(m.endpoint_prefix(), "kinesis");
  EXPECT_EQ(m.operations().size(), 39u);
  const OperationInfo* op = m.FindOperation("PutRecord");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->name(), "PutRecord");
  EXPECT_EQ(op->input_shape(), "PutRecordInput");
  EXPECT_EQ(op->output_shape(), "PutRecordOutput");
  EXPECT_EQ(&ServiceModel::Kinesis(), &m);  // one instance
}

TEST(ServiceModelTest, UnknownOperationIsNull) {
  EXPECT_EQ(ServiceModel::Kinesis().FindOperation("PutRecordz"), nullptr);
  EXPECT_EQ(ServiceModel::Kinesis().FindOperation(""), nullptr);
  EXPECT_EQ(ServiceModel::Kinesis().FindOperation("putRecord"), nullptr);  // case-sensitive
}

TEST(ServiceModelTest, OnlySubscribeToShardHasAnEventStreamOutput) {
  for (const ServiceModel* m :
       {&ServiceModel::Kinesis(), &ServiceModel::Firehose(), &ServiceModel::KinesisAnalytics()}) {
    for (const OperationInfo& op : m->operations()) {
      EXPECT_EQ(op.event_stream_output(), op.name() == "SubscribeToShard") << op.name();
    }
  }
}

TEST(ServiceModelTest, InputMemberConstraintsAreTheModels) {
  const ServiceModel& model = ServiceModel::Kinesis();
  const OperationInfo& op = *model.FindOperation("PutRecords");
  // kinesis-2013-12-02.json: PutRecordsRequestEntryList, StreamName, Data,
  // PartitionKey, HashKey.
  auto records = model.InputMember(op, {"Records"});
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->min, 1.0);
  EXPECT_EQ(records->max, 500.0);
  EXPECT_TRUE(records->required);
  EXPECT_EQ(records->pattern, nullptr);
  auto name = model.InputMember(op, {"StreamName"});
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->max, 128.0);
  EXPECT_FALSE(name->required);
  ASSERT_NE(name->pattern, nullptr);
  EXPECT_EQ(name->pattern->source(), "[a-zA-Z0-9_.-]+");
  auto data = model.InputMember(op, {"Records", "Data"});  // through the list to its elements
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->min, 0.0);
  EXPECT_EQ(data->max, 10485760.0);
  EXPECT_TRUE(data->required);
  auto hash = model.InputMember(op, {"Records", "ExplicitHashKey"});
  ASSERT_TRUE(hash.has_value());
  EXPECT_FALSE(hash->min.has_value());
  EXPECT_FALSE(hash->max.has_value());
  EXPECT_FALSE(hash->required);
  ASSERT_NE(hash->pattern, nullptr);
  EXPECT_TRUE(hash->pattern->FullMatch("0"));
  EXPECT_FALSE(hash->pattern->FullMatch("01"));
  // Names that are not members, on either level.
  EXPECT_FALSE(model.InputMember(op, {"Record"}).has_value());
  EXPECT_FALSE(model.InputMember(op, {"Records", "data"}).has_value());
  EXPECT_FALSE(model.InputMember(op, {"StreamName", "x"}).has_value());
}

TEST(ServiceModelTest, FirehoseAndAnalyticsModelsLoad) {
  const ServiceModel& firehose = ServiceModel::Firehose();
  EXPECT_EQ(firehose.target_prefix(), "Firehose_20150804");
  EXPECT_EQ(firehose.operations().size(), 12u);
  EXPECT_NE(firehose.FindOperation("PutRecordBatch"), nullptr);
  const ServiceModel& analytics = ServiceModel::KinesisAnalytics();
  EXPECT_EQ(analytics.target_prefix(), "KinesisAnalytics_20150814");
  EXPECT_EQ(analytics.operations().size(), 20u);
  EXPECT_NE(analytics.FindOperation("CreateApplication"), nullptr);
  EXPECT_EQ(ServiceModel::ForTargetPrefix("Firehose_20150804"), &firehose);
  EXPECT_EQ(ServiceModel::ForTargetPrefix("Kinesis_20131202"), &ServiceModel::Kinesis());
  EXPECT_EQ(ServiceModel::ForTargetPrefix("DynamoDB_20120810"), nullptr);
}

TEST(ServiceModelTest, ValidRequestPassesAndIsNormalised) {
  Value in = Obj(
      {{"StreamName", Str("s1")}, {"ShardCount", Value::Double(3.7)}, {"Unknown", Str("ignored")}, {"Tags", Value()}});
  ASSERT_TRUE(Validate("CreateStream", &in).ok());
  EXPECT_EQ(in, Obj({{"ShardCount", Value::Int(3)}, {"StreamName", Str("s1")}}));
}

TEST(ServiceModelTest, InvalidStreamNamePattern) {
  ExpectValidation("CreateStream", Obj({{"StreamName", Str("x y")}, {"ShardCount", Value::Int(1)}}),
                   "1 validation error detected: Value 'x y' at 'streamName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

TEST(ServiceModelTest, MissingRequiredMember) {
  ExpectValidation("CreateStream", Obj({}),
                   "1 validation error detected: Value null at 'streamName' failed to satisfy "
                   "constraint: Member must not be null");
}

TEST(ServiceModelTest, NullInputIsAnEmptyObject) {
  Value in;
  const Status st = Validate("CreateStream", &in);
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value null at 'streamName' failed to satisfy "
            "constraint: Member must not be null");
}

TEST(ServiceModelTest, NullMemberIsAbsent) {
  ExpectValidation("GetRecords", Obj({{"ShardIterator", Value()}}),
                   "1 validation error detected: Value null at 'shardIterator' failed to satisfy "
                   "constraint: Member must not be null");
}

TEST(ServiceModelTest, TooLongStreamName) {
  const std::string name(129, 'a');
  ExpectValidation("CreateStream", Obj({{"StreamName", Str(name)}, {"ShardCount", Value::Int(1)}}),
                   "1 validation error detected: Value '" + name +
                       "' at 'streamName' failed to satisfy constraint: Member must have length "
                       "less than or equal to 128");
}

TEST(ServiceModelTest, EmptyStreamNameBreaksPatternThenLength) {
  // kinesalite test/createStream.js: pattern before length.
  ExpectValidation("CreateStream", Obj({{"StreamName", Str("")}, {"ShardCount", Value::Int(1)}}),
                   "2 validation errors detected: Value '' at 'streamName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
                   "Value '' at 'streamName' failed to satisfy constraint: Member must have length "
                   "greater than or equal to 1");
}

TEST(ServiceModelTest, ShardCountBelowMinimum) {
  ExpectValidation("CreateStream", Obj({{"StreamName", Str("s")}, {"ShardCount", Value::Int(0)}}),
                   "1 validation error detected: Value '0' at 'shardCount' failed to satisfy "
                   "constraint: Member must have value greater than or equal to 1");
}

TEST(ServiceModelTest, ValueAboveMaximum) {
  ExpectValidation("GetRecords", Obj({{"ShardIterator", Str("x")}, {"Limit", Value::Int(10001)}}),
                   "1 validation error detected: Value '10001' at 'limit' failed to satisfy "
                   "constraint: Member must have value less than or equal to 10000");
}

TEST(ServiceModelTest, IntegerIsCappedAtJavaIntMax) {
  ExpectValidation("GetRecords", Obj({{"ShardIterator", Str("x")}, {"Limit", Value::Int(int64_t{1} << 40)}}),
                   "1 validation error detected: Value '2147483647' at 'limit' failed to satisfy "
                   "constraint: Member must have value less than or equal to 10000");
}

TEST(ServiceModelTest, BadEnumListsValuesInAwsOrder) {
  // kinesalite test/getShardIterator.js, captured from AWS.
  ExpectValidation("GetShardIterator",
                   Obj({{"StreamName", Str("s")}, {"ShardId", Str("shardId-0")}, {"ShardIteratorType", Str("X")}}),
                   "1 validation error detected: Value 'X' at 'shardIteratorType' failed to satisfy "
                   "constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
                   "AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
}

TEST(ServiceModelTest, EnumWithoutObservedOrderUsesModelOrder) {
  ExpectValidation("CreateStream",
                   Obj({{"StreamName", Str("s")}, {"StreamModeDetails", Obj({{"StreamMode", Str("FAST")}})}}),
                   "1 validation error detected: Value 'FAST' at 'streamModeDetails.streamMode' failed "
                   "to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]");
}

TEST(ServiceModelTest, MultipleErrorsInMemberNameOrder) {
  // kinesalite test/getShardIterator.js: members in name order.
  ExpectValidation("GetShardIterator",
                   Obj({{"StreamName", Str("")},
                        {"ShardId", Str("")},
                        {"ShardIteratorType", Str("")},
                        {"StartingSequenceNumber", Str("")}}),
                   "6 validation errors detected: "
                   "Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular "
                   "expression pattern: [a-zA-Z0-9_.-]+; "
                   "Value '' at 'shardId' failed to satisfy constraint: Member must have length "
                   "greater than or equal to 1; "
                   "Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy "
                   "enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, "
                   "TRIM_HORIZON]; "
                   "Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must "
                   "satisfy regular expression pattern: 0|([1-9]\\d{0,128}); "
                   "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular "
                   "expression pattern: [a-zA-Z0-9_.-]+; "
                   "Value '' at 'streamName' failed to satisfy constraint: Member must have length "
                   "greater than or equal to 1");
}

TEST(ServiceModelTest, PutRecordsMissingEverything) {
  ExpectValidation("PutRecords", Obj({}),
                   "1 validation error detected: Value null at 'records' failed to satisfy "
                   "constraint: Member must not be null");
}

TEST(ServiceModelTest, PutRecordsEmptyList) {
  ExpectValidation("PutRecords", Obj({{"StreamName", Str("s")}, {"Records", Arr({})}}),
                   "1 validation error detected: Value '[]' at 'records' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 1");
}

TEST(ServiceModelTest, PutRecordsNestedPaths) {
  Value records =
      Arr({Obj({{"PartitionKey", Str("a")}, {"Data", Str("")}}),
           Obj({{"PartitionKey", Str(std::string(257, 'k'))}, {"Data", Str("AAAA")}, {"ExplicitHashKey", Str("")}}),
           Obj({{"Data", Str("")}})});
  ExpectValidation("PutRecords", Obj({{"StreamName", Str("s")}, {"Records", records}}),
                   "3 validation errors detected: "
                   "Value '' at 'records.2.member.explicitHashKey' failed to satisfy constraint: "
                   "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38}); "
                   "Value '" +
                       std::string(257, 'k') +
                       "' at 'records.2.member.partitionKey' failed "
                       "to satisfy constraint: Member must have length less than or equal to 256; "
                       "Value null at 'records.3.member.partitionKey' failed to satisfy constraint: "
                       "Member must not be null");
}

TEST(ServiceModelTest, OversizedBlobPrintsAsByteBuffer) {
  // The current model allows 10 MiB (10485760 bytes) of Data.
  Value in =
      Obj({{"StreamName", Str("s")}, {"PartitionKey", Str("a")}, {"Data", Value::Blob(std::string(10485761, 'x'))}});
  const Status st = Validate("PutRecord", &in, WireFormat::kCbor);
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 "
            "cap=10485761]' at 'data' failed to satisfy constraint: Member must have length less "
            "than or equal to 10485760");
}

TEST(ServiceModelTest, ListOfStructuresPrintsJavaObjects) {
  Value records = Value::MakeArray();
  for (int i = 0; i < 501; ++i) records.Append(Obj({{"PartitionKey", Str("a")}, {"Data", Str("")}}));
  Value in = Obj({{"StreamName", Str("s")}, {"Records", records}});
  const Status st = Validate("PutRecords", &in);
  const std::string prefix =
      "1 validation error detected: Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@";
  EXPECT_EQ(st.message().substr(0, prefix.size()), prefix);
  const std::string suffix =
      "]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500";
  ASSERT_GT(st.message().size(), suffix.size());
  EXPECT_EQ(st.message().substr(st.message().size() - suffix.size()), suffix);
}

TEST(ServiceModelTest, AtMostTenErrors) {
  // kinesalite test/putRecords.js: the list's own error, then nine elements.
  Value records = Value::MakeArray();
  for (int i = 0; i < 501; ++i) records.Append(Obj({{"PartitionKey", Str("")}, {"Data", Str("")}}));
  Value in = Obj({{"StreamName", Str("")}, {"Records", records}});
  const Status st = Validate("PutRecords", &in);
  ASSERT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_EQ(st.message().rfind("10 validation errors detected: Value '[com.amazonaws", 0), 0u);
  EXPECT_NE(st.message().find("Value '' at 'records.9.member.partitionKey' failed to satisfy "
                              "constraint: Member must have length greater than or equal to 1"),
            std::string::npos);
  EXPECT_EQ(st.message().find("records.10.member"), std::string::npos);
  EXPECT_EQ(st.message().find("streamName"), std::string::npos);
}

TEST(ServiceModelTest, ListOfStringsReportsElementConstraintsOnTheList) {
  // kinesalite test/removeTagsFromStream.js.
  const std::string name(129, 'a');
  ExpectValidation("RemoveTagsFromStream",
                   Obj({{"StreamName", Str("s")}, {"TagKeys", Arr({Str("a"), Str(name), Str("b")})}}),
                   "1 validation error detected: Value '[a, " + name +
                       ", b]' at 'tagKeys' failed to satisfy constraint: Member must satisfy "
                       "constraint: [Member must have length less than or equal to 128, Member "
                       "must have length greater than or equal to 1]");
}

TEST(ServiceModelTest, MapKeysAndValuesReportedOnTheMap) {
  // kinesalite test/addTagsToStream.js.
  const std::string key(129, 'a');
  ExpectValidation("AddTagsToStream",
                   Obj({{"StreamName", Str("s")}, {"Tags", Obj({{"a", Str("1")}, {key.c_str(), Str("3")}})}}),
                   "1 validation error detected: Value '{a=1, " + key +
                       "=3}' at 'tags' failed to satisfy constraint: Map keys must satisfy "
                       "constraint: [Member must have length less than or equal to 128, Member "
                       "must have length greater than or equal to 1]");
  const std::string value(257, 'v');
  ExpectValidation("AddTagsToStream", Obj({{"StreamName", Str("s")}, {"Tags", Obj({{"c", Str(value)}})}}),
                   "1 validation error detected: Value '{c=" + value +
                       "}' at 'tags' failed to satisfy constraint: Map value must satisfy "
                       "constraint: [Member must have length less than or equal to 256, Member "
                       "must have length greater than or equal to 0]");
  ExpectValidation("AddTagsToStream", Obj({{"StreamName", Str("s")}, {"Tags", Value::MakeObject()}}),
                   "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 1");
}

TEST(ServiceModelTest, LengthCountsUtf16CodeUnits) {
  // 128 x U+1F600 is 256 UTF-16 units: too long for a 128-unit name... but
  // PartitionKey allows 256 units, so 128 emoji fit and 129 do not.
  std::string key;
  for (int i = 0; i < 128; ++i) key += "\xF0\x9F\x98\x80";
  Value ok = Obj({{"StreamName", Str("s")}, {"PartitionKey", Str(key)}, {"Data", Str("")}});
  EXPECT_TRUE(Validate("PutRecord", &ok).ok());
  key += "\xF0\x9F\x98\x80";
  Value bad = Obj({{"StreamName", Str("s")}, {"PartitionKey", Str(key)}, {"Data", Str("")}});
  EXPECT_EQ(Validate("PutRecord", &bad).code(), ErrorCode::kValidation);
}

TEST(ServiceModelTest, Base64DataIsDecoded) {
  Value in = Obj({{"StreamName", Str("s")}, {"PartitionKey", Str("a")}, {"Data", Str("aGVsbG8=")}});
  ASSERT_TRUE(Validate("PutRecord", &in).ok());
  const Value* data = in.Find("Data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->is_blob());
  EXPECT_EQ(data->as_string(), "hello");
}

TEST(ServiceModelTest, Base64Errors) {
  // kinesalite test/helpers.js assertType 'Blob'.
  auto put = [](const char* data) {
    return Obj({{"StreamName", Str("s")}, {"PartitionKey", Str("a")}, {"Data", Str(data)}});
  };
  ExpectSerialization("PutRecord", put("23456"),
                      "'23456' can not be converted to a Blob: Base64 encoded length is expected a "
                      "multiple of 4 bytes but found: 5");
  ExpectSerialization("PutRecord", put("=+/="), "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='");
  ExpectSerialization("PutRecord", put("+/+="),
                      "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character "
                      "dectected");
}

TEST(ServiceModelTest, Base64ErrorInNestedRecord) {
  ExpectSerialization(
      "PutRecords",
      Obj({{"StreamName", Str("s")}, {"Records", Arr({Obj({{"PartitionKey", Str("a")}, {"Data", Str("23456")}})})}}),
      "'23456' can not be converted to a Blob: Base64 encoded length is expected a "
      "multiple of 4 bytes but found: 5");
}

TEST(ServiceModelTest, TypeMismatches) {
  // kinesalite test/helpers.js assertType.
  ExpectSerialization("CreateStream", Obj({{"StreamName", Str("s")}, {"ShardCount", Str("23")}}),
                      "class java.lang.String can not be converted to an Integer");
  ExpectSerialization("CreateStream", Obj({{"StreamName", Str("s")}, {"ShardCount", Value::Bool(true)}}),
                      "class java.lang.Boolean can not be converted to an Integer");
  ExpectSerialization("CreateStream", Obj({{"StreamName", Str("s")}, {"ShardCount", Arr({})}}),
                      "Start of list found where not expected");
  ExpectSerialization("CreateStream", Obj({{"StreamName", Str("s")}, {"ShardCount", Obj({})}}),
                      "Start of structure or map found where not expected.");
  ExpectSerialization("CreateStream", Obj({{"StreamName", Value::Bool(true)}}),
                      "class java.lang.Boolean can not be converted to an String");
  ExpectSerialization("CreateStream", Obj({{"StreamName", Value::Int(23)}}),
                      "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                      "converted to an String");
  ExpectSerialization("PutRecord", Obj({{"Data", Value::Bool(true)}}),
                      "class java.lang.Boolean can not be converted to a Blob");
  ExpectSerialization("PutRecords", Obj({{"Records", Str("23")}}), "Expected list or null");
  ExpectSerialization("PutRecords", Obj({{"Records", Obj({})}}), "Start of structure or map found where not expected.");
  ExpectSerialization("PutRecords", Obj({{"Records", Arr({Str("23")})}}), "Expected null");
  ExpectSerialization("AddTagsToStream", Obj({{"Tags", Value::Int(23)}}), "Expected map or null");
  ExpectSerialization("AddTagsToStream", Obj({{"Tags", Arr({})}}), "Start of list found where not expected");
  ExpectSerialization("GetShardIterator", Obj({{"Timestamp", Str("23")}}),
                      "class java.lang.String can not be converted to milliseconds since epoch");
}

TEST(ServiceModelTest, TypeChecksPrecedeConstraintChecks) {
  // A missing required member and a type error: the type error wins.
  ExpectSerialization("CreateStream", Obj({{"ShardCount", Str("1")}}),
                      "class java.lang.String can not be converted to an Integer");
}

TEST(ServiceModelTest, BooleanStrings) {
  Value del = Obj({{"StreamName", Str("s")}, {"EnforceConsumerDeletion", Str("yes")}});
  ASSERT_TRUE(Validate("DeleteStream", &del).ok());
  EXPECT_EQ(*del.Find("EnforceConsumerDeletion"), Value::Bool(true));
  ExpectSerialization("DeleteStream", Obj({{"StreamName", Str("s")}, {"EnforceConsumerDeletion", Str("hellowtf")}}),
                      "'HELLOWTF' can not be converted to an Boolean");
  ExpectSerialization("DeleteStream", Obj({{"StreamName", Str("s")}, {"EnforceConsumerDeletion", Value::Int(23)}}),
                      "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                      "converted to an Boolean");
}

TEST(ServiceModelTest, TimestampSecondsBecomeMilliseconds) {
  Value in = Obj({{"StreamName", Str("s")},
                  {"ShardId", Str("shardId-000000000000")},
                  {"ShardIteratorType", Str("AT_TIMESTAMP")},
                  {"Timestamp", Value::Double(1506440188.749)}});
  ASSERT_TRUE(Validate("GetShardIterator", &in).ok());
  EXPECT_EQ(*in.Find("Timestamp"), Value::TimestampMs(1506440188749));

  Value cbor = Obj({{"StreamName", Str("s")},
                    {"ShardId", Str("shardId-000000000000")},
                    {"ShardIteratorType", Str("AT_TIMESTAMP")},
                    {"Timestamp", Value::TimestampMs(1506440188749)}});
  ASSERT_TRUE(Validate("GetShardIterator", &cbor, WireFormat::kCbor).ok());
  EXPECT_EQ(*cbor.Find("Timestamp"), Value::TimestampMs(1506440188749));
}

TEST(ServiceModelTest, CborBlobAccepted) {
  Value in = Obj({{"StreamName", Str("s")}, {"PartitionKey", Str("a")}, {"Data", Value::Blob(std::string("\0\1", 2))}});
  ASSERT_TRUE(Validate("PutRecord", &in, WireFormat::kCbor).ok());
  EXPECT_EQ(in.Find("Data")->as_string(), std::string("\0\1", 2));
}

TEST(ServiceModelTest, StreamArnPattern) {
  ExpectValidation("DescribeStreamSummary", Obj({{"StreamARN", Str("arn:aws:kinesis:us-east-1:1:stream/s")}}),
                   "1 validation error detected: Value 'arn:aws:kinesis:us-east-1:1:stream/s' at "
                   "'streamARN' failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
  Value ok = Obj({{"StreamARN", Str("arn:aws:kinesis:us-east-1:123456789012:stream/s")}});
  EXPECT_TRUE(Validate("DescribeStreamSummary", &ok).ok());
}

TEST(ServiceModelTest, FirehoseValidation) {
  const ServiceModel& m = ServiceModel::Firehose();
  const OperationInfo* op = m.FindOperation("PutRecordBatch");
  ASSERT_NE(op, nullptr);
  Value in = Obj({{"DeliveryStreamName", Str("d")}, {"Records", Arr({Obj({{"Data", Str("aGk=")}})})}});
  ASSERT_TRUE(m.ValidateInput(*op, &in, WireFormat::kJson).ok());
  EXPECT_EQ(in.Find("Records")->as_array()[0].Find("Data")->as_string(), "hi");
  Value bad = Obj({{"Records", Arr({Obj({})})}});
  const Status st = m.ValidateInput(*op, &bad, WireFormat::kJson);
  EXPECT_EQ(st.message(),
            "2 validation errors detected: Value null at 'deliveryStreamName' failed to satisfy "
            "constraint: Member must not be null; Value null at 'records.1.member.data' failed to "
            "satisfy constraint: Member must not be null");
}

TEST(ServiceModelTest, NullListElementIsReported) {
  ExpectValidation("PutRecords", Obj({{"StreamName", Str("s")}, {"Records", Arr({Value()})}}),
                   "1 validation error detected: Value null at 'records.1.member' failed to satisfy "
                   "constraint: Member must not be null");
}

}  // namespace
}  // namespace spate::protocol
