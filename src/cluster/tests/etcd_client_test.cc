// EtcdClient and LeaseKeeper against a real etcd 3.4 on loopback.

#include "cluster/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/lease_keeper.h"
#include "cluster/tests/etcd_process.h"
#include "net/http_client.h"
#include "protocol/json_codec.h"

namespace spate::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

class EtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    etcd_ = new testing::EtcdProcess();
    start_error_ = new std::string(etcd_->Start());
  }
  static void TearDownTestSuite() {
    delete etcd_;
    delete start_error_;
  }
  void SetUp() override {
    ASSERT_EQ(*start_error_, "");
    auto c = EtcdClient::Create(EtcdOptions{{etcd_->endpoint()}, 2000, 500});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
    prefix_ = std::string("/t/") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }

  // Polls `cond` every 20 ms for at most `limit`.

  static testing::EtcdProcess* etcd_;
  static std::string* start_error_;
  std::unique_ptr<EtcdClient> client_;
  std::string prefix_;
};

// The ids of every lease etcd holds now (/v3/lease/leases); empty on error.
std::set<std::string> LeasesIn(const std::string& endpoint) {
  net::HttpClient http;
  net::HttpRequest req;
  req.url = endpoint + "/v3/lease/leases";
  req.body = "{}";
  req.timeout_ms = 2000;
  auto answer = http.Send(req, nullptr);
  std::set<std::string> out;
  if (!answer.ok()) return out;
  auto v = protocol::ParseJson(answer->body);
  if (!v.ok()) return out;
  if (const protocol::Value* leases = v->Find("leases"); leases != nullptr && leases->is_array()) {
    for (const protocol::Value& l : leases->as_array()) out.emplace(l.GetString("ID"));
  }
  return out;
}

testing::EtcdProcess* EtcdTest::etcd_ = nullptr;
std::string* EtcdTest::start_error_ = nullptr;

TEST(PrefixEndTest, IncrementsLastByteAndCarries) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST(ParseClusterUrlTest, AcceptsMembersRejectsOthers) {
  auto one = EtcdClient::ParseClusterUrl("etcd://127.0.0.1:2379");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<std::string>{"http://127.0.0.1:2379"});
  auto three = EtcdClient::ParseClusterUrl("etcd://a:1,b:2,c:3");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->size(), 3u);
  EXPECT_EQ((*three)[2], "http://c:3");
  EXPECT_FALSE(EtcdClient::ParseClusterUrl("http://a:1").ok());
  EXPECT_FALSE(EtcdClient::ParseClusterUrl("etcd://").ok());
  EXPECT_FALSE(EtcdClient::ParseClusterUrl("etcd://a").ok());
  EXPECT_FALSE(EtcdClient::ParseClusterUrl("etcd://a:1,,b:2").ok());
  EXPECT_FALSE(EtcdClient::ParseClusterUrl("etcd://a:1/x").ok());
}

TEST(EtcdUnreachableTest, CallsFailUnavailable) {
  auto c = EtcdClient::Create(EtcdOptions{{"http://127.0.0.1:" + std::to_string(testing::FreePort())}, 500, 200});
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Range("x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
}

TEST_F(EtcdTest, PutRangeDeleteRoundTripBinaryValues) {
  std::string value("\0\x01\xffvalue", 8);
  auto rev = client_->Put(prefix_ + "a", value);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  auto got = client_->Range(prefix_ + "a");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].value, value);
  EXPECT_EQ(got->kvs[0].mod_revision, *rev);
  EXPECT_EQ(got->kvs[0].create_revision, *rev);
  EXPECT_GE(got->revision, *rev);
  ASSERT_TRUE(client_->Delete(prefix_ + "a").ok());
  got = client_->Range(prefix_ + "a");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->kvs.empty());
}

TEST_F(EtcdTest, RangePrefixReturnsOnlyThePrefixInKeyOrder) {
  ASSERT_TRUE(client_->Put(prefix_ + "p/2", "two").ok());
  ASSERT_TRUE(client_->Put(prefix_ + "p/1", "one").ok());
  ASSERT_TRUE(client_->Put(prefix_ + "q", "outside").ok());
  auto got = client_->RangePrefix(prefix_ + "p/");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 2u);
  EXPECT_EQ(got->kvs[0].key, prefix_ + "p/1");
  EXPECT_EQ(got->kvs[1].value, "two");
}

TEST_F(EtcdTest, TxnCreateIfAbsentWinsOnceAndTheLoserSeesTheWinner) {
  std::string key = prefix_ + "leader";
  std::vector<Compare> absent{{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, 0, {}}};
  auto first = client_->Txn(absent, {TxnOp::Put(key, "node-1")}, {TxnOp::Get(key)});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->succeeded);
  auto second = client_->Txn(absent, {TxnOp::Put(key, "node-2")}, {TxnOp::Get(key)});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->succeeded);
  ASSERT_EQ(second->ranges.size(), 1u);
  ASSERT_EQ(second->ranges[0].size(), 1u);
  EXPECT_EQ(second->ranges[0][0].value, "node-1");
  EXPECT_EQ(second->ranges[0][0].mod_revision, first->revision);
}

