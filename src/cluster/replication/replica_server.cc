#include "cluster/replication/replica_server.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>

#include "base/assert.h"
#include "base/log.h"

namespace spate::cluster::replication {

// One leader's connection. Replies are written from the connection's
// thread and from storage writer threads (append callbacks): write_mu
// serialises them.
struct ReplicaServer::Conn {
  Socket socket;
  std::string peer;  // the leader's node id, once authenticated
  std::mutex write_mu;
  std::atomic<bool> finished{false};  // Serve has returned: its thread can be joined
  void Send(const std::string& frame) {
    std::lock_guard<std::mutex> l(write_mu);
    // A failed write means the leader is gone: its reader notices.
    if (!WriteAll(socket, frame).ok()) socket.Shutdown();
  }
};

Result<std::unique_ptr<ReplicaServer>> ReplicaServer::Start(ReplicaServerOptions options, ReplicaLogs* logs) {
  uint16_t port = 0;
  SPATE_ASSIGN_OR_RETURN(Socket listener, Listen(options.host, options.port, &port));
  return std::unique_ptr<ReplicaServer>(new ReplicaServer(std::move(options), logs, std::move(listener), port));
}

ReplicaServer::ReplicaServer(ReplicaServerOptions options, ReplicaLogs* logs, Socket listener, uint16_t port)
    : options_(std::move(options)), logs_(logs), listener_(std::move(listener)), port_(port) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

ReplicaServer::~ReplicaServer() {
  stopping_ = true;
  listener_.Shutdown();
  acceptor_.join();
  std::list<std::pair<std::shared_ptr<Conn>, std::thread>> conns;
  {
    std::lock_guard<std::mutex> l(mu_);
    conns.swap(conns_);
  }
  for (auto& [conn, thread] : conns) conn->socket.Shutdown();
  for (auto& [conn, thread] : conns) thread.join();
}

void ReplicaServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listener_.fd(), POLLIN, 0};
    // Bounded so a stop is seen even if shutdown(2) did not wake poll.
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto conn = std::make_shared<Conn>();
    conn->socket = Socket(fd);
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) break;
    // Reap finished connections' threads.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->first->finished) {
        it->second.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    conns_.emplace_back(conn, std::thread([this, conn] { Serve(conn); }));
  }
}

Status ReplicaServer::Handshake(Conn& conn) {
  std::array<uint8_t, kNonceBytes> nonce{};
  SPATE_ASSERT(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1, "RAND_bytes failed");
  SetReceiveTimeout(conn.socket, options_.handshake_timeout_ms);
  SPATE_TRY(WriteAll(conn.socket, EncodeChallenge(nonce)));
  SPATE_ASSIGN_OR_RETURN(auto frame, ReadFrame(conn.socket));
  if (frame.first != FrameType::kHello) return Status(ErrorCode::kSerialization, "expected HELLO");
  SPATE_ASSIGN_OR_RETURN(Hello hello, DecodeHello(frame.second));
  if (hello.version != kProtocolVersion) {
    return Status(ErrorCode::kInvalidArgument, "replication protocol version " + std::to_string(hello.version));
  }
  auto want = HelloMac(options_.secret, nonce, hello.node_id);
  if (CRYPTO_memcmp(want.data(), hello.mac.data(), kMacBytes) != 0) {
    return Status(ErrorCode::kInvalidSignature, "wrong cluster secret from node " + std::string(hello.node_id));
  }
  conn.peer = std::string(hello.node_id);
  SetReceiveTimeout(conn.socket, 0);
  SPATE_TRY(WriteAll(conn.socket, EncodeHelloOk()));
  return Status::Ok();
}

void ReplicaServer::Serve(std::shared_ptr<Conn> conn) {
  if (Status s = Handshake(*conn); !s.ok()) {
    SPATE_LOG_WARN("replication: refused a connection: " + s.message());
    conn->socket.Shutdown();
    conn->finished = true;
    return;
  }
  for (;;) {
    auto frame = ReadFrame(conn->socket);
    if (!frame.ok()) break;
    Handle(conn, frame->first, std::move(frame->second));
  }
  conn->socket.Shutdown();
  conn->finished = true;
}

