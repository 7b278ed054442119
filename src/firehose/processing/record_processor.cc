#include "firehose/processing/record_processor.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <thread>

#include "firehose/processing/jq_query.h"
#include "firehose/processing/lambda_contract.h"
#include "firehose/processing/splitting.h"
#include "lambda/invoker.h"
#include "metrics/metric.h"
#include "util/base64.h"
#include "util/clock.h"

namespace spate::firehose::processing {
namespace {

using protocol::Value;

// AWS's bounds on the processors' parameters.
constexpr int kMaxNumberOfRetries = 300;
constexpr double kMinLambdaBufferMb = 0.2;
constexpr double kMaxLambdaBufferMb = 3;
constexpr int64_t kMinLambdaIntervalS = 60;
constexpr int64_t kMaxLambdaIntervalS = 900;
// The smallest buffer size AWS allows with dynamic partitioning.
constexpr int64_t kMinDynamicPartitioningBufferMb = 64;
constexpr uint64_t kBytesPerMb = 1u << 20;
constexpr uint32_t kMaxSubIndex = 999'999;  // RecordId's 6 digits

// errorCodes of failed records that are not the Lambda's (lambda_contract.h).
constexpr std::string_view kMetadataExtractionFailed = "DynamicPartitioning.MetadataExtractionFailed";
constexpr std::string_view kDecompressionFailed = "Decompression.Failed";
constexpr std::string_view kLogExtractionFailed = "CloudWatchLogProcessing.Failed";
constexpr std::string_view kDeAggregationFailed = "RecordDeAggregation.Failed";

bool Enabled(const Value* cfg) {
  if (cfg == nullptr || !cfg->is_object()) return false;
  const Value* e = cfg->Find("Enabled");
  return e != nullptr && e->is_bool() && e->as_bool();
}

// ParameterName -> ParameterValue of one processor; a name given twice is an error.
Result<std::map<std::string, std::string, std::less<>>> Parameters(const Value& p, std::string_view type) {
  std::map<std::string, std::string, std::less<>> out;
  const Value* params = p.Find("Parameters");
  if (params == nullptr || !params->is_array()) return out;
  for (const Value& kv : params->as_array()) {
    std::string name(kv.GetString("ParameterName"));
    std::string value(kv.GetString("ParameterValue"));
    if (!out.emplace(name, value).second) {
      return InvalidArgument("Processor " + std::string(type) + " has the parameter " + name + " more than once.");
    }
  }
  return out;
}

Status OnlyParameters(const std::map<std::string, std::string, std::less<>>& params, std::string_view type,
                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || name == a;
    if (!ok)
      return InvalidArgument("Parameter " + name + " is not supported for processor type " + std::string(type) + ".");
  }
  return Status::Ok();
}

Result<int64_t> IntParameter(std::string_view name, const std::string& v, int64_t lo, int64_t hi) {
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || end == nullptr || *end != '\0' || n < lo || n > hi) {
    return InvalidArgument("Parameter " + std::string(name) + " must be an integer between " + std::to_string(lo) +
                           " and " + std::to_string(hi) + ".");
  }
  return static_cast<int64_t>(n);
}

// The keys named by !{partitionKeyFrom<source>:key} in a prefix.
std::set<std::string> PrefixKeys(std::string_view prefix, std::string_view source) {
  std::set<std::string> keys;
  std::string open = "!{partitionKeyFrom" + std::string(source) + ":";
  for (size_t at = prefix.find(open); at != std::string_view::npos; at = prefix.find(open, at + 1)) {
    size_t close = prefix.find('}', at);
    if (close == std::string_view::npos) break;
    keys.emplace(prefix.substr(at + open.size(), close - at - open.size()));
  }
  return keys;
}

