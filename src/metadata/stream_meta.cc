#include "metadata/stream_meta.h"

#include <initializer_list>

#include "util/coding.h"

namespace spate::metadata {
namespace {

// Version 1: through max_record_size_kib. Version 2 appends resource_policies;
// version 3 appends the consumer list; version 4 the pending reshard;
// version 5 the warm throughput; version 6 the epoch. Older versions still
// decode.
constexpr uint8_t kStreamMetaVersion = 6;
constexpr uint8_t kStreamMetaVersionResourcePolicies = 2;
constexpr uint8_t kStreamMetaVersionConsumers = 3;
constexpr uint8_t kStreamMetaVersionPendingReshard = 4;
constexpr uint8_t kStreamMetaVersionWarmThroughput = 5;
constexpr uint8_t kStreamMetaVersionEpoch = 6;

void PutU128(std::string* dst, model::uint128 v) {
  util::PutFixed64(dst, static_cast<uint64_t>(v));
  util::PutFixed64(dst, static_cast<uint64_t>(v >> 64));
}
bool GetU128(std::string_view* in, model::uint128* v) {
  uint64_t lo, hi;
  if (!util::GetFixed64(in, &lo) || !util::GetFixed64(in, &hi)) return false;
  *v = (static_cast<model::uint128>(hi) << 64) | lo;
  return true;
}
void PutOptIndex(std::string* dst, const std::optional<model::ShardIndex>& v) {
  util::PutVarint64(dst, v ? static_cast<uint64_t>(v->value) + 1 : 0);
}
bool GetOptIndex(std::string_view* in, std::optional<model::ShardIndex>* v) {
  uint64_t x;
  if (!util::GetVarint64(in, &x)) return false;
  if (x == 0) {
    v->reset();
  } else if (x - 1 > UINT32_MAX) {
    return false;
  } else {
    *v = model::ShardIndex{static_cast<uint32_t>(x - 1)};
  }
  return true;
}
bool GetString(std::string_view* in, std::string* s) {
  std::string_view v;
  if (!util::GetLengthPrefixed(in, &v)) return false;
  s->assign(v);
  return true;
}
bool GetI64(std::string_view* in, int64_t* v) {
  uint64_t x;
  if (!util::GetFixed64(in, &x)) return false;
  *v = static_cast<int64_t>(x);
  return true;
}
bool GetOffset(std::string_view* in, model::LogOffset* v) {
  uint64_t x = 0;
  if (!util::GetVarint64(in, &x)) return false;
  *v = model::LogOffset(x);
  return true;
}
bool GetU32(std::string_view* in, uint32_t* v) {
  uint64_t x;
  if (!util::GetVarint64(in, &x) || x > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(x);
  return true;
}
// A non-negative int32 written as a varint (the encoder never writes a
// negative one).
bool GetI32(std::string_view* in, int32_t* v) {
  uint64_t x;
  if (!util::GetVarint64(in, &x) || x > INT32_MAX) return false;
  *v = static_cast<int32_t>(x);
  return true;
}
// One byte holding an enum code; false unless it is one of `known`.
template <typename E>
bool GetCode(std::string_view* in, std::initializer_list<E> known, E* v) {
  if (in->empty()) return false;
  const auto code = static_cast<uint8_t>((*in)[0]);
  for (E e : known) {
    if (static_cast<uint8_t>(e) == code) {
      *v = e;
      in->remove_prefix(1);
      return true;
    }
  }
  return false;
}
bool GetStreamStatus(std::string_view* in, StreamStatus* v) {
  return GetCode(in, {StreamStatus::kCreating, StreamStatus::kActive, StreamStatus::kUpdating, StreamStatus::kDeleting},
                 v);
}
bool GetStreamMode(std::string_view* in, StreamMode* v) {
  return GetCode(in, {StreamMode::kProvisioned, StreamMode::kOnDemand}, v);
}
bool GetConsumerStatus(std::string_view* in, ConsumerStatus* v) {
  return GetCode(in, {ConsumerStatus::kCreating, ConsumerStatus::kActive, ConsumerStatus::kDeleting}, v);
}

void PutPendingReshard(std::string* dst, const PendingReshard& p) {
  dst->push_back(static_cast<char>(p.kind));
  switch (p.kind) {
    case ReshardKind::kNone: break;
    case ReshardKind::kSplit:
      util::PutVarint64(dst, p.shard.value);
      PutU128(dst, p.new_starting_hash_key);
      break;
    case ReshardKind::kMerge:
      util::PutVarint64(dst, p.shard.value);
      util::PutVarint64(dst, p.adjacent_shard.value);
      break;
    case ReshardKind::kUniformScaling: util::PutVarint64(dst, p.target_shard_count); break;
  }
}
bool GetPendingReshard(std::string_view* in, PendingReshard* p) {
  if (!GetCode(in, {ReshardKind::kNone, ReshardKind::kSplit, ReshardKind::kMerge, ReshardKind::kUniformScaling},
               &p->kind)) {
    return false;
  }
  switch (p->kind) {
    case ReshardKind::kNone: return true;
    case ReshardKind::kSplit: return GetU32(in, &p->shard.value) && GetU128(in, &p->new_starting_hash_key);
    case ReshardKind::kMerge: return GetU32(in, &p->shard.value) && GetU32(in, &p->adjacent_shard.value);
    case ReshardKind::kUniformScaling: return GetU32(in, &p->target_shard_count);
  }
  return false;
}

}  // namespace

std::string_view StreamStatusName(StreamStatus s) {
  switch (s) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kUpdating: return "UPDATING";
    case StreamStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

std::string_view StreamModeName(StreamMode m) { return m == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED"; }

std::string_view ConsumerStatusName(ConsumerStatus s) {
  switch (s) {
    case ConsumerStatus::kCreating: return "CREATING";
    case ConsumerStatus::kActive: return "ACTIVE";
    case ConsumerStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

const ConsumerMeta* StreamMeta::FindConsumer(std::string_view consumer_name) const {
  for (const ConsumerMeta& c : consumers) {
    if (c.name == consumer_name) return &c;
  }
  return nullptr;
}

ConsumerMeta* StreamMeta::FindConsumer(std::string_view consumer_name) {
  for (ConsumerMeta& c : consumers) {
    if (c.name == consumer_name) return &c;
  }
  return nullptr;
}

std::string StreamMeta::MakeKey(std::string_view account, std::string_view region, std::string_view name) {
  std::string k;
  AssignKey(account, region, name, &k);
  return k;
}

void StreamMeta::AssignKey(std::string_view account, std::string_view region, std::string_view name, std::string* out) {
  constexpr std::string_view kPrefix = "stream/";
  out->clear();
  out->reserve(kPrefix.size() + account.size() + region.size() + name.size() + 2);
  out->append(kPrefix).append(account).append("/").append(region).append("/").append(name);
}

std::string EncodeStreamMeta(const StreamMeta& m) {
  std::string out;
  out.push_back(static_cast<char>(kStreamMetaVersion));
  util::PutLengthPrefixed(&out, m.account);
  util::PutLengthPrefixed(&out, m.region);
  util::PutLengthPrefixed(&out, m.name);
  util::PutLengthPrefixed(&out, m.storage_group);
  util::PutFixed64(&out, static_cast<uint64_t>(m.created_ms));
  out.push_back(static_cast<char>(m.status));
  util::PutFixed64(&out, static_cast<uint64_t>(m.status_since_ms));
  out.push_back(static_cast<char>(m.mode));
  util::PutVarint64(&out, static_cast<uint64_t>(m.retention_hours));
  util::PutVarint64(&out, m.next_shard_index.value);
  util::PutVarint64(&out, m.shards.size());
  for (const ShardMeta& s : m.shards) {
    util::PutVarint64(&out, s.index.value);
    PutU128(&out, s.range.start);
    PutU128(&out, s.range.end);
    PutOptIndex(&out, s.parent);
    PutOptIndex(&out, s.adjacent_parent);
    util::PutFixed64(&out, static_cast<uint64_t>(s.created_ms));
    util::PutVarint64(&out, s.starting_offset.value());
    util::PutVarint64(&out, s.end_offset ? s.end_offset->value() + 1 : 0);  // 0: open
    util::PutFixed64(&out, static_cast<uint64_t>(s.closed_ms));
  }
  util::PutVarint64(&out, m.tags.size());
  for (const auto& [k, v] : m.tags) {
    util::PutLengthPrefixed(&out, k);
    util::PutLengthPrefixed(&out, v);
  }
  util::PutVarint64(&out, m.shard_level_metrics.size());
  for (const auto& s : m.shard_level_metrics) util::PutLengthPrefixed(&out, s);
  util::PutLengthPrefixed(&out, m.encryption_type);
  util::PutLengthPrefixed(&out, m.key_id);
  util::PutVarint64(&out, static_cast<uint64_t>(m.max_record_size_kib));
  // Version 2.
  util::PutVarint64(&out, m.resource_policies.size());
  for (const auto& [arn, policy] : m.resource_policies) {
    util::PutLengthPrefixed(&out, arn);
    util::PutLengthPrefixed(&out, policy);
  }
  // Version 3.
  util::PutVarint64(&out, m.consumers.size());
  for (const ConsumerMeta& c : m.consumers) {
    util::PutLengthPrefixed(&out, c.name);
    util::PutFixed64(&out, static_cast<uint64_t>(c.created_ms));
    out.push_back(static_cast<char>(c.status));
    util::PutFixed64(&out, static_cast<uint64_t>(c.status_since_ms));
    util::PutVarint64(&out, c.tags.size());
    for (const auto& [k, v] : c.tags) {
      util::PutLengthPrefixed(&out, k);
      util::PutLengthPrefixed(&out, v);
    }
  }
  // Version 4.
  PutPendingReshard(&out, m.pending_reshard);
  // Version 5.
  util::PutVarint64(&out, static_cast<uint64_t>(m.warm_throughput_mibps));
  // Version 6.
  util::PutVarint64(&out, m.epoch);
  return out;
}

Result<StreamMeta> DecodeStreamMeta(std::string_view in) {
  auto bad = [] { return Status(ErrorCode::kCorruption, "catalog: malformed stream record"); };
  StreamMeta m;
  if (in.empty() || static_cast<uint8_t>(in[0]) < 1 || static_cast<uint8_t>(in[0]) > kStreamMetaVersion) return bad();
  const uint8_t version = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  uint64_t n = 0;
  if (!GetString(&in, &m.account) || !GetString(&in, &m.region) || !GetString(&in, &m.name) ||
      !GetString(&in, &m.storage_group) || !GetI64(&in, &m.created_ms) || !GetStreamStatus(&in, &m.status) ||
      !GetI64(&in, &m.status_since_ms) || !GetStreamMode(&in, &m.mode) || !GetI32(&in, &m.retention_hours) ||
      !GetU32(&in, &m.next_shard_index.value) || !util::GetVarint64(&in, &n)) {
    return bad();
  }
  for (uint64_t i = 0; i < n; ++i) {
    ShardMeta s;
    uint64_t end;
    if (!GetU32(&in, &s.index.value) || !GetU128(&in, &s.range.start) || !GetU128(&in, &s.range.end) ||
        !GetOptIndex(&in, &s.parent) || !GetOptIndex(&in, &s.adjacent_parent) || !GetI64(&in, &s.created_ms) ||
        !GetOffset(&in, &s.starting_offset) || !util::GetVarint64(&in, &end) || !GetI64(&in, &s.closed_ms)) {
      return bad();
    }
    if (end != 0) s.end_offset = model::LogOffset(end - 1);
    m.shards.push_back(s);
  }
  if (!util::GetVarint64(&in, &n)) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!GetString(&in, &k) || !GetString(&in, &v)) return bad();
    m.tags.emplace(std::move(k), std::move(v));
  }
  if (!util::GetVarint64(&in, &n)) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    if (!GetString(&in, &s)) return bad();
    m.shard_level_metrics.insert(std::move(s));
  }
  if (!GetString(&in, &m.encryption_type) || !GetString(&in, &m.key_id) || !GetI32(&in, &m.max_record_size_kib)) {
    return bad();
  }
  if (version >= kStreamMetaVersionResourcePolicies) {
    if (!util::GetVarint64(&in, &n)) return bad();
    for (uint64_t i = 0; i < n; ++i) {
      std::string arn, policy;
      if (!GetString(&in, &arn) || !GetString(&in, &policy)) return bad();
      m.resource_policies.emplace(std::move(arn), std::move(policy));
    }
  }
  if (version >= kStreamMetaVersionConsumers) {
    if (!util::GetVarint64(&in, &n)) return bad();
    for (uint64_t i = 0; i < n; ++i) {
      ConsumerMeta c;
      uint64_t tag_count;
      if (!GetString(&in, &c.name) || !GetI64(&in, &c.created_ms) || !GetConsumerStatus(&in, &c.status) ||
          !GetI64(&in, &c.status_since_ms) || !util::GetVarint64(&in, &tag_count)) {
        return bad();
      }
      for (uint64_t j = 0; j < tag_count; ++j) {
        std::string k, v;
        if (!GetString(&in, &k) || !GetString(&in, &v)) return bad();
        c.tags.emplace(std::move(k), std::move(v));
      }
      m.consumers.push_back(std::move(c));
    }
  }
  if (version >= kStreamMetaVersionPendingReshard && !GetPendingReshard(&in, &m.pending_reshard)) return bad();
  if (version >= kStreamMetaVersionWarmThroughput && !GetI32(&in, &m.warm_throughput_mibps)) return bad();
  if (version >= kStreamMetaVersionEpoch && (!GetU32(&in, &m.epoch) || m.epoch > model::kMaxStreamEpoch)) {
    return bad();
  }
  // The fields of the record's version fill it exactly.
  if (!in.empty()) return bad();
  return m;
}

}  // namespace spate::metadata
