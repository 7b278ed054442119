// spate consumers list|register|deregister|describe: enhanced fan-out
// consumers, through KinesisClient::CallJson (Kinesis_20131202), the stream
// named by name or ARN (a name is turned into its ARN with
// DescribeStreamSummary: the consumer operations take StreamARN only).

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/context.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::cli {
namespace {

using protocol::Value;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr std::string_view kSigningName = "kinesis";
constexpr int64_t kPollIntervalMs = 250;
constexpr int kDefaultWaitSeconds = 120;
// ListStreamConsumers' largest page (kinesis-api.md: MaxResults 1-10000).
constexpr int64_t kListPageSize = 10000;

struct ConsumersFlags {
  std::string stream;
  std::string consumer;
  bool no_wait = false;
  int timeout_s = kDefaultWaitSeconds;
};

struct ConsumerInfo {
  std::string name;
  std::string arn;
  std::string status;
  int64_t created_ms = 0;
  std::string stream_arn;
};

Outcome<Value> Call(KinesisClient& client, std::string_view operation, const Value& in) {
  return CallJsonApi(client, kTargetPrefix, kSigningName, operation, in);
}

// A Consumer or ConsumerDescription shape (timestamps are epoch seconds,
// possibly fractional, in the JSON protocol).
ConsumerInfo ReadConsumer(const Value& v) {
  ConsumerInfo c;
  c.name = std::string(v.GetString("ConsumerName"));
  c.arn = std::string(v.GetString("ConsumerARN"));
  c.status = std::string(v.GetString("ConsumerStatus"));
  c.stream_arn = std::string(v.GetString("StreamARN"));
  if (const Value* t = v.Find("ConsumerCreationTimestamp"); t != nullptr && (t->is_int() || t->is_double())) {
    c.created_ms = static_cast<int64_t>(std::llround(t->as_number() * 1000.0));
  }
  return c;
}

bool IsConsumerArn(std::string_view s) {
  return s.starts_with("arn:") && s.find("/consumer/") != std::string_view::npos;
}

// The stream's ARN: `stream` itself when it is one, else DescribeStreamSummary's.
Outcome<std::string> StreamArn(KinesisClient& client, const std::string& stream) {
  if (stream.starts_with("arn:")) return stream;
  Outcome<StreamSummary> s = client.DescribeStreamSummary(stream);
  if (!s.ok()) return s.error();
  return s.value().stream_arn;
}

// The request members naming one consumer: ConsumerARN when `stream` is a
// consumer ARN and no consumer name is given, else StreamARN + ConsumerName.
Outcome<Value> ConsumerSelector(KinesisClient& client, const ConsumersFlags& f) {
  Value in = Value::MakeObject();
  if (f.consumer.empty()) {
    if (!IsConsumerArn(f.stream)) {
      return ApiError{"ValidationException", "name the consumer: STREAM CONSUMER, or a consumer ARN alone", 0};
    }
    in.Set("ConsumerARN", Value::String(f.stream));
    return in;
  }
  Outcome<std::string> arn = StreamArn(client, f.stream);
  if (!arn.ok()) return arn.error();
  in.Set("StreamARN", Value::String(arn.value()));
  in.Set("ConsumerName", Value::String(f.consumer));
  return in;
}

Outcome<ConsumerInfo> DescribeConsumer(KinesisClient& client, const Value& selector) {
  Outcome<Value> r = Call(client, "DescribeStreamConsumer", selector);
  if (!r.ok()) return r.error();
  const Value* d = r.value().Find("ConsumerDescription");
  if (d == nullptr || !d->is_object()) {
    return ApiError{"InvalidResponse", "DescribeStreamConsumer answered no ConsumerDescription", 200};
  }
  return ReadConsumer(*d);
}

std::string Pad(std::string s, size_t width) {
  s.resize(std::max(width, s.size()), ' ');
  return s;
}

int List(Context& ctx, const ConsumersFlags& f) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<std::string> arn = StreamArn(*client, f.stream);
  if (!arn.ok()) return ctx.Fail(arn.error());
  std::vector<ConsumerInfo> consumers;
  std::string token;
  while (true) {
    Value in = Value::MakeObject();
    in.Set("StreamARN", Value::String(arn.value()));
    in.Set("MaxResults", Value::Int(kListPageSize));
    if (!token.empty()) in.Set("NextToken", Value::String(token));
    Outcome<Value> r = Call(*client, "ListStreamConsumers", in);
    if (!r.ok()) return ctx.Fail(r.error());
    if (const Value* list = r.value().Find("Consumers"); list != nullptr && list->is_array()) {
      for (const Value& c : list->as_array()) {
        if (c.is_object()) consumers.push_back(ReadConsumer(c));
      }
    }
    std::string next(r.value().GetString("NextToken"));
    if (next.empty() || next == token) break;
    token = std::move(next);
  }
  if (consumers.empty()) return kExitOk;
  size_t name_w = std::string("NAME").size();
  size_t status_w = std::string("STATUS").size();
  for (const ConsumerInfo& c : consumers) {
    name_w = std::max(name_w, c.name.size());
    status_w = std::max(status_w, c.status.size());
  }
  const size_t time_w = IsoTime(0).size();
  std::string out =
      ctx.Bold(Pad("NAME", name_w) + "  " + Pad("STATUS", status_w) + "  " + Pad("CREATED", time_w) + "  ARN") + "\n";
  for (const ConsumerInfo& c : consumers) {
    out += Pad(c.name, name_w) + "  " + Pad(c.status, status_w) + "  " +
           Pad(c.created_ms > 0 ? IsoTime(c.created_ms) : "-", time_w) + "  " + c.arn + "\n";
  }
  WriteOut(out);
  FlushOut();
  return kExitOk;
}

int Describe(Context& ctx, const ConsumersFlags& f) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<Value> selector = ConsumerSelector(*client, f);
  if (!selector.ok()) return ctx.Fail(selector.error());
  Outcome<ConsumerInfo> c = DescribeConsumer(*client, selector.value());
  if (!c.ok()) return ctx.Fail(c.error());
  std::string out;
  auto row = [&](std::string_view label, const std::string& value) {
    out += ctx.Bold(Pad(std::string(label), 12)) + value + "\n";
  };
  row("Consumer", c.value().name);
  row("ARN", c.value().arn);
  row("Status", c.value().status);
  row("Created", c.value().created_ms > 0 ? IsoTime(c.value().created_ms) : "-");
  row("Stream ARN", c.value().stream_arn);
  WriteOut(out);
  FlushOut();
  return kExitOk;
}

