// libFuzzer target: the CBOR body codec (src/protocol/cbor_codec.h). A
// parsed item must re-encode and parse back to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/assert.h"
#include "protocol/cbor_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = spate::protocol::ParseCbor(in);
  if (!v.ok()) return 0;
  std::string out;
  spate::protocol::WriteCbor(*v, &out);
  auto again = spate::protocol::ParseCbor(out);
  SPATE_ASSERT(again.ok(), "re-encoded CBOR does not parse");
  std::string out2;
  spate::protocol::WriteCbor(*again, &out2);
  SPATE_ASSERT(out == out2, "CBOR encoding is not stable");
  return 0;
}
