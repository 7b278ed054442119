// libFuzzer target: ModelPattern (src/protocol/model_pattern.h), the Java
// pattern -> PCRE2 translation and the match, on any bytes (ill-formed UTF-8
// included, which the JSON and CBOR decoders in front of fuzz_service_model
// never let through).
//   byte 0 even: byte 1 picks one of the patterns of the three service models;
//                the rest is the value.
//   byte 0 odd:  the pattern text runs up to the first '\n' of the rest, the
//                value after it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "protocol/embedded_models.h"
#include "protocol/json_codec.h"
#include "protocol/model_pattern.h"
#include "protocol/value.h"

namespace {

using spate::protocol::ModelPattern;

std::vector<ModelPattern> LoadModelPatterns() {
  namespace embedded = spate::protocol::embedded;
  const std::string_view models[] = {
      {embedded::kKinesisJson, embedded::kKinesisJsonSize},
      {embedded::kFirehoseJson, embedded::kFirehoseJsonSize},
      {embedded::kKinesisAnalyticsJson, embedded::kKinesisAnalyticsJsonSize},
  };
  std::vector<ModelPattern> out;
  for (std::string_view json : models) {
    auto doc = spate::protocol::ParseJson(json, 64);
    SPATE_ASSERT(doc.ok(), "embedded model does not parse");
    for (const auto& [name, shape] : doc->Find("shapes")->as_object()) {
      const std::string_view source = shape.GetString("pattern");
      if (source.empty()) continue;
      auto p = ModelPattern::Compile(source);
      SPATE_ASSERT(p.ok(), "model pattern does not compile");
      out.push_back(std::move(p).value());
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<ModelPattern> model_patterns = LoadModelPatterns();
  if (size < 2) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    const ModelPattern& p = model_patterns[data[1] % model_patterns.size()];
    const bool first = p.FullMatch(rest.substr(1));
    SPATE_ASSERT(first == p.FullMatch(rest.substr(1)), "FullMatch is not deterministic");
    return 0;
  }
  const size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return 0;
  const std::string_view source = rest.substr(0, nl);
  auto p = ModelPattern::Compile(source);
  if (!p.ok()) return 0;
  SPATE_ASSERT(p->source() == source, "source() differs from the compiled text");
  p->FullMatch(rest.substr(nl + 1));
  return 0;
}
