#pragma once

// The producer stamp of the exactly-once append extension (docs/exactly-once.md)
// and the control record that carries it in a shard's log. Format:
// docs/formats/producer_stamp.md; keep the two in step.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::dedup {

// What a producer puts on a SpateProducers_20261207.PutRecords request: who
// it is (an id and the epoch InitProducer gave it) and the request's number,
// unique per (producer id, epoch). A resend of a request whose outcome the
// producer does not know carries the same stamp and the same records.
struct ProducerStamp {
  std::string producer_id;
  uint64_t epoch = 0;
  uint64_t sequence = 0;
};

// Producer ids: 1-128 characters of [A-Za-z0-9._-] (the model's pattern).
inline constexpr size_t kMaxProducerIdLength = 128;

// ---- Control record --------------------------------------------------------
// A stamped batch starts with one control record, then the user records.
// Its partition key is empty (user partition keys are 1-256 characters, so a
// control record is never a user's), its data:
//
//  0  u32 magic        kStampMagic
//  4  u8  version      kStampVersion
//  5  u8  id_length    1..kMaxProducerIdLength
//  6  u64 epoch
// 14  u64 sequence
// 22  u32 count        user records that follow it in the same batch, >= 1
// 26  id bytes
//
// All integers little-endian. The shard log defines control records and
// skips them on reads unless asked (storage::IsControlRecord,
// storage::ReadLimits::control_records); they take one offset (a gap in the
// sequence numbers).
inline constexpr uint32_t kStampMagic = 0x50505053;  // "SPPP" in file byte order
inline constexpr uint8_t kStampVersion = 1;
inline constexpr size_t kStampFixedBytes = 26;

// A decoded control record.
struct StampRecord {
  ProducerStamp stamp;
  uint32_t count = 0;
};

// The control record's data for `stamp` heading `count` user records.
std::string EncodeStampRecord(const ProducerStamp& stamp, uint32_t count);
// nullopt when `data` is not a well-formed control record of this version.
std::optional<StampRecord> DecodeStampRecord(std::string_view data);

// Whether `id` is a valid producer id.
bool ValidProducerId(std::string_view id);

}  // namespace spate::dedup
