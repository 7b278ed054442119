// libFuzzer target: the service-model validator on decoded input
// (src/protocol/service_model.h). Byte 0 picks the Kinesis operation, byte 1
// the encoding; the rest is the body, decoded as the dispatcher does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/cbor_codec.h"
#include "protocol/json_codec.h"
#include "protocol/service_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto& model = spate::protocol::ServiceModel::Kinesis();
  const auto& ops = model.operations();
  const auto& op = ops[data[0] % ops.size()];
  bool cbor = (data[1] & 1) != 0;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  auto v = cbor ? spate::protocol::ParseCbor(body) : spate::protocol::ParseJson(body);
  if (!v.ok()) return 0;
  model.ValidateInput(op, &*v, cbor ? spate::protocol::WireFormat::kCbor : spate::protocol::WireFormat::kJson)
      .IgnoreError();
  return 0;
}
