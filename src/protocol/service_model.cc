#include "protocol/service_model.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/embedded_models.h"
#include "protocol/model_pattern.h"
#include "util/base64.h"

namespace spate::protocol {

namespace {

// AWS reports at most this many constraint violations per request
// (kinesalite test/putRecords.js: 501 bad records give 10 errors).
constexpr size_t kMaxValidationErrors = 10;

// Java's Integer.MAX_VALUE: AWS caps integer members at it before range checks
// (kinesalite validations/index.js).
constexpr int64_t kJavaIntMax = 2147483647;

// AWS lists some enums in the order of a Java HashSet, not the model's. Where
// that order has been observed it is recorded here, by target prefix and shape
// name; it is used only while the model's value set is the same set.
struct EnumListing {
  std::string_view target_prefix;
  std::string_view shape;
  std::vector<std::string_view> values;
};
const std::vector<EnumListing>& ObservedEnumListings() {
  static const std::vector<EnumListing> kListings = {
      // kinesalite test/getShardIterator.js, captured from AWS.
      {"Kinesis_20131202",
       "ShardIteratorType",
       {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}},
  };
  return kListings;
}

enum class ShapeType : uint8_t {
  kStructure,
  kList,
  kMap,
  kString,
  kBlob,
  kBoolean,
  kInteger,
  kLong,
  kDouble,
  kFloat,
  kTimestamp,
};

struct Member {
  std::string name;       // as on the wire: "StreamName"
  std::string path_name;  // as in error paths: "streamName"
  int32_t shape = -1;
  bool required = false;
};

// A bound from the model (min/max), kept with the text AWS prints for it.
struct Bound {
  double value = 0;
  std::string text;
};

struct Shape {
  ShapeType type = ShapeType::kString;
  std::string name;
  std::vector<Member> members;  // kStructure, sorted by name
  int32_t member = -1;          // kList: element shape
  int32_t key = -1;             // kMap
  int32_t value = -1;           // kMap
  std::optional<Bound> min;     // length for string/blob/list/map, value for numbers
  std::optional<Bound> max;
  std::optional<ModelPattern> pattern;
  std::vector<std::string> enum_values;  // empty when not an enum
  std::string enum_listing;              // "[A, B]" in AWS's order
  bool event_stream = false;             // marked `eventstream` (an event-stream union)

  bool IsNumeric() const {
    return type == ShapeType::kInteger || type == ShapeType::kLong || type == ShapeType::kDouble ||
           type == ShapeType::kFloat;
  }
  bool IsContainer() const {
    return type == ShapeType::kStructure || type == ShapeType::kList || type == ShapeType::kMap;
  }
};

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

// Java's Double.toString for the common cases: integral values get ".0".
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string FormatBound(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e18) return std::to_string(static_cast<int64_t>(d));
  return FormatDouble(d);
}

// Length as Java's String.length(): UTF-16 code units of the UTF-8 text.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a code point starts here
    if ((c & 0xF8) == 0xF0) ++n;  // 4-byte sequence: a surrogate pair
  }
  return n;
}

}  // namespace

struct ServiceModel::Impl {
  std::string target_prefix;
  std::string endpoint_prefix;
  std::string java_package;  // "com.amazonaws.kinesis.v20131202", for printing structures
  std::vector<Shape> shapes;
  std::vector<OperationInfo> operations;  // sorted by name
};