// The keys of a query that is one object construction ({a: .x, "b": .y, c}),
// or nullopt when its keys are not known without running it.
std::optional<std::set<std::string>> StaticQueryKeys(std::string_view q) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  q = trim(q);
  if (q.size() < 2 || q.front() != '{') return std::nullopt;
  std::set<std::string> keys;
  int depth = 0;
  bool in_string = false;
  size_t entry_start = 1;
  std::optional<size_t> colon;
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[' || c == '(') {
      ++depth;
    } else if (c == '}' || c == ']' || c == ')') {
      --depth;
      if (depth == 0) {
        if (i + 1 != q.size()) return std::nullopt;  // e.g. {...} | ...
      }
    }
    if (depth == 1 && c == ':' && !colon) colon = i;
    if ((depth == 1 && c == ',') || (depth == 0 && c == '}')) {
      std::string_view key = trim(q.substr(entry_start, (colon ? *colon : i) - entry_start));
      if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
      if (!key.empty() && key.front() == '$') key.remove_prefix(1);
      for (char k : key) {
        if (!(std::isalnum(static_cast<unsigned char>(k)) || k == '_' || k == '-')) return std::nullopt;
      }
      if (!key.empty()) keys.emplace(key);
      entry_start = i + 1;
      colon.reset();
    }
  }
  if (depth != 0) return std::nullopt;
  return keys;
}

std::string NewInvocationId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xffff),
                static_cast<unsigned long long>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

std::string RegionOfArn(std::string_view arn) {
  // arn:aws:firehose:<region>:<account>:deliverystream/<name>
  size_t n = 0, start = 0;
  for (size_t i = 0; i < arn.size(); ++i) {
    if (arn[i] != ':') continue;
    if (++n == 3) start = i + 1;
    if (n == 4) return std::string(arn.substr(start, i - start));
  }
  return "";
}

class RecordProcessor final : public Processor {
 public:
  RecordProcessor(ProcessingSpec spec, ProcessorEnv env, std::unique_ptr<JqQuery> jq)
      : spec_(std::move(spec)),
        env_(std::move(env)),
        jq_(std::move(jq)),
        clock_(env_.clock != nullptr ? env_.clock : util::SystemClock()),
        region_(RegionOfArn(env_.delivery_stream_arn)) {}

  Status Process(Batch* batch, const std::atomic<bool>* cancel) override {
    std::vector<BatchRecord> records = Split(batch);
    if (spec_.lambda) SPATE_TRY(RunLambda(&records, batch, cancel));
    if (jq_ != nullptr) ExtractKeys(&records, batch);
    uint64_t bytes = 0;
    for (BatchRecord& r : records) {
      if (spec_.append_delimiter) r.data += spec_.delimiter_to_append;
      bytes += r.data.size();
    }
    Add(env_.metrics.succeed_processing_records, records.size());
    Add(env_.metrics.succeed_processing_bytes, bytes);
    batch->records = std::move(records);
    return Status::Ok();
  }

 private:
  static void Add(const std::shared_ptr<metrics::Counter>& c, uint64_t n) {
    if (c != nullptr && n > 0) c->Add(n);
  }

  void Fail(Batch* batch, const BatchRecord& r, std::string_view code, std::string message, int attempts) {
    FailedRecord f;
    f.raw_data = r.data;
    f.arrival_ms = r.arrival_ms;
    f.offset = r.offset;
    f.sub_index = r.sub_index;
    f.attempts = attempts;
    f.attempt_ending_ms = clock_->NowMs();
    f.error_code = std::string(code);
    f.error_message = std::move(message);
    if (spec_.lambda && code.starts_with("Lambda.")) f.lambda_arn = spec_.lambda->arn;
    batch->processing_failed.push_back(std::move(f));
    Add(env_.metrics.failed_processing_records, 1);
  }

