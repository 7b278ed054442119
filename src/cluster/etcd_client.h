#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/http_client.h"

namespace spate::cluster {

// A key as etcd stores it. Revisions are etcd's: the store-wide counter
// that every write increments.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // 0: the key does not exist (in a compare)
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: not attached to a lease
};

struct RangeResult {
  int64_t revision = 0;  // the store's revision when the range was read
  std::vector<KeyValue> kvs;
};

// One comparison of a transaction's guard, as etcd's Compare.
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kVersion, kValue, kLease };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kModRevision;
  Op op = Op::kEqual;
  int64_t number = 0;  // for the revision, version and lease targets
  std::string value;   // for kValue
};

// One operation of a transaction branch.
struct TxnOp {
  enum class Kind { kPut, kDelete, kRange };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;      // kPut
  int64_t lease = 0;      // kPut: 0 for none
  std::string range_end;  // kDelete, kRange: empty for the one key
  static TxnOp Put(std::string key, std::string value, int64_t lease = 0) {
    return TxnOp{Kind::kPut, std::move(key), std::move(value), lease, {}};
  }
  static TxnOp Delete(std::string key) { return TxnOp{Kind::kDelete, std::move(key), {}, 0, {}}; }
  static TxnOp Get(std::string key) { return TxnOp{Kind::kRange, std::move(key), {}, 0, {}}; }
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // the store's revision after the transaction
  // The key-values of each kRange operation of the branch that ran, in order.
  std::vector<std::vector<KeyValue>> ranges;
};

struct LeaseGrant {
  int64_t id = 0;
  int64_t ttl_s = 0;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete: key and mod_revision only
};

// The end of the range of every key that begins with `prefix` (etcd's
// range_end convention: the prefix with its last byte incremented).
std::string PrefixEnd(std::string_view prefix);

struct EtcdOptions {
  // "http://host:port" of each member; calls go to the last one that
  // answered and move to the next on a transport error.
  std::vector<std::string> endpoints;
  int64_t request_timeout_ms = 2000;  // per unary call
  int64_t connect_timeout_ms = 500;
};

// A client of etcd's v3 API through its JSON gateway (etcd 3.4 serves it
// under /v3/; keys and values travel in base64). Unary calls are blocking
// HTTP POSTs bounded by request_timeout_ms; Watch is a streamed response of
// JSON lines read until told to stop. Over the shared net::HttpClient: unary
// calls reuse kept-alive connections; a watch holds a connection of its own
// for its life. Thread-safe.
//
// Errors: kUnavailable when no endpoint answered (connection refused,
// timeout), kInternal when etcd answered with an error or a body this
// client cannot read, kNotFound for a lease etcd does not know.
class EtcdClient {
 public:
  // kInvalidArgument for an empty endpoint list or an endpoint that is not
  // http://host:port.
  static Result<std::unique_ptr<EtcdClient>> Create(EtcdOptions options);
  // Parses "etcd://host:port[,host:port...]" (the --cluster flag) into
  // endpoints "http://host:port".
  static Result<std::vector<std::string>> ParseClusterUrl(std::string_view url);

  // Reads `key`, or every key in [key, range_end) when range_end is given.
  Result<RangeResult> Range(std::string_view key, std::string_view range_end = {}) const;
  Result<RangeResult> RangePrefix(std::string_view prefix) const { return Range(prefix, PrefixEnd(prefix)); }
  // Returns the store's revision after the write.
  Result<int64_t> Put(std::string_view key, std::string_view value, int64_t lease = 0) const;
  // Deletes `key` (or [key, range_end)); returns the store's revision after.
  Result<int64_t> Delete(std::string_view key, std::string_view range_end = {}) const;
  // If every compare holds, runs `success`, else `failure`; atomically.
  Result<TxnResult> Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                        const std::vector<TxnOp>& failure) const;

  Result<LeaseGrant> GrantLease(int64_t ttl_s) const;
  // Refreshes the lease; returns its TTL in seconds as etcd reset it.
  // kNotFound when etcd no longer has the lease (it expired or was revoked).
  Result<int64_t> KeepAlive(int64_t lease_id) const;
  Status RevokeLease(int64_t lease_id) const;

  // Watches every key that begins with `prefix` from `start_revision`
  // (0: from now), calling `on_events` with each batch of events and the
  // revision they bring the store to. Blocks on the caller's thread until
  // `stop` turns true (checked about once a second), `on_events` returns
  // false, or the stream fails: returns ok on stop or on false, otherwise
  // the error (kUnavailable when the stream broke; kInvalidArgument when
  // start_revision was compacted: read again and watch from the range's
  // revision + 1).
  Status Watch(std::string_view prefix, int64_t start_revision,
               const std::function<bool(const std::vector<WatchEvent>&, int64_t revision)>& on_events,
               const std::atomic<bool>& stop) const;

  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

 private:
  explicit EtcdClient(EtcdOptions options);
  // POSTs `body` to `path` on an endpoint; the response body.
  Result<std::string> Post(std::string_view path, const std::string& body) const;

  const EtcdOptions options_;
  net::HttpClient http_;
  mutable std::atomic<size_t> preferred_{0};  // index into endpoints of the last that answered
};

}  // namespace spate::cluster
