// spate cluster status|drain|undrain: cluster operation through Spate's own
// extension API (SpateCluster_20261207, src/cluster/admin_service.h), signed
// as "kinesis". Any node of the cluster answers.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
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

constexpr std::string_view kTargetPrefix = "SpateCluster_20261207.";
constexpr std::string_view kSigningName = "kinesis";
constexpr int64_t kPollIntervalMs = 250;
constexpr int kDefaultWaitSeconds = 120;

struct ClusterFlags {
  std::string node;
  std::string output = "table";
  bool no_wait = false;
  int timeout_s = kDefaultWaitSeconds;
};

Outcome<Value> Call(KinesisClient& client, std::string_view operation, const Value& in) {
  return CallJsonApi(client, kTargetPrefix, kSigningName, operation, in);
}

std::string Pad(std::string s, size_t width) {
  s.resize(std::max(width, s.size()), ' ');
  return s;
}

std::string Joined(const Value* list) {
  std::string out;
  if (list == nullptr || !list->is_array()) return out;
  for (const Value& v : list->as_array()) {
    if (!out.empty()) out += ",";
    out += v.is_string() ? v.as_string() : std::string("?");
  }
  return out;
}

std::string IntText(const Value& v, std::string_view member) {
  const Value* f = v.Find(member);
  return f != nullptr && f->is_int() ? std::to_string(f->as_int()) : std::string("-");
}

// Rows of cells printed in columns as wide as their widest cell.
void PrintTable(const Context& ctx, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows[r].size(); ++i) {
      line += i + 1 == rows[r].size() ? rows[r][i] : Pad(rows[r][i], widths[i] + 2);
    }
    WriteOut((r == 0 ? ctx.Bold(line) : line) + "\n");
  }
}

int ShowStatus(Context& ctx, const ClusterFlags& f) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Outcome<Value> r = Call(*client, "DescribeCluster", Value::MakeObject());
  if (!r.ok()) return ctx.Fail(r.error());
  const Value& v = r.value();
  if (f.output == "json") {
    std::string text;
    protocol::WriteJson(v, &text);
    WriteOut(text + "\n");
    return kExitOk;
  }
  WriteOut("catalog owner: " + std::string(v.GetString("CatalogOwner", "(none)")) +
           "   answered by: " + std::string(v.GetString("Self")) + "\n\n");
  std::vector<std::vector<std::string>> nodes{{"NODE", "ADDRESS", "ALIVE", "DRAINING", "LEADS"}};
  if (const Value* list = v.Find("Nodes"); list != nullptr && list->is_array()) {
    for (const Value& n : list->as_array()) {
      const Value* alive = n.Find("Alive");
      const Value* draining = n.Find("Draining");
      nodes.push_back({std::string(n.GetString("NodeId")), std::string(n.GetString("Address", "-")),
                       alive != nullptr && alive->is_bool() && alive->as_bool() ? "yes" : "no",
                       draining != nullptr && draining->is_bool() && draining->as_bool() ? "yes" : "no",
                       IntText(n, "LeaderCount")});
    }
  }
  PrintTable(ctx, nodes);
  WriteOut("\n");
  std::vector<std::vector<std::string>> shards{{"STREAM", "SHARD", "LEADER", "EPOCH", "REPLICAS", "LAG"}};
  if (const Value* list = v.Find("Shards"); list != nullptr && list->is_array()) {
    for (const Value& s : list->as_array()) {
      std::string leader(s.GetString("Leader", "-"));
      if (std::string_view to = s.GetString("HandoffTo"); !to.empty()) leader = "-> " + std::string(to);
      // Each follower's lag behind the leader's durable end (bytes), from
      // the leader's progress report; "-" before it has published one.
      std::string lag = "-";
      if (const Value* ends = s.Find("FollowerDurableEnd"); ends != nullptr && ends->is_array()) {
        lag.clear();
        for (const Value& e : ends->as_array()) {
          if (!lag.empty()) lag += ",";
          lag += std::string(e.GetString("NodeId")) + ":" + IntText(e, "LagBytes");
        }
        if (lag.empty()) lag = "-";
      }
      shards.push_back({std::string(s.GetString("StreamName")), std::string(s.GetString("ShardId")), leader,
                        IntText(s, "LeaderEpoch"), Joined(s.Find("Replicas")), lag});
    }
  }
  PrintTable(ctx, shards);
  return kExitOk;
}

// The node's leader count in a DescribeCluster answer; -1 when not listed.
int64_t LeaderCountOf(const Value& cluster, std::string_view node) {
  const Value* list = cluster.Find("Nodes");
  if (list == nullptr || !list->is_array()) return -1;
  for (const Value& n : list->as_array()) {
    if (n.GetString("NodeId") != node) continue;
    const Value* c = n.Find("LeaderCount");
    return c != nullptr && c->is_int() ? c->as_int() : -1;
  }
  return -1;
}

int Drain(Context& ctx, const ClusterFlags& f, bool drain) {
  KinesisClient* client = ctx.client();
  if (client == nullptr) return kExitFailure;
  Value in = Value::MakeObject();
  in.Set("NodeId", Value::String(f.node));
  Outcome<Value> r = Call(*client, drain ? "DrainNode" : "UndrainNode", in);
  if (!r.ok()) return ctx.Fail(r.error());
  if (!drain || f.no_wait) return kExitOk;
  const int64_t deadline = MonotonicMs() + static_cast<int64_t>(f.timeout_s) * 1000;
  int64_t leads = -1;
  while (true) {
    Outcome<Value> c = Call(*client, "DescribeCluster", Value::MakeObject());
    if (!c.ok()) return ctx.Fail(c.error());
    leads = LeaderCountOf(c.value(), f.node);
    if (leads <= 0) break;
    if (ctx.stderr_is_terminal()) std::fprintf(stderr, "\r%s leads %lld shards ", f.node.c_str(), (long long)leads);
    if (MonotonicMs() >= deadline) {
      if (ctx.stderr_is_terminal()) std::fprintf(stderr, "\n");
      return ctx.Fail("node " + f.node + " still leads " + std::to_string(leads) + " shards after " +
                      std::to_string(f.timeout_s) + " s (no other live replica, or a successor not caught up)");
    }
    SleepMs(kPollIntervalMs);
  }
  if (ctx.stderr_is_terminal()) std::fprintf(stderr, "\r%s leads no shard\n", f.node.c_str());
  return kExitOk;
}

}  // namespace

void AddClusterCommands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cluster = app.add_subcommand("cluster", "Cluster mode: status, drain and undrain of nodes");
  cluster->require_subcommand(1);

  CLI::App* status = cluster->add_subcommand("status", "Nodes, shard leaders and replicas, as one node sees them");
  status->add_option("--output", flags->output, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  status->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return ShowStatus(ctx, *flags); }; });

  CLI::App* drain = cluster->add_subcommand(
      "drain", "Move every shard leadership off NODE and keep it from taking new ones; waits until it leads none");
  drain->add_option("NODE", flags->node, "Node id (--node-id)")->required();
  drain->add_flag("--no-wait", flags->no_wait, "Return once the drain mark is set");
  drain->add_option("--timeout", flags->timeout_s, "Seconds to wait (default 120)")->check(CLI::PositiveNumber);
  drain->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Drain(ctx, *flags, true); }; });

  CLI::App* undrain = cluster->add_subcommand("undrain", "Let NODE lead shards again (balancing gives it its share)");
  undrain->add_option("NODE", flags->node, "Node id (--node-id)")->required();
  undrain->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Drain(ctx, *flags, false); }; });
}

}  // namespace spate::cli