namespace {

// ---------------------------------------------------------------------------
// Loading

#define SPATE_MODEL_CHECK(cond, what) SPATE_ASSERT(cond, "embedded service model: " what)

std::string_view GetString(simdjson::dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::optional<Bound> GetBound(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  Bound b;
  int64_t i;
  double d;
  if (v.get_int64().get(i) == simdjson::SUCCESS) {
    b.value = static_cast<double>(i);
  } else if (v.get_double().get(d) == simdjson::SUCCESS) {
    b.value = d;
  } else {
    SPATE_MODEL_CHECK(false, "min/max is not a number");
  }
  b.text = FormatBound(b.value);
  return b;
}

ShapeType ParseShapeType(std::string_view t) {
  if (t == "structure") return ShapeType::kStructure;
  if (t == "list") return ShapeType::kList;
  if (t == "map") return ShapeType::kMap;
  if (t == "string") return ShapeType::kString;
  if (t == "blob") return ShapeType::kBlob;
  if (t == "boolean") return ShapeType::kBoolean;
  if (t == "integer") return ShapeType::kInteger;
  if (t == "long") return ShapeType::kLong;
  if (t == "double") return ShapeType::kDouble;
  if (t == "float") return ShapeType::kFloat;
  if (t == "timestamp") return ShapeType::kTimestamp;
  SPATE_MODEL_CHECK(false, "unknown shape type");
  return ShapeType::kString;
}

// Where Spate accepts more than the model: a self-hosted server delivers to
// endpoints over plain http too (AWS requires https). {target prefix, shape,
// the pattern used instead}; error messages quote the pattern used.
struct PatternOverride {
  std::string_view target_prefix;
  std::string_view shape;
  std::string_view pattern;
};
constexpr PatternOverride kPatternOverrides[] = {
    {"Firehose_20150804", "HttpEndpointUrl", "https?://.*"},
    {"Firehose_20150804", "AmazonopensearchserviceClusterEndpoint", "https?:.*"},
    {"Firehose_20150804", "ElasticsearchClusterEndpoint", "https?:.*"},
    {"Firehose_20150804", "AmazonOpenSearchServerlessCollectionEndpoint", "https?:.*"},
};

std::string_view PatternOf(std::string_view target_prefix, std::string_view shape, std::string_view pattern) {
  for (const PatternOverride& o : kPatternOverrides) {
    if (o.target_prefix == target_prefix && o.shape == shape) return o.pattern;
  }
  return pattern;
}

}  // namespace

ServiceModel::ServiceModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServiceModel::~ServiceModel() = default;

// The embedded models are part of the binary, so a model that does not load
// is a build defect: it is asserted, not returned.
std::unique_ptr<ServiceModel> ServiceModel::Load(std::string_view json) {
  auto impl = std::make_unique<Impl>();
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json.data(), json.size());
  simdjson::dom::element doc;
  SPATE_MODEL_CHECK(parser.parse(padded).get(doc) == simdjson::SUCCESS, "invalid JSON");

  simdjson::dom::element metadata;
  SPATE_MODEL_CHECK(doc["metadata"].get(metadata) == simdjson::SUCCESS, "no metadata");
  impl->target_prefix = std::string(GetString(metadata, "targetPrefix"));
  impl->endpoint_prefix = std::string(GetString(metadata, "endpointPrefix"));
  std::string version(GetString(metadata, "apiVersion"));
  version.erase(std::remove(version.begin(), version.end(), '-'), version.end());
  impl->java_package = "com.amazonaws." + impl->endpoint_prefix + ".v" + version;
  SPATE_MODEL_CHECK(!impl->target_prefix.empty(), "no targetPrefix");

