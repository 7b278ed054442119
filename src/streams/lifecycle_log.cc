#include "streams/lifecycle_log.h"

#include <string>
#include <vector>

#include "base/log.h"
#include "model/types.h"

namespace spate::streams {
namespace {

using metadata::ConsumerMeta;
using metadata::ConsumerStatus;
using metadata::StreamMeta;
using metadata::StreamStatus;

std::string Label(const StreamMeta& m) { return "stream " + m.name + " (" + m.account + "/" + m.region + ")"; }

std::vector<std::string> OpenShards(const StreamMeta& m) {
  std::vector<std::string> ids;
  for (const metadata::ShardMeta& s : m.shards) {
    if (!s.closed()) ids.push_back(model::ShardIdName(s.index));
  }
  return ids;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "none" : out;
}

// Elements of `a` not in `b` (both short: a stream's open shards).
std::vector<std::string> Minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const std::string& s : a) {
    bool found = false;
    for (const std::string& t : b) found = found || s == t;
    if (!found) out.push_back(s);
  }
  return out;
}

void LogConsumers(const StreamMeta& before, const StreamMeta& after) {
  for (const ConsumerMeta& c : after.consumers) {
    const ConsumerMeta* old = before.FindConsumer(c.name);
    if (old == nullptr) {
      SPATE_LOG_INFO(Label(after) + ": consumer " + c.name + " registered");
    } else if (old->status != c.status && c.status == ConsumerStatus::kDeleting) {
      SPATE_LOG_INFO(Label(after) + ": consumer " + c.name + " deregistering");
    }
  }
  for (const ConsumerMeta& c : before.consumers) {
    if (after.FindConsumer(c.name) == nullptr) {
      SPATE_LOG_INFO(Label(after) + ": consumer " + c.name + " deregistered");
    }
  }
}

}  // namespace

void LogStreamChanges(const StreamMeta* before, const StreamMeta* after) {
  if (GetLogLevel() > LogLevel::kInfo) return;
  if (before == nullptr && after == nullptr) return;
  if (before == nullptr) {
    SPATE_LOG_INFO(Label(*after) + " created: " + std::to_string(after->shards.size()) + " shards, " +
                   std::string(metadata::StreamModeName(after->mode)) + ", retention " +
                   std::to_string(after->retention_hours) + " h");
    return;
  }
  if (after == nullptr) {
    SPATE_LOG_INFO(Label(*before) + " deleted");
    return;
  }
  if (after->status != before->status && after->status == StreamStatus::kDeleting) {
    SPATE_LOG_INFO(Label(*after) + " deleting");
  }
  std::vector<std::string> open_before = OpenShards(*before), open_after = OpenShards(*after);
  if (open_before != open_after) {
    SPATE_LOG_INFO(Label(*after) + " resharded: " + std::to_string(open_before.size()) + " -> " +
                   std::to_string(open_after.size()) + " open shards (closed " + Join(Minus(open_before, open_after)) +
                   "; opened " + Join(Minus(open_after, open_before)) + ")");
  }
  if (after->mode != before->mode) {
    SPATE_LOG_INFO(Label(*after) + " capacity mode " + std::string(metadata::StreamModeName(before->mode)) + " -> " +
                   std::string(metadata::StreamModeName(after->mode)));
  }
  if (after->retention_hours != before->retention_hours) {
    SPATE_LOG_INFO(Label(*after) + " retention period " + std::to_string(before->retention_hours) + " h -> " +
                   std::to_string(after->retention_hours) + " h");
  }
  if (after->encryption_type != before->encryption_type) {
    SPATE_LOG_INFO(Label(*after) + " encryption " + before->encryption_type + " -> " + after->encryption_type);
  }
  LogConsumers(*before, *after);
}

}  // namespace spate::streams
