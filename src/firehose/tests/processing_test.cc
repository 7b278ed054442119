// Record processing: the splitting processors, jq metadata extraction, the
// Lambda contract, the configuration checks and the whole pipeline driven
// through a real function (a python3 command through the Lambda invoker).

#include <gtest/gtest.h>
#include <zlib.h>

#include "firehose/object_keys.h"
#include "firehose/processing/jq_query.h"
#include "firehose/processing/lambda_contract.h"
#include "firehose/processing/partitions.h"
#include "firehose/processing/record_processor.h"
#include "firehose/processing/splitting.h"
#include "lambda/invoker.h"
#include "protocol/json_codec.h"
#include "spate/aggregation.h"
#include "util/base64.h"
#include "util/clock.h"

namespace spate::firehose::processing {
namespace {

using protocol::Value;

std::string Gzip(std::string_view plain) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, plain.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Value Json(std::string_view text) {
  auto v = protocol::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

// ---------------------------------------------------------------- splitting

TEST(Splitting, KplAggregateBecomesItsUserRecords) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("pk1", "one"));
  ASSERT_TRUE(agg.Add("pk2", "two"));
  EncodedRecord r = agg.Finish();
  EXPECT_EQ(KplDeaggregate(r.data), (std::vector<std::string>{"one", "two"}));
}

TEST(Splitting, PlainRecordStaysWhole) { EXPECT_EQ(KplDeaggregate("plain"), std::vector<std::string>{"plain"}); }

TEST(Splitting, KplWithBadMd5StaysWhole) {
  Aggregator agg;
  ASSERT_TRUE(agg.Add("pk1", "one"));
  ASSERT_TRUE(agg.Add("pk2", "two"));
  std::string data = agg.Finish().data;
  data.back() ^= 1;
  EXPECT_EQ(KplDeaggregate(data), std::vector<std::string>{data});
}

TEST(Splitting, ConcatenatedJsonObjects) {
  auto parts = SplitJsonObjects(R"({"a":1}{"a":"}{"}  {"b":[1,{"c":2}]})");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(*parts, (std::vector<std::string>{R"({"a":1})", R"({"a":"}{"})", R"({"b":[1,{"c":2}]})"}));
}

TEST(Splitting, NewlineSeparatedJsonObjects) {
  auto parts = SplitJsonObjects("{\"a\":1}\n{\"a\":\"x\\\"}\"}\r\n");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(*parts, (std::vector<std::string>{R"({"a":1})", R"({"a":"x\"}"})"}));
}

TEST(Splitting, JsonGarbageFails) {
  EXPECT_FALSE(SplitJsonObjects("{\"a\":1} x").ok());
  EXPECT_FALSE(SplitJsonObjects("[1,2]").ok());
  EXPECT_FALSE(SplitJsonObjects("{\"a\":1").ok());
  EXPECT_FALSE(SplitJsonObjects("   ").ok());
}

TEST(Splitting, Delimited) {
  EXPECT_EQ(SplitDelimited("a####b####", "####"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitDelimited("a##b", "####"), (std::vector<std::string>{"a##b"}));
  EXPECT_EQ(SplitDelimited("####a########b", "####"), (std::vector<std::string>{"a", "b"}));
}

TEST(Splitting, GunzipOneAndTwoMembers) {
  auto one = Gunzip(Gzip("hello"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, "hello");
  auto two = Gunzip(Gzip("hel") + Gzip("lo"));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, "hello");
  EXPECT_FALSE(Gunzip("hello").ok());
  std::string truncated = Gzip("hello world, hello world");
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(Gunzip(truncated).ok());
}

TEST(Splitting, CloudWatchLogsMessages) {
  auto msgs = ExtractLogMessages(
      R"({"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],
          "logEvents":[{"id":"1","timestamp":1,"message":"first"},{"id":"2","timestamp":2,"message":"second"}]})");
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(*msgs, (std::vector<std::string>{"first", "second"}));
  auto control = ExtractLogMessages(R"({"messageType":"CONTROL_MESSAGE","logEvents":[]})");
  ASSERT_TRUE(control.ok());
  EXPECT_TRUE(control->empty());
  EXPECT_FALSE(ExtractLogMessages("not json").ok());
}

// ---------------------------------------------------------------- jq

TEST(Jq, ExtractsStringAndNumberKeys) {
  auto q = JqQuery::Compile("{customer_id: .customer_id, n: .n, f: .f, dev: .device.kind}");
  ASSERT_TRUE(q.ok()) << q.status().message();
  auto keys = (*q)->Extract(R"({"customer_id":"c1","n":42,"f":1.5,"device":{"kind":"mobile"}})");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (JqQuery::Keys{{"customer_id", "c1"}, {"n", "42"}, {"f", "1.5"}, {"dev", "mobile"}}));
}