namespace {

Reply StateReply(uint64_t id, const storage::ShardLog& log) {
  Reply r;
  r.id = id;
  r.start = log.StartOffset().value();
  r.end = log.AssignedEndOffset().value();
  r.durable = log.EndOffset().value();
  r.epoch = log.Epoch();
  return r;
}

Reply ErrorReply(uint64_t id, const Status& s) {
  Reply r;
  r.id = id;
  r.code = s.code() == ErrorCode::kOk ? ErrorCode::kInternal : s.code();
  r.message = s.message();
  return r;
}

}  // namespace

void ReplicaServer::Handle(const std::shared_ptr<Conn>& conn, FrameType type, std::string body) {
  auto req = DecodeRequest(type, body);
  if (!req.ok()) {
    SPATE_LOG_WARN("replication: closing the connection from " + conn->peer + ": " + req.status().message());
    conn->socket.Shutdown();
    return;
  }
  auto log = logs_->LogFor(req->shard_key);
  if (!log.ok()) {
    if (req->type == FrameType::kCommit) return;  // never answered
    if (req->type == FrameType::kFetch) {
      Batches none;
      none.id = req->id;
      none.code = log.status().code();
      none.message = log.status().message();
      conn->Send(EncodeBatches(none));
      return;
    }
    conn->Send(EncodeReply(ErrorReply(req->id, log.status())));
    return;
  }
  std::shared_ptr<storage::ShardLog> shard = std::move(*log);
  const uint64_t id = req->id;
  CommittedEnds* const commits = options_.committed_ends;
  switch (req->type) {
    case FrameType::kCommit:
      // How far a majority holds the leader's log; no reply. Trusted only
      // from the newest leadership this node has heard of.
      if (commits != nullptr) commits->Raise(req->shard_key, shard, req->epoch, req->offset);
      return;
    case FrameType::kAppend:
      shard->AppendReplicated(req->batch, req->epoch, [conn, shard, id](Result<storage::AppendResult> r) {
        Reply reply = r.ok() ? StateReply(id, *shard) : ErrorReply(id, r.status());
        if (r.ok()) reply.durable = std::max(reply.durable, (r->base_offset + r->count).value());
        reply.epoch = shard->Epoch();
        conn->Send(EncodeReply(reply));
      });
      return;
    case FrameType::kProbe: {
      if (commits != nullptr) commits->NoteEpoch(req->shard_key, shard, req->epoch);
      Reply reply = StateReply(id, *shard);
      if (req->epoch < shard->Epoch()) {
        reply.code = ErrorCode::kConcurrentModification;
        reply.message = "fenced: this replica has seen epoch " + std::to_string(shard->Epoch());
      } else if (req->offset == reply.start) {
        reply.at_epoch = kAtStart;
      } else if (req->offset > reply.start && req->offset <= reply.durable) {
        auto b = shard->BatchAt(storage::Offset(req->offset - 1));
        if (b.ok() && b->end_offset.value() == req->offset) reply.at_epoch = b->epoch;
      }
      conn->Send(EncodeReply(reply));
      return;
    }
    case FrameType::kTruncate: {
      Status s = shard->TruncateTo(storage::Offset(req->offset), req->epoch);
      if (s.ok() && commits != nullptr) commits->Lower(req->shard_key, *shard, req->offset);
      Reply reply = StateReply(id, *shard);
      if (!s.ok()) {
        reply.code = s.code();
        reply.message = s.message();
      }
      conn->Send(EncodeReply(reply));
      return;
    }
    case FrameType::kFetch: {
      // A new leader catching up from this replica (rule 5): acknowledged
      // batches only, as stored.
      if (commits != nullptr) commits->NoteEpoch(req->shard_key, shard, req->epoch);
      Batches out;
      out.id = id;
      out.start = shard->StartOffset().value();
      out.durable = shard->EndOffset().value();
      out.epoch = shard->Epoch();
      if (req->epoch < shard->Epoch()) {
        out.code = ErrorCode::kConcurrentModification;
        out.message = "fenced: this replica has seen epoch " + std::to_string(shard->Epoch());
      } else {
        auto got = shard->ReadBatches(storage::Offset(req->offset), kFetchBytes);
        if (got.ok()) {
          out.batches = std::move(*got);
        } else {
          out.code = got.status().code();
          out.message = got.status().message();
        }
      }
      conn->Send(EncodeBatches(out));
      return;
    }
    default: conn->socket.Shutdown();
  }
}

}  // namespace spate::cluster::replication
