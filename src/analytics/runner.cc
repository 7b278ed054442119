#include "analytics/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iterator>
#include <random>
#include <thread>
#include <vector>

#include "analytics/engine.h"
#include "analytics/lambda_contract.h"
#include "analytics/local_objects.h"
#include "analytics/record_mapping.h"
#include "base/log.h"
#include "protocol/json_codec.h"
#include "util/json_split.h"

namespace spate::analytics {
namespace {

// Time advances (tumbling and stagger windows close) once a second.
constexpr int64_t kAdvanceEveryMs = 1000;
// PutRecords' and PutRecordBatch's most records per call, also the most
// rows handed to a Lambda output per invocation.
constexpr size_t kMaxRecordsPerPut = 500;
// The most record data in one Lambda invocation: its payload (base64, which
// adds a third, plus the envelope) stays under Lambda's 6 MB.
constexpr size_t kMaxPreprocessBytes = 4u << 20;
constexpr size_t kMaxDeliveryBytes = 4u << 20;
// The most of a reference data object that is loaded (AWS: 1 GB; Spate
// keeps reference tables in memory, so it asks less).
constexpr size_t kMaxReferenceObjectBytes = 64u << 20;
// error_stream's DATA_ROW holds at most this many characters (hex).
constexpr size_t kMaxErrorDataChars = 49152;
constexpr std::string_view kErrorStream = "error_stream";

Result<std::vector<ColumnDef>> ColumnsOf(const protocol::Value& schema) {
  std::vector<ColumnDef> out;
  const protocol::Value* cols = schema.Find("RecordColumns");
  if (cols == nullptr || !cols->is_array()) return out;
  for (const protocol::Value& c : cols->as_array()) {
    ColumnDef d;
    d.name = std::string(c.GetString("Name"));
    auto type = SqlType::Parse(c.GetString("SqlType"));
    if (!type.ok()) {
      return InvalidArgument("Invalid SqlType " + std::string(c.GetString("SqlType")) + " of column " + d.name + ": " +
                             type.status().message());
    }
    d.type = *type;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<InputStreamDecl>> InputDecls(const ApplicationMeta& app) {
  std::vector<InputStreamDecl> out;
  for (const protocol::Value& in : app.inputs.as_array()) {
    SPATE_ASSIGN_OR_RETURN(std::vector<ColumnDef> cols, ColumnsOf(*in.Find("InputSchema")));
    const protocol::Value* names = in.Find("InAppStreamNames");
    for (const protocol::Value& n : names->as_array()) {
      InputStreamDecl d;
      d.name = n.as_string();
      d.columns = cols;
      d.with_kinesis_columns = in.Has("KinesisStreamsInputDescription");
      out.push_back(std::move(d));
    }
  }
  return out;
}

// Converts each text to its column's type; the first failure names the column.
Result<std::vector<Value>> Coerce(const RowText& text, const std::vector<ColumnDef>& cols) {
  std::vector<Value> values;
  values.reserve(cols.size() + 2);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!text[i]) {
      values.emplace_back(std::monostate{});
      continue;
    }
    auto v = CoerceText(*text[i], cols[i].type);
    if (!v.ok()) {
      return InvalidArgument("Cannot coerce the value of column " + cols[i].name + " to " + cols[i].type.ToString() +
                             ": " + v.status().message());
    }
    values.push_back(std::move(*v));
  }
  return values;
}

Result<std::vector<ReferenceTable>> References(const ApplicationMeta& app, const std::string& object_root,
                                               bool load_rows) {
  std::vector<ReferenceTable> out;
  for (const protocol::Value& r : app.references.as_array()) {
    ReferenceTable t;
    t.name = std::string(r.GetString("TableName"));
    const protocol::Value& schema = *r.Find("ReferenceSchema");
    SPATE_ASSIGN_OR_RETURN(t.columns, ColumnsOf(schema));
    if (load_rows) {
      const protocol::Value* s3 = r.Find("S3ReferenceDataSourceDescription");
      SPATE_ASSIGN_OR_RETURN(std::string body, ReadLocalObject(object_root, s3->GetString("BucketARN"),
                                                               s3->GetString("FileKey"), kMaxReferenceObjectBytes));
      SPATE_ASSIGN_OR_RETURN(RecordMapper mapper, RecordMapper::Create(schema));
      // A JSON object holds one record a line; a CSV object is split by its
      // row delimiter.
      std::vector<std::string_view> records;
      if (schema.Find("RecordFormat")->GetString("RecordFormatType") == "JSON") {
        records = util::SplitDelimited(body, "\n");
      } else {
        records.push_back(body);
      }
      for (std::string_view rec : records) {
        auto rows = mapper.Map(rec);
        if (!rows.ok()) continue;  // a malformed line is skipped, as AWS loads what parses
        for (const RowText& text : *rows) {
          auto values = Coerce(text, t.columns);
          if (values.ok()) t.rows.push_back(Row{0, std::move(*values)});
        }
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() + 2 > kMaxErrorDataChars) break;
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

bool Numeric(TypeId id) {
  switch (id) {
    case TypeId::kBoolean:
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger:
    case TypeId::kBigint:
    case TypeId::kReal:
    case TypeId::kDouble:
    case TypeId::kDecimal: return true;
    default: return false;
  }
}

std::string JsonString(const std::string& s) {
  std::string out;
  protocol::WriteJson(protocol::Value::String(s), &out);
  return out;
}

// One output row as the destination schema says: a JSON object of the
// stream's columns, or a CSV line.
std::string Render(const Row& row, const std::vector<ColumnDef>& cols, bool json) {
  std::string out;
  if (json) {
    out += '{';
    for (size_t i = 0; i < cols.size() && i < row.values.size(); ++i) {
      if (i > 0) out += ',';
      out += JsonString(cols[i].name);
      out += ':';
      const Value& v = row.values[i];
      if (std::holds_alternative<std::monostate>(v)) {
        out += "null";
      } else if (Numeric(cols[i].type.id)) {
        std::string text = RenderText(v, cols[i].type);
        if (std::holds_alternative<double>(v) && (text == "NaN" || text.find("Infinity") != std::string::npos)) {
          out += JsonString(text);  // JSON has no NaN or infinities
        } else {
          out += text;
        }
      } else {
        out += JsonString(RenderText(v, cols[i].type));
      }
    }
    out += '}';
    return out;
  }
  for (size_t i = 0; i < cols.size() && i < row.values.size(); ++i) {
    if (i > 0) out += ',';
    if (std::holds_alternative<std::monostate>(row.values[i])) continue;
    std::string text = RenderText(row.values[i], cols[i].type);
    if (text.find_first_of(",\"\r\n") != std::string::npos) {
      std::string quoted = "\"";
      for (char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
      }
      text = quoted + "\"";
    }
    out += text;
  }
  out += '\n';
  return out;
}

}  // namespace

// One running application.
class EngineRuntime::AppRunner {
 public:
  // One output row waiting to be written.
  struct PendingRow {
    std::string data;
    int64_t attempts = 0;  // deliveries that failed so far (a Lambda output's retryHint)
  };

  struct Output {
    std::string stream;  // the in-application stream it reads
    RecordSink::Kind kind = RecordSink::Kind::kKinesisStream;
    bool lambda = false;  // a LambdaOutput: `arn` is the function's
    std::string arn;
    bool json = true;
    std::vector<ColumnDef> columns;
    std::deque<PendingRow> pending;  // rendered, not yet written
    std::shared_ptr<OutputMetrics> metrics;
  };

  AppRunner(const EngineRuntime* rt, ApplicationMeta app, std::unique_ptr<Program> program, RecordMapper mapper,
            std::vector<ColumnDef> columns, std::vector<Output> outputs)
      : rt_(rt),
        app_(std::move(app)),
        program_(std::move(program)),
        mapper_(std::move(mapper)),
        columns_(std::move(columns)),
        outputs_(std::move(outputs)),
        random_(std::random_device{}()) {
    owner_.account = app_.account;
    owner_.region = app_.region;
    app_arn_ = app_.Arn();
    const protocol::Value& in = app_.inputs.as_array()[0];
    if (const protocol::Value* ks = in.Find("KinesisStreamsInputDescription")) {
      kinesis_input_ = true;
      input_arn_ = std::string(ks->GetString("ResourceARN"));
    } else {
      input_arn_ = std::string(in.Find("KinesisFirehoseInputDescription")->GetString("ResourceARN"));
    }
    if (const protocol::Value* p = in.Find("InputProcessingConfigurationDescription")) {
      preprocessor_ = std::string(p->Find("InputLambdaProcessorDescription")->GetString("ResourceARN"));
    }
    metrics_ = rt_->metrics_.ForApplication(app_.account, app_.region, app_.name, std::string(in.GetString("InputId")));
    for (const protocol::Value& n : in.Find("InAppStreamNames")->as_array()) in_app_streams_.push_back(n.as_string());
  }

  ~AppRunner() { Stop(); }

  const ApplicationMeta& app() const { return app_; }

  Status Start(std::string_view position) {
    SPATE_TRY(LoadPositions(position));
    thread_ = std::thread([this] { Loop(); });
    return Status::Ok();
  }

  void Stop() {
    cancel_.store(true);
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // A part of the input read on its own, with its own position: a shard of a
  // Kinesis stream, or a delivery stream's log (id: its log id).
  struct Partition {
    std::string id;
    uint64_t start = 0;
    uint64_t end = 0;
  };

  std::string PositionKey(const std::string& partition) const { return app_.instance + "/" + partition; }

  Result<std::vector<Partition>> Partitions() const {
    std::vector<Partition> out;
    if (kinesis_input_) {
      SPATE_ASSIGN_OR_RETURN(std::vector<service::SourceShard> shards,
                             rt_->options_.kinesis->Shards(owner_, input_arn_));
      for (const service::SourceShard& s : shards) out.push_back(Partition{s.shard_id, s.start, s.end});
      return out;
    }
    SPATE_ASSIGN_OR_RETURN(firehose::RecordRange range, rt_->options_.firehose->Range(owner_, input_arn_));
    out.push_back(Partition{range.log_id, range.start, range.end});
    return out;
  }

  Result<service::SourceBatch> ReadPartition(const Partition& p, uint64_t from) const {
    size_t max = rt_->options_.max_records_per_read;
    if (kinesis_input_) return rt_->options_.kinesis->Read(owner_, input_arn_, p.id, from, max);
    return rt_->options_.firehose->Read(owner_, input_arn_, p.id, from, max);
  }

  Status LoadPositions(std::string_view position) {
    SPATE_ASSIGN_OR_RETURN(std::vector<Partition> partitions, Partitions());
    for (const Partition& p : partitions) {
      if (position == "LAST_STOPPED_POINT") {
        SPATE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                               rt_->catalog_->GetEntry(kPositionNamespace, PositionKey(p.id)));
        if (stored) {
          auto doc = protocol::ParseJson(*stored);
          if (!doc.ok()) return Corruption("analytics position of " + PositionKey(p.id) + " is not JSON");
          next_[p.id] = static_cast<uint64_t>(doc->GetInt("next"));
          continue;
        }
      }
      next_[p.id] = position == "TRIM_HORIZON" ? p.start : p.end;
    }
    return Checkpoint();
  }

  // Saves the positions that moved; a delivery-stream input then lets the
  // log go below them.
  Status Checkpoint() {
    for (const auto& [partition, next] : next_) {
      auto saved = saved_.find(partition);
      if (saved != saved_.end() && saved->second == next) continue;
      protocol::Value doc = protocol::Value::MakeObject();
      doc.Set("next", protocol::Value::Int(static_cast<int64_t>(next)));
      std::string out;
      protocol::WriteJson(doc, &out);
      SPATE_TRY(rt_->catalog_->PutEntry(kPositionNamespace, PositionKey(partition), out));
      saved_[partition] = next;
      if (!kinesis_input_) {
        if (Status st = rt_->options_.firehose->Hold(owner_, input_arn_, app_.instance, next); !st.ok()) {
          SPATE_LOG_WARN("application " + app_.name + " cannot hold its delivery stream's records: " + st.ToString());
        }
      }
    }
    return Status::Ok();
  }

  // Waits `ms` or until stopped; false once stopping.
  bool Wait(int64_t ms) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(ms), [this] { return stopping_; });
    return !stopping_;
  }

  bool Stopping() {
    std::lock_guard<std::mutex> l(mu_);
    return stopping_;
  }

  void Emit(std::vector<EmittedRow>* emitted) {
    for (EmittedRow& e : *emitted) {
      if (e.stream == kErrorStream) metrics_->error_rows->Add();
      for (Output& o : outputs_) {
        if (o.stream == e.stream) o.pending.push_back(PendingRow{Render(e.row, o.columns, o.json), 0});
      }
    }
    emitted->clear();
  }

  void ErrorRow(std::string_view name, const std::string& message, std::string_view data,
                std::vector<EmittedRow>* out) {
    Row r;
    r.rowtime_ms = rowtime_;
    r.values = {Timestamp{rt_->clock_->NowMs()},
                std::string("ERROR"),
                std::string(name),
                message,
                Timestamp{rowtime_},
                Hex(data),
                std::string()};
    out->push_back(EmittedRow{std::string(kErrorStream), std::move(r)});
  }

  void CountInput(const service::SourceBatch& batch) {
    uint64_t bytes = 0;
    for (const service::SourceRecord& rec : batch.records) bytes += rec.data.size();
    metrics_->input_records->Add(batch.records.size());
    metrics_->input_bytes->Add(bytes);
  }

  std::string NewInvocationId() { return InvocationId(random_(), random_()); }

  // Runs `batch` through the input's Lambda preprocessor, in calls of at
  // most kMaxPreprocessBytes of data: what the function returns Ok replaces
  // the record, Dropped removes it, a failure (ProcessingFailed, a record
  // missing from the answer, an invocation still failing after
  // preprocess_retries retries) becomes an error_stream row with the
  // record's original bytes. kCancelled when the runner stops meanwhile
  // (nothing of the batch may then count as read).
  Status Preprocess(const Partition& p, service::SourceBatch* batch, std::vector<EmittedRow>* emitted) {
    std::vector<service::SourceRecord> out;
    std::vector<service::SourceRecord>& in = batch->records;
    size_t i = 0;
    while (i < in.size()) {
      std::vector<PreprocessRecord> call;
      std::vector<std::string> ids;
      size_t bytes = 0;
      size_t first = i;
      while (i < in.size() && (call.empty() || bytes + in[i].data.size() <= kMaxPreprocessBytes)) {
        PreprocessRecord r;
        r.data = in[i].data;
        r.arrival_ms = in[i].arrival_ms;
        if (kinesis_input_) {
          // As AWS: a Kinesis record's id is based on its sequence number (one
          // shard per call, so unique), a delivery stream record's a random UUID.
          r.record_id = in[i].sequence_number;
          r.shard_id = p.id;
          r.partition_key = in[i].partition_key;
          r.sequence_number = in[i].sequence_number;
        } else {
          r.record_id = NewInvocationId();
        }
        bytes += in[i].data.size();
        ids.push_back(r.record_id);
        call.push_back(std::move(r));
        ++i;
      }
      std::string event = PreprocessEvent(NewInvocationId(), app_arn_, input_arn_, kinesis_input_, call);
      lambda::Invocation inv;
      int64_t backoff = rt_->options_.min_backoff_ms;
      for (int attempt = 0;; ++attempt) {
        inv = rt_->options_.lambda->Invoke(preprocessor_, event, &cancel_);
        if (inv.outcome == lambda::Outcome::kCancelled || Stopping()) return Unavailable("the runner is stopping");
        if (inv.outcome == lambda::Outcome::kOk || attempt >= rt_->options_.preprocess_retries) break;
        if (!Wait(backoff)) return Unavailable("the runner is stopping");
        backoff = std::min(backoff * 2, rt_->options_.max_backoff_ms);
      }
      if (inv.outcome != lambda::Outcome::kOk) {
        std::string name =
            inv.outcome == lambda::Outcome::kNotFound ? "Lambda_ResourceNotFound" : "Lambda_InvocationFailed";
        if (++preprocess_failures_ % 50 == 1) {
          SPATE_LOG_WARN("application " + app_.name + ": preprocessing function " + preprocessor_ +
                         " failed: " + inv.message);
        }
        for (size_t k = first; k < i; ++k) ErrorRow(name, inv.message, in[k].data, emitted);
        continue;
      }
      std::vector<PreprocessResult> results = ParsePreprocessResponse(inv.payload, ids);
      for (size_t k = 0; k < results.size(); ++k) {
        PreprocessResult& r = results[k];
        if (r.kind == PreprocessResult::Kind::kOk) {
          service::SourceRecord& rec = out.emplace_back();
          rec.data = std::move(r.data);
          rec.arrival_ms = in[first + k].arrival_ms;
        } else if (r.kind == PreprocessResult::Kind::kFailed) {
          ErrorRow(r.error_name, r.message, in[first + k].data, emitted);
        }
      }
    }
    batch->records = std::move(out);
    return Status::Ok();
  }

  // Reads one batch from each partition and pushes its rows. *read_any:
  // whether anything was read.
  Status ReadOnce(bool* read_any, std::vector<EmittedRow>* emitted) {
    SPATE_ASSIGN_OR_RETURN(std::vector<Partition> partitions, Partitions());
    int64_t behind = 0;
    for (size_t i = 0; i < partitions.size(); ++i) {
      const Partition& p = partitions[i];
      // A shard born since the start (or a delivery stream re-created): from its beginning.
      auto [it, fresh] = next_.try_emplace(p.id, p.start);
      (void)fresh;
      if (it->second >= p.end) continue;
      SPATE_ASSIGN_OR_RETURN(service::SourceBatch batch, ReadPartition(p, it->second));
      if (batch.next < p.end && !batch.records.empty()) {
        behind = std::max(behind, rt_->clock_->NowMs() - batch.records.back().arrival_ms);
      }
      CountInput(batch);
      if (!batch.records.empty()) *read_any = true;
      if (!preprocessor_.empty() && !batch.records.empty()) SPATE_TRY(Preprocess(p, &batch, emitted));
      it->second = std::max(it->second, batch.next);
      const std::string& stream = in_app_streams_[i % in_app_streams_.size()];
      for (const service::SourceRecord& rec : batch.records) {
        rowtime_ = std::max({rowtime_, rt_->clock_->NowMs(), advanced_});
        auto rows = mapper_.Map(rec.data);
        if (!rows.ok()) {
          ErrorRow("Parse error", rows.status().message(), rec.data, emitted);
          continue;
        }
        for (const RowText& text : *rows) {
          auto values = Coerce(text, columns_);
          if (!values.ok()) {
            ErrorRow("Cast error", values.status().message(), rec.data, emitted);
            continue;
          }
          if (kinesis_input_) {
            values->push_back(Timestamp{rec.arrival_ms});
            values->push_back(p.id);
          }
          program_->Push(stream, Row{rowtime_, std::move(*values)}, emitted);
        }
      }
    }
    metrics_->millis_behind_latest->Set(behind);
    return Status::Ok();
  }

  // Hands up to kMaxRecordsPerPut pending rows (at most
  // kMaxDeliveryBytes of data) to the output's Lambda function; answers
  // the rows it did not acknowledge Ok (all of them when the invocation
  // failed), and sets *error to why. false: stopping.
  bool DeliverToLambda(Output& o, size_t n, std::vector<bool>* acked, std::string* error) {
    std::vector<DeliveryRecord> records;
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) {
      DeliveryRecord r;
      r.record_id = std::to_string(i);
      r.data = o.pending[i].data;
      r.retry_hint = o.pending[i].attempts;
      ids.push_back(r.record_id);
      records.push_back(std::move(r));
    }
    lambda::Invocation inv =
        rt_->options_.lambda->Invoke(o.arn, DeliveryEvent(NewInvocationId(), app_arn_, records), &cancel_);
    if (inv.outcome == lambda::Outcome::kCancelled) return false;
    if (inv.outcome != lambda::Outcome::kOk) {
      acked->assign(n, false);
      *error = std::string(lambda::OutcomeName(inv.outcome)) + ": " + inv.message;
      return true;
    }
    *acked = ParseDeliveryResponse(inv.payload, ids);
    error->clear();
    return true;
  }

