#include "consumer/lease_store.h"

#include <utility>

#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::consumer {
namespace {

using protocol::Value;

constexpr std::string_view kTargetPrefix = "SpateLeases_20261207.";
constexpr std::string_view kSigningName = "kinesis";

ApiError BadAnswer(std::string_view what) { return ApiError{"InvalidResponse", std::string(what), 0}; }

Outcome<LeaseRecord> ParseLease(const Value* v) {
  if (v == nullptr || !v->is_object()) return BadAnswer("lease answer without a Lease");
  LeaseRecord lease;
  lease.shard_id = v->GetString("ShardId");
  lease.owner = v->GetString("LeaseOwner");
  lease.counter = v->GetInt("LeaseCounter");
  lease.checkpoint = v->GetString("Checkpoint", kTrimHorizon);
  lease.checkpoint_sub_sequence = v->GetInt("CheckpointSubSequenceNumber");
  if (const Value* parents = v->Find("ParentShardIds"); parents != nullptr && parents->is_array()) {
    for (const Value& p : parents->as_array()) {
      if (p.is_string()) lease.parent_shard_ids.push_back(p.as_string());
    }
  }
  return lease;
}

class RemoteLeaseStore final : public LeaseStore {
 public:
  RemoteLeaseStore(KinesisClient* client, std::string application, std::string stream_arn)
      : client_(client), application_(std::move(application)), stream_arn_(std::move(stream_arn)) {}

  Outcome<std::vector<LeaseRecord>> List() override {
    Value in = Base();
    auto out = Call("ListLeases", in);
    if (!out.ok()) return out.error();
    const Value* leases = out.value().Find("Leases");
    if (leases == nullptr || !leases->is_array()) return BadAnswer("ListLeases answer without Leases");
    std::vector<LeaseRecord> result;
    for (const Value& l : leases->as_array()) {
      auto lease = ParseLease(&l);
      if (!lease.ok()) return lease.error();
      result.push_back(std::move(lease).value());
    }
    return result;
  }

  Outcome<LeaseRecord> Create(const std::string& shard_id, const std::string& checkpoint,
                              const std::vector<std::string>& parent_shard_ids) override {
    Value in = Base();
    in.Set("ShardId", Value::String(shard_id));
    in.Set("Checkpoint", Value::String(checkpoint));
    Value parents = Value::MakeArray();
    for (const std::string& p : parent_shard_ids) parents.mutable_array().push_back(Value::String(p));
    in.Set("ParentShardIds", std::move(parents));
    auto out = Call("CreateLease", in);
    if (!out.ok()) return out.error();
    return ParseLease(out.value().Find("Lease"));
  }

  Outcome<LeaseRecord> Update(const LeaseUpdate& u) override {
    Value in = Base();
    in.Set("ShardId", Value::String(u.shard_id));
    in.Set("ExpectedLeaseCounter", Value::Int(u.expected_counter));
    if (u.expected_owner) in.Set("ExpectedLeaseOwner", Value::String(*u.expected_owner));
    if (u.owner) in.Set("LeaseOwner", Value::String(*u.owner));
    if (u.checkpoint) {
      in.Set("Checkpoint", Value::String(*u.checkpoint));
      in.Set("CheckpointSubSequenceNumber", Value::Int(u.checkpoint_sub_sequence));
    }
    auto out = Call("UpdateLease", in);
    if (!out.ok()) return out.error();
    return ParseLease(out.value().Find("Lease"));
  }

  Outcome<Done> Delete(const std::string& shard_id, int64_t expected_counter) override {
    Value in = Base();
    in.Set("ShardId", Value::String(shard_id));
    in.Set("ExpectedLeaseCounter", Value::Int(expected_counter));
    auto out = Call("DeleteLease", in);
    if (!out.ok()) return out.error();
    return Done{};
  }

 private:
  Value Base() const {
    Value in = Value::MakeObject();
    in.Set("ApplicationName", Value::String(application_));
    in.Set("StreamARN", Value::String(stream_arn_));
    return in;
  }

  Outcome<Value> Call(std::string_view op, const Value& in) {
    std::string body;
    protocol::WriteJson(in, &body);
    auto answer = client_->CallJson(std::string(kTargetPrefix) + std::string(op), kSigningName, body);
    if (!answer.ok()) return answer.error();
    auto parsed = protocol::ParseJson(answer.value());
    if (!parsed.ok() || !parsed->is_object()) return BadAnswer(std::string(op) + " answer is not a JSON object");
    return std::move(*parsed);
  }

  KinesisClient* const client_;
  const std::string application_;
  const std::string stream_arn_;
};

}  // namespace

std::unique_ptr<LeaseStore> NewRemoteLeaseStore(KinesisClient* client, std::string application,
                                                std::string stream_arn) {
  return std::make_unique<RemoteLeaseStore>(client, std::move(application), std::move(stream_arn));
}

}  // namespace spate::consumer
