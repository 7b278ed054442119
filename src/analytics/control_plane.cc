// The control-plane operations of Kinesis Data Analytics (SQL): create,
// describe, list, update, start, stop and delete applications, their
// inputs, outputs, reference data sources, logging options and tags.

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

#include "analytics/applications.h"
#include "base/log.h"

namespace spate::analytics {
namespace {

using protocol::Value;

constexpr size_t kMaxInputs = 1;
constexpr size_t kMaxOutputs = 3;
constexpr size_t kMaxReferences = 1;
constexpr size_t kMaxTags = 50;
constexpr int64_t kMaxVersionId = 999999999;
constexpr int64_t kDefaultListLimit = 50;

Status InUse(std::string m) { return Status(ErrorCode::kResourceInUse, std::move(m)); }

std::string NewInstance() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) | rd();
  char buf[24];
  std::snprintf(buf, sizeof(buf), "ka-%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The parts of an ARN: arn:<partition>:<service>:<region>:<account>:<resource>.
struct ArnParts {
  std::string service, region, account, resource;
};

std::optional<ArnParts> SplitArn(std::string_view arn) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.emplace_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts[0] != "arn" || parts[1].rfind("aws", 0) != 0) return std::nullopt;
  return ArnParts{parts[2], parts[3], parts[4], std::string(arn.substr(start))};
}

// An ARN of `service` whose resource begins with `kind` ("stream/").
Status CheckArn(std::string_view arn, std::string_view service, std::string_view kind, std::string_view what) {
  auto p = SplitArn(arn);
  if (!p || p->service != service || p->resource.rfind(kind, 0) != 0 || p->resource.size() == kind.size()) {
    return InvalidArgument(std::string(what) + " " + std::string(arn) + " is not a valid " + std::string(service) +
                           " " + std::string(kind.substr(0, kind.size() - 1)) + " ARN.");
  }
  return Status::Ok();
}

Status CheckSchema(const Value& schema) {
  const Value* format = schema.Find("RecordFormat");
  std::string_view type = format != nullptr ? format->GetString("RecordFormatType") : "";
  const Value* mapping = format != nullptr ? format->Find("MappingParameters") : nullptr;
  if (type == "JSON" && (mapping == nullptr || !mapping->Has("JSONMappingParameters"))) {
    return InvalidArgument("JSONMappingParameters are required for a JSON record format.");
  }
  if (type == "CSV" && (mapping == nullptr || !mapping->Has("CSVMappingParameters"))) {
    return InvalidArgument("CSVMappingParameters are required for a CSV record format.");
  }
  if (const Value* enc = schema.Find("RecordEncoding"); enc != nullptr && enc->as_string() != "UTF-8") {
    return InvalidArgument("RecordEncoding must be UTF-8.");
  }
  std::vector<std::string> names;
  if (const Value* cols = schema.Find("RecordColumns"); cols != nullptr) {
    for (const Value& c : cols->as_array()) {
      std::string name(c.GetString("Name"));
      if (name.empty()) return InvalidArgument("A record column name must not be empty.");
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return InvalidArgument("Duplicate record column name " + name + ".");
      }
      names.push_back(std::move(name));
    }
  }
  return Status::Ok();
}

Value ArnAndRole(const Value& cfg) {
  Value d = Value::MakeObject();
  d.Set("ResourceARN", Value::String(std::string(cfg.GetString("ResourceARN"))));
  d.Set("RoleARN", Value::String(std::string(cfg.GetString("RoleARN"))));
  return d;
}

Value InAppStreamNames(std::string_view prefix, int64_t count) {
  Value names = Value::MakeArray();
  for (int64_t i = 1; i <= count; ++i) {
    char suffix[24];
    std::snprintf(suffix, sizeof(suffix), "_%03lld", static_cast<long long>(i));
    names.Append(Value::String(std::string(prefix) + suffix));
  }
  return names;
}

Status CheckLambda(const Value& processing) {
  const Value* l = processing.Find("InputLambdaProcessor");
  return CheckArn(l->GetString("ResourceARN"), "lambda", "function:", "InputLambdaProcessor ResourceARN");
}

Value ProcessingDescription(const Value& processing) {
  Value d = Value::MakeObject();
  d.Set("InputLambdaProcessorDescription", ArnAndRole(*processing.Find("InputLambdaProcessor")));
  return d;
}

