// libFuzzer target: SigV4 header and query-string parsing
// (src/server/sigv4.h). Input lines: Authorization, X-Amz-Date, request
// target (query string form), X-Amz-Security-Token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/sigv4.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  while (lines.size() < 4) {
    size_t nl = in.find('\n');
    lines.emplace_back(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  lines.resize(4);
  spate::http::HttpRequest req;
  req.method = "POST";
  req.target = lines[2].empty() ? "/" : lines[2];
  if (!lines[0].empty()) req.headers.emplace_back("authorization", lines[0]);
  if (!lines[1].empty()) req.headers.emplace_back("x-amz-date", lines[1]);
  if (!lines[3].empty()) req.headers.emplace_back("x-amz-security-token", lines[3]);
  req.headers.emplace_back("host", "127.0.0.1:4567");
  spate::server::CheckAuthorizationPresent(req).status().IgnoreError();
  return 0;
}
