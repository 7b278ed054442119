#include "firehose/destination.h"

#include <array>
#include <functional>

#include "firehose/error_document.h"
#include "protocol/json_codec.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// Every kind Spate delivers to, one line each.
const std::array<std::reference_wrapper<const DestinationKind>, 7>& Kinds() {
  static const std::array<std::reference_wrapper<const DestinationKind>, 7> kinds = {
      std::cref(ExtendedS3DestinationKind()),    std::cref(S3DestinationKind()),
      std::cref(RedshiftDestinationKind()),      std::cref(AmazonopensearchserviceDestinationKind()),
      std::cref(ElasticsearchDestinationKind()), std::cref(AmazonOpenSearchServerlessDestinationKind()),
      std::cref(HttpEndpointDestinationKind()),
  };
  return kinds;
}

}  // namespace

Status DestinationKind::Update(Value* cfg, const Value& update) const {
  MergeUpdate(cfg, update);
  return Check(*cfg);
}

// DestinationKind::NewProcessor's default is in processing.cc.

std::optional<Value> DestinationKind::SourceBackup(const Value& cfg) const {
  (void)cfg;
  return std::nullopt;
}

const DestinationKind* FindDestinationKind(std::string_view configuration_member) {
  constexpr std::string_view kSuffix = "DestinationConfiguration";
  if (configuration_member.size() <= kSuffix.size() ||
      configuration_member.substr(configuration_member.size() - kSuffix.size()) != kSuffix) {
    return nullptr;
  }
  std::string_view name = configuration_member.substr(0, configuration_member.size() - kSuffix.size());
  for (const DestinationKind& kind : Kinds()) {
    if (kind.Name() == name) return &kind;
  }
  return nullptr;
}

const DestinationKind* DestinationKindOf(const Value& destination) {
  if (!destination.is_object()) return nullptr;
  for (const auto& [member, value] : destination.as_object()) {
    if (const DestinationKind* kind = FindDestinationKind(member)) return kind;
  }
  return nullptr;
}

void MergeUpdate(Value* cfg, const Value& update, const std::vector<std::string_view>& skip) {
  for (const auto& [member, value] : update.as_object()) {
    bool skipped = false;
    for (std::string_view s : skip) skipped = skipped || member == s;
    if (skipped) continue;
    if (member == "BufferingHints" && cfg->Has("BufferingHints") && value.is_object()) {
      Value* hints = cfg->FindMutable("BufferingHints");
      for (const auto& [hm, hv] : value.as_object()) hints->Set(hm, hv);
      continue;
    }
    cfg->Set(member, value);
  }
}

std::string ProcessingFailedDocument(const FailedRecord& r) {
  ErrorDocument d({r.attempts, r.arrival_ms, r.error_code, r.error_message, r.attempt_ending_ms});
  d.AddRawData(r.raw_data);
  if (!r.lambda_arn.empty()) d.Add("lambdaArn", Value::String(r.lambda_arn));
  return d.Json();
}

}  // namespace spate::firehose