TEST(Jq, StrftimeAsAwsDocumentsIt) {
  auto q = JqQuery::Compile(R"({year: .ts | strftime("%Y"), hm: .ts | strftime("%H:%M")})");
  ASSERT_TRUE(q.ok());
  auto keys = (*q)->Extract(R"({"ts": 1535365800})");  // 2018-08-27T10:30:00Z
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (JqQuery::Keys{{"year", "2018"}, {"hm", "10:30"}}));
}

TEST(Jq, ReusedAcrossRecords) {
  auto q = JqQuery::Compile("{k: .k}");
  ASSERT_TRUE(q.ok());
  for (int i = 0; i < 100; ++i) {
    auto keys = (*q)->Extract("{\"k\":\"v" + std::to_string(i) + "\"}");
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->at("k"), "v" + std::to_string(i));
  }
}

TEST(Jq, Failures) {
  auto q = JqQuery::Compile("{k: .k}");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)->Extract("not json").status().message(), "Non JSON record provided");
  EXPECT_EQ((*q)->Extract(R"({"x":1})").status().message(), "partitionKeys values must not be null or empty");
  EXPECT_EQ((*q)->Extract(R"({"k":""})").status().message(), "partitionKeys values must not be null or empty");
  EXPECT_FALSE((*q)->Extract(R"({"k":[1]})").ok());
  auto arr = JqQuery::Compile(".k");
  ASSERT_TRUE(arr.ok());
  EXPECT_FALSE((*arr)->Extract(R"({"k":"v"})").ok());  // not an object
  auto err = JqQuery::Compile("{k: (.k | error(\"boom\"))}");
  ASSERT_TRUE(err.ok());
  auto r = (*err)->Extract(R"({"k":"v"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
  auto empty = JqQuery::Compile("empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE((*empty)->Extract("{}").ok());
}

TEST(Jq, CompileErrorNamesTheProblem) {
  auto q = JqQuery::Compile("{k: .k");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("not a valid JQ-1.6 query"), std::string::npos);
}

// ---------------------------------------------------------------- Lambda contract

TEST(LambdaContract, RecordIdsAreStableAndOrdered) {
  EXPECT_EQ(RecordId(7, 2), "00000000000000000007000002");
  EXPECT_LT(RecordId(7, 2), RecordId(7, 3));
  EXPECT_LT(RecordId(7, 999), RecordId(8, 0));
}

TEST(LambdaContract, EventIsTheExactJson) {
  std::vector<LambdaInput> in = {{"id1", 1578090901599, "hi"}, {"id2", 5, std::string_view("\0\xff", 2)}};
  EXPECT_EQ(BuildEvent("inv", "arn:aws:firehose:us-east-1:1:deliverystream/s", "us-east-1", in),
            R"({"invocationId":"inv","deliveryStreamArn":"arn:aws:firehose:us-east-1:1:deliverystream/s",)"
            R"("region":"us-east-1","records":[{"recordId":"id1","approximateArrivalTimestamp":1578090901599,)"
            R"("data":"aGk="},{"recordId":"id2","approximateArrivalTimestamp":5,"data":"AP8="}]})");
}

