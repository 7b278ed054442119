// libFuzzer target: the catalog's stream record (src/metadata/stream_meta.h,
// format in docs/formats/catalog.md), as read back from RocksDB at start-up.
// The input is a record value. A record that decodes must hold only values
// the format defines (known status and mode codes) and must survive
// encode -> decode -> encode unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/assert.h"
#include "metadata/stream_meta.h"

namespace {

using namespace spate::metadata;

bool KnownStatus(StreamStatus s) {
  return s == StreamStatus::kCreating || s == StreamStatus::kActive || s == StreamStatus::kUpdating ||
         s == StreamStatus::kDeleting;
}
bool KnownMode(StreamMode m) { return m == StreamMode::kProvisioned || m == StreamMode::kOnDemand; }
bool KnownConsumerStatus(ConsumerStatus s) {
  return s == ConsumerStatus::kCreating || s == ConsumerStatus::kActive || s == ConsumerStatus::kDeleting;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = DecodeStreamMeta(in);
  if (!m.ok()) {
    SPATE_ASSERT(m.status().code() == spate::ErrorCode::kCorruption, "a bad record is kCorruption");
    return 0;
  }
  SPATE_ASSERT(KnownStatus(m->status), "decoded stream status is a known code");
  SPATE_ASSERT(KnownMode(m->mode), "decoded stream mode is a known code");
  SPATE_ASSERT(m->retention_hours >= 0 && m->max_record_size_kib >= 0, "decoded limits are non-negative");
  SPATE_ASSERT(m->warm_throughput_mibps >= 0, "decoded warm throughput is non-negative");
  SPATE_ASSERT(m->epoch <= spate::model::kMaxStreamEpoch, "decoded epoch fits 24 bits");
  for (const ConsumerMeta& c : m->consumers) {
    SPATE_ASSERT(KnownConsumerStatus(c.status), "decoded consumer status is a known code");
  }
  std::string encoded = EncodeStreamMeta(*m);
  auto back = DecodeStreamMeta(encoded);
  SPATE_ASSERT(back.ok(), "a decoded record re-encodes to a decodable one");
  SPATE_ASSERT(EncodeStreamMeta(*back) == encoded, "encode/decode round trip");
  return 0;
}
