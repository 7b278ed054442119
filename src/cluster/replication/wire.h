#pragma once

// The replication protocol's frames (docs/formats/replication.md): their
// constants, encoders and a bounds-checked decoder. No I/O here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::cluster::replication {

inline constexpr uint16_t kProtocolVersion = 1;
// A frame: u32 body length (after this field), u8 type, then the body.
inline constexpr size_t kFrameHeaderBytes = 5;
// The largest body: a batch of the shard log's maximum size plus the
// APPEND fields around it.
inline constexpr uint32_t kMaxFrameBody = (32u << 20) + 4096;
inline constexpr size_t kNonceBytes = 16;
inline constexpr size_t kMacBytes = 32;
inline constexpr std::string_view kMacLabel = "spate-replication-v1";
// REPLY.at_epoch when no batch of the follower ends at the probed offset,
// and when the probed offset is the follower's start (an empty prefix).
inline constexpr int64_t kNoBatchEndsThere = -1;
inline constexpr int64_t kAtStart = -2;

enum class FrameType : uint8_t {
  kChallenge = 1,  // follower -> leader, on accept: u8[16] nonce
  kHello = 2,      // leader -> follower: u16 version, str16 node id, u8[32] mac
  kHelloOk = 3,    // follower -> leader: empty
  kAppend = 10,    // u64 request, i64 epoch, str16 shard key, batch (the rest)
  kProbe = 11,     // u64 request, i64 epoch, str16 shard key, u64 at
  kTruncate = 12,  // u64 request, i64 epoch, str16 shard key, u64 end
  kFetch = 13,     // u64 request, i64 epoch, str16 shard key, u64 from (a new leader catching up)
  kCommit = 14,    // u64 request (0), i64 epoch, str16 shard key, u64 committed end; no reply
  kReply = 20,     // u64 request, u8 code, u64 start, u64 end, u64 durable, i64 epoch, i64 at_epoch, str16 message
  kBatches = 21,   // u64 request, u8 code, u64 start, u64 durable, i64 epoch, str16 message, (u32 size, batch)*
};

// The most batch bytes one BATCHES frame carries (a single larger batch
// travels alone).
inline constexpr size_t kFetchBytes = 1u << 20;

// The fields shared by APPEND, PROBE, TRUNCATE, FETCH and COMMIT.
struct Request {
  FrameType type = FrameType::kAppend;
  uint64_t id = 0;
  int64_t epoch = 0;  // the sender's leadership epoch
  std::string_view shard_key;
  uint64_t offset = 0;     // PROBE: at; TRUNCATE: end; FETCH: from; COMMIT: the committed end
  std::string_view batch;  // APPEND
};

struct Reply {
  uint64_t id = 0;
  ErrorCode code = ErrorCode::kOk;
  uint64_t start = 0;                    // the follower's first retained offset
  uint64_t end = 0;                      // its assigned end (appends queued included)
  uint64_t durable = 0;                  // its acknowledged (fsynced) end
  int64_t epoch = 0;                     // the highest epoch it has seen
  int64_t at_epoch = kNoBatchEndsThere;  // PROBE: the epoch of its batch ending at `at`
  std::string message;
};

// The answer to a FETCH: the replica's acknowledged batches from the
// requested offset on, byte for byte as stored.
struct Batches {
  uint64_t id = 0;
  ErrorCode code = ErrorCode::kOk;
  uint64_t start = 0;    // the replica's first retained offset
  uint64_t durable = 0;  // its acknowledged (fsynced) end
  int64_t epoch = 0;     // the highest epoch it has seen
  std::string message;
  std::vector<std::string> batches;  // in offset order, starting at `from`; empty at its end
};

// Whole frames, header included.
std::string EncodeChallenge(const std::array<uint8_t, kNonceBytes>& nonce);
std::string EncodeHello(std::string_view node_id, const std::array<uint8_t, kMacBytes>& mac);
std::string EncodeHelloOk();
std::string EncodeRequest(const Request& r);
std::string EncodeReply(const Reply& r);
std::string EncodeBatches(const Batches& b);

// HMAC-SHA256(secret, kMacLabel || nonce || node id).
std::array<uint8_t, kMacBytes> HelloMac(std::string_view secret, const std::array<uint8_t, kNonceBytes>& nonce,
                                        std::string_view node_id);

// Decoders of a frame body (after the 5-byte header). kSerialization on
// anything malformed; the views point into `body`.
Result<std::array<uint8_t, kNonceBytes>> DecodeChallenge(std::string_view body);
struct Hello {
  uint16_t version = 0;
  std::string_view node_id;
  std::array<uint8_t, kMacBytes> mac{};
};
Result<Hello> DecodeHello(std::string_view body);
Result<Request> DecodeRequest(FrameType type, std::string_view body);
Result<Reply> DecodeReply(std::string_view body);
Result<Batches> DecodeBatches(std::string_view body);

// Reads the 5-byte header: body length and type. kSerialization when the
// length exceeds kMaxFrameBody.
Result<std::pair<uint32_t, FrameType>> DecodeFrameHeader(const char* header);

}  // namespace spate::cluster::replication
