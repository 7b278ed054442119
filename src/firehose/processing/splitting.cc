#include "firehose/processing/splitting.h"

#include <zlib.h>

#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "spate/aggregation.h"

namespace spate::firehose::processing {

std::vector<std::string> KplDeaggregate(std::string_view data) {
  std::vector<std::string> out;
  for (UserRecord& r : Deaggregate(data, /*partition_key=*/"")) out.push_back(std::move(r.data));
  return out;
}

Result<std::vector<std::string>> SplitJsonObjects(std::string_view data) {
  std::vector<std::string> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < data.size()) {
    if (space(data[i])) {
      ++i;
      continue;
    }
    if (data[i] != '{') {
      return InvalidArgument("Non JSON record provided: byte " + std::to_string(i) + " is outside any JSON object");
    }
    size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < data.size(); ++i) {
      char c = data[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (i >= data.size()) return InvalidArgument("Non JSON record provided: an object is not closed");
    ++i;
    out.emplace_back(data.substr(start, i - start));
  }
  if (out.empty()) return InvalidArgument("Non JSON record provided: no JSON object");
  return out;
}

std::vector<std::string> SplitDelimited(std::string_view data, std::string_view delimiter) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= data.size()) {
    size_t at = delimiter.empty() ? std::string_view::npos : data.find(delimiter, start);
    size_t end = at == std::string_view::npos ? data.size() : at;
    if (end > start) out.emplace_back(data.substr(start, end - start));
    if (at == std::string_view::npos) break;
    start = at + delimiter.size();
  }
  return out;
}

// A record's decompressed size cap: a 1 MB record that inflates to
// gigabytes fails alone instead of exhausting the server's memory.
constexpr size_t kMaxDecompressedBytes = 64u << 20;

Result<std::string> Gunzip(std::string_view data) {
  if (data.size() < 2 || static_cast<uint8_t>(data[0]) != 0x1f || static_cast<uint8_t>(data[1]) != 0x8b) {
    return InvalidArgument("The record is not GZIP-compressed");
  }
  std::string out;
  z_stream z{};
  // 16 + MAX_WBITS: a GZIP wrapper, not zlib's.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Internal("inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[65536];
  int rc = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
    if (out.size() > kMaxDecompressedBytes) {
      inflateEnd(&z);
      return InvalidArgument("The record decompresses to more than " + std::to_string(kMaxDecompressedBytes >> 20) +
                             " MiB");
    }
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Another member follows (gzip files may be concatenated).
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK) break;
    if (z.avail_in == 0 && z.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return InvalidArgument("The record's GZIP data is corrupt or truncated");
  return out;
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
