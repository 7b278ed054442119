#include "dedup/producer_epochs.h"

#include <random>

namespace spate::dedup {
namespace {

// Stored value: u32 version (1), u64 epoch, little-endian
// (docs/formats/producer_stamp.md).
constexpr uint32_t kEpochRecordVersion = 1;
constexpr size_t kEpochRecordBytes = 12;

std::string EncodeEpoch(uint64_t epoch) {
  std::string out(kEpochRecordBytes, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((kEpochRecordVersion >> (8 * i)) & 0xff);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<char>((epoch >> (8 * i)) & 0xff);
  return out;
}

Result<uint64_t> DecodeEpoch(std::string_view v) {
  if (v.size() != kEpochRecordBytes) return Status(ErrorCode::kCorruption, "producer epoch record of wrong size");
  uint64_t version = 0, epoch = 0;
  for (int i = 0; i < 4; ++i) version |= static_cast<uint64_t>(static_cast<uint8_t>(v[i])) << (8 * i);
  for (int i = 0; i < 8; ++i) epoch |= static_cast<uint64_t>(static_cast<uint8_t>(v[4 + i])) << (8 * i);
  if (version != kEpochRecordVersion) {
    return Status(ErrorCode::kCorruption, "producer epoch record version " + std::to_string(version));
  }
  return epoch;
}

std::string RandomProducerId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 32; ++i) id.push_back(kHex[rd() & 0xf]);
  return id;
}

}  // namespace

std::string ProducerEpochs::Key(std::string_view account, std::string_view region, std::string_view id) {
  std::string k;
  k.append(account).push_back('\0');
  k.append(region).push_back('\0');
  k.append(id);
  return k;
}

Status ProducerEpochs::Start() {
  SPATE_ASSIGN_OR_RETURN(auto entries, catalog_->LoadEntries(kEpochNamespace));
  std::lock_guard lock(mu_);
  for (auto& [key, value] : entries) {
    SPATE_ASSIGN_OR_RETURN(uint64_t epoch, DecodeEpoch(value));
    epochs_[key] = epoch;
  }
  return Status::Ok();
}

Result<ProducerIdentity> ProducerEpochs::Init(std::string_view account, std::string_view region,
                                              std::string_view producer_id) {
  std::string id = producer_id.empty() ? RandomProducerId() : std::string(producer_id);
  if (!ValidProducerId(id)) {
    return Status(ErrorCode::kInvalidArgument,
                  "ProducerId must be 1-128 characters of [a-zA-Z0-9_.-]; got '" + std::string(producer_id) + "'.");
  }
  std::string key = Key(account, region, id);
  std::lock_guard lock(mu_);
  auto it = epochs_.find(key);
  uint64_t epoch = it == epochs_.end() ? 1 : it->second + 1;
  SPATE_TRY(catalog_->PutEntry(kEpochNamespace, key, EncodeEpoch(epoch)));
  epochs_[key] = epoch;
  return ProducerIdentity{std::move(id), epoch};
}

Status ProducerEpochs::Check(std::string_view account, std::string_view region, const ProducerStamp& stamp) const {
  std::lock_guard lock(mu_);
  auto it = epochs_.find(Key(account, region, stamp.producer_id));
  if (it == epochs_.end()) {
    return Status(ErrorCode::kNotFound,
                  "Producer " + stamp.producer_id + " is not initialised: call InitProducer first.");
  }
  if (stamp.epoch < it->second) {
    return Status(ErrorCode::kConcurrentModification,
                  "Producer " + stamp.producer_id + " is fenced: epoch " + std::to_string(stamp.epoch) +
                      " is older than its current epoch " + std::to_string(it->second) +
                      " (another InitProducer took over this producer id).");
  }
  if (stamp.epoch > it->second) {
    return Status(ErrorCode::kInvalidArgument, "ProducerEpoch " + std::to_string(stamp.epoch) + " of producer " +
                                                   stamp.producer_id + " was never handed out (current " +
                                                   std::to_string(it->second) + ").");
  }
  return Status::Ok();
}

}  // namespace spate::dedup