  // Writes every pending output row, retrying with backoff until written or
  // stopping (false).
  bool Flush() {
    for (Output& o : outputs_) {
      int64_t backoff = rt_->options_.min_backoff_ms;
      while (!o.pending.empty()) {
        size_t n = std::min(o.pending.size(), kMaxRecordsPerPut);
        std::vector<bool> ok(n, false);
        std::string error;
        if (o.lambda) {
          // The invocation's payload stays under Lambda's 6 MB (base64 adds a third).
          size_t bytes = o.pending[0].data.size();
          size_t fit = 1;
          while (fit < n && bytes + o.pending[fit].data.size() <= kMaxDeliveryBytes)
            bytes += o.pending[fit++].data.size();
          n = fit;
          if (!DeliverToLambda(o, n, &ok, &error)) return false;
          if (error.empty() && std::find(ok.begin(), ok.end(), false) != ok.end()) {
            error = "the function did not acknowledge every record Ok";
          }
        } else {
          std::vector<std::string> batch;
          batch.reserve(n);
          for (size_t i = 0; i < n; ++i) batch.push_back(o.pending[i].data);
          auto result = rt_->options_.sink->Put(owner_, o.kind, o.arn, batch);
          if (result.ok()) {
            for (size_t i = 0; i < n; ++i) ok[i] = (*result)[i].ok();
          } else {
            error = result.status().ToString();
          }
        }
        std::vector<PendingRow> failed;
        for (size_t i = 0; i < n; ++i) {
          if (ok[i]) {
            o.metrics->records->Add();
            o.metrics->bytes->Add(o.pending[i].data.size());
          } else {
            ++o.pending[i].attempts;
            failed.push_back(std::move(o.pending[i]));
          }
        }
        o.metrics->failed_attempts->Add(failed.size());
        o.pending.erase(o.pending.begin(), o.pending.begin() + static_cast<std::ptrdiff_t>(n));
        // Failed rows go first again, in their order.
        o.pending.insert(o.pending.begin(), std::make_move_iterator(failed.begin()),
                         std::make_move_iterator(failed.end()));
        if (failed.empty()) {
          backoff = rt_->options_.min_backoff_ms;
          continue;
        }
        if (!error.empty() && ++failures_ % 50 == 1) {
          SPATE_LOG_WARN("application " + app_.name + ": output to " + o.arn + " failed, retrying: " + error);
        }
        if (!Wait(backoff)) return false;
        backoff = std::min(backoff * 2, rt_->options_.max_backoff_ms);
      }
    }
    return true;
  }

