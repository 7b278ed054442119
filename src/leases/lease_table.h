#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "iam/caller.h"
#include "metadata/catalog.h"
#include "protocol/value.h"

namespace spate::leases {

// One lease of the lease table (docs/leases.md): which worker of application
// `application` processes shard `shard_id` of `stream_arn`, and how far it
// got. Every successful write adds one to `counter`.
struct Lease {
  std::string application;
  std::string stream_arn;
  std::string shard_id;
  std::string owner;  // empty: unowned
  int64_t counter = 0;
  // A sequence number, or TRIM_HORIZON, LATEST or SHARD_END.
  std::string checkpoint = "TRIM_HORIZON";
  int64_t checkpoint_sub_sequence = 0;
  std::vector<std::string> parent_shard_ids;
};

// The lease table of every account, kept in memory and written through to
// the catalog (namespace "lease") before a call returns, so an acknowledged
// write survives a crash. Leases are scoped by the caller's account and
// region, like streams. Every UpdateLease/DeleteLease with an expected
// counter is a compare-and-set: the read, the comparison and the write
// happen under one mutex, so of two concurrent writers expecting the same
// counter exactly one succeeds. Thread-safe.
class LeaseTable {
 public:
  // `catalog` must outlive this.
  explicit LeaseTable(metadata::Catalog* catalog) : catalog_(catalog) {}

  // Loads the stored leases. kCorruption if a record cannot be decoded.
  Status Start();

  // The operations of the SpateLeases_20261207 model; `input` is validated
  // against it. Errors: kNotFound (no such lease), kAlreadyExists
  // (CreateLease of an existing lease), kConcurrentModification (the
  // expected counter or owner does not match).
  Result<protocol::Value> CreateLease(const iam::Caller& caller, const protocol::Value& input);
  Result<protocol::Value> ListLeases(const iam::Caller& caller, const protocol::Value& input);
  Result<protocol::Value> UpdateLease(const iam::Caller& caller, const protocol::Value& input);
  Result<protocol::Value> DeleteLease(const iam::Caller& caller, const protocol::Value& input);

  // The catalog record of a lease and back (docs/leases.md, "Storage").
  static std::string Encode(const Lease& lease);
  static Result<Lease> Decode(std::string_view bytes);
  static protocol::Value ToValue(const Lease& lease);

 private:
  static std::string Key(const iam::Caller& caller, std::string_view application, std::string_view stream_arn,
                         std::string_view shard_id);

  metadata::Catalog* const catalog_;
  std::mutex mu_;
  std::map<std::string, Lease> leases_;  // by Key(); guarded by mu_
};

}  // namespace spate::leases
