#include "streams/stream_ref.h"

#include <vector>

#include "metadata/stream_meta.h"

namespace spate::streams {

using metadata::StreamMeta;

Result<StreamRef> ResolveStream(const Caller& caller, std::string_view name, std::string_view arn) {
  StreamRef ref{caller.account, caller.region, std::string(name)};
  if (arn.empty()) {
    if (name.empty()) {
      return Status(ErrorCode::kInvalidArgument, "Either StreamName or StreamARN should be provided.");
    }
    return ref;
  }
  // arn:<partition>:kinesis:<region>:<account>:stream/<name>
  std::vector<std::string_view> parts;
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', pos);
    if (colon == std::string_view::npos) break;
    parts.push_back(arn.substr(pos, colon - pos));
    pos = colon + 1;
  }
  std::string_view resource = pos <= arn.size() ? arn.substr(pos) : std::string_view();
  constexpr std::string_view kStream = "stream/";
  if (parts.size() != 5 || parts[0] != "arn" || parts[2] != "kinesis" ||
      resource.substr(0, kStream.size()) != kStream || resource.size() == kStream.size() ||
      resource.find('/', kStream.size()) != std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument, "Invalid StreamARN " + std::string(arn) + ".");
  }
  std::string_view arn_name = resource.substr(kStream.size());
  if (!name.empty() && name != arn_name) {
    return Status(ErrorCode::kInvalidArgument, "StreamName " + std::string(name) + " and StreamARN " +
                                                   std::string(arn) + " do not refer to the same stream.");
  }
  ref.region = std::string(parts[3]);
  ref.account = std::string(parts[4]);
  ref.name = std::string(arn_name);
  return ref;
}

namespace {
std::string FormatStreamArn(std::string_view region, std::string_view account, std::string_view name) {
  return "arn:aws:kinesis:" + std::string(region) + ":" + std::string(account) + ":stream/" + std::string(name);
}
}  // namespace

std::string StreamArn(const StreamMeta& meta) { return FormatStreamArn(meta.region, meta.account, meta.name); }
std::string StreamArn(const StreamRef& ref) { return FormatStreamArn(ref.region, ref.account, ref.name); }

}  // namespace spate::streams