  // Shapes: first their indices, so members can refer forward.
  simdjson::dom::object shapes;
  SPATE_MODEL_CHECK(doc["shapes"].get_object().get(shapes) == simdjson::SUCCESS, "no shapes");
  std::unordered_map<std::string, int32_t> index;
  for (simdjson::dom::key_value_pair kv : shapes) {
    index.emplace(std::string(kv.key), static_cast<int32_t>(index.size()));
  }
  auto lookup = [&](simdjson::dom::element ref) {
    const auto it = index.find(std::string(GetString(ref, "shape")));
    SPATE_MODEL_CHECK(it != index.end(), "reference to an unknown shape");
    return it->second;
  };
  impl->shapes.resize(index.size());
  for (simdjson::dom::key_value_pair kv : shapes) {
    Shape& s = impl->shapes[index.at(std::string(kv.key))];
    const simdjson::dom::element e = kv.value;
    s.name = std::string(kv.key);
    s.type = ParseShapeType(GetString(e, "type"));
    s.min = GetBound(e, "min");
    s.max = GetBound(e, "max");
    bool event_stream = false;
    s.event_stream = e["eventstream"].get_bool().get(event_stream) == simdjson::SUCCESS && event_stream;
    if (std::string_view p = PatternOf(impl->target_prefix, s.name, GetString(e, "pattern")); !p.empty()) {
      auto compiled = ModelPattern::Compile(p);
      SPATE_MODEL_CHECK(compiled.ok(), "pattern outside the supported subset");
      s.pattern.emplace(std::move(compiled).value());
    }
    simdjson::dom::array values;
    if (e["enum"].get_array().get(values) == simdjson::SUCCESS) {
      for (simdjson::dom::element v : values) {
        std::string_view str;
        SPATE_MODEL_CHECK(v.get_string().get(str) == simdjson::SUCCESS, "enum value not a string");
        s.enum_values.emplace_back(str);
      }
    }
    switch (s.type) {
      case ShapeType::kStructure: {
        std::vector<std::string_view> required;
        simdjson::dom::array req;
        if (e["required"].get_array().get(req) == simdjson::SUCCESS) {
          for (simdjson::dom::element r : req) {
            std::string_view name;
            if (r.get_string().get(name) == simdjson::SUCCESS) required.push_back(name);
          }
        }
        simdjson::dom::object members;
        if (e["members"].get_object().get(members) == simdjson::SUCCESS) {
          for (simdjson::dom::key_value_pair m : members) {
            Member member;
            member.name = std::string(m.key);
            member.path_name = LowerFirst(m.key);
            member.shape = lookup(m.value);
            member.required = std::find(required.begin(), required.end(), m.key) != required.end();
            s.members.push_back(std::move(member));
          }
        }
        // AWS checks and reports members in name order (kinesalite: 'records'
        // before 'streamName', 'shardCount' before 'streamName').
        std::sort(s.members.begin(), s.members.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
        break;
      }
      case ShapeType::kList: {
        simdjson::dom::element m;
        SPATE_MODEL_CHECK(e["member"].get(m) == simdjson::SUCCESS, "list without member");
        s.member = lookup(m);
        break;
      }
      case ShapeType::kMap: {
        simdjson::dom::element k;
        simdjson::dom::element v;
        SPATE_MODEL_CHECK(e["key"].get(k) == simdjson::SUCCESS, "map without key");
        SPATE_MODEL_CHECK(e["value"].get(v) == simdjson::SUCCESS, "map without value");
        s.key = lookup(k);
        s.value = lookup(v);
        break;
      }
      default: break;
    }
    if (!s.enum_values.empty()) {
      std::vector<std::string_view> listing(s.enum_values.begin(), s.enum_values.end());
      for (const EnumListing& l : ObservedEnumListings()) {
        if (l.target_prefix != impl->target_prefix || l.shape != s.name) continue;
        std::vector<std::string_view> a = l.values;
        std::vector<std::string_view> b = listing;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (a == b) listing = l.values;
      }
      s.enum_listing = "[";
      for (size_t i = 0; i < listing.size(); ++i) {
        if (i > 0) s.enum_listing += ", ";
        s.enum_listing += listing[i];
      }
      s.enum_listing += "]";
    }
  }

  simdjson::dom::object operations;
  SPATE_MODEL_CHECK(doc["operations"].get_object().get(operations) == simdjson::SUCCESS, "no operations");
  for (simdjson::dom::key_value_pair kv : operations) {
    OperationInfo op;
    op.name_ = std::string(kv.key);
    simdjson::dom::element input;
    if (kv.value["input"].get(input) == simdjson::SUCCESS) {
      op.input_index_ = lookup(input);
      op.input_shape_ = impl->shapes[op.input_index_].name;
      SPATE_MODEL_CHECK(impl->shapes[op.input_index_].type == ShapeType::kStructure, "input is not a structure");
    }
    simdjson::dom::element output;
    if (kv.value["output"].get(output) == simdjson::SUCCESS) {
      op.output_shape_ = std::string(GetString(output, "shape"));
      const Shape& out = impl->shapes[lookup(output)];
      for (const Member& m : out.members) op.event_stream_output_ |= impl->shapes[m.shape].event_stream;
    }
    impl->operations.push_back(std::move(op));
  }
  std::sort(impl->operations.begin(), impl->operations.end(),
            [](const OperationInfo& a, const OperationInfo& b) { return a.name() < b.name(); });
  return std::unique_ptr<ServiceModel>(new ServiceModel(std::move(impl)));
}

const ServiceModel& ServiceModel::Kinesis() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kKinesisJson, embedded::kKinesisJsonSize));
  return *kModel;
}

const ServiceModel& ServiceModel::Firehose() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kFirehoseJson, embedded::kFirehoseJsonSize));
  return *kModel;
}

