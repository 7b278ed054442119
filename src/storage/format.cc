#include "storage/format.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>

#include "storage/key_store.h"
#include "util/crc32c.h"

namespace spate::storage::format {

void PutFixed16(char* p, uint16_t v) { std::memcpy(p, &v, 2); }
void PutFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void PutFixed64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint16_t GetFixed16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t GetFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

size_t PutVarint32(char* p, uint32_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<char>(v);
  return n;
}

size_t Varint32Length(uint32_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

bool GetVarint32(const char** p, const char* limit, uint32_t* v) {
  uint32_t result = 0;
  const char* q = *p;
  for (uint32_t shift = 0; shift <= 28 && q < limit; shift += 7) {
    uint32_t byte = static_cast<unsigned char>(*q++);
    if (shift == 28 && (byte & 0xF0) != 0) return false;  // would overflow 32 bits
    result |= (byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *p = q;
      *v = result;
      return true;
    }
  }
  return false;
}

size_t EncodedBatchSize(const std::vector<RecordInput>& records, int64_t epoch) {
  size_t n = BatchHeaderSizeFor(epoch);
  constexpr size_t kMaxPart = std::numeric_limits<uint32_t>::max();
  for (const RecordInput& r : records) {
    if (r.partition_key.size() > kMaxPart || r.data.size() > kMaxPart) return 0;
    n += Varint32Length(static_cast<uint32_t>(r.partition_key.size())) + r.partition_key.size();
    n += Varint32Length(static_cast<uint32_t>(r.data.size())) + r.data.size();
  }
  return n;
}

void EncodeBatchBody(const std::vector<RecordInput>& records, int64_t arrival_ms, char* out, int64_t epoch) {
  const size_t header = BatchHeaderSizeFor(epoch);
  std::memset(out, 0, header);
  PutFixed32(out + kMagicPos, kBatchMagic);
  out[kVersionPos] = static_cast<char>(epoch == 0 ? kBatchVersion : kBatchVersionEpoch);
  out[kFlagsPos] = 0;
  PutFixed16(out + kHeaderLengthPos, static_cast<uint16_t>(header));
  if (epoch != 0) PutFixed64(out + kEpochPos, static_cast<uint64_t>(epoch));
  PutFixed32(out + kRecordCountPos, static_cast<uint32_t>(records.size()));
  PutFixed64(out + kFirstArrivalPos, static_cast<uint64_t>(arrival_ms));
  PutFixed64(out + kLastArrivalPos, static_cast<uint64_t>(arrival_ms));
  char* p = out + header;
  for (const RecordInput& r : records) {
    p += PutVarint32(p, static_cast<uint32_t>(r.partition_key.size()));
    if (!r.partition_key.empty()) std::memcpy(p, r.partition_key.data(), r.partition_key.size());
    p += r.partition_key.size();
    p += PutVarint32(p, static_cast<uint32_t>(r.data.size()));
    if (!r.data.empty()) std::memcpy(p, r.data.data(), r.data.size());
    p += r.data.size();
  }
  PutFixed32(out + kLengthPos, static_cast<uint32_t>(p - out));
}

void SetBatchArrival(char* batch, int64_t arrival_ms) {
  PutFixed64(batch + kFirstArrivalPos, static_cast<uint64_t>(arrival_ms));
  PutFixed64(batch + kLastArrivalPos, static_cast<uint64_t>(arrival_ms));
}

void SealBatch(char* batch, size_t size, Offset base_offset, Offset committed_offset) {
  PutFixed64(batch + kBaseOffsetPos, base_offset.value());
  PutFixed64(batch + kCommittedOffsetPos, committed_offset.value());
  PutFixed32(batch + kCrcPos, util::Extend(0, batch + kCrcCoveredFrom, size - kCrcCoveredFrom));
}

HeaderCheck ParseHeader(const char* p, BatchHeader* h) {
  uint32_t magic = GetFixed32(p + kMagicPos);
  h->length = GetFixed32(p + kLengthPos);
  if (magic == 0 && h->length == 0) return HeaderCheck::kZero;
  if (magic != kBatchMagic) return HeaderCheck::kInvalid;
  h->crc = GetFixed32(p + kCrcPos);
  h->version = static_cast<uint8_t>(p[kVersionPos]);
  h->flags = static_cast<uint8_t>(p[kFlagsPos]);
  const uint16_t header_length = GetFixed16(p + kHeaderLengthPos);
  h->header_length = header_length;
  h->base_offset = Offset(GetFixed64(p + kBaseOffsetPos));
  h->committed_offset = Offset(GetFixed64(p + kCommittedOffsetPos));
  h->record_count = GetFixed32(p + kRecordCountPos);
  h->first_arrival_ms = static_cast<int64_t>(GetFixed64(p + kFirstArrivalPos));
  h->last_arrival_ms = static_cast<int64_t>(GetFixed64(p + kLastArrivalPos));
  const bool known_version = (h->version == kBatchVersion && header_length == kBatchHeaderSize) ||
                             (h->version == kBatchVersionEpoch && header_length == kBatchHeaderSizeEpoch);
  if (!known_version || (h->flags & ~kKnownFlags) != 0 || h->length < header_length + 2u ||
      h->length > kMaxBatchBytes || h->record_count == 0) {
    return HeaderCheck::kInvalid;
  }
  size_t overhead = (h->flags & kFlagEncrypted) != 0 ? kEncryptionOverhead : 0;
  if (h->length < header_length + overhead + 2 || h->record_count > (h->length - header_length - overhead) / 2) {
    return HeaderCheck::kInvalid;
  }
  return HeaderCheck::kOk;
}

int64_t BatchEpoch(const char* p, const BatchHeader& h) {
  if (h.header_length < kBatchHeaderSizeEpoch) return 0;
  return static_cast<int64_t>(GetFixed64(p + kEpochPos));
}

bool RecordsFramed(std::string_view records, uint32_t count) {
  const char* q = records.data();
  const char* limit = records.data() + records.size();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t klen = 0, dlen = 0;
    if (!GetVarint32(&q, limit, &klen) || static_cast<size_t>(limit - q) < klen) return false;
    q += klen;
    if (!GetVarint32(&q, limit, &dlen) || static_cast<size_t>(limit - q) < dlen) return false;
    q += dlen;
  }
  return q == limit;
}

Status VerifyBatch(const char* p, const BatchHeader& h) {
  uint32_t actual = util::Extend(0, p + kCrcCoveredFrom, h.length - kCrcCoveredFrom);
  if (actual != h.crc) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "batch at offset %llu: crc32c mismatch (stored %08x, computed %08x)",
                  static_cast<unsigned long long>(h.base_offset.value()), h.crc, actual);
    return Corruption(buf);
  }
  // An encrypted batch's framing is checked once decrypted (BatchRecords).
  if ((h.flags & kFlagEncrypted) != 0) return Status::Ok();
  if (!RecordsFramed(std::string_view(p + h.header_length, h.length - h.header_length), h.record_count)) {
    return Corruption("batch at offset " + std::to_string(h.base_offset.value()) + ": bad record framing");
  }
  return Status::Ok();
}