// An Input as InputDescription, or AWS's InvalidArgumentException.
Result<Value> DescribeInput(const Value& input, std::string id) {
  const Value* ks = input.Find("KinesisStreamsInput");
  const Value* kf = input.Find("KinesisFirehoseInput");
  if ((ks != nullptr) == (kf != nullptr)) {
    return InvalidArgument("Exactly one of KinesisStreamsInput or KinesisFirehoseInput must be specified.");
  }
  if (ks != nullptr) SPATE_TRY(CheckArn(ks->GetString("ResourceARN"), "kinesis", "stream/", "Kinesis stream"));
  if (kf != nullptr) {
    SPATE_TRY(CheckArn(kf->GetString("ResourceARN"), "firehose", "deliverystream/", "Firehose delivery stream"));
  }
  SPATE_TRY(CheckSchema(*input.Find("InputSchema")));
  Value d = Value::MakeObject();
  d.Set("InputId", Value::String(std::move(id)));
  std::string prefix(input.GetString("NamePrefix"));
  d.Set("NamePrefix", Value::String(prefix));
  int64_t count = 1;
  if (const Value* p = input.Find("InputParallelism"); p != nullptr) count = p->GetInt("Count", 1);
  d.Set("InAppStreamNames", InAppStreamNames(prefix, count));
  if (const Value* proc = input.Find("InputProcessingConfiguration"); proc != nullptr) {
    SPATE_TRY(CheckLambda(*proc));
    d.Set("InputProcessingConfigurationDescription", ProcessingDescription(*proc));
  }
  if (ks != nullptr) d.Set("KinesisStreamsInputDescription", ArnAndRole(*ks));
  if (kf != nullptr) d.Set("KinesisFirehoseInputDescription", ArnAndRole(*kf));
  d.Set("InputSchema", *input.Find("InputSchema"));
  Value par = Value::MakeObject();
  par.Set("Count", Value::Int(count));
  d.Set("InputParallelism", std::move(par));
  return d;
}

constexpr std::string_view kOutputKinds[3][3] = {
    {"KinesisStreamsOutput", "KinesisStreamsOutputDescription", "KinesisStreamsOutputUpdate"},
    {"KinesisFirehoseOutput", "KinesisFirehoseOutputDescription", "KinesisFirehoseOutputUpdate"},
    {"LambdaOutput", "LambdaOutputDescription", "LambdaOutputUpdate"},
};

Status CheckOutputArn(std::string_view kind, std::string_view arn) {
  if (kind == "KinesisStreamsOutput") return CheckArn(arn, "kinesis", "stream/", "Kinesis stream");
  if (kind == "KinesisFirehoseOutput") {
    return CheckArn(arn, "firehose", "deliverystream/", "Firehose delivery stream");
  }
  return CheckArn(arn, "lambda", "function:", "Lambda function");
}

Result<Value> DescribeOutput(const Value& output, std::string id) {
  int given = 0;
  Value d = Value::MakeObject();
  d.Set("OutputId", Value::String(std::move(id)));
  d.Set("Name", Value::String(std::string(output.GetString("Name"))));
  for (const auto& kind : kOutputKinds) {
    const Value* cfg = output.Find(kind[0]);
    if (cfg == nullptr) continue;
    ++given;
    SPATE_TRY(CheckOutputArn(kind[0], cfg->GetString("ResourceARN")));
    d.Set(std::string(kind[1]), ArnAndRole(*cfg));
  }
  if (given != 1) {
    return InvalidArgument(
        "Exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput must be specified.");
  }
  d.Set("DestinationSchema", *output.Find("DestinationSchema"));
  return d;
}

Status CheckBucketArn(std::string_view arn) {
  auto p = SplitArn(arn);
  if (!p || p->service != "s3" || p->resource.empty() || p->resource.find('/') != std::string::npos) {
    return InvalidArgument("BucketARN " + std::string(arn) + " is not a valid S3 bucket ARN.");
  }
  return Status::Ok();
}

Result<Value> DescribeReference(const Value& ref, std::string id) {
  const Value* s3 = ref.Find("S3ReferenceDataSource");
  if (s3 == nullptr) return InvalidArgument("S3ReferenceDataSource must be specified.");
  SPATE_TRY(CheckBucketArn(s3->GetString("BucketARN")));
  SPATE_TRY(CheckSchema(*ref.Find("ReferenceSchema")));
  Value d = Value::MakeObject();
  d.Set("ReferenceId", Value::String(std::move(id)));
  d.Set("TableName", Value::String(std::string(ref.GetString("TableName"))));
  Value s = Value::MakeObject();
  s.Set("BucketARN", Value::String(std::string(s3->GetString("BucketARN"))));
  s.Set("FileKey", Value::String(std::string(s3->GetString("FileKey"))));
  s.Set("ReferenceRoleARN", Value::String(std::string(s3->GetString("ReferenceRoleARN"))));
  d.Set("S3ReferenceDataSourceDescription", std::move(s));
  d.Set("ReferenceSchema", *ref.Find("ReferenceSchema"));
  return d;
}