TEST(LambdaContract, ResultsPerRecord) {
  std::vector<LambdaInput> in = {{"a", 1, "x"}, {"b", 1, "x"}, {"c", 1, "x"},
                                 {"d", 1, "x"}, {"e", 1, "x"}, {"f", 1, "x"}};
  auto out = ParseResponse(R"({"records":[
      {"recordId":"a","result":"Ok","data":"eWVz","metadata":{"partitionKeys":{"k":"v","n":3}}},
      {"recordId":"b","result":"Dropped"},
      {"recordId":"c","result":"ProcessingFailed","data":""},
      {"recordId":"d","result":"Ok","data":"eA=="},{"recordId":"d","result":"Ok","data":"eA=="},
      {"recordId":"e","result":"Maybe","data":"eA=="},
      {"recordId":"zz","result":"Ok","data":"eA=="}]})",
                           in);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 6u);
  EXPECT_EQ((*out)[0].kind, LambdaOutput::Kind::kOk);
  EXPECT_EQ((*out)[0].data, "yes");
  EXPECT_EQ((*out)[0].partition_keys, (std::map<std::string, std::string, std::less<>>{{"k", "v"}, {"n", "3"}}));
  EXPECT_EQ((*out)[1].kind, LambdaOutput::Kind::kDropped);
  EXPECT_EQ((*out)[2].error_code, kProcessingFailedStatus);
  EXPECT_EQ((*out)[2].error_message, "ProcessingFailed status set for record");
  EXPECT_EQ((*out)[3].error_code, kDuplicatedRecordId);
  EXPECT_EQ((*out)[4].error_code, kJsonProcessingException);
  EXPECT_EQ((*out)[5].error_code, kMissingRecordId);
  EXPECT_EQ((*out)[5].error_message,
            "One or more record Ids were not returned. Ensure that the Lambda function returns all received record "
            "Ids.");
}

TEST(LambdaContract, OkNeedsBase64Data) {
  std::vector<LambdaInput> in = {{"a", 1, "x"}, {"b", 1, "x"}};
  auto out =
      ParseResponse(R"({"records":[{"recordId":"a","result":"Ok"},{"recordId":"b","result":"Ok","data":"!!"}]})", in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].error_code, kJsonProcessingException);
  EXPECT_EQ((*out)[1].error_code, kJsonProcessingException);
}

TEST(LambdaContract, InvalidResponsesFailTheInvocation) {
  std::vector<LambdaInput> in = {{"a", 1, "x"}};
  EXPECT_FALSE(ParseResponse("not json", in).ok());
  EXPECT_FALSE(ParseResponse("[]", in).ok());
  EXPECT_FALSE(ParseResponse(R"({"records":{}})", in).ok());
}

// ---------------------------------------------------------------- configuration

Value DpConfig(std::string_view prefix, std::string_view processors, int size_mb = 64) {
  return Json(R"({"RoleARN":"arn:aws:iam::1:role/r","BucketARN":"arn:aws:s3:::b","Prefix":")" + std::string(prefix) +
              R"(","ErrorOutputPrefix":"err/!{firehose:error-output-type}/",)"
              R"("BufferingHints":{"SizeInMBs":)" +
              std::to_string(size_mb) +
              R"(,"IntervalInSeconds":60},)"
              R"("DynamicPartitioningConfiguration":{"Enabled":true},)"
              R"("ProcessingConfiguration":{"Enabled":true,"Processors":)" +
              std::string(processors) + "}}");
}

constexpr char kJqProcessor[] =
    R"([{"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{customer_id:.customer_id}"},)"
    R"({"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]},{"Type":"AppendDelimiterToRecord","Parameters":[]}])";

