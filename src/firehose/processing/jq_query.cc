#include "firehose/processing/jq_query.h"

extern "C" {
#include <jq.h>
#include <jv.h>
}

namespace spate::firehose::processing {

struct JqQuery::State {
  jq_state* jq = nullptr;
  std::string last_error;  // what libjq reported through its error callback
  ~State() {
    if (jq != nullptr) jq_teardown(&jq);
  }
};

namespace {

// libjq's error callback: keeps the message instead of printing it to stderr.
void KeepError(void* data, jv msg) {
  auto* s = static_cast<std::string*>(data);
  jv formatted = jq_format_error(jv_copy(msg));
  if (jv_get_kind(formatted) == JV_KIND_STRING) {
    if (!s->empty()) s->append("; ");
    s->append(jv_string_value(formatted));
  }
  jv_free(formatted);
  jv_free(msg);
}

std::string InvalidMessage(jv v) {
  std::string out = "jq error";
  if (jv_invalid_has_msg(jv_copy(v))) {
    jv msg = jv_invalid_get_msg(jv_copy(v));
    if (jv_get_kind(msg) == JV_KIND_STRING) {
      out = jv_string_value(msg);
    } else {
      jv dumped = jv_dump_string(jv_copy(msg), 0);
      out = jv_string_value(dumped);
      jv_free(dumped);
    }
    jv_free(msg);
  }
  jv_free(v);
  return out;
}

}  // namespace

JqQuery::JqQuery(std::unique_ptr<State> state) : state_(std::move(state)) {}
JqQuery::~JqQuery() = default;

Result<std::unique_ptr<JqQuery>> JqQuery::Compile(std::string_view query) {
  auto state = std::make_unique<State>();
  state->jq = jq_init();
  if (state->jq == nullptr) return Internal("jq_init failed");
  jq_set_error_cb(state->jq, KeepError, &state->last_error);
  std::string text(query);
  if (!jq_compile(state->jq, text.c_str())) {
    std::string why = state->last_error.empty() ? "it does not compile" : state->last_error;
    return InvalidArgument("MetadataExtractionQuery is not a valid JQ-1.6 query: " + why);
  }
  return std::unique_ptr<JqQuery>(new JqQuery(std::move(state)));
}

Result<JqQuery::Keys> JqQuery::Extract(std::string_view record) {
  jv input = jv_parse_sized(record.data(), static_cast<int>(record.size()));
  if (!jv_is_valid(input)) {
    jv_free(input);
    return InvalidArgument("Non JSON record provided");
  }
  state_->last_error.clear();
  jq_start(state_->jq, input, 0);
  jv out = jq_next(state_->jq);
  // Runs the query to its end so the next record starts clean.
  auto finish = [this] {
    for (;;) {
      jv more = jq_next(state_->jq);
      bool valid = jv_is_valid(more);
      jv_free(more);
      if (!valid) break;
    }
  };
  if (!jv_is_valid(out)) {
    bool has_msg = jv_invalid_has_msg(jv_copy(out));
    std::string msg = InvalidMessage(out);
    if (!has_msg) return InvalidArgument("The MetadataExtractionQuery produced no output for the record");
    return InvalidArgument("The MetadataExtractionQuery failed on the record: " + msg);
  }
  finish();
  if (jv_get_kind(out) != JV_KIND_OBJECT) {
    jv_free(out);
    return InvalidArgument("The MetadataExtractionQuery must produce a JSON object of partition keys");
  }
  Keys keys;
  Status bad = Status::Ok();
  jv_object_foreach(out, k, v) {
    std::string name = jv_string_value(k);
    jv_kind kind = jv_get_kind(v);
    if (bad.ok()) {
      if (kind == JV_KIND_STRING) {
        keys[name] = jv_string_value(v);
      } else if (kind == JV_KIND_NUMBER) {
        jv dumped = jv_dump_string(jv_copy(v), 0);
        keys[name] = jv_string_value(dumped);
        jv_free(dumped);
      } else if (kind == JV_KIND_NULL) {
        bad = InvalidArgument("partitionKeys values must not be null or empty");
      } else {
        bad = InvalidArgument("partitionKeys values must be strings or numbers: " + name + " is not");
      }
      if (bad.ok() && keys[name].empty()) bad = InvalidArgument("partitionKeys values must not be null or empty");
    }
    jv_free(k);
    jv_free(v);
  }
  jv_free(out);
  if (!bad.ok()) return bad;
  return keys;
}

}  // namespace spate::firehose::processing