Result<Value> DescribeLogging(const Value& opt, std::string id) {
  SPATE_TRY(CheckArn(opt.GetString("LogStreamARN"), "logs", "log-group:", "LogStreamARN"));
  Value d = Value::MakeObject();
  d.Set("CloudWatchLoggingOptionId", Value::String(std::move(id)));
  d.Set("LogStreamARN", Value::String(std::string(opt.GetString("LogStreamARN"))));
  d.Set("RoleARN", Value::String(std::string(opt.GetString("RoleARN"))));
  return d;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

std::string NextId(int64_t* counter) { return "1." + std::to_string((*counter)++); }

// The element of `list` whose `id_member` is `id`, or kNotFound.
Result<Value*> FindById(Value& list, std::string_view id_member, std::string_view id, std::string_view what,
                        const ApplicationMeta& app) {
  for (Value& v : list.mutable_array()) {
    if (v.GetString(id_member) == id) return &v;
  }
  return Status(ErrorCode::kNotFound,
                std::string(what) + " " + std::string(id) + " not found in application " + app.name + ".");
}

Status RemoveById(Value& list, std::string_view id_member, std::string_view id, std::string_view what,
                  const ApplicationMeta& app) {
  auto& arr = list.mutable_array();
  auto it = std::find_if(arr.begin(), arr.end(), [&](const Value& v) { return v.GetString(id_member) == id; });
  if (it == arr.end()) {
    return Status(ErrorCode::kNotFound,
                  std::string(what) + " " + std::string(id) + " not found in application " + app.name + ".");
  }
  arr.erase(it);
  return Status::Ok();
}

// `d`'s member `name` (an object), created if absent.
Value& Member(Value& d, const std::string& name) {
  if (Value* v = d.FindMutable(name); v != nullptr) return *v;
  return d.Set(name, Value::MakeObject());
}

void UpdateArnAndRole(Value& desc, const Value& update) {
  if (const Value* a = update.Find("ResourceARNUpdate")) desc.Set("ResourceARN", *a);
  if (const Value* r = update.Find("RoleARNUpdate")) desc.Set("RoleARN", *r);
}

Status ApplyInputUpdate(ApplicationMeta& app, const Value& u) {
  SPATE_ASSIGN_OR_RETURN(Value * d, FindById(app.inputs, "InputId", u.GetString("InputId"), "Input", app));
  if (const Value* p = u.Find("NamePrefixUpdate")) d->Set("NamePrefix", *p);
  if (const Value* p = u.Find("InputParallelismUpdate"); p != nullptr && p->Has("CountUpdate")) {
    Value par = Value::MakeObject();
    par.Set("Count", Value::Int(p->GetInt("CountUpdate", 1)));
    d->Set("InputParallelism", std::move(par));
  }
  d->Set("InAppStreamNames",
         InAppStreamNames(d->GetString("NamePrefix"), d->Find("InputParallelism")->GetInt("Count", 1)));
  if (const Value* s = u.Find("InputSchemaUpdate")) {
    Value& schema = Member(*d, "InputSchema");
    if (const Value* c = s->Find("RecordColumnUpdates")) schema.Set("RecordColumns", *c);
    if (const Value* e = s->Find("RecordEncodingUpdate")) schema.Set("RecordEncoding", *e);
    if (const Value* f = s->Find("RecordFormatUpdate")) schema.Set("RecordFormat", *f);
    SPATE_TRY(CheckSchema(schema));
  }
  if (const Value* k = u.Find("KinesisStreamsInputUpdate")) {
    if (!d->Has("KinesisStreamsInputDescription")) {
      return InvalidArgument("Input " + std::string(u.GetString("InputId")) + " does not read a Kinesis stream.");
    }
    UpdateArnAndRole(Member(*d, "KinesisStreamsInputDescription"), *k);
    SPATE_TRY(CheckArn(d->Find("KinesisStreamsInputDescription")->GetString("ResourceARN"), "kinesis", "stream/",
                       "Kinesis stream"));
  }
  if (const Value* k = u.Find("KinesisFirehoseInputUpdate")) {
    if (!d->Has("KinesisFirehoseInputDescription")) {
      return InvalidArgument("Input " + std::string(u.GetString("InputId")) + " does not read a delivery stream.");
    }
    UpdateArnAndRole(Member(*d, "KinesisFirehoseInputDescription"), *k);
    SPATE_TRY(CheckArn(d->Find("KinesisFirehoseInputDescription")->GetString("ResourceARN"), "firehose",
                       "deliverystream/", "Firehose delivery stream"));
  }
  if (const Value* p = u.Find("InputProcessingConfigurationUpdate")) {
    if (!d->Has("InputProcessingConfigurationDescription")) {
      return InvalidArgument("Input " + std::string(u.GetString("InputId")) +
                             " has no input processing configuration to update.");
    }
    UpdateArnAndRole(Member(Member(*d, "InputProcessingConfigurationDescription"), "InputLambdaProcessorDescription"),
                     *p->Find("InputLambdaProcessorUpdate"));
  }
  return Status::Ok();
}

Status ApplyOutputUpdate(ApplicationMeta& app, const Value& u) {
  SPATE_ASSIGN_OR_RETURN(Value * d, FindById(app.outputs, "OutputId", u.GetString("OutputId"), "Output", app));
  if (const Value* n = u.Find("NameUpdate")) d->Set("Name", *n);
  if (const Value* s = u.Find("DestinationSchemaUpdate")) d->Set("DestinationSchema", *s);
  int given = 0;
  for (const auto& kind : kOutputKinds) given += u.Has(kind[2]) ? 1 : 0;
  if (given > 1) return InvalidArgument("At most one destination update may be specified for an output.");
  for (const auto& kind : kOutputKinds) {
    const Value* upd = u.Find(kind[2]);
    if (upd == nullptr) continue;
    Value next = Value::MakeObject();
    if (const Value* old = d->Find(kind[1])) next = *old;
    UpdateArnAndRole(next, *upd);
    if (!next.Has("ResourceARN") || !next.Has("RoleARN")) {
      return InvalidArgument(
          "Both ResourceARNUpdate and RoleARNUpdate are required to change an output's "
          "destination type.");
    }
    SPATE_TRY(CheckOutputArn(kind[0], next.GetString("ResourceARN")));
    Value::Object& members = d->mutable_object();
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [](const Value::Member& m) {
                                   return m.first == kOutputKinds[0][1] || m.first == kOutputKinds[1][1] ||
                                          m.first == kOutputKinds[2][1];
                                 }),
                  members.end());
    d->Set(std::string(kind[1]), std::move(next));
  }
  return Status::Ok();
}