TEST(Spec, TheReferenceDynamicPartitioningConfig) {
  auto spec = ParseProcessingSpec(DpConfig("customer_id=!{partitionKeyFromQuery:customer_id}/", kJqProcessor));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_TRUE(spec->dynamic_partitioning);
  EXPECT_TRUE(spec->kpl_deaggregation);
  EXPECT_EQ(spec->jq_query, "{customer_id:.customer_id}");
  EXPECT_TRUE(spec->append_delimiter);
  EXPECT_EQ(spec->delimiter_to_append, "\n");
}

TEST(Spec, NothingConfiguredIsInactive) {
  auto spec = ParseProcessingSpec(Json(R"({"BucketARN":"arn:aws:s3:::b"})"));
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->Active());
  auto disabled = ParseProcessingSpec(
      Json(R"({"ProcessingConfiguration":{"Enabled":false,"Processors":[{"Type":"Lambda","Parameters":[]}]}})"));
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->Active());
}

TEST(Spec, LambdaParameters) {
  auto spec = ParseProcessingSpec(Json(R"({"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda",
      "Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:1:function:f"},
                    {"ParameterName":"NumberOfRetries","ParameterValue":"5"},
                    {"ParameterName":"BufferSizeInMBs","ParameterValue":"0.5"},
                    {"ParameterName":"BufferIntervalInSeconds","ParameterValue":"120"}]}]}})"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_TRUE(spec->lambda);
  EXPECT_EQ(spec->lambda->arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(spec->lambda->retries, 5);
  EXPECT_EQ(spec->lambda->buffer_bytes, 512u * 1024);
  EXPECT_EQ(spec->lambda->buffer_interval_ms, 120'000);
  EXPECT_FALSE(spec->dynamic_partitioning);
}

TEST(Spec, Refusals) {
  auto refused = [](std::string_view cfg) {
    auto s = ParseProcessingSpec(Json(cfg));
    return !s.ok() && s.status().code() == ErrorCode::kInvalidArgument;
  };
  auto lambda = [](std::string_view params) {
    return R"({"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":)" +
           std::string(params) + "}]}}";
  };
  EXPECT_TRUE(refused(lambda("[]")));  // no LambdaArn
  EXPECT_TRUE(refused(lambda(
      R"([{"ParameterName":"LambdaArn","ParameterValue":"f"},{"ParameterName":"NumberOfRetries","ParameterValue":"301"}])")));
  EXPECT_TRUE(refused(lambda(
      R"([{"ParameterName":"LambdaArn","ParameterValue":"f"},{"ParameterName":"BufferSizeInMBs","ParameterValue":"4"}])")));
  EXPECT_TRUE(refused(lambda(
      R"([{"ParameterName":"LambdaArn","ParameterValue":"f"},{"ParameterName":"BufferIntervalInSeconds","ParameterValue":"30"}])")));
  EXPECT_TRUE(refused(lambda(
      R"([{"ParameterName":"LambdaArn","ParameterValue":"f"},{"ParameterName":"MetadataExtractionQuery","ParameterValue":"."}])")));
  EXPECT_TRUE(refused(
      R"({"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"f"}]},{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"g"}]}]}})"));
  // MetadataExtraction without dynamic partitioning.
  EXPECT_TRUE(refused(
      R"({"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{a:.a}"},{"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]}]}})"));
}

