#include "leases/service.h"

#include <array>

namespace spate::leases {
namespace {

using Op = Result<protocol::Value> (LeaseTable::*)(const iam::Caller&, const protocol::Value&);

struct NamedOp {
  std::string_view name;
  Op fn;
};

constexpr std::array<NamedOp, 4> kOps = {{
    {"CreateLease", &LeaseTable::CreateLease},
    {"ListLeases", &LeaseTable::ListLeases},
    {"UpdateLease", &LeaseTable::UpdateLease},
    {"DeleteLease", &LeaseTable::DeleteLease},
}};

const NamedOp* Find(std::string_view name) {
  for (const NamedOp& op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace

const protocol::ServiceModel& LeaseService::model() const { return protocol::ServiceModel::SpateLeases(); }

bool LeaseService::Serves(const protocol::OperationInfo& op) const { return Find(op.name()) != nullptr; }

void LeaseService::Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
                          service::Done done) {
  done((table_->*(Find(op.name())->fn))(call.caller, input));
}

}  // namespace spate::leases
