// libFuzzer target: the JSON body codec (src/protocol/json_codec.h). A
// parsed document must re-encode and parse back to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/assert.h"
#include "protocol/json_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = spate::protocol::ParseJson(in);
  if (!v.ok()) return 0;
  std::string out;
  spate::protocol::WriteJson(*v, &out);
  auto again = spate::protocol::ParseJson(out);
  SPATE_ASSERT(again.ok(), "re-encoded JSON does not parse");
  std::string out2;
  spate::protocol::WriteJson(*again, &out2);
  SPATE_ASSERT(out == out2, "JSON encoding is not stable");
  return 0;
}
