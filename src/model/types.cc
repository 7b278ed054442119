#include "model/types.h"

namespace spate::model {

std::string_view FormatShardIdName(ShardIndex index, char* buf) {
  // On every acknowledged put: no printf.
  constexpr std::string_view kZero = "shardId-000000000000";
  static_assert(kZero.size() == kShardIdNameBytes);
  kZero.copy(buf, kShardIdNameBytes);
  uint32_t v = index.value;
  for (size_t i = kShardIdNameBytes; v != 0; v /= 10) buf[--i] = static_cast<char>('0' + v % 10);
  return std::string_view(buf, kShardIdNameBytes);
}

std::string ShardIdName(ShardIndex index) {
  char buf[kShardIdNameBytes];
  return std::string(FormatShardIdName(index, buf));
}

std::optional<ShardIndex> ParseShardId(std::string_view text) {
  constexpr std::string_view kPrefix = "shardId-";
  if (text.substr(0, kPrefix.size()) == kPrefix) text.remove_prefix(kPrefix.size());
  if (text.empty() || text.size() > 12) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return ShardIndex{static_cast<uint32_t>(v)};
}

std::vector<HashKeyRange> EvenHashKeyRanges(uint32_t shard_count) {
  std::vector<HashKeyRange> out;
  if (shard_count == 0) return out;
  // floor(2^128 / n) computed without overflow: (2^128 - 1) / n, corrected
  // when n divides 2^128 exactly (only powers of two).
  uint128 step = util::kMaxHashKey / shard_count;
  if ((shard_count & (shard_count - 1)) == 0) step += (util::kMaxHashKey % shard_count == shard_count - 1) ? 1 : 0;
  out.reserve(shard_count);
  for (uint32_t i = 0; i < shard_count; ++i) {
    HashKeyRange r;
    r.start = step * i;
    r.end = (i + 1 == shard_count) ? util::kMaxHashKey : step * (i + 1) - 1;
    out.push_back(r);
  }
  return out;
}

SequenceNumber SequenceNumber::OfRecord(ShardIndex shard, uint32_t epoch, LogOffset offset) {
  return {shard, epoch, ExactSequenceLayout(epoch) ? offset.value() + 1 : offset.value()};
}

SequenceNumber SequenceNumber::Before(ShardIndex shard, uint32_t epoch, LogOffset offset) {
  if (ExactSequenceLayout(epoch)) return {shard, epoch, offset.value()};
  return {shard, epoch, offset.value() > 0 ? offset.value() - 1 : 0};
}

LogOffset SequenceNumber::AtOffset() const {
  if (ExactSequenceLayout(epoch)) return LogOffset(position > 0 ? position - 1 : 0);
  return LogOffset(position);
}

LogOffset SequenceNumber::AfterOffset() const {
  return LogOffset(ExactSequenceLayout(epoch) ? position : position + 1);
}

uint128 SequenceNumber::ToUint128() const {
  return (static_cast<uint128>(kSequenceVersion) << 120) | (static_cast<uint128>(shard.value) << 88) |
         (static_cast<uint128>(epoch & kMaxStreamEpoch) << 64) | static_cast<uint128>(position);
}

std::string SequenceNumber::ToString() const { return util::ToDecimal(ToUint128()); }

std::optional<SequenceNumber> SequenceNumber::Parse(std::string_view text) {
  auto v = util::ParseDecimal128(text);
  if (!v) return std::nullopt;
  if (static_cast<uint8_t>(*v >> 120) != kSequenceVersion) return std::nullopt;
  SequenceNumber s;
  s.shard.value = static_cast<uint32_t>(*v >> 88);
  s.epoch = static_cast<uint32_t>(*v >> 64) & kMaxStreamEpoch;
  s.position = static_cast<uint64_t>(*v);
  return s;
}

}  // namespace spate::model