TEST_F(EtcdTest, TxnCompareAndSwapOnModRevision) {
  std::string key = prefix_ + "cas";
  auto rev = client_->Put(key, "v1");
  ASSERT_TRUE(rev.ok());
  std::vector<Compare> at_rev{{key, Compare::Target::kModRevision, Compare::Op::kEqual, *rev, {}}};
  auto swapped = client_->Txn(at_rev, {TxnOp::Put(key, "v2")}, {});
  ASSERT_TRUE(swapped.ok());
  EXPECT_TRUE(swapped->succeeded);
  auto stale = client_->Txn(at_rev, {TxnOp::Put(key, "v3")}, {});  // the same, now stale, revision
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->succeeded);
  auto got = client_->Range(key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kvs.at(0).value, "v2");
}

TEST_F(EtcdTest, LeasedKeyGoesWithItsRevokedLease) {
  auto lease = client_->GrantLease(5);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(lease->ttl_s, 5);
  ASSERT_TRUE(client_->Put(prefix_ + "k", "v", lease->id).ok());
  auto got = client_->Range(prefix_ + "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kvs.at(0).lease, lease->id);
  auto ttl = client_->KeepAlive(lease->id);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 5);
  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());
  got = client_->Range(prefix_ + "k");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->kvs.empty());
  auto gone = client_->KeepAlive(lease->id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), ErrorCode::kNotFound);
}

TEST_F(EtcdTest, PutUnderUnknownLeaseFails) {
  auto put = client_->Put(prefix_ + "k", "v", 0x7eadbeef);
  EXPECT_FALSE(put.ok());
}

TEST_F(EtcdTest, WatchSeesPutsAndDeletesFromTheStartRevision) {
  auto before = client_->Put(prefix_ + "w/1", "a");  // before the watch starts, after its start revision
  ASSERT_TRUE(before.ok());
  std::mutex mu;
  std::vector<WatchEvent> seen;
  std::atomic<bool> stop{false};
  Status result;
  std::thread watcher([&] {
    result = client_->Watch(
        prefix_ + "w/", *before,
        [&](const std::vector<WatchEvent>& events, int64_t) {
          std::lock_guard<std::mutex> lock(mu);
          seen.insert(seen.end(), events.begin(), events.end());
          return true;
        },
        stop);
  });
  ASSERT_TRUE(client_->Put(prefix_ + "w/2", "b").ok());
  ASSERT_TRUE(client_->Put(prefix_ + "x", "outside").ok());
  ASSERT_TRUE(client_->Delete(prefix_ + "w/1").ok());
  bool all = Eventually(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return seen.size() >= 3;
      },
      5000ms);
  stop = true;
  watcher.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  ASSERT_TRUE(all);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kv.key, prefix_ + "w/1");
  EXPECT_EQ(seen[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[1].kv.value, "b");
  EXPECT_EQ(seen[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(seen[2].kv.key, prefix_ + "w/1");
}

TEST_F(EtcdTest, WatchStopsWhenTheCallbackSaysSo) {
  std::atomic<bool> stop{false};
  std::thread writer([&] { (void)client_->Put(prefix_ + "once", "x"); });
  Status st = client_->Watch(
      prefix_, 1, [](const std::vector<WatchEvent>&, int64_t) { return false; }, stop);
  writer.join();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(EtcdTest, LeaseKeeperKeepsTheLeaseBeyondItsTtl) {
  LeaseKeeper keeper(client_.get(), LeaseKeeperOptions{.ttl_s = 1}, util::SystemClock());
  ASSERT_TRUE(keeper.Start().ok());
  int64_t id = keeper.lease_id();
  ASSERT_NE(id, 0);
  ASSERT_TRUE(client_->Put(prefix_ + "node", "up", id).ok());
  // Three TTLs later the lease, and the key under it, are still there.
  std::this_thread::sleep_for(3000ms);
  EXPECT_TRUE(keeper.Holds(id));
  auto got = client_->Range(prefix_ + "node");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kvs.size(), 1u);
  keeper.Stop();
  EXPECT_FALSE(keeper.held());
  got = client_->Range(prefix_ + "node");  // Stop revoked it
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->kvs.empty());
}

TEST_F(EtcdTest, LeaseKeeperNoticesARevokedLeaseAndTakesANewOne) {
  LeaseKeeper keeper(client_.get(), LeaseKeeperOptions{.ttl_s = 2, .keep_alive_ms = 100}, util::SystemClock());
  std::mutex mu;
  std::vector<int64_t> granted;
  std::vector<int64_t> lost;
  keeper.OnGranted([&](int64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    granted.push_back(id);
    return Status::Ok();
  });
  keeper.OnLost([&](int64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    lost.push_back(id);
  });
  ASSERT_TRUE(keeper.Start().ok());
  int64_t first = keeper.lease_id();
  ASSERT_TRUE(client_->RevokeLease(first).ok());
  ASSERT_TRUE(Eventually(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return granted.size() == 2;
      },
      5000ms));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(lost, std::vector<int64_t>{first});
  EXPECT_NE(granted[1], first);
  EXPECT_FALSE(keeper.Holds(first));
  EXPECT_TRUE(keeper.Holds(granted[1]));
}