const ServiceModel& ServiceModel::KinesisAnalytics() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kKinesisAnalyticsJson, embedded::kKinesisAnalyticsJsonSize));
  return *kModel;
}

const ServiceModel& ServiceModel::SpateLeases() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kSpateLeasesJson, embedded::kSpateLeasesJsonSize));
  return *kModel;
}

const ServiceModel& ServiceModel::SpateProducers() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kSpateProducersJson, embedded::kSpateProducersJsonSize));
  return *kModel;
}

const ServiceModel& ServiceModel::SpateCluster() {
  static const std::unique_ptr<ServiceModel> kModel =
      Load(std::string_view(embedded::kSpateClusterJson, embedded::kSpateClusterJsonSize));
  return *kModel;
}

const ServiceModel* ServiceModel::ForTargetPrefix(std::string_view prefix) {
  for (const ServiceModel* m :
       {&Kinesis(), &Firehose(), &KinesisAnalytics(), &SpateLeases(), &SpateProducers(), &SpateCluster()}) {
    if (m->target_prefix() == prefix) return m;
  }
  return nullptr;
}

std::string_view ServiceModel::target_prefix() const { return impl_->target_prefix; }
std::string_view ServiceModel::endpoint_prefix() const { return impl_->endpoint_prefix; }

const OperationInfo* ServiceModel::FindOperation(std::string_view name) const {
  const auto& ops = impl_->operations;
  auto it = std::lower_bound(ops.begin(), ops.end(), name,
                             [](const OperationInfo& op, std::string_view n) { return op.name() < n; });
  if (it == ops.end() || it->name() != name) return nullptr;
  return &*it;
}

const std::vector<OperationInfo>& ServiceModel::operations() const { return impl_->operations; }

std::optional<MemberConstraints> ServiceModel::InputMember(const OperationInfo& op,
                                                           std::initializer_list<std::string_view> path) const {
  if (op.input_index_ < 0) return std::nullopt;
  const std::vector<Shape>& shapes = impl_->shapes;
  int32_t at = op.input_index_;
  bool required = false;
  for (std::string_view name : path) {
    for (;;) {  // through lists and maps to the structure holding `name`
      const Shape& s = shapes[static_cast<size_t>(at)];
      if (s.type == ShapeType::kList) {
        at = s.member;
      } else if (s.type == ShapeType::kMap) {
        at = s.value;
      } else {
        break;
      }
    }
    const std::vector<Member>& members = shapes[static_cast<size_t>(at)].members;
    auto m = std::find_if(members.begin(), members.end(), [&](const Member& x) { return x.name == name; });
    if (m == members.end()) return std::nullopt;
    at = m->shape;
    required = m->required;
  }
  const Shape& s = shapes[static_cast<size_t>(at)];
  MemberConstraints c;
  if (s.min) c.min = s.min->value;
  if (s.max) c.max = s.max->value;
  if (s.pattern) c.pattern = &*s.pattern;
  c.required = required;
  return c;
}

namespace {

// ---------------------------------------------------------------------------
// Phase 1: types. Messages are AWS's (Java coral) as recorded by kinesalite
// (validations/index.js, test/helpers.js assertType).

const char* TargetName(ShapeType t) {
  switch (t) {
    case ShapeType::kBoolean: return "an Boolean";
    case ShapeType::kInteger: return "an Integer";
    case ShapeType::kLong: return "an Long";
    case ShapeType::kDouble: return "an Double";
    case ShapeType::kFloat: return "an Float";
    case ShapeType::kString: return "an String";
    case ShapeType::kBlob: return "a Blob";
    case ShapeType::kTimestamp: return "milliseconds since epoch";
    default: return "an Object";
  }
}

// The Java class AWS names for a value of this kind.
const char* JavaClass(Value::Kind k) {
  switch (k) {
    case Value::Kind::kBool: return "class java.lang.Boolean";
    case Value::Kind::kInt:
    case Value::Kind::kDouble: return "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
    case Value::Kind::kString: return "class java.lang.String";
    case Value::Kind::kBlob: return "class java.nio.HeapByteBuffer";  // CBOR only; not observed
    case Value::Kind::kTimestamp: return "class java.util.Date";      // CBOR only; not observed
    default: return "class java.lang.Object";
  }
}

Status TypeError(std::string message) { return Status(ErrorCode::kSerialization, std::move(message)); }

// Error for a value of the wrong kind for a scalar shape.
Status ScalarMismatch(const Value& v, ShapeType target) {
  if (v.is_array()) return TypeError("Start of list found where not expected");
  if (v.is_object()) return TypeError("Start of structure or map found where not expected.");
  return TypeError(std::string(JavaClass(v.kind())) + " can not be converted to " + TargetName(target));
}

class Coercer {
 public:
  Coercer(const ServiceModel::Impl& model, WireFormat format) : model_(model), format_(format) {}

