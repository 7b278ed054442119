// libFuzzer target: the HTTP/1.1 request parser (src/http/http1_parser.h),
// fed the input in two pieces (the first byte picks the split) to exercise
// incremental parsing, then pipelined requests until the input is used up.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/assert.h"
#include "http/http1_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % (size);
  std::string in(reinterpret_cast<const char*>(data + 1), size - 1);
  spate::http::Http1RequestParser parser({/*max_header_bytes=*/4096, /*max_body_bytes=*/1 << 16, 16});
  size_t fed = std::min(split, in.size());
  size_t begin = 0;
  for (int steps = 0; steps < 10000; ++steps) {
    size_t consumed = 0;
    auto ev = parser.Parse(in.data() + begin, fed - begin, &consumed);
    SPATE_ASSERT(consumed <= fed - begin, "parser consumed more than it was given");
    begin += consumed;
    using Event = spate::http::Http1RequestParser::Event;
    if (ev == Event::kError) {
      int s = parser.error_status();
      SPATE_ASSERT(s == 400 || s == 413 || s == 431 || s == 501, "unexpected error status");
      return 0;
    }
    if (ev == Event::kComplete) {
      SPATE_ASSERT(parser.request().body.size() <= (1u << 16), "body over the limit");
      parser.Reset();
      continue;
    }
    if (ev == Event::kNeedMore) {
      if (fed == in.size()) return 0;
      fed = in.size();  // the second piece arrives
    }
  }
  return 0;
}
