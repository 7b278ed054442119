// The replication frames: round trips and malformed input.

#include "cluster/replication/wire.h"

#include <gtest/gtest.h>

#include <cstring>

namespace spate::cluster::replication {
namespace {

std::string_view Body(const std::string& frame) { return std::string_view(frame).substr(kFrameHeaderBytes); }

FrameType TypeOf(const std::string& frame) {
  auto h = DecodeFrameHeader(frame.data());
  EXPECT_TRUE(h.ok());
  EXPECT_EQ(h->first, frame.size() - kFrameHeaderBytes);
  return h->second;
}

TEST(WireTest, RequestsRoundTrip) {
  Request a;
  a.type = FrameType::kAppend;
  a.id = 7;
  a.epoch = (int64_t{1} << 40) + 3;
  a.shard_key = "123456789012/us-east-1/s/shardId-000000000001";
  a.batch = std::string_view("batch\0bytes", 11);
  std::string f = EncodeRequest(a);
  ASSERT_EQ(TypeOf(f), FrameType::kAppend);
  auto d = DecodeRequest(FrameType::kAppend, Body(f));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, 7u);
  EXPECT_EQ(d->epoch, a.epoch);
  EXPECT_EQ(d->shard_key, a.shard_key);
  EXPECT_EQ(d->batch, a.batch);

  Request p;
  p.type = FrameType::kTruncate;
  p.id = 9;
  p.epoch = 4;
  p.shard_key = "k";
  p.offset = 12345;
  f = EncodeRequest(p);
  d = DecodeRequest(TypeOf(f), Body(f));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->offset, 12345u);
  EXPECT_EQ(d->type, FrameType::kTruncate);

  Request c;
  c.type = FrameType::kCommit;
  c.epoch = 6;
  c.shard_key = "a/b/c/shardId-000000000001";
  c.offset = 777;
  f = EncodeRequest(c);
  EXPECT_EQ(TypeOf(f), FrameType::kCommit);
  d = DecodeRequest(TypeOf(f), Body(f));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, FrameType::kCommit);
  EXPECT_EQ(d->epoch, 6);
  EXPECT_EQ(d->shard_key, c.shard_key);
  EXPECT_EQ(d->offset, 777u);
  // A COMMIT one byte short is malformed.
  EXPECT_FALSE(DecodeRequest(FrameType::kCommit, Body(f).substr(0, Body(f).size() - 1)).ok());
}

TEST(WireTest, ReplyRoundTrips) {
  Reply r;
  r.id = 3;
  r.code = ErrorCode::kConcurrentModification;
  r.start = 1;
  r.end = 20;
  r.durable = 18;
  r.epoch = 99;
  r.at_epoch = kAtStart;
  r.message = "fenced";
  std::string f = EncodeReply(r);
  ASSERT_EQ(TypeOf(f), FrameType::kReply);
  auto d = DecodeReply(Body(f));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->code, r.code);
  EXPECT_EQ(d->start, 1u);
  EXPECT_EQ(d->end, 20u);
  EXPECT_EQ(d->durable, 18u);
  EXPECT_EQ(d->epoch, 99);
  EXPECT_EQ(d->at_epoch, kAtStart);
  EXPECT_EQ(d->message, "fenced");
}

TEST(WireTest, FetchAndBatchesRoundTrip) {
  Request q;
  q.type = FrameType::kFetch;
  q.id = 11;
  q.epoch = 8;
  q.shard_key = "k";
  q.offset = 300;
  std::string f = EncodeRequest(q);
  auto d = DecodeRequest(TypeOf(f), Body(f));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, FrameType::kFetch);
  EXPECT_EQ(d->offset, 300u);

  Batches b;
  b.id = 11;
  b.start = 2;
  b.durable = 400;
  b.epoch = 7;
  b.batches = {std::string("first\0batch", 11), "", std::string(70000, 'x')};
  f = EncodeBatches(b);
  ASSERT_EQ(TypeOf(f), FrameType::kBatches);
  auto got = DecodeBatches(Body(f));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, 11u);
  EXPECT_EQ(got->code, ErrorCode::kOk);
  EXPECT_EQ(got->start, 2u);
  EXPECT_EQ(got->durable, 400u);
  EXPECT_EQ(got->epoch, 7);
  EXPECT_EQ(got->batches, b.batches);

  Batches refused;
  refused.id = 12;
  refused.code = ErrorCode::kConcurrentModification;
  refused.message = "fenced";
  f = EncodeBatches(refused);
  got = DecodeBatches(Body(f));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->code, ErrorCode::kConcurrentModification);
  EXPECT_EQ(got->message, "fenced");
  EXPECT_TRUE(got->batches.empty());
}

TEST(WireTest, ABatchesFrameWithATruncatedBatchIsRefused) {
  Batches b;
  b.batches = {"0123456789"};
  std::string f = EncodeBatches(b);
  for (size_t cut = 1; cut <= 10; ++cut) {
    EXPECT_FALSE(DecodeBatches(Body(f).substr(0, Body(f).size() - cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeBatches(std::string_view(Body(f).data(), 5)).ok());
}

TEST(WireTest, TruncatedOrTrailingBytesAreRefused) {
  Request p;
  p.type = FrameType::kProbe;
  p.shard_key = "key";
  std::string body(Body(EncodeRequest(p)));
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(DecodeRequest(FrameType::kProbe, body.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeRequest(FrameType::kProbe, body + "x").ok());
  EXPECT_FALSE(DecodeRequest(FrameType::kReply, body).ok());
  std::string reply(Body(EncodeReply(Reply{})));
  for (size_t n = 0; n < reply.size(); ++n) EXPECT_FALSE(DecodeReply(reply.substr(0, n)).ok()) << n;
  reply[8] = static_cast<char>(200);  // no such error code
  EXPECT_FALSE(DecodeReply(reply).ok());
}

TEST(WireTest, OversizedFrameIsRefused) {
  char header[kFrameHeaderBytes] = {};
  uint32_t n = kMaxFrameBody + 1;
  std::memcpy(header, &n, 4);
  EXPECT_FALSE(DecodeFrameHeader(header).ok());
}

TEST(WireTest, HelloMacDependsOnSecretNonceAndNode) {
  std::array<uint8_t, kNonceBytes> nonce{};
  nonce[0] = 1;
  auto mac = HelloMac("secret", nonce, "n1");
  EXPECT_NE(mac, HelloMac("secreT", nonce, "n1"));
  EXPECT_NE(mac, HelloMac("secret", nonce, "n2"));
  auto other = nonce;
  other[15] = 1;
  EXPECT_NE(mac, HelloMac("secret", other, "n1"));
  std::string f = EncodeHello("n1", mac);
  auto h = DecodeHello(Body(f));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->node_id, "n1");
  EXPECT_EQ(h->mac, mac);
  EXPECT_EQ(h->version, kProtocolVersion);
}

}  // namespace
}  // namespace spate::cluster::replication
