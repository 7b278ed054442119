#include "dedup/stamp.h"

#include <cstring>

namespace spate::dedup {
namespace {

void Put32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 4);
}

void Put64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 8);
}

uint64_t Get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

bool ValidProducerId(std::string_view id) {
  if (id.empty() || id.size() > kMaxProducerIdLength) return false;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string EncodeStampRecord(const ProducerStamp& stamp, uint32_t count) {
  std::string out;
  out.reserve(kStampFixedBytes + stamp.producer_id.size());
  Put32(&out, kStampMagic);
  out.push_back(static_cast<char>(kStampVersion));
  out.push_back(static_cast<char>(stamp.producer_id.size()));
  Put64(&out, stamp.epoch);
  Put64(&out, stamp.sequence);
  Put32(&out, count);
  out.append(stamp.producer_id);
  return out;
}

std::optional<StampRecord> DecodeStampRecord(std::string_view data) {
  if (data.size() < kStampFixedBytes) return std::nullopt;
  const char* p = data.data();
  if (Get(p, 4) != kStampMagic || static_cast<uint8_t>(p[4]) != kStampVersion) return std::nullopt;
  size_t id_length = static_cast<uint8_t>(p[5]);
  if (data.size() != kStampFixedBytes + id_length) return std::nullopt;
  StampRecord r;
  r.stamp.epoch = Get(p + 6, 8);
  r.stamp.sequence = Get(p + 14, 8);
  r.count = static_cast<uint32_t>(Get(p + 22, 4));
  r.stamp.producer_id.assign(p + kStampFixedBytes, id_length);
  if (r.count == 0 || !ValidProducerId(r.stamp.producer_id)) return std::nullopt;
  return r;
}

}  // namespace spate::dedup