Status ApplyReferenceUpdate(ApplicationMeta& app, const Value& u) {
  SPATE_ASSIGN_OR_RETURN(
      Value * d, FindById(app.references, "ReferenceId", u.GetString("ReferenceId"), "Reference data source", app));
  if (const Value* t = u.Find("TableNameUpdate")) d->Set("TableName", *t);
  if (const Value* s = u.Find("ReferenceSchemaUpdate")) {
    SPATE_TRY(CheckSchema(*s));
    d->Set("ReferenceSchema", *s);
  }
  if (const Value* s = u.Find("S3ReferenceDataSourceUpdate")) {
    Value& desc = Member(*d, "S3ReferenceDataSourceDescription");
    if (const Value* b = s->Find("BucketARNUpdate")) {
      SPATE_TRY(CheckBucketArn(b->as_string()));
      desc.Set("BucketARN", *b);
    }
    if (const Value* k = s->Find("FileKeyUpdate")) desc.Set("FileKey", *k);
    if (const Value* r = s->Find("ReferenceRoleARNUpdate")) desc.Set("ReferenceRoleARN", *r);
  }
  return Status::Ok();
}

Status ApplyLoggingUpdate(ApplicationMeta& app, const Value& u) {
  SPATE_ASSIGN_OR_RETURN(Value * d,
                         FindById(app.logging, "CloudWatchLoggingOptionId", u.GetString("CloudWatchLoggingOptionId"),
                                  "CloudWatch logging option", app));
  if (const Value* a = u.Find("LogStreamARNUpdate")) {
    SPATE_TRY(CheckArn(a->as_string(), "logs", "log-group:", "LogStreamARN"));
    d->Set("LogStreamARN", *a);
  }
  if (const Value* r = u.Find("RoleARNUpdate")) d->Set("RoleARN", *r);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> TagsOf(const Value* list) {
  std::vector<std::pair<std::string, std::string>> out;
  if (list == nullptr) return out;
  for (const Value& t : list->as_array()) {
    out.emplace_back(std::string(t.GetString("Key")), std::string(t.GetString("Value")));
  }
  return out;
}

Status MergeTags(std::vector<std::pair<std::string, std::string>>* tags,
                 const std::vector<std::pair<std::string, std::string>>& add) {
  for (const auto& [k, v] : add) {
    if (k.rfind("aws:", 0) == 0) return InvalidArgument("Tag keys cannot start with the reserved prefix 'aws:': " + k);
  }
  auto merged = *tags;
  for (const auto& [k, v] : add) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& t) { return t.first == k; });
    if (it != merged.end()) {
      it->second = v;
    } else {
      merged.emplace_back(k, v);
    }
  }
  if (merged.size() > kMaxTags) {
    return Status(ErrorCode::kTooManyTags, "Application can't have more than " + std::to_string(kMaxTags) + " tags.");
  }
  *tags = std::move(merged);
  return Status::Ok();
}

