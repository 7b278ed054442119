// spate firehose list|describe|put: Firehose_20150804 calls through
// KinesisClient::CallJson (one endpoint serves every service).

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <random>

#include "cli/commands.h"
#include "cli/context.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::cli {
namespace {

using protocol::Value;

constexpr std::string_view kTargetPrefix = "Firehose_20150804.";
constexpr std::string_view kSigningName = "firehose";
// PutRecordBatch's limits (firehose-analytics.md): 500 records, 4 MiB per
// call, 1,000 KiB per record.
constexpr size_t kMaxRecordsPerCall = 500;
constexpr size_t kMaxBytesPerCall = 4 * 1024 * 1024;
constexpr size_t kMaxRecordBytes = 1000 * 1024;
constexpr int kMaxAttempts = 30;
constexpr int64_t kBaseBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 2000;

struct FirehoseFlags {
  std::string name;
};

Outcome<Value> Call(KinesisClient& client, std::string_view operation, const Value& in) {
  return CallJsonApi(client, kTargetPrefix, kSigningName, operation, in);
}

// Indented JSON, two spaces a level.
void WritePretty(const Value& v, int depth, std::string* out) {
  const std::string indent(2 * static_cast<size_t>(depth + 1), ' ');
  const std::string close(2 * static_cast<size_t>(depth), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    *out += "{\n";
    const Value::Object& members = v.as_object();
    for (size_t i = 0; i < members.size(); ++i) {
      *out += indent;
      protocol::WriteJson(Value::String(members[i].first), out);
      *out += ": ";
      WritePretty(members[i].second, depth + 1, out);
      *out += i + 1 < members.size() ? ",\n" : "\n";
    }
    *out += close + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    *out += "[\n";
    const Value::Array& items = v.as_array();
    for (size_t i = 0; i < items.size(); ++i) {
      *out += indent;
      WritePretty(items[i], depth + 1, out);
      *out += i + 1 < items.size() ? ",\n" : "\n";
    }
    *out += close + "]";
  } else {
    protocol::WriteJson(v, out);
  }
}

int List(Context& ctx) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  std::string out;
  std::string last;
  while (true) {
    Value in = Value::MakeObject();
    if (!last.empty()) in.Set("ExclusiveStartDeliveryStreamName", Value::String(last));
    Outcome<Value> r = Call(*client, "ListDeliveryStreams", in);
    if (!r.ok()) return ctx.Fail(r.error());
    const Value* names = r.value().Find("DeliveryStreamNames");
    size_t page = 0;
    if (names != nullptr && names->is_array()) {
      for (const Value& n : names->as_array()) {
        if (!n.is_string()) continue;
        out += n.as_string() + "\n";
        last = n.as_string();
        ++page;
      }
    }
    const Value* more = r.value().Find("HasMoreDeliveryStreams");
    if (page == 0 || more == nullptr || !more->is_bool() || !more->as_bool()) break;
  }
  WriteOut(out);
  FlushOut();
  return kExitOk;
}

int Describe(Context& ctx, const std::string& name) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Value in = Value::MakeObject();
  in.Set("DeliveryStreamName", Value::String(name));
  Outcome<Value> r = Call(*client, "DescribeDeliveryStream", in);
  if (!r.ok()) return ctx.Fail(r.error());
  const Value* d = r.value().Find("DeliveryStreamDescription");
  std::string out;
  WritePretty(d != nullptr ? *d : r.value(), 0, &out);
  out += '\n';
  WriteOut(out);
  FlushOut();
  return kExitOk;
}

// Sends `records` (each a line with its newline) with PutRecordBatch,
// retrying failed entries; answers how many were given up on and why.
struct BatchOutcome {
  int64_t failed = 0;
  std::string last_error;
  bool fatal = false;  // the call itself is refused: stop sending
};