  // Precondition: !v->is_null().
  Status Coerce(int32_t shape_index, Value* v) {
    const Shape& shape = model_.shapes[shape_index];
    switch (shape.type) {
      case ShapeType::kStructure: return CoerceStructure(shape, v);
      case ShapeType::kList: {
        if (v->is_object()) return TypeError("Start of structure or map found where not expected.");
        if (!v->is_array()) return TypeError("Expected list or null");
        for (Value& e : v->mutable_array()) {
          if (!e.is_null()) SPATE_TRY(Coerce(shape.member, &e));
        }
        return Status::Ok();
      }
      case ShapeType::kMap: {
        if (v->is_array()) return TypeError("Start of list found where not expected");
        if (!v->is_object()) return TypeError("Expected map or null");
        for (auto& [key, e] : v->mutable_object()) {
          if (!e.is_null()) SPATE_TRY(Coerce(shape.value, &e));
        }
        return Status::Ok();
      }
      case ShapeType::kString:
        if (!v->is_string()) return ScalarMismatch(*v, shape.type);
        return Status::Ok();
      case ShapeType::kBoolean: return CoerceBoolean(v);
      case ShapeType::kInteger:
      case ShapeType::kLong: return CoerceInteger(shape.type, v);
      case ShapeType::kDouble:
      case ShapeType::kFloat:
        if (v->is_int()) *v = Value::Double(static_cast<double>(v->as_int()));
        if (!v->is_double()) return ScalarMismatch(*v, shape.type);
        return Status::Ok();
      case ShapeType::kBlob: return CoerceBlob(v);
      case ShapeType::kTimestamp: return CoerceTimestamp(v);
    }
    return Status::Ok();
  }

 private:
  Status CoerceStructure(const Shape& shape, Value* v) {
    if (v->is_array()) return TypeError("Start of list found where not expected");
    if (!v->is_object()) return TypeError("Expected null");
    // No unknown or null member (what SDKs send): coerce the members where
    // they are, in model order (which decides the error reported), without
    // building a new object.
    Value::Object& members = v->mutable_object();
    bool all_known = true;
    for (const Value::Member& member : members) {
      auto known = [&](const Member& m) { return m.name == member.first; };
      all_known =
          all_known && !member.second.is_null() && std::any_of(shape.members.begin(), shape.members.end(), known);
    }
    if (all_known) {
      for (const Member& m : shape.members) {
        auto named = [&](const Value::Member& kv) { return kv.first == m.name; };
        auto it = std::find_if(members.begin(), members.end(), named);
        if (it != members.end()) SPATE_TRY(Coerce(m.shape, &it->second));
      }
      return Status::Ok();
    }
    Value::Object in = std::move(v->mutable_object());
    Value::Object out;
    out.reserve(std::min(in.size(), shape.members.size()));
    for (const Member& m : shape.members) {
      auto it = std::find_if(in.begin(), in.end(), [&](const Value::Member& kv) { return kv.first == m.name; });
      if (it == in.end() || it->second.is_null()) continue;
      out.emplace_back(std::move(it->first), std::move(it->second));
      Status st = Coerce(m.shape, &out.back().second);
      if (!st.ok()) {
        v->mutable_object() = std::move(out);
        return st;
      }
    }
    v->mutable_object() = std::move(out);
    return Status::Ok();
  }

