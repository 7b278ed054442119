// Membership against a real etcd 3.4 on loopback.

#include "cluster/membership.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cluster/tests/etcd_process.h"
#include "protocol/json_codec.h"

namespace spate::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(etcd_.Start(), "");
    auto c = EtcdClient::Create(EtcdOptions{{etcd_.endpoint()}, 2000, 500});
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
  }
  MembershipOptions Options(std::string id) {
    MembershipOptions o;
    o.node_id = std::move(id);
    o.advertise = "127.0.0.1:4567";
    o.version = "test";
    o.lease.ttl_s = 1;
    o.lease.keep_alive_ms = 200;
    return o;
  }

  testing::EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> client_;
  metadata::StreamMeta stream_;
};

TEST_F(MembershipTest, RegistersUnderItsLeaseAndLeavesOnStop) {
  Membership node(client_.get(), Options("n1"), util::SystemClock());
  ASSERT_TRUE(node.Start().ok());
  auto got = client_->Range("/spate/nodes/n1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].lease, node.lease_id());
  auto value = protocol::ParseJson(got->kvs[0].value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->GetString("advertise"), "127.0.0.1:4567");
  EXPECT_EQ(value->GetString("version"), "test");
  node.Stop();
  got = client_->Range("/spate/nodes/n1");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->kvs.empty());
}

TEST_F(MembershipTest, ALiveNodeIdCannotBeTakenTwice) {
  Membership first(client_.get(), Options("n1"), util::SystemClock());
  ASSERT_TRUE(first.Start().ok());
  Membership second(client_.get(), Options("n1"), util::SystemClock());
  Status st = second.Start();
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists) << st.ToString();
  EXPECT_TRUE(first.live());
  Membership other(client_.get(), Options("n2"), util::SystemClock());
  EXPECT_TRUE(other.Start().ok());
}

TEST_F(MembershipTest, AdmitsWritesOnlyWhileTheLeaseHolds) {
  Membership node(client_.get(), Options("n1"), util::SystemClock());
  ASSERT_TRUE(node.Start().ok());
  auto authority = node.Admit(stream_, model::ShardIndex{0});
  ASSERT_TRUE(authority.ok());
  EXPECT_TRUE(node.StillHolds(*authority));
  etcd_.Pause();
  // Without a confirmed keep-alive the node refuses by its own clock.
  bool refused = Eventually([&] { return !node.Admit(stream_, model::ShardIndex{0}).ok(); }, 3000ms);
  EXPECT_FALSE(node.StillHolds(*authority));
  etcd_.Resume();
  ASSERT_TRUE(refused);
  // Back under a new lease, registered again; the old authority stays void.
  ASSERT_TRUE(Eventually([&] { return node.Admit(stream_, model::ShardIndex{0}).ok(); }, 8000ms));
  EXPECT_FALSE(node.StillHolds(*authority));
  ASSERT_TRUE(Eventually(
      [&] {
        auto got = client_->Range("/spate/nodes/n1");
        return got.ok() && got->kvs.size() == 1 && got->kvs[0].lease == node.lease_id();
      },
      3000ms));
}

}  // namespace
}  // namespace spate::cluster
