#include "firehose/processing/splitting.h"

#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "spate/aggregation.h"
#include "util/gzip.h"
#include "util/json_split.h"

namespace spate::firehose::processing {

std::vector<std::string> KplDeaggregate(std::string_view data) {
  std::vector<std::string> out;
  for (UserRecord& r : Deaggregate(data, /*partition_key=*/"")) out.push_back(std::move(r.data));
  return out;
}

Result<std::vector<std::string>> SplitJsonObjects(std::string_view data) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < data.size()) {
    if (util::IsJsonSpace(data[i])) {
      ++i;
      continue;
    }
    if (data[i] != '{') {
      return InvalidArgument("Non JSON record provided: byte " + std::to_string(i) + " is outside any JSON object");
    }
    size_t end = util::JsonObjectEnd(data, i);
    if (end == std::string_view::npos) return InvalidArgument("Non JSON record provided: an object is not closed");
    out.emplace_back(data.substr(i, end - i));
    i = end;
  }
  if (out.empty()) return InvalidArgument("Non JSON record provided: no JSON object");
  return out;
}

std::vector<std::string> SplitDelimited(std::string_view data, std::string_view delimiter) {
  std::vector<std::string> out;
  for (std::string_view piece : util::SplitDelimited(data, delimiter)) out.emplace_back(piece);
  return out;
}

// A record's decompressed size cap: a 1 MB record that inflates to
// gigabytes fails alone instead of exhausting the server's memory.
constexpr size_t kMaxDecompressedBytes = 64u << 20;

Result<std::string> Gunzip(std::string_view data) {
  std::string out;
  switch (util::Gunzip(data, kMaxDecompressedBytes, &out)) {
    case util::GunzipError::kNone: return out;
    case util::GunzipError::kNotGzip: return InvalidArgument("The record is not GZIP-compressed");
    case util::GunzipError::kTooLarge:
      return InvalidArgument("The record decompresses to more than " + std::to_string(kMaxDecompressedBytes >> 20) +
                             " MiB");
    case util::GunzipError::kInternal: return Internal("inflateInit2 failed");
    case util::GunzipError::kCorrupt: break;
  }
  return InvalidArgument("The record's GZIP data is corrupt or truncated");
}

Result<std::vector<std::string>> ExtractLogMessages(std::string_view data) {
  auto doc = protocol::ParseJson(data);
  if (!doc.ok() || !doc->is_object())
    return InvalidArgument("The record is not a CloudWatch Logs subscription document");
  std::string_view type = doc->GetString("messageType");
  std::vector<std::string> out;
  if (type == "CONTROL_MESSAGE") return out;
  const protocol::Value* events = doc->Find("logEvents");
  if (type != "DATA_MESSAGE" || events == nullptr || !events->is_array()) {
    return InvalidArgument("The record is not a CloudWatch Logs DATA_MESSAGE");
  }
  for (const protocol::Value& e : events->as_array()) {
    const protocol::Value* m = e.Find("message");
    if (m == nullptr || !m->is_string()) return InvalidArgument("A CloudWatch Logs event has no message");
    out.push_back(m->as_string());
  }
  return out;
}

}  // namespace spate::firehose::processing