  // AWS reads "true"/"false" (and, per kinesalite's notes, "1"/"0"/"yes"/"no")
  // in a boolean member; any other string is named upper-cased.
  static Status CoerceBoolean(Value* v) {
    if (v->is_bool()) return Status::Ok();
    if (v->is_string()) {
      std::string upper = v->as_string();
      for (char& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      if (upper == "TRUE" || upper == "1" || upper == "YES") {
        *v = Value::Bool(true);
        return Status::Ok();
      }
      if (upper == "FALSE" || upper == "0" || upper == "NO") {
        *v = Value::Bool(false);
        return Status::Ok();
      }
      return TypeError("'" + upper + "' can not be converted to an Boolean");
    }
    return ScalarMismatch(*v, ShapeType::kBoolean);
  }

  // Doubles are floored; integer members are capped at Java's
  // Integer.MAX_VALUE, as AWS does (kinesalite validations/index.js).
  static Status CoerceInteger(ShapeType type, Value* v) {
    int64_t i;
    if (v->is_int()) {
      i = v->as_int();
    } else if (v->is_double()) {
      const double d = std::floor(v->as_double());
      if (std::isnan(d)) return ScalarMismatch(*v, type);
      if (d >= 9223372036854775807.0) {
        i = std::numeric_limits<int64_t>::max();
      } else if (d <= -9223372036854775808.0) {
        i = std::numeric_limits<int64_t>::min();
      } else {
        i = static_cast<int64_t>(d);
      }
    } else {
      return ScalarMismatch(*v, type);
    }
    if (type == ShapeType::kInteger) i = std::min(i, kJavaIntMax);
    *v = Value::Int(i);
    return Status::Ok();
  }

  // JSON carries blobs as base64 strings; CBOR as byte strings (kBlob). A
  // text string is decoded as base64 in either encoding.
  static Status CoerceBlob(Value* v) {
    if (v->is_blob()) return Status::Ok();
    if (!v->is_string()) return ScalarMismatch(*v, ShapeType::kBlob);
    std::string error;
    if (!util::Base64DecodeInPlace(&v->mutable_string(), &error)) {
      return TypeError("'" + v->as_string() + "' can not be converted to a Blob: " + error);
    }
    *v = Value::Blob(std::move(v->mutable_string()));
    return Status::Ok();
  }

  // Numbers are epoch seconds (fractional allowed) in both encodings; CBOR
  // decoders turn tag 1 into kTimestamp already.
  Status CoerceTimestamp(Value* v) const {
    if (v->is_timestamp()) return Status::Ok();
    if (!v->is_number()) return ScalarMismatch(*v, ShapeType::kTimestamp);
    (void)format_;
    // Clamp far outside any real date so the conversion cannot overflow.
    constexpr double kMaxSeconds = 9.0e15;
    const double seconds = std::clamp(v->as_number(), -kMaxSeconds, kMaxSeconds);
    *v = Value::TimestampMs(static_cast<int64_t>(std::llround(seconds * 1000.0)));
    return Status::Ok();
  }

  const ServiceModel::Impl& model_;
  const WireFormat format_;
};

// ---------------------------------------------------------------------------
// Phase 2: constraints. Message forms are AWS's as recorded by kinesalite
// (validations/index.js and the test/*.js expectations).

class ConstraintChecker {
 public:
  explicit ConstraintChecker(const ServiceModel::Impl& model) : model_(model) {}

  void CheckStructure(const Shape& shape, const Value& v, std::string_view prefix) {
    for (const Member& m : shape.members) {
      if (Full()) return;
      CheckMember(m.shape, v.Find(m.name), Path{prefix, m.path_name}, m.required);
    }
  }

  Status Result() const {
    if (errors_.empty()) return Status::Ok();
    std::string msg =
        std::to_string(errors_.size()) + " validation error" + (errors_.size() > 1 ? "s" : "") + " detected: ";
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (i > 0) msg += "; ";
      msg += errors_[i];
    }
    return Status(ErrorCode::kValidation, std::move(msg));
  }

 private:
  // An error path ("records.1.member.data") in two parts, joined only when
  // an error names it or a container's elements extend it: valid input,
  // the common case, builds no path strings.
  struct Path {
    std::string_view prefix, leaf;
    std::string Join() const {
      std::string out(prefix);
      if (!prefix.empty() && !leaf.empty()) out += '.';
      out.append(leaf);
      return out;
    }
  };

  bool Full() const { return errors_.size() >= kMaxValidationErrors; }

  void Add(const Shape& shape, const Value* v, const Path& path, std::string_view what) {
    if (Full()) return;
    std::string e = "Value ";
    if (v == nullptr || v->is_null()) {
      e += "null";
    } else {
      e += "'" + ValueString(shape, *v) + "'";
    }
    e += " at '" + path.Join() + "' failed to satisfy constraint: ";
    e += what;
    errors_.push_back(std::move(e));
  }

