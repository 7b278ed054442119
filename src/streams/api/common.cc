#include "streams/api/common.h"
#include "streams/registry.h"
#include "streams/token_codec.h"

#include <cctype>
#include <utility>

#include "base/assert.h"
#include "model/types.h"
#include "protocol/model_pattern.h"
#include "streams/access.h"

namespace spate::streams::api {

using protocol::Value;

Result<StreamRef> StreamFromInput(const Context& ctx, const Value& in) {
  auto ref = ResolveStream(ctx.caller, in.GetString("StreamName"), in.GetString("StreamARN"));
  if (!ref.ok()) return ref;
  SPATE_TRY(AuthorizeStream(ctx, *ref));
  return ref;
}

Result<StreamHandle> FindStreamFromInput(const Context& ctx, const Value& in) {
  auto ref = ResolveStream(ctx.caller, in.GetString("StreamName"), in.GetString("StreamARN"));
  if (!ref.ok()) return ref.status();
  StreamHandle stream = ctx.registry->Find(std::move(ref).value());
  SPATE_TRY(AuthorizeStream(ctx, stream));
  return stream;
}

Status AuthorizeStream(const Context& ctx, const StreamRef& ref) {
  if (ref.account == ctx.caller.account) return Status::Ok();  // no lookup needed
  return AuthorizeStream(ctx, ctx.registry->Find(ref));
}

Status AuthorizeStream(const Context& ctx, const StreamHandle& stream) {
  if (stream.ref.account == ctx.caller.account) return Status::Ok();
  std::string arn = StreamArn(stream.ref);
  Status st = ctx.registry->WithStream(
      stream, [&](const Stream& s) { return Authorize(ctx.caller, ctx.Action(), s.meta(), arn); });
  // Another account's stream that does not exist is as inaccessible as one
  // whose policy does not allow the call: the answer must not tell them apart.
  if (st.code() == ErrorCode::kNotFound) return AccessDenied(ctx.caller, ctx.Action(), arn, false);
  return st;
}

Value StreamModeDetailsValue(metadata::StreamMode mode) {
  Value v = Value::MakeObject();
  v.Set("StreamMode", Value::String(std::string(metadata::StreamModeName(mode))));
  return v;
}

Value EnhancedMonitoringValue(const metadata::StreamMeta& meta) {
  Value metrics = Value::MakeArray();
  for (const std::string& m : meta.shard_level_metrics) metrics.Append(Value::String(m));
  Value entry = Value::MakeObject();
  entry.Set("ShardLevelMetrics", std::move(metrics));
  Value list = Value::MakeArray();
  list.Append(std::move(entry));
  return list;
}

int64_t IntMember(const Value& in, std::string_view name, int64_t fallback) {
  const Value* v = in.Find(name);
  return (v != nullptr && v->is_int()) ? v->as_int() : fallback;
}

void Finish(const Done& done, Status st) {
  if (st.ok()) {
    done(Value::MakeObject());
  } else {
    done(std::move(st));
  }
}

StreamCheck InjectedFaults(const Context& ctx) {
  FaultInjector* faults = &ctx.registry->faults();
  if (faults->empty()) return {};
  return [faults, operation = ctx.operation](const Stream& s) {
    return faults->Draw(operation, s.meta().name, s.meta().account);
  };
}

}  // namespace spate::streams::api

#include <cctype>
#include <charconv>
#include <set>

#include "util/coding.h"

namespace spate::streams::api {

namespace {
constexpr int64_t kNextTokenTtlMs = 300'000;
}

std::string SealNextToken(const Context& ctx, std::string_view kind, const std::vector<std::string>& fields) {
  std::string p;
  util::PutLengthPrefixed(&p, kind);
  util::PutFixed64(&p, static_cast<uint64_t>(ctx.registry->clock()->NowMs()));
  for (const std::string& f : fields) util::PutLengthPrefixed(&p, f);
  return ctx.registry->tokens().Seal(p);
}

namespace {
template <typename T>
Result<T> TokenNumber(std::string_view field) {
  T v{};
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size()) {
    return Status(ErrorCode::kInvalidArgument, "Invalid NextToken.");
  }
  return v;
}
}  // namespace

Result<int64_t> TokenInt(std::string_view field) { return TokenNumber<int64_t>(field); }
Result<uint64_t> TokenUint(std::string_view field) { return TokenNumber<uint64_t>(field); }

Result<std::vector<std::string>> OpenNextToken(const Context& ctx, std::string_view kind, std::string_view token) {
  Status invalid(ErrorCode::kInvalidArgument, "Invalid NextToken.");
  auto plain = ctx.registry->tokens().Open(token);
  if (!plain) return invalid;
  std::string_view in(*plain);
  std::string_view k;
  uint64_t issued;
  if (!util::GetLengthPrefixed(&in, &k) || k != kind || !util::GetFixed64(&in, &issued)) return invalid;
  int64_t now = ctx.registry->clock()->NowMs();
  if (now - static_cast<int64_t>(issued) > kNextTokenTtlMs) {
    return Status(ErrorCode::kExpiredNextToken, "The timestamp of the NextToken is expired.");
  }
  std::vector<std::string> fields;
  while (!in.empty()) {
    std::string_view f;
    if (!util::GetLengthPrefixed(&in, &f)) return invalid;
    fields.emplace_back(f);
  }
  return fields;
}

}  // namespace spate::streams::api