Status NotFound(const iam::Caller& caller, std::string_view name) {
  return Status(ErrorCode::kNotFound,
                "Application " + std::string(name) + " is not found for account " + caller.account + ".");
}

}  // namespace

Applications::Applications(AnalyticsOptions options, metadata::Catalog* catalog, Runtime* runtime, util::Clock* clock)
    : options_(std::move(options)), catalog_(catalog), runtime_(runtime), clock_(clock) {}

Applications::~Applications() { Stop(); }

ApplicationMeta* Applications::Find(const iam::Caller& caller, std::string_view name) {
  auto it = apps_.find(caller.account + "/" + caller.region + "/" + std::string(name));
  return it == apps_.end() ? nullptr : &it->second;
}

Result<ApplicationMeta*> Applications::FindByArn(const iam::Caller& caller, std::string_view arn) {
  auto p = SplitArn(arn);
  if (!p || p->service != "kinesisanalytics" || p->resource.rfind("application/", 0) != 0) {
    return InvalidArgument("ResourceARN " + std::string(arn) + " is not a valid application ARN.");
  }
  std::string name = p->resource.substr(std::string_view("application/").size());
  ApplicationMeta* app = nullptr;
  if (p->account == caller.account && p->region == caller.region) app = Find(caller, name);
  if (app == nullptr || app->status == AppStatus::kDeleting) {
    return Status(ErrorCode::kNotFound, "Resource " + std::string(arn) + " not found.");
  }
  return app;
}

Status Applications::Commit(ApplicationMeta next) {
  SPATE_TRY(catalog_->PutEntry(kApplicationNamespace, next.Key(), EncodeApplicationMeta(next)));
  std::string key = next.Key();
  apps_[key] = std::move(next);
  return Status::Ok();
}

Result<Value> Applications::CreateApplication(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name(in.GetString("ApplicationName"));
  if (Find(caller, name) != nullptr) {
    return InUse("Application " + name + " already exists.");
  }
  size_t count = 0;
  std::string scope = caller.account + "/" + caller.region + "/";
  for (const auto& [key, app] : apps_) count += key.rfind(scope, 0) == 0 ? 1 : 0;
  if (count >= options_.max_applications) {
    return Status(ErrorCode::kLimitExceeded, "You have reached the maximum number of applications (" +
                                                 std::to_string(options_.max_applications) + ") in this region.");
  }
  ApplicationMeta m;
  m.account = caller.account;
  m.region = caller.region;
  m.name = name;
  if (const Value* d = in.Find("ApplicationDescription")) m.has_description = true, m.description = d->as_string();
  if (const Value* c = in.Find("ApplicationCode")) m.has_code = true, m.code = c->as_string();
  m.create_ms = m.last_update_ms = m.status_since_ms = clock_->NowMs();
  m.instance = NewInstance();
  if (const Value* inputs = in.Find("Inputs")) {
    if (inputs->as_array().size() > kMaxInputs) {
      return Status(ErrorCode::kLimitExceeded, "An application can have at most one input.");
    }
    for (const Value& i : inputs->as_array()) {
      SPATE_ASSIGN_OR_RETURN(Value d, DescribeInput(i, NextId(&m.next_input_id)));
      m.inputs.Append(std::move(d));
    }
  }
  if (const Value* outputs = in.Find("Outputs")) {
    if (outputs->as_array().size() > kMaxOutputs) {
      return Status(ErrorCode::kLimitExceeded, "An application can have at most 3 outputs.");
    }
    for (const Value& o : outputs->as_array()) {
      SPATE_ASSIGN_OR_RETURN(Value d, DescribeOutput(o, NextId(&m.next_output_id)));
      m.outputs.Append(std::move(d));
    }
  }
  if (const Value* opts = in.Find("CloudWatchLoggingOptions")) {
    for (const Value& o : opts->as_array()) {
      SPATE_ASSIGN_OR_RETURN(Value d, DescribeLogging(o, NextId(&m.next_logging_id)));
      m.logging.Append(std::move(d));
    }
  }
  SPATE_TRY(MergeTags(&m.tags, TagsOf(in.Find("Tags"))));
  if (runtime_ != nullptr) SPATE_TRY(runtime_->Check(m));
  Value summary = m.Summary();
  SPATE_TRY(Commit(std::move(m)));
  Value out = Value::MakeObject();
  out.Set("ApplicationSummary", std::move(summary));
  return out;
}