TEST_F(EtcdTest, StartFailsAndRevokesTheLeaseWhenTheGrantedCallbackFails) {
  LeaseKeeper keeper(client_.get(), LeaseKeeperOptions{.ttl_s = 5, .keep_alive_ms = 100, .retry_ms = 50},
                     util::SystemClock());
  std::atomic<int> calls{0};
  std::vector<int64_t> refused;  // written by Start's thread, then the keeper's; read after it holds
  keeper.OnGranted([&](int64_t id) {
    if (++calls <= 2) {
      refused.push_back(id);
      return Status(ErrorCode::kUnavailable, "registration failed");
    }
    return Status::Ok();
  });
  // The first failure fails Start, and the lease is revoked.
  Status st = keeper.Start();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(keeper.held());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(client_->KeepAlive(refused[0]).status().code(), ErrorCode::kNotFound);
}

TEST_F(EtcdTest, TheKeeperRetriesAFailedGrantedCallbackWithANewLease) {
  LeaseKeeper keeper(client_.get(), LeaseKeeperOptions{.ttl_s = 5, .keep_alive_ms = 100, .retry_ms = 50},
                     util::SystemClock());
  std::atomic<int> calls{0};
  std::atomic<int64_t> refused{0};
  keeper.OnGranted([&](int64_t id) {
    // The first (inside Start) succeeds; the one after the revocation below
    // fails once, as a transient etcd error would.
    int n = ++calls;
    if (n == 2) {
      refused = id;
      return Status(ErrorCode::kUnavailable, "registration failed");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(keeper.Start().ok());
  ASSERT_TRUE(client_->RevokeLease(keeper.lease_id()).ok());
  ASSERT_TRUE(Eventually([&] { return calls.load() >= 3 && keeper.held(); }, 5000ms));
  EXPECT_NE(keeper.lease_id(), refused.load());
  EXPECT_EQ(client_->KeepAlive(refused.load()).status().code(), ErrorCode::kNotFound);  // given up
}

TEST_F(EtcdTest, LeaseKeeperStopsHoldingWhenEtcdStopsAnsweringWithinTheTtl) {
  LeaseKeeper keeper(client_.get(), LeaseKeeperOptions{.ttl_s = 1, .keep_alive_ms = 300}, util::SystemClock());
  ASSERT_TRUE(keeper.Start().ok());
  int64_t id = keeper.lease_id();
  etcd_->Pause();
  // held() turns false by the local clock, within the TTL of the last
  // confirmed keep-alive, however long the keep-alive calls hang.
  bool released = Eventually([&] { return !keeper.Holds(id); }, 3000ms);
  etcd_->Resume();
  ASSERT_TRUE(released);
  // Once etcd answers again the keeper holds a new lease.
  EXPECT_TRUE(Eventually([&] { return keeper.held() && keeper.lease_id() != id; }, 8000ms));
}

TEST_F(EtcdTest, ALeaseGrantedWhileTheKeeperStopsIsRevoked) {
  // The keeper loses its lease (revoked under it), and etcd is paused as it
  // notices: its revoke of the lost lease times out (2 s, the client's
  // request timeout), then its grant of the next one hangs. Stop runs while
  // that grant is pending, and etcd resumes before the grant times out, so
  // etcd grants a lease after Stop took the one in force (none): the keeper
  // must revoke it, or it outlives the keeper by its TTL.
  auto c = EtcdClient::Create(EtcdOptions{{etcd_->endpoint()}, 2000, 500});
  ASSERT_TRUE(c.ok());
  std::unique_ptr<EtcdClient> client = std::move(c).value();
  LeaseKeeper keeper(client.get(), LeaseKeeperOptions{.ttl_s = 30, .keep_alive_ms = 50}, util::SystemClock());
  std::atomic<bool> lost{false};
  keeper.OnLost([&](int64_t) {
    etcd_->Pause();
    lost = true;
  });
  ASSERT_TRUE(keeper.Start().ok());
  const std::set<std::string> before = LeasesIn(etcd_->endpoint());
  ASSERT_TRUE(client_->RevokeLease(keeper.lease_id()).ok());
  bool noticed = Eventually([&] { return lost.load(); }, 5000ms);
  if (!noticed) etcd_->Resume();
  ASSERT_TRUE(noticed);
  std::this_thread::sleep_for(2500ms);  // the revoke timed out at 2 s: the grant hangs now
  std::thread stopper([&] { keeper.Stop(); });
  std::this_thread::sleep_for(300ms);  // Stop is waiting for the keeper thread
  etcd_->Resume();
  stopper.join();
  std::set<std::string> after = LeasesIn(etcd_->endpoint());
  std::vector<std::string> left;
  for (const std::string& id : after) {
    if (!before.contains(id)) left.push_back(id);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " lease(s) left in etcd after Stop, the first " << left[0];
}

}  // namespace
}  // namespace spate::cluster
