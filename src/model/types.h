#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/offset.h"
#include "model/shard_index.h"
#include "util/hash_key.h"

namespace spate::model {

using util::uint128;

// "shardId-%012u".
std::string ShardIdName(ShardIndex index);
// The same into buf[0, kShardIdNameBytes), no allocation (a uint32_t index
// has at most 10 digits, so the name is always 20 characters).
inline constexpr size_t kShardIdNameBytes = 20;
std::string_view FormatShardIdName(ShardIndex index, char* buf);
// Accepts exactly "shardId-" + 12 digits... and, like AWS, a bare decimal
// suffix of up to 12 digits. nullopt otherwise.
std::optional<ShardIndex> ParseShardId(std::string_view text);

// An inclusive range of 128-bit hash keys.
struct HashKeyRange {
  uint128 start = 0;
  uint128 end = 0;
  bool Contains(uint128 key) const { return key >= start && key <= end; }
  bool operator==(const HashKeyRange&) const = default;
};

// The ranges CreateStream gives N shards: step = floor(2^128 / N); shard i
// covers [i*step, (i+1)*step - 1] and the last one ends at 2^128 - 1.
std::vector<HashKeyRange> EvenHashKeyRanges(uint32_t shard_count);

// A Kinesis sequence number, as Spate lays it out: a 128-bit integer written
// in decimal.
//
//   bits 127..120  format version (kSequenceVersion)
//   bits 119..88   shard index
//   bits  87..64   stream epoch: the stream incarnation (0 for streams from
//                  before epochs; docs/formats/sequence_number.md)
//   bits  63..0    position within the shard's log
//
// The position field depends on the epoch. Streams created since epochs
// start at kFirstExactEpoch number a record at offset o as o + 1, so 0 is
// the position before a shard's first record: a shard's
// StartingSequenceNumber (and a fan-out continuation before anything was
// delivered) is no record's number, and AFTER_SEQUENCE_NUMBER with it reads
// the first record, as on AWS. Older streams (epochs below it) keep the
// numbering they handed out: the field is the offset itself.
//
// So sequence numbers are strictly increasing per shard, never repeat for a
// stream name (a stream created again gets a new epoch), and a number names
// its shard and incarnation (GetShardIterator checks both). Children of a
// reshard have higher indexes, hence higher numbers than their parents.
struct SequenceNumber {
  ShardIndex shard;
  uint32_t epoch = 0;     // 0 .. kMaxStreamEpoch
  uint64_t position = 0;  // the low 64 bits, as laid out for `epoch`

  // The number of the record at `offset`.
  static SequenceNumber OfRecord(ShardIndex shard, uint32_t epoch, LogOffset offset);
  // The number that stands just before `offset`: AFTER_SEQUENCE_NUMBER with
  // it reads from `offset`. For offset > 0 it is the previous record's
  // number; for offset 0 of an older stream, which has no number before its
  // first record, it is that record's own.
  static SequenceNumber Before(ShardIndex shard, uint32_t epoch, LogOffset offset);
  // The first offset AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER with this
  // number reads.
  LogOffset AtOffset() const;
  LogOffset AfterOffset() const;

  uint128 ToUint128() const;
  std::string ToString() const;
  // nullopt when the text is not a decimal of this layout.
  static std::optional<SequenceNumber> Parse(std::string_view text);
};

inline constexpr uint8_t kSequenceVersion = 0x4B;  // 'K'; keeps every number 38-39 digits wide
// The largest stream epoch (24 bits).
inline constexpr uint32_t kMaxStreamEpoch = (1u << 24) - 1;
// The first epoch whose numbers leave position 0 before a shard's first
// record (see SequenceNumber); CreateStream hands out epochs from here up.
inline constexpr uint32_t kFirstExactEpoch = 1u << 23;
inline constexpr bool ExactSequenceLayout(uint32_t epoch) { return epoch >= kFirstExactEpoch; }

}  // namespace spate::model