Result<Value> Applications::DescribeApplication(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  ApplicationMeta* app = Find(caller, in.GetString("ApplicationName"));
  if (app == nullptr) return NotFound(caller, in.GetString("ApplicationName"));
  Value out = Value::MakeObject();
  out.Set("ApplicationDetail", app->Detail());
  return out;
}

Result<Value> Applications::ListApplications(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t limit = in.GetInt("Limit", kDefaultListLimit);
  std::string start(in.GetString("ExclusiveStartApplicationName"));
  std::string scope = caller.account + "/" + caller.region + "/";
  Value list = Value::MakeArray();
  bool more = false;
  // apps_ is ordered by key, and so by name within a scope.
  for (auto it = apps_.lower_bound(scope); it != apps_.end() && it->first.rfind(scope, 0) == 0; ++it) {
    if (!start.empty() && it->second.name <= start) continue;
    if (static_cast<int64_t>(list.as_array().size()) == limit) {
      more = true;
      break;
    }
    list.Append(it->second.Summary());
  }
  Value out = Value::MakeObject();
  out.Set("ApplicationSummaries", std::move(list));
  out.Set("HasMoreApplications", Value::Bool(more));
  return out;
}

Result<Value> Applications::Modify(const iam::Caller& caller, const Value& in, const Change& change, bool updating) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name(in.GetString("ApplicationName"));
  ApplicationMeta* app = Find(caller, name);
  if (app == nullptr) return NotFound(caller, name);
  if (app->status != AppStatus::kReady && app->status != AppStatus::kRunning) {
    return InUse("Application " + name + " is not in a valid state for this operation (status " +
                 std::string(AppStatusName(app->status)) + ").");
  }
  int64_t given = in.GetInt("CurrentApplicationVersionId");
  if (given != app->version_id) {
    return Status(ErrorCode::kConcurrentModification, "Current application version ID " + std::to_string(given) +
                                                          " does not match the application's " + "version ID " +
                                                          std::to_string(app->version_id) + ".");
  }
  ApplicationMeta next = *app;
  SPATE_TRY(change(next));
  if (next.version_id >= kMaxVersionId) return InvalidArgument("Application " + name + " has too many versions.");
  next.version_id += 1;
  next.last_update_ms = clock_->NowMs();
  if (runtime_ != nullptr) SPATE_TRY(runtime_->Check(next));
  bool running = app->status == AppStatus::kRunning;
  if (running && updating) {
    next.status = AppStatus::kUpdating;
    next.status_since_ms = next.last_update_ms;
  }
  SPATE_TRY(Commit(next));
  if (running && !updating && runtime_ != nullptr) {
    // The state machine restarts the runner with the new configuration.
    restart_pending_.insert(next.Key());
  }
  state_cv_.notify_all();
  return Value::MakeObject();
}

Result<Value> Applications::UpdateApplication(const iam::Caller& caller, const Value& in) {
  const Value& u = *in.Find("ApplicationUpdate");
  return Modify(
      caller, in,
      [&u](ApplicationMeta& app) {
        if (const Value* c = u.Find("ApplicationCodeUpdate")) app.has_code = true, app.code = c->as_string();
        if (const Value* l = u.Find("InputUpdates")) {
          for (const Value& i : l->as_array()) SPATE_TRY(ApplyInputUpdate(app, i));
        }
        if (const Value* l = u.Find("OutputUpdates")) {
          for (const Value& o : l->as_array()) SPATE_TRY(ApplyOutputUpdate(app, o));
        }
        if (const Value* l = u.Find("ReferenceDataSourceUpdates")) {
          for (const Value& r : l->as_array()) SPATE_TRY(ApplyReferenceUpdate(app, r));
        }
        if (const Value* l = u.Find("CloudWatchLoggingOptionUpdates")) {
          for (const Value& o : l->as_array()) SPATE_TRY(ApplyLoggingUpdate(app, o));
        }
        return Status::Ok();
      },
      /*updating=*/true);
}