namespace {
// The AAD of an encrypted batch: header bytes [12, 16) and [32, header
// length).
std::string BatchAad(const char* batch, size_t header_length) {
  std::string aad(batch + kVersionPos, kBaseOffsetPos - kVersionPos);
  aad.append(batch + kRecordCountPos, header_length - kRecordCountPos);
  return aad;
}
}  // namespace

Status EncryptBatch(const KeyStore& keys, uint32_t key_ref, char* batch, size_t plain_size) {
  const size_t header = GetFixed16(batch + kHeaderLengthPos);
  char* area = batch + header;
  size_t n = plain_size - header;
  // Move the plaintext records behind the key ref, salt and nonce.
  std::memmove(area + kCiphertextRel, area, n);
  batch[kFlagsPos] = static_cast<char>(kFlagEncrypted);
  PutFixed32(batch + kLengthPos, static_cast<uint32_t>(plain_size + kEncryptionOverhead));
  PutFixed32(area + kKeyRefRel, key_ref);
  return keys.Seal(key_ref, BatchAad(batch, header), area + kKeySaltRel, area + kNonceRel, area + kCiphertextRel, n,
                   area + kCiphertextRel + n);
}

Result<std::string_view> BatchRecords(const char* p, const BatchHeader& h, const KeyStore* keys, std::string* scratch) {
  if ((h.flags & kFlagEncrypted) == 0) {
    std::string_view records(p + h.header_length, h.length - h.header_length);
    if (!RecordsFramed(records, h.record_count)) {
      return Corruption("batch at offset " + std::to_string(h.base_offset.value()) + ": bad record framing");
    }
    return records;
  }
  const char* area = p + h.header_length;
  uint32_t ref = GetFixed32(area + kKeyRefRel);
  if (keys == nullptr) {
    return Unavailable("batch at offset " + std::to_string(h.base_offset.value()) + " is encrypted (key " +
                       std::to_string(ref) + ") and this server has no key store");
  }
  size_t n = h.length - h.header_length - kEncryptionOverhead;
  scratch->resize(n);
  Status s = keys->Unseal(ref, BatchAad(p, h.header_length), area + kKeySaltRel, area + kNonceRel,
                          area + kCiphertextRel, n, area + kCiphertextRel + n, scratch->data());
  if (s.code() == ErrorCode::kNotFound) return Unavailable(s.message());
  if (!s.ok()) return Corruption("batch at offset " + std::to_string(h.base_offset.value()) + ": " + s.message());
  if (!RecordsFramed(*scratch, h.record_count)) {
    return Corruption("batch at offset " + std::to_string(h.base_offset.value()) + ": bad record framing");
  }
  return std::string_view(*scratch);
}

std::string SegmentFileName(Offset base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(base.value()));
  return std::string(buf) + std::string(kSegmentSuffix);
}

std::string IndexFileName(Offset base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(base.value()));
  return std::string(buf) + std::string(kIndexSuffix);
}

std::string ShardDirName(model::ShardIndex shard) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012u", shard.value);
  return buf;
}

namespace {
bool ParseNumbered(std::string_view name, std::string_view suffix, Offset* base) {
  if (name.size() != kSegmentNameDigits + suffix.size()) return false;
  if (name.substr(kSegmentNameDigits) != suffix) return false;
  for (size_t i = 0; i < kSegmentNameDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + kSegmentNameDigits, v);
  if (ec != std::errc() || ptr != name.data() + kSegmentNameDigits) return false;
  *base = Offset(v);
  return true;
}
}  // namespace

bool ParseSegmentFileName(std::string_view name, Offset* base) { return ParseNumbered(name, kSegmentSuffix, base); }
bool ParseIndexFileName(std::string_view name, Offset* base) { return ParseNumbered(name, kIndexSuffix, base); }

}  // namespace spate::storage::format
