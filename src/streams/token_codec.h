#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/offset.h"
#include "model/shard_index.h"

namespace spate::streams {

// Seals small server-issued tokens (shard iterators, NextTokens) so clients
// can hold them but neither read nor forge them: AES-256-GCM with a random
// 96-bit nonce, then base64. Tokens survive restarts because the key is kept
// in the catalog. Thread-safe (no shared mutable state).
//
// Sealed layout (before base64): nonce(12) | ciphertext | tag(16). The
// sealing, the iterator plaintext and the NextToken plaintext are specified
// in docs/formats/iterator.md.
class TokenCodec {
 public:
  using Key = std::array<uint8_t, 32>;
  explicit TokenCodec(const Key& key) : key_(key) {}

  static Key RandomKey();

  std::string Seal(std::string_view plaintext) const;
  // nullopt when the token is not valid base64, too short, or fails
  // authentication (tampered, or sealed under another key).
  std::optional<std::string> Open(std::string_view token) const;

 private:
  Key key_;
};

// What a shard iterator carries (plaintext version 1, docs/formats/iterator.md).
struct IteratorState {
  int64_t issued_ms = 0;
  int64_t stream_created_ms = 0;  // rejects iterators of a deleted-and-recreated stream
  model::ShardIndex shard;
  model::LogOffset offset;  // the next record offset to read
  std::string account;
  std::string region;
  std::string stream_name;
};

std::string EncodeIterator(const TokenCodec& codec, const IteratorState& state);
std::optional<IteratorState> DecodeIterator(const TokenCodec& codec, std::string_view token);

}  // namespace spate::streams