Result<Value> Applications::AddApplicationInput(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        if (app.inputs.as_array().size() >= kMaxInputs) {
          return InvalidArgument("Application " + app.name + " already has an input; an application can have one.");
        }
        SPATE_ASSIGN_OR_RETURN(Value d, DescribeInput(*in.Find("Input"), NextId(&app.next_input_id)));
        app.inputs.Append(std::move(d));
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::AddApplicationInputProcessingConfiguration(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        SPATE_ASSIGN_OR_RETURN(Value * d, FindById(app.inputs, "InputId", in.GetString("InputId"), "Input", app));
        const Value& proc = *in.Find("InputProcessingConfiguration");
        SPATE_TRY(CheckLambda(proc));
        d->Set("InputProcessingConfigurationDescription", ProcessingDescription(proc));
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::DeleteApplicationInputProcessingConfiguration(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        SPATE_ASSIGN_OR_RETURN(Value * d, FindById(app.inputs, "InputId", in.GetString("InputId"), "Input", app));
        Value::Object& members = d->mutable_object();
        members.erase(
            std::remove_if(members.begin(), members.end(),
                           [](const Value::Member& m) { return m.first == "InputProcessingConfigurationDescription"; }),
            members.end());
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::AddApplicationOutput(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        if (app.outputs.as_array().size() >= kMaxOutputs) {
          return InvalidArgument("Application " + app.name + " already has 3 outputs, the most it can have.");
        }
        SPATE_ASSIGN_OR_RETURN(Value d, DescribeOutput(*in.Find("Output"), NextId(&app.next_output_id)));
        app.outputs.Append(std::move(d));
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::DeleteApplicationOutput(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        return RemoveById(app.outputs, "OutputId", in.GetString("OutputId"), "Output", app);
      },
      false);
}

Result<Value> Applications::AddApplicationReferenceDataSource(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        if (app.references.as_array().size() >= kMaxReferences) {
          return InvalidArgument("Application " + app.name +
                                 " already has a reference data source; an application can have one.");
        }
        SPATE_ASSIGN_OR_RETURN(Value d,
                               DescribeReference(*in.Find("ReferenceDataSource"), NextId(&app.next_reference_id)));
        app.references.Append(std::move(d));
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::DeleteApplicationReferenceDataSource(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        return RemoveById(app.references, "ReferenceId", in.GetString("ReferenceId"), "Reference data source", app);
      },
      false);
}

Result<Value> Applications::AddApplicationCloudWatchLoggingOption(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        SPATE_ASSIGN_OR_RETURN(Value d,
                               DescribeLogging(*in.Find("CloudWatchLoggingOption"), NextId(&app.next_logging_id)));
        app.logging.Append(std::move(d));
        return Status::Ok();
      },
      false);
}

Result<Value> Applications::DeleteApplicationCloudWatchLoggingOption(const iam::Caller& caller, const Value& in) {
  return Modify(
      caller, in,
      [&in](ApplicationMeta& app) {
        return RemoveById(app.logging, "CloudWatchLoggingOptionId", in.GetString("CloudWatchLoggingOptionId"),
                          "CloudWatch logging option", app);
      },
      false);
}

Result<Value> Applications::StartApplication(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name(in.GetString("ApplicationName"));
  ApplicationMeta* app = Find(caller, name);
  if (app == nullptr) return NotFound(caller, name);
  if (app->status != AppStatus::kReady) {
    return InUse("Application " + name + " is in " + std::string(AppStatusName(app->status)) +
                 " status; it can be started only when READY.");
  }
  if (app->inputs.as_array().empty()) {
    return Status(ErrorCode::kInvalidApplicationConfiguration,
                  "Application " + name + " has no input; add one before starting it.");
  }
  const Value& input = app->inputs.as_array()[0];
  std::string position = "NOW";
  for (const Value& c : in.Find("InputConfigurations")->as_array()) {
    if (c.GetString("Id") != input.GetString("InputId")) {
      return InvalidArgument("Input " + std::string(c.GetString("Id")) + " not found in application " + name + ".");
    }
    const Value* pos = c.Find("InputStartingPositionConfiguration");
    if (pos != nullptr && pos->Has("InputStartingPosition"))
      position = std::string(pos->GetString("InputStartingPosition"));
  }
  if (const Value* ks = input.Find("KinesisStreamsInputDescription"); ks != nullptr) {
    if (options_.kinesis == nullptr) {
      return Status(ErrorCode::kUnsupportedOperation, "This server reads no Kinesis streams.");
    }
    auto shards = options_.kinesis->Shards(caller, ks->GetString("ResourceARN"));
    if (!shards.ok()) {
      return Status(ErrorCode::kInvalidApplicationConfiguration, "Input stream " +
                                                                     std::string(ks->GetString("ResourceARN")) +
                                                                     " cannot be read: " + shards.status().message());
    }
  } else {
    std::string_view arn = input.Find("KinesisFirehoseInputDescription")->GetString("ResourceARN");
    // AWS: TRIM_HORIZON "is not available for an Amazon Kinesis Data
    // Firehose delivery stream" (InputStartingPositionConfiguration).
    if (position == "TRIM_HORIZON") {
      return InvalidArgument(
          "Input starting position TRIM_HORIZON is not available for a Firehose delivery "
          "stream; use NOW or LAST_STOPPED_POINT.");
    }
    if (options_.firehose == nullptr) {
      return Status(ErrorCode::kUnsupportedOperation, "This server reads no Firehose delivery streams.");
    }
    auto range = options_.firehose->Range(caller, arn);
    if (!range.ok()) {
      return Status(ErrorCode::kInvalidApplicationConfiguration,
                    "Input delivery stream " + std::string(arn) + " cannot be read: " + range.status().message());
    }
  }
  if (runtime_ == nullptr) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "This server was built without the SQL engine; applications "
                  "cannot run.");
  }
  ApplicationMeta next = *app;
  next.starting_position = position;
  SPATE_TRY(runtime_->Check(next));
  next.status = AppStatus::kStarting;
  next.status_since_ms = clock_->NowMs();
  SPATE_TRY(Commit(std::move(next)));
  state_cv_.notify_all();
  return Value::MakeObject();
}