BatchOutcome PutBatch(KinesisClient& client, const std::string& name, std::vector<std::string> records,
                      std::minstd_rand& rng) {
  BatchOutcome outcome;
  std::vector<int> attempts(records.size(), 0);
  int stalled = 0;
  while (!records.empty()) {
    Value in = Value::MakeObject();
    in.Set("DeliveryStreamName", Value::String(name));
    Value list = Value::MakeArray();
    for (const std::string& data : records) {
      Value rec = Value::MakeObject();
      rec.Set("Data", Value::Blob(data));
      list.Append(std::move(rec));
    }
    in.Set("Records", std::move(list));
    Outcome<Value> r = Call(client, "PutRecordBatch", in);
    std::vector<std::string> retry;
    std::vector<int> retry_attempts;
    size_t progressed = 0;
    if (!r.ok()) {
      outcome.last_error = r.error().ToString();
      if (!r.error().retryable()) {
        outcome.failed += static_cast<int64_t>(records.size());
        outcome.fatal = true;
        return outcome;
      }
      for (size_t i = 0; i < records.size(); ++i) {
        if (++attempts[i] >= kMaxAttempts) {
          ++outcome.failed;
        } else {
          retry.push_back(std::move(records[i]));
          retry_attempts.push_back(attempts[i]);
        }
      }
    } else {
      const Value* responses = r.value().Find("RequestResponses");
      if (responses == nullptr || !responses->is_array() || responses->as_array().size() != records.size()) {
        outcome.last_error = "InvalidResponse: PutRecordBatch answered a different number of results";
        outcome.failed += static_cast<int64_t>(records.size());
        outcome.fatal = true;
        return outcome;
      }
      for (size_t i = 0; i < records.size(); ++i) {
        const Value& res = responses->as_array()[i];
        std::string code(res.GetString("ErrorCode"));
        if (code.empty()) {
          ++progressed;
          continue;
        }
        outcome.last_error = code + ": " + std::string(res.GetString("ErrorMessage"));
        if (++attempts[i] >= kMaxAttempts) {
          ++outcome.failed;
        } else {
          retry.push_back(std::move(records[i]));
          retry_attempts.push_back(attempts[i]);
        }
      }
    }
    records.swap(retry);
    attempts.swap(retry_attempts);
    if (records.empty()) break;
    stalled = progressed > 0 ? 0 : std::min(stalled + 1, 16);
    int64_t delay = std::min(kMaxBackoffMs, kBaseBackoffMs << stalled);
    SleepMs(std::uniform_int_distribution<int64_t>(delay / 2, delay)(rng));
  }
  return outcome;
}

int Put(Context& ctx, const std::string& name) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  std::minstd_rand rng(std::random_device{}());
  std::vector<std::string> batch;
  size_t batch_bytes = 0;
  int64_t lines = 0;
  int64_t failed = 0;
  std::string last_error;
  bool fatal = false;
  auto send = [&] {
    if (batch.empty()) return;
    if (fatal) {
      failed += static_cast<int64_t>(batch.size());
    } else {
      BatchOutcome o = PutBatch(*client, name, std::move(batch), rng);
      failed += o.failed;
      fatal = o.fatal;
      if (!o.last_error.empty() && o.failed > 0) last_error = o.last_error;
    }
    batch.clear();
    batch_bytes = 0;
  };
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&buf, &cap, stdin)) >= 0) {
    ++lines;
    // Each line keeps its newline, so that the delivered objects hold lines.
    std::string data(buf, static_cast<size_t>(n));
    if (data.empty() || data.back() != '\n') data.push_back('\n');
    if (data.size() > kMaxRecordBytes) {
      ++failed;
      last_error = "line " + std::to_string(lines) + " is larger than 1,000 KiB";
      continue;
    }
    if (batch.size() == kMaxRecordsPerCall || batch_bytes + data.size() > kMaxBytesPerCall) send();
    batch_bytes += data.size();
    batch.push_back(std::move(data));
  }
  std::free(buf);
  send();
  if (failed > 0) {
    return ctx.Fail(std::to_string(failed) + " of " + std::to_string(lines) +
                    " records were not put to delivery stream " + name + "; last error: " + last_error);
  }
  return kExitOk;
}

}  // namespace

void AddFirehoseCommands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<FirehoseFlags>();
  CLI::App* firehose = app.add_subcommand("firehose", "List, describe and put to Firehose delivery streams");
  firehose->require_subcommand(1);
  CLI::App* list = firehose->add_subcommand("list", "List delivery stream names, one per line");
  list->callback([&ctx] { ctx.action = [&ctx] { return List(ctx); }; });
  CLI::App* describe = firehose->add_subcommand("describe", "A delivery stream's description, as JSON");
  describe->add_option("NAME", flags->name, "Delivery stream name")->required();
  describe->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Describe(ctx, flags->name); }; });
  CLI::App* put = firehose->add_subcommand("put", "Put stdin's lines (each with its newline) as records");
  put->add_option("NAME", flags->name, "Delivery stream name")->required();
  put->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Put(ctx, flags->name); }; });
}

}  // namespace spate::cli