  void Loop() {
    std::vector<EmittedRow> emitted;
    int64_t last_advance = rt_->clock_->NowMs();
    int64_t errors = 0;
    while (!Stopping()) {
      bool read_any = false;
      Status st = ReadOnce(&read_any, &emitted);
      if (Stopping()) return;  // what was read is not checkpointed: read again at the next start
      if (!st.ok() && errors++ % 100 == 0) {
        SPATE_LOG_WARN("application " + app_.name + " cannot read its input: " + st.ToString());
      }
      int64_t now = rt_->clock_->NowMs();
      if (now - last_advance >= kAdvanceEveryMs) {
        advanced_ = std::max({advanced_, now, rowtime_});
        program_->AdvanceTime(advanced_, &emitted);
        last_advance = now;
      }
      Emit(&emitted);
      if (!Flush()) return;
      // Everything read so far is written: the positions may move on.
      if (Status cp = Checkpoint(); !cp.ok()) {
        SPATE_LOG_ERROR("application " + app_.name + " cannot checkpoint its input: " + cp.ToString());
      }
      if (!read_any && !Wait(rt_->options_.idle_poll_ms)) return;
    }
  }

  const EngineRuntime* const rt_;
  const ApplicationMeta app_;
  std::unique_ptr<Program> program_;
  const RecordMapper mapper_;
  const std::vector<ColumnDef> columns_;
  std::vector<Output> outputs_;
  iam::Caller owner_;
  std::string app_arn_;
  bool kinesis_input_ = false;  // a Kinesis stream; else a delivery stream
  std::string input_arn_;
  std::string preprocessor_;  // the InputLambdaProcessor's function ARN; empty: none
  std::vector<std::string> in_app_streams_;
  std::map<std::string, uint64_t> next_;   // by partition id: the next offset to read
  std::map<std::string, uint64_t> saved_;  // what the catalog holds
  int64_t rowtime_ = 0;                    // the last ROWTIME stamped
  int64_t advanced_ = 0;                   // the last AdvanceTime
  uint64_t failures_ = 0;
  uint64_t preprocess_failures_ = 0;
  std::shared_ptr<ApplicationMetrics> metrics_;
  std::mt19937_64 random_;  // invocation ids

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  // Set with stopping_: a Lambda invocation in progress gives up.
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

EngineRuntime::EngineRuntime(RunnerOptions options, metadata::Catalog* catalog, util::Clock* clock)
    : options_(std::move(options)), catalog_(catalog), clock_(clock), metrics_(options_.metrics) {}

EngineRuntime::~EngineRuntime() {
  std::lock_guard<std::mutex> lock(mu_);
  runners_.clear();
}

Status EngineRuntime::Check(const ApplicationMeta& app) {
  SPATE_ASSIGN_OR_RETURN(std::vector<InputStreamDecl> inputs, InputDecls(app));
  SPATE_ASSIGN_OR_RETURN(std::vector<ReferenceTable> refs, References(app, options_.object_root, false));
  if (!app.has_code || inputs.empty()) return Status::Ok();
  auto compiled = Program::Compile(app.code, inputs, refs);
  if (auto* err = std::get_if<CodeError>(&compiled)) return Status(ErrorCode::kCodeValidation, err->message);
  return Status::Ok();
}

Status EngineRuntime::Run(const ApplicationMeta& app) {
  auto config = [](std::string m) { return Status(ErrorCode::kInvalidApplicationConfiguration, std::move(m)); };
  if (app.inputs.as_array().empty()) return config("Application " + app.name + " has no input.");
  const protocol::Value& input = app.inputs.as_array()[0];
  if (input.Has("KinesisStreamsInputDescription")) {
    if (options_.kinesis == nullptr) return config("This server reads no Kinesis streams.");
  } else if (options_.firehose == nullptr) {
    return config("This server reads no Firehose delivery streams.");
  }
  if (input.Has("InputProcessingConfigurationDescription") && options_.lambda == nullptr) {
    return config("This server runs no Lambda functions (see --lambda-map).");
  }
  if (options_.sink == nullptr) return config("This server has no output sink.");
  SPATE_ASSIGN_OR_RETURN(std::vector<InputStreamDecl> inputs, InputDecls(app));
  auto refs = References(app, options_.object_root, true);
  if (!refs.ok()) return config("Reference data cannot be loaded: " + refs.status().message());
  auto compiled = Program::Compile(app.has_code ? std::string_view(app.code) : std::string_view(), inputs, *refs);
  if (auto* err = std::get_if<CodeError>(&compiled)) return Status(ErrorCode::kCodeValidation, err->message);
  std::unique_ptr<Program> program = std::move(std::get<std::unique_ptr<Program>>(compiled));
  auto streams = program->Streams();
  std::vector<AppRunner::Output> outputs;
  for (const protocol::Value& o : app.outputs.as_array()) {
    AppRunner::Output out;
    out.stream = std::string(o.GetString("Name"));
    out.metrics = metrics_.ForOutput(app.account, app.region, app.name, std::string(o.GetString("OutputId")));
    out.json = o.Find("DestinationSchema")->GetString("RecordFormatType") != "CSV";
    if (const protocol::Value* k = o.Find("KinesisStreamsOutputDescription")) {
      out.kind = RecordSink::Kind::kKinesisStream;
      out.arn = std::string(k->GetString("ResourceARN"));
    } else if (const protocol::Value* f = o.Find("KinesisFirehoseOutputDescription")) {
      out.kind = RecordSink::Kind::kDeliveryStream;
      out.arn = std::string(f->GetString("ResourceARN"));
    } else {
      if (options_.lambda == nullptr) return config("This server runs no Lambda functions (see --lambda-map).");
      out.lambda = true;
      out.arn = std::string(o.Find("LambdaOutputDescription")->GetString("ResourceARN"));
    }
    if (out.stream == kErrorStream) {
      out.columns = ErrorStreamColumns();
    } else {
      auto it = std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s.first == out.stream; });
      if (it == streams.end()) {
        return config("Output in-application stream " + out.stream + " is not created by the application code.");
      }
      out.columns = it->second;
    }
    outputs.push_back(std::move(out));
  }
  SPATE_ASSIGN_OR_RETURN(RecordMapper mapper, RecordMapper::Create(*input.Find("InputSchema")));
  SPATE_ASSIGN_OR_RETURN(std::vector<ColumnDef> columns, ColumnsOf(*input.Find("InputSchema")));

