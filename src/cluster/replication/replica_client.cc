#include "cluster/replication/replica_client.h"

namespace spate::cluster::replication {

Result<Socket> DialReplica(std::string_view address, std::string_view secret, std::string_view self, int timeout_ms) {
  SPATE_ASSIGN_OR_RETURN(Socket s, Connect(address, timeout_ms));
  SetReceiveTimeout(s, timeout_ms);
  SPATE_ASSIGN_OR_RETURN(auto challenge, ReadFrame(s));
  if (challenge.first != FrameType::kChallenge) return Status(ErrorCode::kSerialization, "expected CHALLENGE");
  SPATE_ASSIGN_OR_RETURN(auto nonce, DecodeChallenge(challenge.second));
  SPATE_TRY(WriteAll(s, EncodeHello(self, HelloMac(secret, nonce, self))));
  SPATE_ASSIGN_OR_RETURN(auto ok, ReadFrame(s));
  if (ok.first != FrameType::kHelloOk) return Status(ErrorCode::kSerialization, "expected HELLO_OK");
  SetReceiveTimeout(s, 0);
  return s;
}

Result<std::unique_ptr<ReplicaClient>> ReplicaClient::Connect(std::string_view address, std::string_view secret,
                                                              std::string_view self, int timeout_ms) {
  SPATE_ASSIGN_OR_RETURN(Socket s, DialReplica(address, secret, self, timeout_ms));
  SetReceiveTimeout(s, timeout_ms);
  return std::unique_ptr<ReplicaClient>(new ReplicaClient(std::move(s)));
}

Result<std::string> ReplicaClient::Call(const Request& r, FrameType answer) {
  SPATE_TRY(WriteAll(socket_, EncodeRequest(r)));
  SPATE_ASSIGN_OR_RETURN(auto frame, ReadFrame(socket_));
  if (frame.first != answer) return Status(ErrorCode::kSerialization, "unexpected replication frame type");
  return std::move(frame.second);
}

Result<Reply> ReplicaClient::Probe(std::string_view shard_key, int64_t epoch, uint64_t at) {
  Request r;
  r.type = FrameType::kProbe;
  r.id = next_id_++;
  r.epoch = epoch;
  r.shard_key = shard_key;
  r.offset = at;
  SPATE_ASSIGN_OR_RETURN(std::string body, Call(r, FrameType::kReply));
  SPATE_ASSIGN_OR_RETURN(Reply reply, DecodeReply(body));
  if (reply.id != r.id) return Status(ErrorCode::kSerialization, "a REPLY to another request");
  return reply;
}

Result<Batches> ReplicaClient::Fetch(std::string_view shard_key, int64_t epoch, uint64_t from) {
  Request r;
  r.type = FrameType::kFetch;
  r.id = next_id_++;
  r.epoch = epoch;
  r.shard_key = shard_key;
  r.offset = from;
  SPATE_ASSIGN_OR_RETURN(std::string body, Call(r, FrameType::kBatches));
  SPATE_ASSIGN_OR_RETURN(Batches out, DecodeBatches(body));
  if (out.id != r.id) return Status(ErrorCode::kSerialization, "BATCHES for another request");
  return out;
}

}  // namespace spate::cluster::replication
