#include "spated/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace spate::spated {
namespace {

// argv for ParseFlags: "spated" then `args`.
struct Argv {
  explicit Argv(std::initializer_list<std::string> args) : strings{"spated"} {
    strings.insert(strings.end(), args.begin(), args.end());
    for (std::string& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(strings.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

Result<Config> Parse(std::initializer_list<std::string> args, Action* action = nullptr) {
  Argv a(args);
  Action ignored;
  return ParseFlags(a.argc(), a.argv(), action != nullptr ? action : &ignored);
}

// The message of a refused command line ("" if it was accepted).
std::string Error(std::initializer_list<std::string> args) {
  auto c = Parse(args);
  return c.ok() ? std::string() : c.status().message();
}

// A file in the test's temporary directory holding `text`.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/spated_config_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter_++) + ".conf";
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(ConfigTest, NoFlagsGiveTheDefaults) {
  Action action = Action::kHelp;
  auto c = Parse({}, &action);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(action, Action::kServe);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 4567);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->state_delay_ms, 500);
  EXPECT_EQ(c->threads, 0);
  EXPECT_EQ(c->shard_limit, 1000u);
  EXPECT_EQ(c->log_level, "info");
  EXPECT_TRUE(c->limits);
  EXPECT_EQ(c->tls_port, -1);
  EXPECT_TRUE(c->faults.empty());
  EXPECT_FALSE(c->s3_virtual_host);
  EXPECT_EQ(c->max_body_bytes, 16u << 20);
}

TEST(ConfigTest, SpaceAndEqualsFormsBothWork) {
  auto c = Parse({"--port", "0", "--data-dir=/tmp/x", "--limits=off", "--limits", "aws", "--state-delay-ms", "0",
                  "--threads=3", "--s3-virtual-host", "--segment-bytes", "4096", "--log-cache-mb=0"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 0);
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_TRUE(c->limits);  // the last one wins
  EXPECT_EQ(c->state_delay_ms, 0);
  EXPECT_EQ(c->threads, 3);
  EXPECT_TRUE(c->s3_virtual_host);
  EXPECT_EQ(c->segment_bytes, 4096u);
  EXPECT_EQ(c->log_cache_mb, 0);
}

TEST(ConfigTest, LambdaMapFileThenFlags) {
  std::string path = ::testing::TempDir() + "/lambda-map.json";
  {
    std::ofstream f(path);
    f << R"({"timeout_seconds": 20, "a": {"url": "http://127.0.0.1:1/"}, "b": {"command": ["/bin/cat"]}})";
  }
  auto c = Parse({"--lambda-map", path, "--lambda", "b=cmd:/bin/sh -c true", "--lambda=c=http://127.0.0.1:2/"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& fns = c->lambda_functions.functions;
  ASSERT_EQ(fns.size(), 3u);
  EXPECT_EQ(fns.at("a").url, "http://127.0.0.1:1/");
  EXPECT_EQ(fns.at("a").timeout_ms, 20'000);
  EXPECT_EQ(fns.at("b").command, (std::vector<std::string>{"/bin/sh", "-c", "true"}));  // the flag wins
  EXPECT_EQ(fns.at("c").url, "http://127.0.0.1:2/");
  EXPECT_TRUE(Parse({})->lambda_functions.functions.empty());
  EXPECT_FALSE(Parse({"--lambda-map", path + ".missing"}).ok());
  EXPECT_FALSE(Parse({"--lambda", "x=ftp://y"}).ok());
}

TEST(ConfigTest, LogFormatAndAccessLog) {
  auto c = Parse({"--log-format", "json", "--access-log", "-"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->access_log, "-");
  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->log_format, "text");
  EXPECT_EQ(d->access_log, "");
  EXPECT_EQ(Error({"--log-format", "xml"}), "--log-format: needs text or json");
  EXPECT_EQ(Error({"--access-log="}), "--access-log: needs a file path or -");
}

TEST(ConfigTest, MetricsPortAndHost) {
  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->metrics_port, -1);  // /metrics on the API port
  EXPECT_EQ(d->metrics_host, "");
  auto c = Parse({"--metrics-port", "0", "--metrics-host", "127.0.0.2"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->metrics_port, 0);
  EXPECT_EQ(c->metrics_host, "127.0.0.2");
  EXPECT_EQ(Error({"--metrics-port", "65536"}), "--metrics-port: needs a port number 0-65535");
  EXPECT_EQ(Error({"--metrics-host", "127.0.0.1"}), "--metrics-host needs --metrics-port");
  EXPECT_EQ(Error({"--metrics-port", "9100", "--metrics-host="}), "--metrics-host: needs an address");
}

TEST(ConfigTest, InjectFaultIsRepeatable) {
  auto c = Parse({"--inject-fault", "operation=PutRecord,error=InternalFailure", "--inject-fault",
                  "operation=GetRecords,error=ProvisionedThroughputExceededException,rate=0.5"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->faults.size(), 2u);
}

TEST(ConfigTest, HelpAndVersion) {
  Action action = Action::kServe;
  ASSERT_TRUE(Parse({"--help"}, &action).ok());
  EXPECT_EQ(action, Action::kHelp);
  ASSERT_TRUE(Parse({"-h"}, &action).ok());
  EXPECT_EQ(action, Action::kHelp);
  ASSERT_TRUE(Parse({"--version"}, &action).ok());
  EXPECT_EQ(action, Action::kVersion);
  EXPECT_EQ(VersionText().rfind("spated ", 0), 0u);
  EXPECT_NE(HelpText().find("--config FILE"), std::string::npos);
  EXPECT_NE(HelpText().find("/health"), std::string::npos);
}

TEST(ConfigTest, BadValuesNameTheFlagAndWhatItNeeds) {
  EXPECT_EQ(Error({"--port", "70000"}), "--port: needs a port number 0-65535");
  EXPECT_EQ(Error({"--port", "x"}), "--port: needs a port number 0-65535");
  EXPECT_EQ(Error({"--threads", "0"}), "--threads: needs a number from 1 to 256");
  EXPECT_EQ(Error({"--threads", "257"}), "--threads: needs a number from 1 to 256");
  EXPECT_EQ(Error({"--state-delay-ms", "-1"}), "--state-delay-ms: needs a non-negative number of milliseconds");
  EXPECT_EQ(Error({"--segment-bytes", "4095"}), "--segment-bytes: needs a number of bytes from 4096 to 1073741824");
  EXPECT_EQ(Error({"--log-cache-mb", "-1"}), "--log-cache-mb: needs a number of MiB from 0 to 16777216");
  EXPECT_EQ(Error({"--limits=sometimes"}), "--limits: needs aws or off");
  EXPECT_EQ(Error({"--log-level", "loud"}), "--log-level: needs debug, info, warn or error");
  EXPECT_EQ(Error({"--s3-endpoint", "ftp://x"}), "--s3-endpoint: needs an http:// or https:// URL");
  EXPECT_EQ(Error({"--max-body-bytes", "1023"}), "--max-body-bytes: needs a number of bytes >= 1024");
  EXPECT_EQ(Error({"--data-dir="}), "--data-dir: needs a directory");
  EXPECT_NE(Error({"--inject-fault", "operation=PutRecord,error=Boom"}).find("error must be"), std::string::npos);
}

TEST(ConfigTest, MissingValueAndUnknownFlagAreRefused) {
  EXPECT_NE(Error({"--port"}).find("--port"), std::string::npos) << Error({"--port"});
  std::string unknown = Error({"--no-such-flag"});
  EXPECT_NE(unknown.find("--no-such-flag"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("see --help"), std::string::npos) << unknown;
  EXPECT_NE(Error({"stray"}), "");
}

TEST(ConfigTest, FlagsThatGoTogether) {
  EXPECT_EQ(Error({"--tls-port", "0"}), "--tls-port, --tls-cert and --tls-key go together");
  EXPECT_EQ(Error({"--tls-port", "0", "--tls-cert", "c.pem", "--tls-key", "k.pem"}), "");
  EXPECT_EQ(Error({"--max-body-bytes", "2048", "--max-connection-inflight-bytes", "1024"}),
            "need --max-body-bytes <= --max-connection-inflight-bytes <= --max-inflight-bytes");
}

TEST(ConfigTest, ConfigFileSetsFlags) {
  ConfigFile f(
      "# comment\n"
      "port = 4999\n"
      "data-dir = \"/var/lib/spate\"\n"
      "limits = off\n"
      "s3-virtual-host = true\n"
      "log-level = \"warn\"\n"
      "inject-fault = [\"operation=PutRecord,error=InternalFailure\", "
      "\"operation=GetRecords,error=InternalFailure\"]\n");
  auto c = Parse({"--config", f.path()});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 4999);
  EXPECT_EQ(c->data_dir, "/var/lib/spate");
  EXPECT_FALSE(c->limits);
  EXPECT_TRUE(c->s3_virtual_host);
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->faults.size(), 2u);
}

TEST(ConfigTest, CommandLineWinsOverTheConfigFile) {
  ConfigFile f("port = 4999\nhost = \"0.0.0.0\"\n");
  auto c = Parse({"--config", f.path(), "--port", "5000"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 5000);
  EXPECT_EQ(c->host, "0.0.0.0");
  auto before = Parse({"--port=5001", "--config", f.path()});
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->port, 5001);
}

TEST(ConfigTest, ConfigFileValuesAreValidatedLikeFlags) {
  ConfigFile bad_port("port = 70000\n");
  EXPECT_EQ(Error({"--config", bad_port.path()}), "--port: needs a port number 0-65535");
  ConfigFile unknown("no-such-flag = 1\n");
  EXPECT_EQ(Error({"--config", unknown.path()}), "--config: unknown flag no-such-flag (see --help)");
  ConfigFile tls("tls-port = 4568\n");
  EXPECT_EQ(Error({"--config", tls.path()}), "--tls-port, --tls-cert and --tls-key go together");
}

TEST(ConfigTest, MissingConfigFileIsRefused) {
  std::string e = Error({"--config", "/nonexistent/spated.conf"});
  EXPECT_NE(e.find("/nonexistent/spated.conf"), std::string::npos) << e;
}

TEST(ConfigTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.5"));
  EXPECT_FALSE(IsLoopbackHost("1270.0.0.1"));
}

TEST(ConfigTest, ThePackagedExampleParses) {
  auto c = Parse({"--config", SPATE_EXAMPLE_CONF});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/var/lib/spate");
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_TRUE(c->limits);
}

TEST(ConfigTest, ClusterFlags) {
  auto c =
      Parse({"--cluster", "etcd://127.0.0.1:2379,127.0.0.1:2381", "--node-id", "n-1", "--advertise", "10.0.0.5:4567",
             "--cluster-lease-ttl-s", "2", "--cluster-secret-file", "/etc/spate/secret", "--replication-factor", "5"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster, "etcd://127.0.0.1:2379,127.0.0.1:2381");
  EXPECT_EQ(c->node_id, "n-1");
  EXPECT_EQ(c->advertise, "10.0.0.5:4567");
  EXPECT_EQ(c->cluster_lease_ttl_s, 2);
  EXPECT_EQ(c->cluster_secret_file, "/etc/spate/secret");
  EXPECT_EQ(c->replication_factor, 5);
  EXPECT_EQ(Parse({"--cluster", "etcd://h:1", "--node-id", "a", "--cluster-secret-file", "f"})->replication_factor, 3);
  EXPECT_TRUE(Parse({}).value().cluster.empty());
  EXPECT_EQ(Error({"--cluster", "http://127.0.0.1:2379", "--node-id", "a"}),
            "--cluster: needs etcd://host:port[,host:port...]");
  EXPECT_EQ(Error({"--cluster", "etcd://127.0.0.1:2379"}), "--cluster needs --node-id");
  EXPECT_EQ(Error({"--node-id", "a"}), "--node-id and --advertise need --cluster");
  EXPECT_EQ(Error({"--cluster", "etcd://h:1", "--node-id", "a/b"}),
            "--node-id: needs 1 to 64 letters, digits, '-', '_' or '.'");
  EXPECT_EQ(Error({"--cluster", "etcd://h:1", "--node-id", "a", "--advertise", "nohost"}),
            "--advertise: needs host:port");
  EXPECT_EQ(Error({"--cluster", "etcd://h:1", "--node-id", "a"}), "--cluster needs --cluster-secret-file");
  EXPECT_EQ(Error({"--cluster-secret-file", "f"}), "--cluster-secret-file needs --cluster");
  EXPECT_EQ(
      Error({"--cluster", "etcd://h:1", "--node-id", "a", "--cluster-secret-file", "f", "--replication-factor", "0"}),
      "--replication-factor: needs a number of nodes from 1 to 9");
}

TEST(ConfigTest, ClusterOperationFlags) {
  auto defaults = Parse({"--cluster", "etcd://h:1", "--node-id", "a", "--cluster-secret-file", "f"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->replica_replace_grace_s, 60);
  EXPECT_EQ(defaults->balance_moves_per_s, 4);
  auto c = Parse({"--cluster", "etcd://h:1", "--node-id", "a", "--cluster-secret-file", "f",
                  "--replica-replace-grace-s", "0", "--balance-moves-per-s", "10"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->replica_replace_grace_s, 0);
  EXPECT_EQ(c->balance_moves_per_s, 10);
  EXPECT_EQ(Error({"--cluster", "etcd://h:1", "--node-id", "a", "--cluster-secret-file", "f",
                   "--replica-replace-grace-s", "-1"}),
            "--replica-replace-grace-s: needs a number of seconds from 0 to 86400");
}

}  // namespace
}  // namespace spate::spated