  std::unique_lock<std::mutex> lock(mu_);
  TrackHold(app);
  auto it = runners_.find(app.Key());
  // A runner replaced by a new configuration continues where it was.
  std::string position = app.starting_position.empty() ? "NOW" : app.starting_position;
  if (it != runners_.end()) {
    it->second->Stop();
    runners_.erase(it);
    position = "LAST_STOPPED_POINT";
  }
  auto runner = std::make_unique<AppRunner>(this, app, std::move(program), std::move(mapper), std::move(columns),
                                            std::move(outputs));
  Status st = runner->Start(position);
  if (!st.ok()) return config("Application " + app.name + " cannot read its input: " + st.message());
  runners_[app.Key()] = std::move(runner);
  return Status::Ok();
}

void EngineRuntime::Halt(const std::string& key) {
  std::unique_ptr<AppRunner> runner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runners_.find(key);
    if (it == runners_.end()) return;
    runner = std::move(it->second);
    runners_.erase(it);
  }
  // A stopped application's delivery-stream input keeps its hold (for a
  // later LAST_STOPPED_POINT) until the application is deleted; the
  // delivery stream lets records go 24 h after their arrival even so.
  runner->Stop();
  // A stopped application has no runner series (a restart counts afresh).
  metrics_.Remove(runner->app().account, runner->app().region, runner->app().name);
}