  void CheckMember(int32_t shape_index, const Value* v, const Path& path, bool required) {
    const Shape& shape = model_.shapes[shape_index];
    if (v == nullptr || v->is_null()) {
      if (required) Add(shape, v, path, "Member must not be null");
      return;
    }
    for (const std::string& failure : ScalarFailures(shape, *v)) Add(shape, v, path, failure);
    switch (shape.type) {
      case ShapeType::kStructure: CheckStructure(shape, *v, path.Join()); break;
      case ShapeType::kList: {
        const Shape& member = model_.shapes[shape.member];
        const Value::Array& elements = v->as_array();
        if (!member.IsContainer()) {
          // AWS reports constraints of scalar elements once, on the list
          // (kinesalite test/removeTagsFromStream.js).
          bool failed = false;
          for (size_t i = 0; i < elements.size() && !failed; ++i) {
            failed = elements[i].is_null() || !ScalarFailures(member, elements[i]).empty();
          }
          if (failed) Add(shape, v, path, "Member must satisfy constraint: " + ConstraintList(member));
          return;
        }
        for (size_t i = 0; i < elements.size() && !Full(); ++i) {
          const std::string element_path = path.Join() + "." + std::to_string(i + 1) + ".member";
          // A null element is not something a handler can use; AWS's
          // behaviour for it is not recorded, so it is reported as missing.
          CheckMember(shape.member, &elements[i], Path{element_path, {}}, /*required=*/true);
        }
        break;
      }
      case ShapeType::kMap: {
        const Shape& key = model_.shapes[shape.key];
        const Shape& value = model_.shapes[shape.value];
        const Value::Object& entries = v->as_object();
        // Keys, then scalar values, each reported once on the map
        // (kinesalite test/addTagsToStream.js).
        bool key_failed = false;
        for (const auto& [k, unused] : entries) {
          if (!ScalarFailures(key, Value::String(k)).empty()) key_failed = true;
        }
        if (key_failed) Add(shape, v, path, "Map keys must satisfy constraint: " + ConstraintList(key));
        if (!value.IsContainer()) {
          bool failed = false;
          for (const auto& [k, e] : entries) {
            if (e.is_null() || !ScalarFailures(value, e).empty()) failed = true;
          }
          if (failed) Add(shape, v, path, "Map value must satisfy constraint: " + ConstraintList(value));
          return;
        }
        for (const auto& [k, e] : entries) {
          if (Full()) return;
          const std::string value_path = path.Join() + "." + k + ".member";
          CheckMember(shape.value, &e, Path{value_path, {}}, /*required=*/true);
        }
        break;
      }
      default: break;
    }
  }

  // The violated constraints of one value, not descending into elements, in
  // AWS's order: enum, pattern, then minimum and maximum.
  static std::vector<std::string> ScalarFailures(const Shape& shape, const Value& v) {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (!shape.enum_values.empty() && v.is_string() &&
        std::find(shape.enum_values.begin(), shape.enum_values.end(), v.as_string()) == shape.enum_values.end()) {
      out.push_back("Member must satisfy enum value set: " + shape.enum_listing);
    }
    if (shape.pattern && v.is_string() && !shape.pattern->FullMatch(v.as_string())) {
      out.push_back("Member must satisfy regular expression pattern: " + shape.pattern->source());
    }
    if (!shape.min && !shape.max) return out;
    if (shape.IsNumeric()) {
      if (!v.is_number()) return out;
      const double x = v.as_number();
      if (shape.min && x < shape.min->value) {
        out.push_back("Member must have value greater than or equal to " + shape.min->text);
      }
      if (shape.max && x > shape.max->value) {
        out.push_back("Member must have value less than or equal to " + shape.max->text);
      }
      return out;
    }
    double length;
    switch (v.kind()) {
      case Value::Kind::kString: length = static_cast<double>(Utf16Length(v.as_string())); break;
      case Value::Kind::kBlob: length = static_cast<double>(v.as_string().size()); break;
      case Value::Kind::kArray: length = static_cast<double>(v.as_array().size()); break;
      case Value::Kind::kObject: length = static_cast<double>(v.as_object().size()); break;
      default: return out;
    }
    if (shape.min && length < shape.min->value) {
      out.push_back("Member must have length greater than or equal to " + shape.min->text);
    }
    if (shape.max && length > shape.max->value) {
      out.push_back("Member must have length less than or equal to " + shape.max->text);
    }
    return out;
  }