TEST(Spec, DynamicPartitioningRules) {
  const std::string prefix = "customer_id=!{partitionKeyFromQuery:customer_id}/";
  EXPECT_FALSE(ParseProcessingSpec(DpConfig(prefix, kJqProcessor, 5)).ok());  // buffer under 64 MiB
  EXPECT_FALSE(ParseProcessingSpec(DpConfig("static/", kJqProcessor)).ok());  // no key in Prefix
  // Two keys in the prefix, one in the query.
  EXPECT_FALSE(ParseProcessingSpec(DpConfig(prefix + "d=!{partitionKeyFromQuery:device}/", kJqProcessor)).ok());
  // partitionKeyFromQuery without MetadataExtraction.
  EXPECT_FALSE(ParseProcessingSpec(DpConfig(prefix, R"([{"Type":"AppendDelimiterToRecord","Parameters":[]}])")).ok());
  // partitionKeyFromLambda without Lambda.
  EXPECT_FALSE(ParseProcessingSpec(DpConfig("t=!{partitionKeyFromLambda:t}/", "[]")).ok());
  // A query that does not compile, and an engine that is not JQ-1.6.
  EXPECT_FALSE(
      ParseProcessingSpec(
          DpConfig(
              prefix,
              R"([{"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{customer_id:"},{"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]}])"))
          .ok());
  EXPECT_FALSE(
      ParseProcessingSpec(
          DpConfig(
              prefix,
              R"([{"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{customer_id:.c}"},{"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.5"}]}])"))
          .ok());
  // Keys the query computes are not checked statically.
  EXPECT_TRUE(
      ParseProcessingSpec(
          DpConfig(
              prefix,
              R"([{"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{customer_id:.c} | . + {}"},{"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]}])"))
          .ok());
}

TEST(Spec, DynamicPartitioningIsFixedAtCreation) {
  Value on = Json(R"({"DynamicPartitioningConfiguration":{"Enabled":true}})");
  Value off = Json(R"({})");
  EXPECT_TRUE(CheckProcessingUpdate(on, on).ok());
  EXPECT_TRUE(CheckProcessingUpdate(off, off).ok());
  EXPECT_FALSE(CheckProcessingUpdate(on, off).ok());
  EXPECT_FALSE(CheckProcessingUpdate(off, on).ok());
}

// ---------------------------------------------------------------- the pipeline

// A transformation function as a command: drops records whose data is
// "drop", fails "fail", omits "omit" from its answer, and upper-cases the
// rest, keyed by their first letter.
constexpr char kTransform[] = R"(
import base64, json, sys
event = json.load(sys.stdin)
out = []
for r in event["records"]:
    d = base64.b64decode(r["data"]).decode()
    if d == "omit":
        continue
    if d == "drop":
        out.append({"recordId": r["recordId"], "result": "Dropped"})
    elif d == "fail":
        out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
    else:
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(d.upper().encode()).decode(),
                    "metadata": {"partitionKeys": {"first": d[0]}}})
json.dump({"records": out}, sys.stdout)
)";

Batch SourceBatch(const std::vector<std::string>& data) {
  Batch b;
  uint64_t o = 100;
  for (const std::string& d : data) {
    BatchRecord r;
    r.data = d;
    r.arrival_ms = 1535365800000;
    r.offset = storage::Offset(o++);
    b.records.push_back(std::move(r));
  }
  return b;
}

std::unique_ptr<lambda::Invoker> TransformCommand(const std::string& name, const std::string& script) {
  lambda::FunctionMap m;
  m.functions[name].command = {"/usr/bin/python3", "-c", script};
  return lambda::NewInvoker(std::move(m));
}

ProcessingSpec LambdaSpec(const std::string& arn, int retries = 3) {
  ProcessingSpec spec;
  spec.kpl_deaggregation = true;
  spec.lambda = LambdaStep{};
  spec.lambda->arn = arn;
  spec.lambda->retries = retries;
  return spec;
}

