#include "spate/aggregation.h"

#include <cstring>
#include <utility>

#include "base/assert.h"
#include "kpl/aggregation.pb.h"
#include "kpl/format.h"
#include "util/hash_key.h"
#include "util/md5.h"

namespace spate {
namespace {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A length-delimited field: tag, length, bytes.
size_t DelimitedSize(size_t len) { return kpl::kTagSize + VarintSize(len) + len; }

}  // namespace

Aggregator::Aggregator(size_t max_size, size_t max_count) : max_size_(max_size), max_count_(max_count) {
  SPATE_ASSERT(max_count_ > 0, "an aggregate holds at least one record");
}

size_t Aggregator::Growth(std::string_view partition_key, std::string_view data,
                          std::string_view explicit_hash_key) const {
  size_t growth = 0;
  uint64_t pk_index = partition_keys_.size();
  if (auto it = partition_key_index_.find(partition_key); it != partition_key_index_.end()) {
    pk_index = it->second;
  } else {
    growth += DelimitedSize(partition_key.size());
  }
  size_t inner = kpl::kTagSize + VarintSize(pk_index);
  if (!explicit_hash_key.empty()) {
    uint64_t ehk_index = explicit_hash_keys_.size();
    if (auto it = explicit_hash_key_index_.find(explicit_hash_key); it != explicit_hash_key_index_.end()) {
      ehk_index = it->second;
    } else {
      growth += DelimitedSize(explicit_hash_key.size());
    }
    inner += kpl::kTagSize + VarintSize(ehk_index);
  }
  inner += DelimitedSize(data.size());
  return growth + DelimitedSize(inner);
}

size_t Aggregator::size_bytes() const { return kpl::kOverhead + message_size_; }

size_t Aggregator::SizeWith(std::string_view partition_key, std::string_view data,
                            std::string_view explicit_hash_key) const {
  return size_bytes() + Growth(partition_key, data, explicit_hash_key);
}

bool Aggregator::Add(std::string_view partition_key, std::string_view data, std::string_view explicit_hash_key) {
  const size_t growth = Growth(partition_key, data, explicit_hash_key);
  if (!records_.empty() && (records_.size() >= max_count_ || size_bytes() + growth > max_size_)) return false;
  message_size_ += growth;
  Entry entry{0, -1, std::string(data)};
  std::string pk(partition_key);
  if (auto it = partition_key_index_.find(pk); it != partition_key_index_.end()) {
    entry.partition_key_index = it->second;
  } else {
    entry.partition_key_index = partition_keys_.size();
    partition_key_index_.emplace(pk, entry.partition_key_index);
    partition_keys_.push_back(std::move(pk));
  }
  if (!explicit_hash_key.empty()) {
    std::string ehk(explicit_hash_key);
    if (auto it = explicit_hash_key_index_.find(ehk); it != explicit_hash_key_index_.end()) {
      entry.explicit_hash_key_index = static_cast<int64_t>(it->second);
    } else {
      entry.explicit_hash_key_index = static_cast<int64_t>(explicit_hash_keys_.size());
      explicit_hash_key_index_.emplace(ehk, explicit_hash_keys_.size());
      explicit_hash_keys_.push_back(std::move(ehk));
    }
  }
  records_.push_back(std::move(entry));
  return true;
}

EncodedRecord Aggregator::Finish() {
  SPATE_ASSERT(!records_.empty(), "Finish on an empty aggregator");
  EncodedRecord out;
  out.user_record_count = records_.size();
  const Entry& first = records_.front();
  out.partition_key = partition_keys_[first.partition_key_index];
  if (records_.size() == 1) {
    if (first.explicit_hash_key_index >= 0) out.explicit_hash_key = explicit_hash_keys_[first.explicit_hash_key_index];
    out.data = std::move(records_.front().data);
  } else {
    out.explicit_hash_key = first.explicit_hash_key_index >= 0
                                ? explicit_hash_keys_[first.explicit_hash_key_index]
                                : util::ToDecimal(util::PartitionKeyHash(out.partition_key));
    kpl::pb::AggregatedRecord message;
    for (std::string& pk : partition_keys_) message.add_partition_key_table(std::move(pk));
    for (std::string& ehk : explicit_hash_keys_) message.add_explicit_hash_key_table(std::move(ehk));
    for (Entry& e : records_) {
      kpl::pb::Record* r = message.add_records();
      r->set_partition_key_index(e.partition_key_index);
      if (e.explicit_hash_key_index >= 0)
        r->set_explicit_hash_key_index(static_cast<uint64_t>(e.explicit_hash_key_index));
      r->set_data(std::move(e.data));
    }
    SPATE_ASSERT(message.ByteSizeLong() == message_size_, "aggregate size arithmetic disagrees with protobuf");
    out.data.reserve(kpl::kOverhead + message_size_);
    out.data.append(reinterpret_cast<const char*>(kpl::kMagic.data()), kpl::kMagicSize);
    const bool serialized = message.AppendToString(&out.data);
    SPATE_ASSERT(serialized, "serializing an aggregate with every required field");
    const util::Md5Digest digest = util::Md5(std::string_view(out.data).substr(kpl::kMagicSize));
    out.data.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  message_size_ = 0;
  partition_keys_.clear();
  explicit_hash_keys_.clear();
  partition_key_index_.clear();
  explicit_hash_key_index_.clear();
  records_.clear();
  return out;
}

namespace {

// Parses a well-formed aggregate into `message`; false for anything else.
bool ParseAggregate(std::string_view data, kpl::pb::AggregatedRecord* message) {
  if (data.size() < kpl::kOverhead) return false;
  if (std::memcmp(data.data(), kpl::kMagic.data(), kpl::kMagicSize) != 0) return false;
  const std::string_view body = data.substr(kpl::kMagicSize, data.size() - kpl::kOverhead);
  const util::Md5Digest digest = util::Md5(body);
  if (std::memcmp(digest.data(), data.data() + data.size() - kpl::kChecksumSize, kpl::kChecksumSize) != 0) {
    return false;
  }
  if (!message->ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
  const auto pk_count = static_cast<uint64_t>(message->partition_key_table_size());
  const auto ehk_count = static_cast<uint64_t>(message->explicit_hash_key_table_size());
  for (const kpl::pb::Record& r : message->records()) {
    if (r.partition_key_index() >= pk_count) return false;
    if (r.has_explicit_hash_key_index() && r.explicit_hash_key_index() >= ehk_count) return false;
  }
  return true;
}

}  // namespace

bool IsAggregated(std::string_view data) {
  kpl::pb::AggregatedRecord message;
  return ParseAggregate(data, &message);
}

std::vector<UserRecord> Deaggregate(std::string_view data, std::string_view partition_key,
                                    std::string_view explicit_hash_key) {
  std::vector<UserRecord> out;
  kpl::pb::AggregatedRecord message;
  if (!ParseAggregate(data, &message)) {
    out.push_back(UserRecord{std::string(partition_key), std::string(explicit_hash_key), std::string(data), 0, false});
    return out;
  }
  out.reserve(message.records_size());
  uint64_t sub = 0;
  for (kpl::pb::Record& r : *message.mutable_records()) {
    UserRecord u;
    u.partition_key = message.partition_key_table(static_cast<int>(r.partition_key_index()));
    if (r.has_explicit_hash_key_index()) {
      u.explicit_hash_key = message.explicit_hash_key_table(static_cast<int>(r.explicit_hash_key_index()));
    }
    u.data = std::move(*r.mutable_data());
    u.sub_sequence_number = sub++;
    u.aggregated = true;
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace spate
