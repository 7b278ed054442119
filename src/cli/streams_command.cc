// spate streams create|list|describe|delete|reshard

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>

#include "cli/commands.h"
#include "cli/context.h"

namespace spate::cli {
namespace {

constexpr int64_t kPollIntervalMs = 250;
constexpr int kDefaultWaitSeconds = 300;
constexpr int kMaxShards = 100000;

struct StreamsFlags {
  std::string name;
  int shards = 0;
  bool on_demand = false;
  bool no_wait = false;
  bool enforce_consumer_deletion = false;
  int timeout_s = kDefaultWaitSeconds;
};

// Polls DescribeStreamSummary until the stream is ACTIVE with `open_shards`
// open shards (any count when 0), at most timeout_s seconds, with a progress
// line on stderr when it is a terminal.
int WaitForActive(Context& ctx, KinesisClient& client, const std::string& stream, int open_shards, int timeout_s,
                  std::string_view doing) {
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + static_cast<int64_t>(timeout_s) * 1000;
  bool progress_shown = false;
  while (true) {
    Outcome<StreamSummary> s = client.DescribeStreamSummary(stream);
    if (!s.ok() && !s.error().retryable()) {
      if (progress_shown) std::fputs("\n", stderr);
      return ctx.Fail(s.error());
    }
    if (s.ok() && s.value().stream_status == "ACTIVE" &&
        (open_shards == 0 || s.value().open_shard_count == open_shards)) {
      if (progress_shown) std::fputs("\r\033[K", stderr);
      return kExitOk;
    }
    int64_t now = MonotonicMs();
    if (now >= deadline) {
      if (progress_shown) std::fputs("\n", stderr);
      return ctx.Fail("timed out after " + std::to_string(timeout_s) + " s waiting for stream " + stream +
                      " to become ACTIVE" + (s.ok() ? " (it is " + s.value().stream_status + ")" : ""));
    }
    if (ctx.stderr_is_terminal()) {
      std::string line = "\r\033[K" + std::string(doing) + " " + stream + ": ";
      line += s.ok() ? s.value().stream_status + ", " + std::to_string(s.value().open_shard_count) + " open shards"
                     : s.error().type;
      line += ", " + std::to_string((now - start) / 1000) + " s";
      std::fputs(line.c_str(), stderr);
      std::fflush(stderr);
      progress_shown = true;
    }
    SleepMs(kPollIntervalMs);
  }
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

int Describe(Context& ctx, const std::string& stream) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<StreamSummary> s = client->DescribeStreamSummary(stream);
  if (!s.ok()) return ctx.Fail(s.error());
  Outcome<std::vector<Shard>> shards = client->ListShards(stream);
  if (!shards.ok()) return ctx.Fail(shards.error());
  const StreamSummary& sum = s.value();
  std::string out;
  auto row = [&](std::string_view label, const std::string& value) {
    std::string padded(label);
    padded.resize(12, ' ');
    out += ctx.Bold(padded) + value + "\n";
  };
  row("Stream", sum.stream_name);
  row("ARN", sum.stream_arn);
  row("Status", sum.stream_status);
  row("Mode", sum.stream_mode);
  row("Open shards", std::to_string(sum.open_shard_count));
  row("Retention", std::to_string(sum.retention_period_hours) + " h");
  row("Encryption", sum.encryption_type);
  row("Consumers", std::to_string(sum.consumer_count));
  row("Created", sum.creation_timestamp_ms > 0 ? IsoTime(sum.creation_timestamp_ms) : "-");
  out += "\n";

  size_t id_width = std::string("SHARD").size();
  size_t parent_width = std::string("PARENTS").size();
  std::vector<std::string> parents;
  for (const Shard& sh : shards.value()) {
    std::string p = Dash(sh.parent_shard_id);
    if (!sh.adjacent_parent_shard_id.empty()) p += "," + sh.adjacent_parent_shard_id;
    parents.push_back(p);
    id_width = std::max(id_width, sh.shard_id.size());
    parent_width = std::max(parent_width, p.size());
  }
  auto pad = [](std::string s, size_t width) {
    s.resize(std::max(width, s.size()), ' ');
    return s;
  };
  out += ctx.Bold(pad("SHARD", id_width) + "  " + pad("STATE", 6) + "  " + pad("PARENTS", parent_width) +
                  "  HASH KEY RANGE") +
         "\n";
  for (size_t i = 0; i < shards.value().size(); ++i) {
    const Shard& sh = shards.value()[i];
    out += pad(sh.shard_id, id_width) + "  " + pad(sh.open() ? "open" : "closed", 6) + "  " +
           pad(parents[i], parent_width) + "  " + sh.hash_key_range.starting_hash_key + " - " +
           sh.hash_key_range.ending_hash_key + "\n";
  }
  WriteOut(out);
  FlushOut();
  return kExitOk;
}

}  // namespace

void AddStreamsCommands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<StreamsFlags>();
  CLI::App* streams = app.add_subcommand("streams", "Create, list, describe, delete and reshard data streams");
  streams->require_subcommand(1);

