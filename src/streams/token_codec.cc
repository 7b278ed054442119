#include "streams/token_codec.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "base/assert.h"
#include "util/base64.h"
#include "util/coding.h"

namespace spate::streams {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr uint8_t kIteratorVersion = 1;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

}  // namespace

TokenCodec::Key TokenCodec::RandomKey() {
  Key k;
  SPATE_ASSERT(RAND_bytes(k.data(), static_cast<int>(k.size())) == 1, "RAND_bytes failed");
  return k;
}

std::string TokenCodec::Seal(std::string_view plaintext) const {
  std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  SPATE_ASSERT(RAND_bytes(out, kNonceBytes) == 1, "RAND_bytes failed");
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), out) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + kNonceBytes + plaintext.size()) == 1;
  SPATE_ASSERT(ok, "AES-GCM seal failed");
  return util::Base64Encode(sealed);
}

std::optional<std::string> TokenCodec::Open(std::string_view token) const {
  // AWS tolerates an iterator wrapped in double quotes.
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') token = token.substr(1, token.size() - 2);
  std::string sealed, error;
  if (!util::Base64Decode(token, &sealed, &error)) return std::nullopt;
  if (sealed.size() < kNonceBytes + kTagBytes) return std::nullopt;
  size_t n = sealed.size() - kNonceBytes - kTagBytes;
  auto* in = reinterpret_cast<unsigned char*>(sealed.data());
  std::string plain(n, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, in + kNonceBytes,
                              static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, in + kNonceBytes + n) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
  if (!ok) return std::nullopt;
  return plain;
}

std::string EncodeIterator(const TokenCodec& codec, const IteratorState& s) {
  std::string p;
  p.push_back(static_cast<char>(kIteratorVersion));
  util::PutFixed64(&p, static_cast<uint64_t>(s.issued_ms));
  util::PutFixed64(&p, static_cast<uint64_t>(s.stream_created_ms));
  util::PutFixed32(&p, s.shard.value);
  util::PutFixed64(&p, s.offset.value());
  util::PutLengthPrefixed(&p, s.account);
  util::PutLengthPrefixed(&p, s.region);
  util::PutLengthPrefixed(&p, s.stream_name);
  return codec.Seal(p);
}

std::optional<IteratorState> DecodeIterator(const TokenCodec& codec, std::string_view token) {
  auto plain = codec.Open(token);
  if (!plain) return std::nullopt;
  std::string_view in(*plain);
  if (in.empty() || static_cast<uint8_t>(in[0]) != kIteratorVersion) return std::nullopt;
  in.remove_prefix(1);
  IteratorState s;
  uint64_t issued, created, offset;
  std::string_view account, region, name;
  if (!util::GetFixed64(&in, &issued) || !util::GetFixed64(&in, &created) || !util::GetFixed32(&in, &s.shard.value) ||
      !util::GetFixed64(&in, &offset) || !util::GetLengthPrefixed(&in, &account) ||
      !util::GetLengthPrefixed(&in, &region) || !util::GetLengthPrefixed(&in, &name) || !in.empty()) {
    return std::nullopt;
  }
  s.issued_ms = static_cast<int64_t>(issued);
  s.stream_created_ms = static_cast<int64_t>(created);
  s.offset = model::LogOffset(offset);
  s.account.assign(account);
  s.region.assign(region);
  s.stream_name.assign(name);
  return s;
}

}  // namespace spate::streams