void EngineRuntime::TrackHold(const ApplicationMeta& app) {
  std::string arn;
  if (!app.inputs.as_array().empty()) {
    if (const protocol::Value* f = app.inputs.as_array()[0].Find("KinesisFirehoseInputDescription")) {
      arn = std::string(f->GetString("ResourceARN"));
    }
  }
  auto it = held_.find(app.instance);
  if (it != held_.end() && it->second.arn != arn) {
    if (options_.firehose != nullptr) options_.firehose->Release(it->second.owner, it->second.arn, app.instance);
    held_.erase(it);
  }
  if (arn.empty()) return;
  HeldInput& h = held_[app.instance];
  h.owner.account = app.account;
  h.owner.region = app.region;
  h.arn = arn;
}

void EngineRuntime::Retain(const ApplicationMeta& app) {
  if (options_.firehose == nullptr || app.inputs.as_array().empty()) return;
  const protocol::Value* f = app.inputs.as_array()[0].Find("KinesisFirehoseInputDescription");
  if (f == nullptr) return;
  iam::Caller owner;
  owner.account = app.account;
  owner.region = app.region;
  std::string_view arn = f->GetString("ResourceARN");
  auto range = options_.firehose->Range(owner, arn);
  if (!range.ok()) return;  // the delivery stream is gone: nothing to keep
  auto stored = catalog_->GetEntry(kPositionNamespace, app.instance + "/" + range->log_id);
  if (!stored.ok() || !*stored) return;  // never read: LAST_STOPPED_POINT starts at NOW
  auto doc = protocol::ParseJson(**stored);
  if (!doc.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  TrackHold(app);
  Status st = options_.firehose->Hold(owner, arn, app.instance, static_cast<uint64_t>(doc->GetInt("next")));
  if (!st.ok())
    SPATE_LOG_WARN("application " + app.name + " cannot hold its delivery stream's records: " + st.ToString());
}

void EngineRuntime::Forget(const std::string& instance) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(instance);
    if (it != held_.end()) {
      if (options_.firehose != nullptr) options_.firehose->Release(it->second.owner, it->second.arn, instance);
      held_.erase(it);
    }
  }
  auto entries = catalog_->LoadEntries(kPositionNamespace);
  if (!entries.ok()) return;
  for (const auto& [key, value] : *entries) {
    if (key.rfind(instance + "/", 0) == 0) catalog_->DeleteEntry(kPositionNamespace, key).IgnoreError();
  }
}

}  // namespace spate::analytics