  // All constraints of an element shape, as AWS lists them for a list's or
  // map's elements: "[Member must have length less than or equal to 128,
  // Member must have length greater than or equal to 1]" (maximum first).
  static std::string ConstraintList(const Shape& shape) {
    std::vector<std::string> parts;
    const bool numeric = shape.IsNumeric();
    if (shape.max) {
      parts.push_back(std::string("Member must have ") + (numeric ? "value" : "length") + " less than or equal to " +
                      shape.max->text);
    }
    if (shape.min) {
      parts.push_back(std::string("Member must have ") + (numeric ? "value" : "length") + " greater than or equal to " +
                      shape.min->text);
    }
    if (shape.pattern) {
      parts.push_back("Member must satisfy regular expression pattern: " + shape.pattern->source());
    }
    if (!shape.enum_values.empty()) {
      parts.push_back("Member must satisfy enum value set: " + shape.enum_listing);
    }
    std::string out = "[";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ", ";
      out += parts[i];
    }
    return out + "]";
  }

  // How AWS (Java toString) prints a value inside "Value '...' at".
  std::string ValueString(const Shape& shape, const Value& v) const {
    switch (v.kind()) {
      case Value::Kind::kNull: return "null";
      case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
      case Value::Kind::kInt: return std::to_string(v.as_int());
      case Value::Kind::kDouble: return FormatDouble(v.as_double());
      case Value::Kind::kString: return v.as_string();
      case Value::Kind::kBlob: {
        const std::string n = std::to_string(v.as_string().size());
        return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
      }
      case Value::Kind::kTimestamp: return JavaDate(v.as_timestamp_ms());
      case Value::Kind::kArray: {
        const Shape* member = shape.type == ShapeType::kList ? &model_.shapes[shape.member] : &shape;
        std::string out = "[";
        bool first = true;
        for (const Value& e : v.as_array()) {
          if (!first) out += ", ";
          first = false;
          out += ValueString(*member, e);
        }
        return out + "]";
      }
      case Value::Kind::kObject: {
        if (shape.type != ShapeType::kMap) return JavaObject(shape, v);
        const Shape& value = model_.shapes[shape.value];
        std::string out = "{";
        bool first = true;
        for (const auto& [k, e] : v.as_object()) {
          if (!first) out += ", ";
          first = false;
          out += k + "=" + ValueString(value, e);
        }
        return out + "}";
      }
    }
    return {};
  }

  // Java's default Object.toString for a structure, e.g.
  // "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310". The
  // hash is AWS's hashCode of the content, which is not reproducible; a
  // content hash keeps equal values printing alike.
  std::string JavaObject(const Shape& shape, const Value& v) const {
    uint32_t h = 0;
    std::string content;
    for (const auto& [k, e] : v.as_object()) {
      content += k;
      content += '=';
      if (e.is_string() || e.is_blob()) content += e.as_string();
      content += ';';
    }
    for (unsigned char c : content) h = 31 * h + c;
    char hex[16];
    auto [end, ec] = std::to_chars(hex, hex + sizeof(hex), h, 16);
    return model_.java_package + "." + shape.name + "@" + std::string(hex, end);
  }

  // Java's Date.toString in UTC: "Thu Jan 22 01:22:02 UTC 2015".
  static std::string JavaDate(int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(ms);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm);
    return std::string(buf, n);
  }

  const ServiceModel::Impl& model_;
  std::vector<std::string> errors_;
};

}  // namespace

Status ServiceModel::ValidateInput(const OperationInfo& op, Value* input, WireFormat format) const {
  if (op.input_index_ < 0) return Status::Ok();
  if (input->is_null()) *input = Value::MakeObject();
  SPATE_TRY(Coercer(*impl_, format).Coerce(op.input_index_, input));
  ConstraintChecker checker(*impl_);
  checker.CheckStructure(impl_->shapes[op.input_index_], *input, "");
  return checker.Result();
}

}  // namespace spate::protocol
