// libFuzzer target: shard iterators and NextTokens (src/streams/token_codec.h).
// The input is tried as a token as received (base64, AES-GCM authenticated),
// and, sealed under the codec's key, as an iterator's plaintext, so the
// decoder behind the authentication is reached too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/assert.h"
#include "streams/token_codec.h"

namespace {
const spate::streams::TokenCodec& Codec() {
  static const spate::streams::TokenCodec codec(spate::streams::TokenCodec::Key{});
  return codec;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)Codec().Open(in);
  (void)spate::streams::DecodeIterator(Codec(), in);
  std::string sealed = Codec().Seal(in);
  auto opened = Codec().Open(sealed);
  SPATE_ASSERT(opened.has_value() && *opened == in, "seal/open round trip");
  auto it = spate::streams::DecodeIterator(Codec(), sealed);
  if (it.has_value()) {
    auto back = spate::streams::DecodeIterator(Codec(), spate::streams::EncodeIterator(Codec(), *it));
    SPATE_ASSERT(back.has_value() && back->offset == it->offset && back->stream_name == it->stream_name,
                 "iterator round trip");
  }
  return 0;
}
