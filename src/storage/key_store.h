#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::storage {

// The local stand-in for KMS: one 256-bit master key per KeyId, created on
// first use and kept in one file (format in docs/formats/shard_log.md,
// "Key store"). Encrypted batches name their master key by a small number
// (the key's `ref`), never by the key itself, and each batch is sealed under
// its own data key derived from the master key and a random salt stored in
// the batch (HMAC-SHA256), so the AES-GCM nonce budget of a master key is
// never a concern.
//
// Trust model: the file holds the keys in the clear, readable by the server's
// user only (mode 0600). A copy of the data directory WITHOUT this file
// reveals nothing of an encrypted stream's records; with it, everything.
// Keep it elsewhere (spated --key-store PATH) to separate the two.
//
// Keys are never deleted: records written under a key stay readable after
// StopStreamEncryption or a change of key. Thread-safe.
class KeyStore {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kSaltBytes = 16;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  using Key = std::array<unsigned char, kKeyBytes>;

  // Opens the key store at `path`; a missing file is an empty store (the
  // file is created with the first key). kCorruption if the file exists but
  // fails its checksum; kIoError if it cannot be read.
  static Result<std::unique_ptr<KeyStore>> Open(std::string path);

  // The canonical name of a KMS KeyId: "alias/<name>" for an alias or alias
  // ARN, "key/<id>" for a key id or key ARN (the ARN's region and account
  // are dropped: one local store serves them all). kInvalidArgument for an
  // empty id, an ARN that is not a KMS key or alias ARN, or an empty alias.
  static Result<std::string> CanonicalKeyId(std::string_view key_id);

  // The ref of the master key of `key_id` (canonicalised), creating the key
  // on first use: the new key is durable (file written, fsynced, renamed,
  // directory fsynced) before this returns.
  Result<uint32_t> RefFor(std::string_view key_id);

  // Seals `n` bytes at `data` in place under a data key derived from master
  // key `ref`: fills `salt` (kSaltBytes) and `nonce` (kNonceBytes) with fresh
  // random bytes and writes the tag (kTagBytes). `aad` is authenticated,
  // not encrypted. kNotFound for an unknown ref.
  Status Seal(uint32_t ref, std::string_view aad, char* salt, char* nonce, char* data, size_t n, char* tag) const;
  // Decrypts `n` bytes from `in` into `out` (which may equal `in`).
  // kNotFound for an unknown ref (the key store is missing or another one),
  // kCorruption when authentication fails.
  Status Unseal(uint32_t ref, std::string_view aad, const char* salt, const char* nonce, const char* in, size_t n,
                const char* tag, char* out) const;

  const std::string& path() const { return path_; }
  size_t size() const;

 private:
  explicit KeyStore(std::string path) : path_(std::move(path)) {}
  Status Load();
  Status Persist(const std::map<uint32_t, std::pair<std::string, Key>>& keys) const;
  bool DataKey(uint32_t ref, const char* salt, Key* out) const;  // requires mu_ (shared)

  const std::string path_;
  mutable std::shared_mutex mu_;
  std::map<uint32_t, std::pair<std::string, Key>> keys_;  // ref -> (canonical id, key); guarded by mu_
  std::map<std::string, uint32_t, std::less<>> refs_;     // canonical id -> ref; guarded by mu_
};

}  // namespace spate::storage
