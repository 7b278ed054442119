#include "storage/key_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/assert.h"
#include "storage/format.h"
#include "util/crc32c.h"

namespace spate::storage {
namespace {

// File layout (little-endian), see docs/formats/shard_log.md:
//   u32 magic "SPKS", u32 version, u32 count,
//   count x { u32 ref, u32 id_length, id bytes, 32 key bytes },
//   u32 crc32c of everything before it.
constexpr uint32_t kKeyStoreMagic = 0x534B5053;  // "SPKS"
constexpr uint32_t kKeyStoreVersion = 1;
constexpr size_t kMaxKeyIdBytes = 2048;  // the service model's KeyId bound
// HMAC-SHA256(master, kDataKeyLabel || salt) is a batch's data key.
constexpr std::string_view kDataKeyLabel = "spate/batch-data-key/v1";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Status Errno(const std::string& what, const std::string& path) {
  return IoError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::unique_ptr<KeyStore>> KeyStore::Open(std::string path) {
  std::unique_ptr<KeyStore> ks(new KeyStore(std::move(path)));
  SPATE_TRY(ks->Load());
  return ks;
}

Result<std::string> KeyStore::CanonicalKeyId(std::string_view id) {
  if (id.empty()) return InvalidArgument("KeyId must not be empty");
  if (id.size() > kMaxKeyIdBytes) return InvalidArgument("KeyId is too long");
  if (id.starts_with("arn:")) {
    // arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name>
    size_t colons = 0, pos = 0;
    for (; pos < id.size() && colons < 5; ++pos) colons += id[pos] == ':';
    std::string_view rest = colons == 5 ? id.substr(pos) : std::string_view();
    size_t service_begin = id.find(':', 4);
    bool kms = service_begin != std::string_view::npos && id.substr(service_begin + 1).starts_with("kms:");
    if (!kms || !(rest.starts_with("key/") || rest.starts_with("alias/"))) {
      return InvalidArgument("KeyId " + std::string(id) + " is not a KMS key or alias ARN");
    }
    id = rest;
  }
  if (id.starts_with("alias/")) {
    if (id.size() == 6) return InvalidArgument("KeyId alias name must not be empty");
    return std::string(id);
  }
  if (id.starts_with("key/")) id.remove_prefix(4);
  if (id.empty()) return InvalidArgument("KeyId key id must not be empty");
  return "key/" + std::string(id);
}

Status KeyStore::Load() {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Errno("open key store", path_);
  }
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("read key store", path_);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto corrupt = [&](const std::string& why) { return Corruption("key store " + path_ + ": " + why); };
  if (data.size() < 16) return corrupt("too short");
  if (format::GetFixed32(data.data() + data.size() - 4) != util::Extend(0, data.data(), data.size() - 4)) {
    return corrupt("checksum mismatch");
  }
  if (format::GetFixed32(data.data()) != kKeyStoreMagic) return corrupt("bad magic");
  if (format::GetFixed32(data.data() + 4) != kKeyStoreVersion) return corrupt("unsupported version");
  uint32_t count = format::GetFixed32(data.data() + 8);
  size_t pos = 12;
  const size_t end = data.size() - 4;
  for (uint32_t i = 0; i < count; ++i) {
    if (end - pos < 8) return corrupt("truncated entry");
    uint32_t ref = format::GetFixed32(data.data() + pos);
    uint32_t len = format::GetFixed32(data.data() + pos + 4);
    pos += 8;
    if (len == 0 || len > kMaxKeyIdBytes + 6 || end - pos < len + kKeyBytes) return corrupt("truncated entry");
    std::string id(data.data() + pos, len);
    pos += len;
    Key key;
    std::memcpy(key.data(), data.data() + pos, kKeyBytes);
    pos += kKeyBytes;
    if (ref == 0 || keys_.count(ref) != 0 || refs_.count(id) != 0) return corrupt("duplicate entry");
    refs_.emplace(id, ref);
    keys_.emplace(ref, std::make_pair(std::move(id), key));
  }
  if (pos != end) return corrupt("trailing bytes");
  return Status::Ok();
}

Status KeyStore::Persist(const std::map<uint32_t, std::pair<std::string, Key>>& keys) const {
  std::string out(12, '\0');
  format::PutFixed32(out.data(), kKeyStoreMagic);
  format::PutFixed32(out.data() + 4, kKeyStoreVersion);
  format::PutFixed32(out.data() + 8, static_cast<uint32_t>(keys.size()));
  for (const auto& [ref, entry] : keys) {
    char head[8];
    format::PutFixed32(head, ref);
    format::PutFixed32(head + 4, static_cast<uint32_t>(entry.first.size()));
    out.append(head, 8);
    out.append(entry.first);
    out.append(reinterpret_cast<const char*>(entry.second.data()), kKeyBytes);
  }
  char crc[4];
  format::PutFixed32(crc, util::Extend(0, out.data(), out.size()));
  out.append(crc, 4);

  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", tmp);
  Status s;
  if (::fchmod(fd, 0600) != 0) s = Errno("chmod", tmp);  // an older tmp file may have kept other bits
  if (s.ok()) s = WriteAll(fd, out, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) s = Errno("rename", tmp);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  std::string dir = DirName(path_);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("open", dir);
  if (::fsync(dfd) != 0) s = Errno("fsync", dir);
  ::close(dfd);
  return s;
}

Result<uint32_t> KeyStore::RefFor(std::string_view key_id) {
  SPATE_ASSIGN_OR_RETURN(std::string id, CanonicalKeyId(key_id));
  {
    std::shared_lock l(mu_);
    if (auto it = refs_.find(id); it != refs_.end()) return it->second;
  }
  std::unique_lock l(mu_);
  if (auto it = refs_.find(id); it != refs_.end()) return it->second;
  Key key;
  SPATE_ASSERT(RAND_bytes(key.data(), static_cast<int>(key.size())) == 1, "RAND_bytes failed");
  uint32_t ref = keys_.empty() ? 1 : keys_.rbegin()->first + 1;
  auto next = keys_;
  next.emplace(ref, std::make_pair(id, key));
  SPATE_TRY(Persist(next));
  keys_ = std::move(next);
  refs_.emplace(std::move(id), ref);
  return ref;
}

size_t KeyStore::size() const {
  std::shared_lock l(mu_);
  return keys_.size();
}

bool KeyStore::DataKey(uint32_t ref, const char* salt, Key* out) const {
  auto it = keys_.find(ref);
  if (it == keys_.end()) return false;
  unsigned char msg[kDataKeyLabel.size() + kSaltBytes];
  std::memcpy(msg, kDataKeyLabel.data(), kDataKeyLabel.size());
  std::memcpy(msg + kDataKeyLabel.size(), salt, kSaltBytes);
  unsigned int len = 0;
  unsigned char* r =
      HMAC(EVP_sha256(), it->second.second.data(), static_cast<int>(kKeyBytes), msg, sizeof msg, out->data(), &len);
  SPATE_ASSERT(r != nullptr && len == kKeyBytes, "HMAC-SHA256 failed");
  return true;
}

Status KeyStore::Seal(uint32_t ref, std::string_view aad, char* salt, char* nonce, char* data, size_t n,
                      char* tag) const {
  SPATE_ASSERT(n <= static_cast<size_t>(INT32_MAX), "seal of more than 2 GiB");
  Key dk;
  SPATE_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(salt), kSaltBytes) == 1, "RAND_bytes failed");
  SPATE_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(nonce), kNonceBytes) == 1, "RAND_bytes failed");
  {
    std::shared_lock l(mu_);
    if (!DataKey(ref, salt, &dk)) return NotFound("key store " + path_ + " has no key " + std::to_string(ref));
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  auto* io = reinterpret_cast<unsigned char*>(data);
  int len = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, dk.data(),
                               reinterpret_cast<const unsigned char*>(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), io, &len, io, static_cast<int>(n)) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), io + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  SPATE_ASSERT(ok, "AES-GCM seal failed");
  return Status::Ok();
}

Status KeyStore::Unseal(uint32_t ref, std::string_view aad, const char* salt, const char* nonce, const char* in,
                        size_t n, const char* tag, char* out) const {
  if (n > static_cast<size_t>(INT32_MAX)) return Corruption("encrypted batch too large");
  Key dk;
  {
    std::shared_lock l(mu_);
    if (!DataKey(ref, salt, &dk)) {
      return NotFound("key store " + path_ + " has no key " + std::to_string(ref) +
                      " (records were encrypted with a key store this server does not have)");
    }
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  unsigned char tag_copy[kTagBytes];
  std::memcpy(tag_copy, tag, kTagBytes);
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, dk.data(),
                               reinterpret_cast<const unsigned char*>(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out), &len,
                              reinterpret_cast<const unsigned char*>(in), static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag_copy) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out) + len, &len) == 1;
  if (!ok) return Corruption("encrypted batch fails authentication (wrong key or damaged data)");
  return Status::Ok();
}

}  // namespace spate::storage