namespace spate::streams::api {

Status MakePutEntry(Value* in_value, size_t max_record_bytes, size_t record_number, PutEntry* out) {
  const Value& in = *in_value;
  if (Value* k = in_value->FindMutable("PartitionKey"); k != nullptr && k->is_string()) {
    out->partition_key = std::move(k->mutable_string());
  }
  if (Value* d = in_value->FindMutable("Data")) out->data = std::move(d->mutable_string());
  SPATE_TRY(CheckRecordSize(out->data.size() + out->partition_key.size(), max_record_bytes, record_number));
  if (std::string_view ehk = in.GetString("ExplicitHashKey"); !ehk.empty()) {
    auto v = util::ParseDecimal128(ehk);
    if (!v) {
      return Status(
          ErrorCode::kInvalidArgument,
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " +
              std::string(ehk));
    }
    out->explicit_hash_key = *v;
  }
  return Status::Ok();
}

Status CheckRecordSize(size_t bytes, size_t max_record_bytes, size_t record_number) {
  if (bytes <= max_record_bytes) return Status::Ok();
  const std::string path = record_number == 0 ? "data" : "records." + std::to_string(record_number) + ".member.data";
  return Status(ErrorCode::kValidation, "1 validation error detected: Value at '" + path +
                                            "' failed to satisfy constraint: Member must have length less than "
                                            "or equal to " +
                                            std::to_string(max_record_bytes));
}

Result<size_t> MaxRecordBytes(const Context& ctx, const StreamHandle& stream) {
  size_t bytes = 0;
  Status st = ctx.registry->WithStream(stream, [&](const Stream& s) {
    bytes = static_cast<size_t>(s.meta().max_record_size_kib) * 1024;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return bytes;
}

}  // namespace spate::streams::api

namespace spate::streams::api {

namespace {

// The characters AWS lets through its first check of tag text: Unicode
// letters and digits, white space of \p{Z} (space, no-break space, ...; not
// tab or newline, which are controls), and _ . : / = + - @ %. '%' is then
// refused by a second check with a message of its own, as AWS does.
// Ill-formed UTF-8 reads as U+FFFD, a symbol, so it is refused.
const protocol::ModelPattern& TagTextPattern() {
  static const protocol::ModelPattern pattern = [] {
    auto p = protocol::ModelPattern::Compile(R"([\p{L}\p{N}\p{Z}_.:/=+\-@%]*)");
    SPATE_ASSERT(p.ok(), "the tag text pattern compiles");
    return std::move(p).value();
  }();
  return pattern;
}

// "aws:" in any case, as AWS reserves it.
bool HasReservedPrefix(std::string_view key) {
  constexpr std::string_view kPrefix = "aws:";
  if (key.size() < kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(key[i])) != kPrefix[i]) return false;
  }
  return true;
}

}  // namespace

Status CheckTagText(std::string_view action, const metadata::StreamMeta& stream,
                    const std::vector<std::string_view>& keys, const std::vector<std::string_view>& values) {
  auto any = [&](auto&& pred) {
    for (std::string_view k : keys) {
      if (pred(k)) return true;
    }
    for (std::string_view v : values) {
      if (pred(v)) return true;
    }
    return false;
  };
  auto failed = [&](std::string_view because) {
    return Status(ErrorCode::kInvalidArgument, "Failed to " + std::string(action) + " stream " + stream.name +
                                                   " under account " + stream.account + " because " +
                                                   std::string(because));
  };
  if (any([](std::string_view t) { return !TagTextPattern().FullMatch(t); })) {
    return Status(ErrorCode::kInvalidArgument,
                  "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
                  "_ . / = + - % @ :.");
  }
  if (any([](std::string_view t) { return t.find('%') != std::string_view::npos; })) {
    return failed(
        "some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, "
        "'_',',','/','=','+','-','@',':'.");
  }
  for (std::string_view k : keys) {
    if (HasReservedPrefix(k)) return failed("tag keys beginning with aws: are reserved for use by AWS.");
  }
  return Status::Ok();
}

Status CheckTagKeysToRemove(const metadata::StreamMeta& stream, const Value& tag_keys) {
  std::vector<std::string_view> keys;
  for (const Value& k : tag_keys.as_array()) keys.push_back(k.as_string());
  return CheckTagText("remove tags from", stream, keys, {});
}

Status AddTags(metadata::StreamMeta& meta, const Value& tags) {
  std::vector<std::string_view> keys, values;
  for (const auto& [k, v] : tags.as_object()) {
    keys.push_back(k);
    values.push_back(v.as_string());
  }
  SPATE_TRY(CheckTagText("add tags to", meta, keys, values));
  size_t added = 0;
  for (const auto& [k, v] : tags.as_object()) {
    if (meta.tags.count(k) == 0) ++added;
  }
  if (meta.tags.size() + added > kMaxTagsPerStream) {
    return Status(ErrorCode::kInvalidArgument, "Failed to add tags to stream " + meta.name + " under account " +
                                                   meta.account + " because a given stream cannot have more than " +
                                                   std::to_string(kMaxTagsPerStream) + " tags associated with it.");
  }
  for (const auto& [k, v] : tags.as_object()) meta.tags[k] = v.as_string();
  return Status::Ok();
}

Result<StreamRef> StreamFromResourceArn(const Context& ctx, std::string_view arn) {
  auto ref = ResolveStream(ctx.caller, {}, arn);
  if (!ref.ok()) return ref;
  SPATE_TRY(AuthorizeStream(ctx, *ref));
  return ref;
}

}  // namespace spate::streams::api