  // The splitting steps, each source record into its sub-records, numbered
  // 0, 1, ... per source record.
  std::vector<BatchRecord> Split(Batch* batch) {
    std::vector<BatchRecord> out;
    out.reserve(batch->records.size());
    std::vector<std::string> pieces, next;
    for (BatchRecord& src : batch->records) {
      pieces.clear();
      if (spec_.kpl_deaggregation) {
        pieces = KplDeaggregate(src.data);
      } else {
        pieces.push_back(std::move(src.data));
      }
      auto fail = [&](std::string piece, std::string_view code, const Status& why) {
        BatchRecord r;
        r.data = std::move(piece);
        r.arrival_ms = src.arrival_ms;
        r.offset = src.offset;
        Fail(batch, r, code, why.message(), 1);
      };
      auto step = [&](auto&& fn, std::string_view code) {
        next.clear();
        for (std::string& p : pieces) {
          Result<std::vector<std::string>> parts = fn(p);
          if (!parts.ok()) {
            fail(std::move(p), code, parts.status());
            continue;
          }
          for (std::string& part : *parts) next.push_back(std::move(part));
        }
        pieces.swap(next);
      };
      if (spec_.decompress) {
        step(
            [](const std::string& p) -> Result<std::vector<std::string>> {
              SPATE_ASSIGN_OR_RETURN(std::string plain, Gunzip(p));
              return std::vector<std::string>{std::move(plain)};
            },
            kDecompressionFailed);
      }
      if (spec_.extract_log_messages)
        step([](const std::string& p) { return ExtractLogMessages(p); }, kLogExtractionFailed);
      if (spec_.sub_records == SubRecordType::kJson) {
        step([](const std::string& p) { return SplitJsonObjects(p); }, kDeAggregationFailed);
      } else if (spec_.sub_records == SubRecordType::kDelimited) {
        const std::string& d = spec_.sub_record_delimiter;
        step([&d](const std::string& p) -> Result<std::vector<std::string>> { return SplitDelimited(p, d); },
             kDeAggregationFailed);
      }
      uint32_t sub = 0;
      for (std::string& p : pieces) {
        BatchRecord r;
        r.data = std::move(p);
        r.arrival_ms = src.arrival_ms;
        r.offset = src.offset;
        r.sub_index = std::min(sub++, kMaxSubIndex);
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  // Invokes the function over `records` in invocations of at most
  // BufferSizeInMBs of record data; keeps what comes back Ok.
  Status RunLambda(std::vector<BatchRecord>* records, Batch* batch, const std::atomic<bool>* cancel) {
    const LambdaStep& l = *spec_.lambda;
    std::vector<BatchRecord> kept;
    kept.reserve(records->size());
    size_t i = 0;
    while (i < records->size()) {
      size_t j = i;
      uint64_t bytes = 0;
      while (j < records->size() && (j == i || bytes + (*records)[j].data.size() <= l.buffer_bytes)) {
        bytes += (*records)[j].data.size();
        ++j;
      }
      SPATE_TRY(Invoke(records, i, j, batch, &kept, cancel));
      i = j;
    }
    records->swap(kept);
    return Status::Ok();
  }

  Status Invoke(std::vector<BatchRecord>* records, size_t begin, size_t end, Batch* batch,
                std::vector<BatchRecord>* kept, const std::atomic<bool>* cancel) {
    const LambdaStep& l = *spec_.lambda;
    std::vector<LambdaInput> inputs;
    inputs.reserve(end - begin);
    for (size_t k = begin; k < end; ++k) {
      const BatchRecord& r = (*records)[k];
      inputs.push_back({RecordId(r.offset.value(), r.sub_index), r.arrival_ms, r.data});
    }
    std::string code, message;
    int attempts = 0;
    for (; attempts <= l.retries;) {
      if (cancel != nullptr && cancel->load()) return Unavailable("processing cancelled");
      if (attempts > 0 && !Wait(LambdaRetryBackoffMs(attempts), cancel)) return Unavailable("processing cancelled");
      ++attempts;
      std::string event = BuildEvent(NewInvocationId(), env_.delivery_stream_arn, region_, inputs);
      auto t0 = std::chrono::steady_clock::now();
      lambda::Invocation inv = env_.invoker != nullptr
                                   ? env_.invoker->Invoke(l.arn, event, cancel)
                                   : lambda::Invocation{lambda::Outcome::kNotFound, "",
                                                        "Function not found: " + l.arn + " (no --lambda-map)"};
      if (env_.metrics.execute_processing_duration_us != nullptr) {
        env_.metrics.execute_processing_duration_us->Observe(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
      }
      if (inv.outcome == lambda::Outcome::kCancelled) return Unavailable("processing cancelled");
      if (inv.outcome == lambda::Outcome::kOk) {
        Result<std::vector<LambdaOutput>> outs = ParseResponse(inv.payload, inputs);
        if (outs.ok()) {
          Add(env_.metrics.execute_processing_success, 1);
          for (size_t k = 0; k < outs->size(); ++k) {
            LambdaOutput& o = (*outs)[k];
            BatchRecord& r = (*records)[begin + k];
            if (o.kind == LambdaOutput::Kind::kDropped) continue;
            if (o.kind == LambdaOutput::Kind::kFailed) {
              Fail(batch, r, o.error_code, std::move(o.error_message), attempts);
              continue;
            }
            r.data = std::move(o.data);
            r.keys_from_lambda = std::move(o.partition_keys);
            kept->push_back(std::move(r));
          }
          return Status::Ok();
        }
        code = kJsonProcessingException;
        message = outs.status().message();
      } else {
        code = inv.outcome == lambda::Outcome::kNotFound ? kResourceNotFound : kFunctionError;
        message = inv.message;
      }
      Add(env_.metrics.execute_processing_failure, 1);
    }
    for (size_t k = begin; k < end; ++k) Fail(batch, (*records)[k], code, message, attempts);
    return Status::Ok();
  }

  // The backoff before a Lambda retry (ProcessorEnv::wait).
  bool Wait(int64_t ms, const std::atomic<bool>* cancel) const {
    if (env_.wait) return env_.wait(ms, cancel);
    constexpr int64_t kSliceMs = 10;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (cancel != nullptr && cancel->load()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(kSliceMs));
    }
    return cancel == nullptr || !cancel->load();
  }

  void ExtractKeys(std::vector<BatchRecord>* records, Batch* batch) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<BatchRecord> kept;
    kept.reserve(records->size());
    for (BatchRecord& r : *records) {
      Result<JqQuery::Keys> keys = jq_->Extract(r.data);
      if (!keys.ok()) {
        Fail(batch, r, kMetadataExtractionFailed, keys.status().message(), 1);
        continue;
      }
      r.keys_from_query = std::move(*keys);
      kept.push_back(std::move(r));
    }
    records->swap(kept);
    if (env_.metrics.jq_processing_duration_us != nullptr) {
      env_.metrics.jq_processing_duration_us->Observe(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
    }
  }

  const ProcessingSpec spec_;
  const ProcessorEnv env_;
  std::unique_ptr<JqQuery> jq_;
  util::Clock* clock_;
  const std::string region_;
};

}  // namespace

Result<ProcessingSpec> ParseProcessingSpec(const Value& cfg) {
  ProcessingSpec spec;
  spec.dynamic_partitioning = Enabled(cfg.Find("DynamicPartitioningConfiguration"));
  const Value* pc = cfg.Find("ProcessingConfiguration");
  bool processing = Enabled(pc);
  bool metadata_extraction = false;
  if (processing) {
    const Value* processors = pc->Find("Processors");
    std::set<std::string, std::less<>> seen;
    if (processors != nullptr && processors->is_array()) {
      for (const Value& p : processors->as_array()) {
        std::string type(p.GetString("Type"));
        if (!seen.insert(type).second) {
          return InvalidArgument("Processor type " + type + " may be configured only once.");
        }
        SPATE_ASSIGN_OR_RETURN(auto params, Parameters(p, type));
        if (type == "Lambda") {
          SPATE_TRY(OnlyParameters(
              params, type, {"LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"}));
          LambdaStep l;
          auto arn = params.find("LambdaArn");
          if (arn == params.end() || arn->second.empty()) {
            return InvalidArgument("LambdaArn is required for processor type Lambda.");
          }
          l.arn = arn->second;
          if (auto it = params.find("NumberOfRetries"); it != params.end()) {
            SPATE_ASSIGN_OR_RETURN(int64_t n, IntParameter("NumberOfRetries", it->second, 0, kMaxNumberOfRetries));
            l.retries = static_cast<int>(n);
          }
          if (auto it = params.find("BufferSizeInMBs"); it != params.end()) {
            char* end = nullptr;
            double mb = std::strtod(it->second.c_str(), &end);
            if (it->second.empty() || *end != '\0' || !(mb >= kMinLambdaBufferMb && mb <= kMaxLambdaBufferMb)) {
              return InvalidArgument("Parameter BufferSizeInMBs must be a number between 0.2 and 3.");
            }
            l.buffer_bytes = static_cast<uint64_t>(mb * static_cast<double>(kBytesPerMb));
          }
          if (auto it = params.find("BufferIntervalInSeconds"); it != params.end()) {
            SPATE_ASSIGN_OR_RETURN(int64_t s, IntParameter("BufferIntervalInSeconds", it->second, kMinLambdaIntervalS,
                                                           kMaxLambdaIntervalS));
            l.buffer_interval_ms = s * 1000;
          }
          spec.lambda = std::move(l);
        } else if (type == "MetadataExtraction") {
          SPATE_TRY(OnlyParameters(params, type, {"MetadataExtractionQuery", "JsonParsingEngine"}));
          auto q = params.find("MetadataExtractionQuery");
          auto e = params.find("JsonParsingEngine");
          if (q == params.end() || q->second.empty() || e == params.end()) {
            return InvalidArgument(
                "MetadataExtractionQuery and JsonParsingEngine are required for processor type MetadataExtraction.");
          }
          if (e->second != kJsonParsingEngine) {
            return InvalidArgument("JsonParsingEngine " + e->second + " is not supported; use JQ-1.6.");
          }
          SPATE_ASSIGN_OR_RETURN(std::unique_ptr<JqQuery> compiled, JqQuery::Compile(q->second));
          spec.jq_query = q->second;
          metadata_extraction = true;
        } else if (type == "RecordDeAggregation") {
          SPATE_TRY(OnlyParameters(params, type, {"SubRecordType", "Delimiter"}));
          auto t = params.find("SubRecordType");
          if (t == params.end() || t->second == "JSON") {
            spec.sub_records = SubRecordType::kJson;
          } else if (t->second == "DELIMITED") {
            spec.sub_records = SubRecordType::kDelimited;
            auto d = params.find("Delimiter");
            std::string error;
            if (d == params.end() || !util::Base64Decode(d->second, &spec.sub_record_delimiter, &error) ||
                spec.sub_record_delimiter.empty()) {
              return InvalidArgument("A base64-encoded Delimiter is required for SubRecordType DELIMITED.");
            }
          } else {
            return InvalidArgument("SubRecordType must be JSON or DELIMITED.");
          }
        } else if (type == "AppendDelimiterToRecord") {
          SPATE_TRY(OnlyParameters(params, type, {"Delimiter"}));
          spec.append_delimiter = true;
          if (auto d = params.find("Delimiter"); d != params.end()) {
            std::string error;
            if (!util::Base64Decode(d->second, &spec.delimiter_to_append, &error) || spec.delimiter_to_append.empty()) {
              return InvalidArgument("Delimiter of AppendDelimiterToRecord must be base64-encoded.");
            }
          }
        } else if (type == "Decompression") {
          SPATE_TRY(OnlyParameters(params, type, {"CompressionFormat"}));
          auto f = params.find("CompressionFormat");
          if (f != params.end() && f->second != "GZIP") {
            return InvalidArgument("CompressionFormat of Decompression must be GZIP.");
          }
          spec.decompress = true;
        } else if (type == "CloudWatchLogProcessing") {
          SPATE_TRY(OnlyParameters(params, type, {"DataMessageExtraction"}));
          auto x = params.find("DataMessageExtraction");
          if (x != params.end() && x->second != "true" && x->second != "false") {
            return InvalidArgument("DataMessageExtraction must be true or false.");
          }
          spec.extract_log_messages = x != params.end() && x->second == "true";
          if (spec.extract_log_messages && !spec.decompress) {
            // CloudWatch Logs delivers GZIP; extraction reads the decompressed document.
            spec.decompress = true;
          }
        } else {
          return InvalidArgument("Processor type " + type + " is not supported.");
        }
      }
    }
  }
  if ((metadata_extraction || spec.sub_records != SubRecordType::kNone) && !spec.dynamic_partitioning) {
    return InvalidArgument(
        "MetadataExtraction and RecordDeAggregation processors are supported only when dynamic partitioning is "
        "enabled.");
  }
  std::string prefix(cfg.GetString("Prefix"));
  std::set<std::string> query_keys = PrefixKeys(prefix, "Query");
  std::set<std::string> lambda_keys = PrefixKeys(prefix, "Lambda");
  if (spec.dynamic_partitioning) {
    if (const Value* h = cfg.Find("BufferingHints"); h != nullptr && h->is_object()) {
      if (const Value* s = h->Find("SizeInMBs");
          s != nullptr && s->is_int() && s->as_int() < kMinDynamicPartitioningBufferMb) {
        return InvalidArgument("BufferingHints.SizeInMBs must be at least 64 when dynamic partitioning is enabled.");
      }
    }
    if (!query_keys.empty() && !metadata_extraction) {
      return InvalidArgument(
          "Prefix uses partitionKeyFromQuery, which needs a MetadataExtraction processor in ProcessingConfiguration.");
    }
    if (!lambda_keys.empty() && !spec.lambda) {
      return InvalidArgument(
          "Prefix uses partitionKeyFromLambda, which needs a Lambda processor in ProcessingConfiguration.");
    }
    if (metadata_extraction) {
      if (query_keys.empty()) {
        return InvalidArgument("A MetadataExtraction processor needs partitionKeyFromQuery expressions in Prefix.");
      }
      std::optional<std::set<std::string>> keys = StaticQueryKeys(spec.jq_query);
      if (keys && *keys != query_keys) {
        return InvalidArgument(
            "The number of partitionKeyFromQuery expressions in Prefix must match the keys of "
            "MetadataExtractionQuery (" +
            std::to_string(query_keys.size()) + " in Prefix, " + std::to_string(keys->size()) + " in the query).");
      }
    }
  }
  spec.kpl_deaggregation = processing || spec.dynamic_partitioning;
  return spec;
}

Status CheckProcessingUpdate(const Value& before, const Value& after) {
  bool was = Enabled(before.Find("DynamicPartitioningConfiguration"));
  bool is = Enabled(after.Find("DynamicPartitioningConfiguration"));
  if (was && !is) return InvalidArgument("Dynamic partitioning cannot be disabled once enabled.");
  if (!was && is)
    return InvalidArgument("Dynamic partitioning can be enabled only when the delivery stream is created.");
  return Status::Ok();
}

int64_t LambdaRetryBackoffMs(int retry) {
  int64_t ms = kLambdaRetryFirstBackoffMs;
  for (int i = 1; i < retry && ms < kLambdaRetryMaxBackoffMs; ++i) ms *= 2;
  return std::min(ms, kLambdaRetryMaxBackoffMs);
}

Result<std::unique_ptr<Processor>> NewRecordProcessor(ProcessingSpec spec, ProcessorEnv env) {
  if (!spec.Active()) return std::unique_ptr<Processor>();
  std::unique_ptr<JqQuery> jq;
  if (!spec.jq_query.empty()) {
    SPATE_ASSIGN_OR_RETURN(jq, JqQuery::Compile(spec.jq_query));
  }
  return std::unique_ptr<Processor>(new RecordProcessor(std::move(spec), std::move(env), std::move(jq)));
}

}  // namespace spate::firehose::processing