  CLI::App* create = streams->add_subcommand("create", "Create a stream and wait until it is ACTIVE");
  create->add_option("NAME", flags->name, "Stream name")->required();
  auto* shards_opt = create->add_option("--shards", flags->shards, "Number of shards (provisioned mode)")
                         ->check(CLI::Range(1, kMaxShards));
  create->add_flag("--on-demand", flags->on_demand, "Create an ON_DEMAND stream")->excludes(shards_opt);
  create->add_flag("--no-wait", flags->no_wait, "Return without waiting for ACTIVE");
  create->add_option("--timeout", flags->timeout_s, "Seconds to wait for ACTIVE")->check(CLI::PositiveNumber);
  create->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> int {
      if (flags->shards == 0 && !flags->on_demand) return ctx.Fail("streams create: give --shards N or --on-demand");
      KinesisClient* client = ctx.client();
      if (client == nullptr) return kExitFailure;
      Outcome<Done> r = client->CreateStream(flags->name, flags->on_demand ? 0 : flags->shards);
      if (!r.ok()) return ctx.Fail(r.error());
      if (flags->no_wait) return kExitOk;
      return WaitForActive(ctx, *client, flags->name, 0, flags->timeout_s, "creating");
    };
  });

  CLI::App* list = streams->add_subcommand("list", "List stream names, one per line");
  list->callback([&ctx] {
    ctx.action = [&ctx]() -> int {
      KinesisClient* client = ctx.client();
      if (client == nullptr) return kExitFailure;
      Outcome<std::vector<std::string>> names = client->ListStreams();
      if (!names.ok()) return ctx.Fail(names.error());
      std::string out;
      for (const std::string& n : names.value()) out += n + "\n";
      WriteOut(out);
      FlushOut();
      return kExitOk;
    };
  });

  CLI::App* describe = streams->add_subcommand("describe", "A stream's summary and its shard map");
  describe->add_option("NAME", flags->name, "Stream name or ARN")->required();
  describe->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Describe(ctx, flags->name); }; });

  CLI::App* del = streams->add_subcommand("delete", "Delete a stream");
  del->add_option("NAME", flags->name, "Stream name or ARN")->required();
  del->add_flag("--enforce-consumer-deletion", flags->enforce_consumer_deletion,
                "Delete even when the stream has registered consumers");
  del->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> int {
      KinesisClient* client = ctx.client();
      if (client == nullptr) return kExitFailure;
      Outcome<Done> r = client->DeleteStream(flags->name, flags->enforce_consumer_deletion);
      return r.ok() ? kExitOk : ctx.Fail(r.error());
    };
  });

  CLI::App* reshard = streams->add_subcommand("reshard", "Change the open shard count (UpdateShardCount) and wait");
  reshard->add_option("NAME", flags->name, "Stream name or ARN")->required();
  reshard->add_option("--shards", flags->shards, "Target open shard count")
      ->required()
      ->check(CLI::Range(1, kMaxShards));
  reshard->add_flag("--no-wait", flags->no_wait, "Return without waiting for ACTIVE");
  reshard->add_option("--timeout", flags->timeout_s, "Seconds to wait for ACTIVE")->check(CLI::PositiveNumber);
  reshard->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> int {
      KinesisClient* client = ctx.client();
      if (client == nullptr) return kExitFailure;
      Outcome<Done> r = client->UpdateShardCount(flags->name, flags->shards);
      if (!r.ok()) return ctx.Fail(r.error());
      if (flags->no_wait) return kExitOk;
      return WaitForActive(ctx, *client, flags->name, flags->shards, flags->timeout_s, "resharding");
    };
  });
}

}  // namespace spate::cli