Result<Value> Applications::StopApplication(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name(in.GetString("ApplicationName"));
  ApplicationMeta* app = Find(caller, name);
  if (app == nullptr) return NotFound(caller, name);
  if (app->status == AppStatus::kReady || app->status == AppStatus::kStopping) return Value::MakeObject();
  if (app->status != AppStatus::kRunning && app->status != AppStatus::kStarting) {
    return InUse("Application " + name + " is in " + std::string(AppStatusName(app->status)) + " status.");
  }
  ApplicationMeta next = *app;
  next.status = AppStatus::kStopping;
  next.status_since_ms = clock_->NowMs();
  SPATE_TRY(Commit(std::move(next)));
  // The state machine stops the runner (STOPPING -> READY).
  state_cv_.notify_all();
  return Value::MakeObject();
}

Result<Value> Applications::DeleteApplication(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name(in.GetString("ApplicationName"));
  ApplicationMeta* app = Find(caller, name);
  if (app == nullptr) return NotFound(caller, name);
  if (app->status == AppStatus::kDeleting) return InUse("Application " + name + " is already being deleted.");
  if (app->status != AppStatus::kReady && app->status != AppStatus::kRunning) {
    return InUse("Application " + name + " is in " + std::string(AppStatusName(app->status)) + " status.");
  }
  int64_t given = in.Find("CreateTimestamp")->as_timestamp_ms();
  // The SDKs send whole seconds (botocore truncates the fraction Describe
  // gave): the second must match.
  if (FloorDiv(given, 1000) != FloorDiv(app->create_ms, 1000)) {
    return InvalidArgument("CreateTimestamp does not match the creation time of application " + name + ".");
  }
  ApplicationMeta next = *app;
  next.status = AppStatus::kDeleting;
  next.status_since_ms = clock_->NowMs();
  SPATE_TRY(Commit(std::move(next)));
  // The state machine stops the runner and removes the application.
  state_cv_.notify_all();
  return Value::MakeObject();
}

Result<Value> Applications::TagResource(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  SPATE_ASSIGN_OR_RETURN(ApplicationMeta * app, FindByArn(caller, in.GetString("ResourceARN")));
  ApplicationMeta next = *app;
  SPATE_TRY(MergeTags(&next.tags, TagsOf(in.Find("Tags"))));
  SPATE_TRY(Commit(std::move(next)));
  return Value::MakeObject();
}

Result<Value> Applications::UntagResource(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  SPATE_ASSIGN_OR_RETURN(ApplicationMeta * app, FindByArn(caller, in.GetString("ResourceARN")));
  ApplicationMeta next = *app;
  for (const Value& k : in.Find("TagKeys")->as_array()) {
    if (k.as_string().rfind("aws:", 0) == 0) {
      return InvalidArgument("Tag keys cannot start with the reserved prefix 'aws:': " + k.as_string());
    }
    std::erase_if(next.tags, [&](const auto& t) { return t.first == k.as_string(); });
  }
  SPATE_TRY(Commit(std::move(next)));
  return Value::MakeObject();
}

Result<Value> Applications::ListTagsForResource(const iam::Caller& caller, const Value& in) {
  std::lock_guard<std::mutex> lock(mu_);
  SPATE_ASSIGN_OR_RETURN(ApplicationMeta * app, FindByArn(caller, in.GetString("ResourceARN")));
  Value tags = Value::MakeArray();
  for (const auto& [k, v] : app->tags) {
    Value t = Value::MakeObject();
    t.Set("Key", Value::String(k));
    t.Set("Value", Value::String(v));
    tags.Append(std::move(t));
  }
  Value out = Value::MakeObject();
  out.Set("Tags", std::move(tags));
  return out;
}

}  // namespace spate::analytics