// Polls DescribeStreamConsumer until ACTIVE, at most timeout_s seconds, with
// a progress line on a terminal's stderr.
int WaitForActive(Context& ctx, KinesisClient& client, const Value& selector, const std::string& name, int timeout_s) {
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + static_cast<int64_t>(timeout_s) * 1000;
  bool progress_shown = false;
  while (true) {
    Outcome<ConsumerInfo> c = DescribeConsumer(client, selector);
    if (!c.ok() && !c.error().retryable()) {
      if (progress_shown) std::fputs("\n", stderr);
      return ctx.Fail(c.error());
    }
    if (c.ok() && c.value().status == "ACTIVE") {
      if (progress_shown) std::fputs("\r\033[K", stderr);
      return kExitOk;
    }
    const int64_t now = MonotonicMs();
    if (now >= deadline) {
      if (progress_shown) std::fputs("\n", stderr);
      return ctx.Fail("timed out after " + std::to_string(timeout_s) + " s waiting for consumer " + name +
                      " to become ACTIVE" + (c.ok() ? " (it is " + c.value().status + ")" : ""));
    }
    if (ctx.stderr_is_terminal()) {
      std::string line = "\r\033[Kregistering " + name + ": " + (c.ok() ? c.value().status : c.error().type) + ", " +
                         std::to_string((now - start) / 1000) + " s";
      std::fputs(line.c_str(), stderr);
      std::fflush(stderr);
      progress_shown = true;
    }
    SleepMs(kPollIntervalMs);
  }
}

// Registers, waits for ACTIVE (unless --no-wait), prints the consumer's ARN
// (what SubscribeToShard takes).
int Register(Context& ctx, const ConsumersFlags& f) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<std::string> arn = StreamArn(*client, f.stream);
  if (!arn.ok()) return ctx.Fail(arn.error());
  Value in = Value::MakeObject();
  in.Set("StreamARN", Value::String(arn.value()));
  in.Set("ConsumerName", Value::String(f.consumer));
  Outcome<Value> r = Call(*client, "RegisterStreamConsumer", in);
  if (!r.ok()) return ctx.Fail(r.error());
  const Value* c = r.value().Find("Consumer");
  if (c == nullptr || !c->is_object()) {
    return ctx.Fail(ApiError{"InvalidResponse", "RegisterStreamConsumer answered no Consumer", 200});
  }
  const ConsumerInfo info = ReadConsumer(*c);
  if (!f.no_wait) {
    Value selector = Value::MakeObject();
    selector.Set("ConsumerARN", Value::String(info.arn));
    if (int rc = WaitForActive(ctx, *client, selector, f.consumer, f.timeout_s); rc != kExitOk) return rc;
  }
  WriteOut(info.arn + "\n");
  FlushOut();
  return kExitOk;
}

int Deregister(Context& ctx, const ConsumersFlags& f) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<Value> selector = ConsumerSelector(*client, f);
  if (!selector.ok()) return ctx.Fail(selector.error());
  Outcome<Value> r = Call(*client, "DeregisterStreamConsumer", selector.value());
  return r.ok() ? kExitOk : ctx.Fail(r.error());
}

}  // namespace

void AddConsumersCommands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<ConsumersFlags>();
  CLI::App* consumers =
      app.add_subcommand("consumers", "List, register, describe and deregister enhanced fan-out consumers");
  consumers->require_subcommand(1);

  CLI::App* list = consumers->add_subcommand("list", "A stream's consumers: name, status, creation time, ARN");
  list->add_option("NAME", flags->stream, "Stream name or ARN")->required();
  list->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return List(ctx, *flags); }; });

  CLI::App* reg = consumers->add_subcommand("register", "Register a consumer, wait until ACTIVE, print its ARN");
  reg->add_option("NAME", flags->stream, "Stream name or ARN")->required();
  reg->add_option("CONSUMER", flags->consumer, "Consumer name")->required();
  reg->add_flag("--no-wait", flags->no_wait, "Return without waiting for ACTIVE");
  reg->add_option("--timeout", flags->timeout_s, "Seconds to wait for ACTIVE")->check(CLI::PositiveNumber);
  reg->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Register(ctx, *flags); }; });

  CLI::App* describe = consumers->add_subcommand("describe", "A consumer's name, ARN, status and creation time");
  describe->add_option("NAME", flags->stream, "Stream name or ARN, or a consumer ARN alone")->required();
  describe->add_option("CONSUMER", flags->consumer, "Consumer name");
  describe->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Describe(ctx, *flags); }; });

  CLI::App* dereg = consumers->add_subcommand("deregister", "Deregister a consumer");
  dereg->add_option("NAME", flags->stream, "Stream name or ARN, or a consumer ARN alone")->required();
  dereg->add_option("CONSUMER", flags->consumer, "Consumer name");
  dereg->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Deregister(ctx, *flags); }; });
}

}  // namespace spate::cli
