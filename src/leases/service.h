#pragma once

#include "leases/lease_table.h"
#include "service/service.h"

namespace spate::leases {

// Registers the lease table with the front door under the
// SpateLeases_20261207 target prefix (docs/leases.md), signed as "kinesis".
// Every operation is synchronous and brief (one catalog write).
class LeaseService : public service::Service {
 public:
  // `table` must outlive this.
  explicit LeaseService(LeaseTable* table) : table_(table) {}

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  LeaseTable* const table_;
};

}  // namespace spate::leases
