#include "cluster/replication/wire.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "base/assert.h"
#include "util/coding.h"

namespace spate::cluster::replication {
namespace {

void PutFixed16(std::string* dst, uint16_t v) {
  char b[2];
  std::memcpy(b, &v, 2);
  dst->append(b, 2);
}
bool GetFixed16(std::string_view* in, uint16_t* v) {
  if (in->size() < 2) return false;
  std::memcpy(v, in->data(), 2);
  in->remove_prefix(2);
  return true;
}
void PutStr16(std::string* dst, std::string_view s) {
  SPATE_ASSERT(s.size() <= UINT16_MAX, "a replication string is at most 64 KiB");
  PutFixed16(dst, static_cast<uint16_t>(s.size()));
  dst->append(s);
}
bool GetStr16(std::string_view* in, std::string_view* s) {
  uint16_t n;
  if (!GetFixed16(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// A frame whose body is filled in by the caller; Finish writes its length.
std::string Begin(FrameType type) {
  std::string f(kFrameHeaderBytes, '\0');
  f[4] = static_cast<char>(type);
  return f;
}
std::string Finish(std::string f) {
  uint32_t n = static_cast<uint32_t>(f.size() - kFrameHeaderBytes);
  std::memcpy(f.data(), &n, 4);
  return f;
}

Status Malformed(std::string_view what) {
  return Status(ErrorCode::kSerialization, "malformed replication " + std::string(what) + " frame");
}

}  // namespace

std::string EncodeChallenge(const std::array<uint8_t, kNonceBytes>& nonce) {
  std::string f = Begin(FrameType::kChallenge);
  f.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  return Finish(std::move(f));
}

std::string EncodeHello(std::string_view node_id, const std::array<uint8_t, kMacBytes>& mac) {
  std::string f = Begin(FrameType::kHello);
  PutFixed16(&f, kProtocolVersion);
  PutStr16(&f, node_id);
  f.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return Finish(std::move(f));
}

std::string EncodeHelloOk() { return Finish(Begin(FrameType::kHelloOk)); }

std::string EncodeRequest(const Request& r) {
  std::string f = Begin(r.type);
  f.reserve(kFrameHeaderBytes + 32 + r.shard_key.size() + r.batch.size());
  util::PutFixed64(&f, r.id);
  util::PutFixed64(&f, static_cast<uint64_t>(r.epoch));
  PutStr16(&f, r.shard_key);
  if (r.type == FrameType::kAppend) {
    f.append(r.batch);
  } else {
    util::PutFixed64(&f, r.offset);
  }
  return Finish(std::move(f));
}

std::string EncodeReply(const Reply& r) {
  std::string f = Begin(FrameType::kReply);
  util::PutFixed64(&f, r.id);
  f.push_back(static_cast<char>(r.code));
  util::PutFixed64(&f, r.start);
  util::PutFixed64(&f, r.end);
  util::PutFixed64(&f, r.durable);
  util::PutFixed64(&f, static_cast<uint64_t>(r.epoch));
  util::PutFixed64(&f, static_cast<uint64_t>(r.at_epoch));
  PutStr16(&f, std::string_view(r.message).substr(0, 1024));
  return Finish(std::move(f));
}

std::string EncodeBatches(const Batches& b) {
  size_t bytes = 0;
  for (const std::string& x : b.batches) bytes += 4 + x.size();
  std::string f = Begin(FrameType::kBatches);
  f.reserve(kFrameHeaderBytes + 64 + bytes);
  util::PutFixed64(&f, b.id);
  f.push_back(static_cast<char>(b.code));
  util::PutFixed64(&f, b.start);
  util::PutFixed64(&f, b.durable);
  util::PutFixed64(&f, static_cast<uint64_t>(b.epoch));
  PutStr16(&f, std::string_view(b.message).substr(0, 1024));
  for (const std::string& x : b.batches) {
    util::PutFixed32(&f, static_cast<uint32_t>(x.size()));
    f.append(x);
  }
  return Finish(std::move(f));
}

std::array<uint8_t, kMacBytes> HelloMac(std::string_view secret, const std::array<uint8_t, kNonceBytes>& nonce,
                                        std::string_view node_id) {
  std::string msg(kMacLabel);
  msg.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  msg.append(node_id);
  std::array<uint8_t, kMacBytes> out{};
  unsigned int len = 0;
  const uint8_t* r = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                          reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), out.data(), &len);
  SPATE_ASSERT(r != nullptr && len == kMacBytes, "HMAC-SHA256 failed");
  return out;
}

Result<std::array<uint8_t, kNonceBytes>> DecodeChallenge(std::string_view body) {
  if (body.size() != kNonceBytes) return Malformed("CHALLENGE");
  std::array<uint8_t, kNonceBytes> nonce{};
  std::memcpy(nonce.data(), body.data(), kNonceBytes);
  return nonce;
}

Result<Hello> DecodeHello(std::string_view body) {
  Hello h;
  if (!GetFixed16(&body, &h.version) || !GetStr16(&body, &h.node_id) || body.size() != kMacBytes) {
    return Malformed("HELLO");
  }
  std::memcpy(h.mac.data(), body.data(), kMacBytes);
  return h;
}

Result<Request> DecodeRequest(FrameType type, std::string_view body) {
  Request r;
  r.type = type;
  uint64_t epoch = 0;
  if (!util::GetFixed64(&body, &r.id) || !util::GetFixed64(&body, &epoch) || !GetStr16(&body, &r.shard_key)) {
    return Malformed("request");
  }
  r.epoch = static_cast<int64_t>(epoch);
  switch (type) {
    case FrameType::kAppend: r.batch = body; return r;
    case FrameType::kProbe:
    case FrameType::kTruncate:
    case FrameType::kFetch:
    case FrameType::kCommit:
      if (!util::GetFixed64(&body, &r.offset) || !body.empty()) return Malformed("request");
      return r;
    default: return Malformed("request");
  }
}

Result<Reply> DecodeReply(std::string_view body) {
  Reply r;
  uint64_t epoch = 0, at_epoch = 0;
  std::string_view message;
  if (!util::GetFixed64(&body, &r.id) || body.empty()) return Malformed("REPLY");
  uint8_t code = static_cast<uint8_t>(body[0]);
  body.remove_prefix(1);
  if (code > static_cast<uint8_t>(ErrorCode::kInternal)) return Malformed("REPLY");
  r.code = static_cast<ErrorCode>(code);
  if (!util::GetFixed64(&body, &r.start) || !util::GetFixed64(&body, &r.end) || !util::GetFixed64(&body, &r.durable) ||
      !util::GetFixed64(&body, &epoch) || !util::GetFixed64(&body, &at_epoch) || !GetStr16(&body, &message) ||
      !body.empty()) {
    return Malformed("REPLY");
  }
  r.epoch = static_cast<int64_t>(epoch);
  r.at_epoch = static_cast<int64_t>(at_epoch);
  r.message = std::string(message);
  return r;
}

Result<Batches> DecodeBatches(std::string_view body) {
  Batches b;
  uint64_t epoch = 0;
  std::string_view message;
  if (!util::GetFixed64(&body, &b.id) || body.empty()) return Malformed("BATCHES");
  uint8_t code = static_cast<uint8_t>(body[0]);
  body.remove_prefix(1);
  if (code > static_cast<uint8_t>(ErrorCode::kInternal)) return Malformed("BATCHES");
  b.code = static_cast<ErrorCode>(code);
  if (!util::GetFixed64(&body, &b.start) || !util::GetFixed64(&body, &b.durable) || !util::GetFixed64(&body, &epoch) ||
      !GetStr16(&body, &message)) {
    return Malformed("BATCHES");
  }
  b.epoch = static_cast<int64_t>(epoch);
  b.message = std::string(message);
  while (!body.empty()) {
    uint32_t n = 0;
    if (!util::GetFixed32(&body, &n) || n > body.size()) return Malformed("BATCHES");
    b.batches.emplace_back(body.substr(0, n));
    body.remove_prefix(n);
  }
  return b;
}

Result<std::pair<uint32_t, FrameType>> DecodeFrameHeader(const char* header) {
  uint32_t n = 0;
  std::memcpy(&n, header, 4);
  if (n > kMaxFrameBody) return Malformed("oversized");
  return std::make_pair(n, static_cast<FrameType>(static_cast<uint8_t>(header[4])));
}

}  // namespace spate::cluster::replication