TEST(Pipeline, LambdaDropsFailsRewritesAndKeys) {
  auto invoker = TransformCommand("transform", kTransform);
  util::ManualClock clock(1535365900000);
  ProcessorEnv env;
  env.delivery_stream_arn = "arn:aws:firehose:us-east-1:000000000000:deliverystream/s";
  env.invoker = invoker.get();
  env.clock = &clock;
  auto p = NewRecordProcessor(LambdaSpec("arn:aws:lambda:us-east-1:000000000000:function:transform"), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"keep", "drop", "fail", "omit", "also"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  ASSERT_EQ(b.records.size(), 2u);
  EXPECT_EQ(b.records[0].data, "KEEP");
  EXPECT_EQ(b.records[0].offset, storage::Offset(100));
  EXPECT_EQ(b.records[0].keys_from_lambda.at("first"), "k");
  EXPECT_EQ(b.records[1].data, "ALSO");
  ASSERT_EQ(b.processing_failed.size(), 2u);
  EXPECT_EQ(b.processing_failed[0].error_code, "Lambda.ProcessingFailedStatus");
  EXPECT_EQ(b.processing_failed[0].raw_data, "fail");
  EXPECT_EQ(b.processing_failed[0].attempts, 1);
  EXPECT_EQ(b.processing_failed[0].attempt_ending_ms, 1535365900000);
  EXPECT_EQ(b.processing_failed[0].lambda_arn, "arn:aws:lambda:us-east-1:000000000000:function:transform");
  EXPECT_EQ(b.processing_failed[1].error_code, "Lambda.MissingRecordId");
  EXPECT_EQ(b.processing_failed[1].raw_data, "omit");
}

TEST(Pipeline, InvocationsAreSplitByBufferSize) {
  // Counts the records of each invocation into the data.
  auto invoker = TransformCommand("count", R"(
import base64, json, sys
event = json.load(sys.stdin)
n = len(event["records"])
json.dump({"records": [{"recordId": r["recordId"], "result": "Ok",
                        "data": base64.b64encode(str(n).encode()).decode()} for r in event["records"]]}, sys.stdout)
)");
  ProcessingSpec spec = LambdaSpec("count");
  spec.lambda->buffer_bytes = 10;
  ProcessorEnv env;
  env.invoker = invoker.get();
  auto p = NewRecordProcessor(spec, env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"aaaa", "bbbb", "cccc", "dddddddddddddd", "e"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  std::vector<std::string> got;
  for (const BatchRecord& r : b.records) got.push_back(r.data);
  EXPECT_EQ(got, (std::vector<std::string>{"2", "2", "1", "1", "1"}));
}

TEST(Pipeline, FailingFunctionIsRetriedWithBackoffThenItsRecordsFail) {
  auto invoker = TransformCommand("bad", "import sys; sys.stderr.write('kaput'); sys.exit(1)");
  ProcessorEnv env;
  env.invoker = invoker.get();
  std::vector<int64_t> waits;
  env.wait = [&](int64_t ms, const std::atomic<bool>*) {
    waits.push_back(ms);
    return true;
  };
  auto p = NewRecordProcessor(LambdaSpec("bad", 2), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"a", "b"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  EXPECT_TRUE(b.records.empty());
  ASSERT_EQ(b.processing_failed.size(), 2u);
  EXPECT_EQ(b.processing_failed[0].error_code, "Lambda.FunctionError");
  EXPECT_EQ(b.processing_failed[0].attempts, 3);  // the first and NumberOfRetries 2
  EXPECT_NE(b.processing_failed[0].error_message.find("kaput"), std::string::npos);
  // A wait before each retry, none before the first attempt or after the last.
  EXPECT_EQ(waits, (std::vector<int64_t>{200, 400}));
}

TEST(Pipeline, LambdaRetryBackoffDoublesUpToItsCap) {
  EXPECT_EQ(LambdaRetryBackoffMs(1), kLambdaRetryFirstBackoffMs);
  EXPECT_EQ(LambdaRetryBackoffMs(2), 2 * kLambdaRetryFirstBackoffMs);
  EXPECT_EQ(LambdaRetryBackoffMs(6), 32 * kLambdaRetryFirstBackoffMs);
  EXPECT_EQ(LambdaRetryBackoffMs(7), kLambdaRetryMaxBackoffMs);
  EXPECT_EQ(LambdaRetryBackoffMs(300), kLambdaRetryMaxBackoffMs);
}

TEST(Pipeline, ACancelDuringTheBackoffEndsTheProcessing) {
  auto invoker = TransformCommand("bad", "import sys; sys.exit(1)");
  std::atomic<bool> cancel{false};
  ProcessorEnv env;
  env.invoker = invoker.get();
  int waits_seen = 0;
  env.wait = [&](int64_t, const std::atomic<bool>* c) {
    ++waits_seen;
    cancel.store(true);  // spated stops while the processor waits
    return c == nullptr || !c->load();
  };
  auto p = NewRecordProcessor(LambdaSpec("bad", 3), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"a"});
  EXPECT_FALSE((*p)->Process(&b, &cancel).ok());  // replayed at the next start, not failed
  EXPECT_EQ(waits_seen, 1);
  EXPECT_TRUE(b.processing_failed.empty());
}

TEST(Pipeline, InvalidJsonResponseIsJsonProcessingException) {
  auto invoker = TransformCommand("garbage", "print('this is not json')");
  ProcessorEnv env;
  env.invoker = invoker.get();
  auto p = NewRecordProcessor(LambdaSpec("garbage", 0), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"a"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  ASSERT_EQ(b.processing_failed.size(), 1u);
  EXPECT_EQ(b.processing_failed[0].error_code, "Lambda.JsonProcessingException");
  EXPECT_EQ(b.processing_failed[0].attempts, 1);
}

TEST(Pipeline, UnmappedFunctionFailsItsRecords) {
  auto invoker = lambda::NewInvoker({});
  ProcessorEnv env;
  env.invoker = invoker.get();
  auto p = NewRecordProcessor(LambdaSpec("nowhere", 0), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"a"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  ASSERT_EQ(b.processing_failed.size(), 1u);
  EXPECT_EQ(b.processing_failed[0].error_code, "Lambda.ResourceNotFound");
}

TEST(Pipeline, CancelledProcessingIsAnError) {
  auto invoker = TransformCommand("t", kTransform);
  ProcessorEnv env;
  env.invoker = invoker.get();
  auto p = NewRecordProcessor(LambdaSpec("t"), env);
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({"a"});
  std::atomic<bool> cancel{true};
  EXPECT_FALSE((*p)->Process(&b, &cancel).ok());
}

TEST(Pipeline, KplJsonDeaggregationJqAndDelimiter) {
  auto spec = ParseProcessingSpec(DpConfig(
      "c=!{partitionKeyFromQuery:c}/",
      R"([{"Type":"RecordDeAggregation","Parameters":[{"ParameterName":"SubRecordType","ParameterValue":"JSON"}]},)"
      R"({"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{c:.c}"},)"
      R"({"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]},{"Type":"AppendDelimiterToRecord","Parameters":[]}])"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  auto p = NewRecordProcessor(*spec, ProcessorEnv{});
  ASSERT_TRUE(p.ok());
  Aggregator agg;
  ASSERT_TRUE(agg.Add("pk", R"({"c":"x","i":1}{"c":"y","i":2})"));
  ASSERT_TRUE(agg.Add("pk", R"({"i":3})"));
  Batch b = SourceBatch({agg.Finish().data, "{\"c\":7}\n{\"c\":8}\n", "not json"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  ASSERT_EQ(b.records.size(), 4u);
  EXPECT_EQ(b.records[0].data, "{\"c\":\"x\",\"i\":1}\n");
  EXPECT_EQ(b.records[0].keys_from_query.at("c"), "x");
  EXPECT_EQ(b.records[0].sub_index, 0u);
  EXPECT_EQ(b.records[1].keys_from_query.at("c"), "y");
  EXPECT_EQ(b.records[1].sub_index, 1u);
  EXPECT_EQ(b.records[2].data, "{\"c\":7}\n");
  EXPECT_EQ(b.records[2].keys_from_query.at("c"), "7");
  EXPECT_EQ(b.records[2].offset, storage::Offset(101));
  EXPECT_EQ(b.records[3].keys_from_query.at("c"), "8");
  ASSERT_EQ(b.processing_failed.size(), 2u);
  // Failures in the order of the steps: de-aggregation first, then jq.
  EXPECT_EQ(b.processing_failed[0].error_code, "RecordDeAggregation.Failed");  // "not json"
  EXPECT_EQ(b.processing_failed[0].raw_data, "not json");
  EXPECT_EQ(b.processing_failed[0].offset, storage::Offset(102));
  EXPECT_EQ(b.processing_failed[0].lambda_arn, "");
  EXPECT_EQ(b.processing_failed[1].error_code, "DynamicPartitioning.MetadataExtractionFailed");  // {"i":3}: no c
  EXPECT_EQ(b.processing_failed[1].raw_data, R"({"i":3})");
  EXPECT_EQ(b.processing_failed[1].error_message, "partitionKeys values must not be null or empty");
}

TEST(Pipeline, CloudWatchLogsDecompressionAndExtraction) {
  ProcessingSpec spec;
  spec.kpl_deaggregation = true;
  spec.decompress = true;
  spec.extract_log_messages = true;
  spec.append_delimiter = true;
  auto p = NewRecordProcessor(spec, ProcessorEnv{});
  ASSERT_TRUE(p.ok());
  Batch b = SourceBatch({Gzip(R"({"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"m1"},)"
                              R"({"id":"2","timestamp":2,"message":"m2"}]})"),
                         "plain"});
  ASSERT_TRUE((*p)->Process(&b, nullptr).ok());
  ASSERT_EQ(b.records.size(), 2u);
  EXPECT_EQ(b.records[0].data, "m1\n");
  EXPECT_EQ(b.records[1].data, "m2\n");
  ASSERT_EQ(b.processing_failed.size(), 1u);
  EXPECT_EQ(b.processing_failed[0].error_code, "Decompression.Failed");
}

// ---------------------------------------------------------------- prefixes and partitions

TEST(Partitions, PrefixExpansionWithQueryAndLambdaKeys) {
  auto q = JqQuery::Compile(R"({customer_id: .customer_id, device: .device})");
  ASSERT_TRUE(q.ok());
  auto keys = (*q)->Extract(R"({"customer_id":"1234567890","device":"mobile"})");
  ASSERT_TRUE(keys.ok());
  KeyContext ctx;
  ctx.epoch_ms = 1565380800000;  // 2019-08-09T20:00:00Z
  ctx.partition_keys_from_query = *keys;
  ctx.partition_keys_from_lambda = {{"tenant", "t1"}};
  auto prefix = EvaluatePrefix(
      "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
      "tenant=!{partitionKeyFromLambda:tenant}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
      "hour=!{timestamp:HH}/",
      ctx);
  ASSERT_TRUE(prefix.ok()) << prefix.status().message();
  EXPECT_EQ(*prefix, "customer_id=1234567890/device=mobile/tenant=t1/year=2019/month=08/day=09/hour=20/");
  ctx.partition_keys_from_query.erase("device");
  EXPECT_FALSE(EvaluatePrefix("d=!{partitionKeyFromQuery:device}/", ctx).ok());
}

TEST(Partitions, GroupsByPrefixUpToTheCap) {
  Partitions p = GroupByPrefix({"a/", "b/", "a/", "c/", "b/", "d/"}, 2);
  EXPECT_EQ(p.prefixes, (std::vector<std::string>{"a/", "b/"}));
  EXPECT_EQ(p.records, (std::vector<std::vector<size_t>>{{0, 2}, {1, 4}}));
  EXPECT_EQ(p.overflow, (std::vector<size_t>{3, 5}));
  Partitions all = GroupByPrefix({"x", "y"});
  EXPECT_TRUE(all.overflow.empty());
  EXPECT_EQ(kMaxActivePartitions, 500u);
}

}  // namespace
}  // namespace spate::firehose::processing