namespace spate::streams::api {

Status CheckRetentionBounds(int64_t hours) {
  if (hours < kMinRetentionHours) {
    return Status(ErrorCode::kInvalidArgument,
                  "Minimum allowed retention period is " + std::to_string(kMinRetentionHours) +
                      " hours. Requested retention period (" + std::to_string(hours) + " hours) is too short.");
  }
  if (hours > kMaxRetentionHours) {
    return Status(ErrorCode::kInvalidArgument,
                  "Maximum allowed retention period is " + std::to_string(kMaxRetentionHours) +
                      " hours. Requested retention period (" + std::to_string(hours) + " hours) is too long.");
  }
  return Status::Ok();
}

}  // namespace spate::streams::api

namespace spate::streams::api {

void ChangeShardLevelMetrics(const Context& ctx, const Value& in, bool enable, const Done& done) {
  static const char* const kAll[] = {"IncomingBytes",
                                     "IncomingRecords",
                                     "OutgoingBytes",
                                     "OutgoingRecords",
                                     "WriteProvisionedThroughputExceeded",
                                     "ReadProvisionedThroughputExceeded",
                                     "IteratorAgeMilliseconds"};
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  std::set<std::string> requested;
  for (const Value& v : in.Find("ShardLevelMetrics")->as_array()) {
    if (v.as_string() == "ALL") {
      requested.insert(std::begin(kAll), std::end(kAll));
    } else {
      requested.insert(v.as_string());
    }
  }
  auto to_list = [](const std::set<std::string>& s) {
    Value list = Value::MakeArray();
    for (const std::string& m : s) list.Append(Value::String(m));
    return list;
  };
  Value out = Value::MakeObject();
  Status st = ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequireActive(m));
    std::set<std::string> before = m.shard_level_metrics;
    for (const std::string& r : requested) {
      if (enable) {
        m.shard_level_metrics.insert(r);
      } else {
        m.shard_level_metrics.erase(r);
      }
    }
    out.Set("StreamName", Value::String(m.name));
    out.Set("StreamARN", Value::String(StreamArn(m)));
    out.Set("CurrentShardLevelMetrics", to_list(before));
    out.Set("DesiredShardLevelMetrics", to_list(m.shard_level_metrics));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api

namespace spate::streams::api {

Status CheckAtTimestamp(const Value* timestamp, int64_t now_ms) {
  if (timestamp == nullptr) {
    return Status(ErrorCode::kInvalidArgument,
                  "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no "
                  "timestamp parameter.");
  }
  if (timestamp->as_timestamp_ms() > now_ms) {
    return Status(ErrorCode::kInvalidArgument,
                  "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                  "timestampInMillis: " +
                      std::to_string(timestamp->as_timestamp_ms()) +
                      ", currentTimestampInMillis: " + std::to_string(now_ms));
  }
  return Status::Ok();
}

}  // namespace spate::streams::api

namespace spate::streams::api {

void SetStreamDescriptionCommon(const Stream& stream, Value* d) {
  const metadata::StreamMeta& m = stream.meta();
  d->Set("StreamName", Value::String(m.name));
  d->Set("StreamARN", Value::String(stream.Arn()));
  d->Set("StreamStatus", Value::String(std::string(metadata::StreamStatusName(m.status))));
  d->Set("StreamModeDetails", StreamModeDetailsValue(m.mode));
  d->Set("RetentionPeriodHours", Value::Int(m.retention_hours));
  d->Set("StreamCreationTimestamp", Value::TimestampMs(m.created_ms));
  d->Set("EnhancedMonitoring", EnhancedMonitoringValue(m));
  d->Set("EncryptionType", Value::String(m.encryption_type));
  if (!m.key_id.empty()) d->Set("KeyId", Value::String(m.key_id));
}

Value WarmThroughputValue(const Stream& stream) {
  Value w = Value::MakeObject();
  w.Set("TargetMiBps", Value::Int(stream.meta().warm_throughput_mibps));
  w.Set("CurrentMiBps", Value::Int(static_cast<int64_t>(stream.OpenShardCount()) * kOnDemandShardWriteMiBps));
  return w;
}

}  // namespace spate::streams::api
