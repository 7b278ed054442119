#include "client/config_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace spate::client {
namespace {

// An injected environment and a private HOME with ~/.aws files; the real
// process environment is never read or changed.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spate-client-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    std::filesystem::create_directories(home_ / ".aws");
    vars_["HOME"] = home_.string();
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  void Write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }
  void Credentials(const std::string& text) { Write(home_ / ".aws" / "credentials", text); }
  void Config(const std::string& text) { Write(home_ / ".aws" / "config", text); }

  Outcome<ClientConfig> Resolve(ClientConfig partial = {}) {
    return ResolveConfig(std::move(partial), [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end() || it->second.empty()) return std::nullopt;
      return it->second;
    });
  }

  std::filesystem::path home_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ConfigTest, DefaultsWithNothingConfigured) {
  auto c = Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c.value().endpoint, "http://127.0.0.1:4567");
  EXPECT_EQ(c.value().region, "us-east-1");
  EXPECT_EQ(c.value().profile, "default");
  ASSERT_TRUE(c.value().credentials.has_value());
  EXPECT_EQ(c.value().credentials->access_key_id, "spate");
  EXPECT_EQ(c.value().credentials->secret_access_key, "spate");
  EXPECT_EQ(c.value().credentials->session_token, "");
}

TEST_F(ConfigTest, EndpointPrecedence) {
  vars_["AWS_ENDPOINT_URL"] = "http://generic:1";
  EXPECT_EQ(Resolve().value().endpoint, "http://generic:1");
  vars_["AWS_ENDPOINT_URL_KINESIS"] = "https://kinesis.example:443/";
  EXPECT_EQ(Resolve().value().endpoint, "https://kinesis.example:443");  // trailing '/' dropped
  ClientConfig explicit_endpoint;
  explicit_endpoint.endpoint = "http://[::1]:4567";
  EXPECT_EQ(Resolve(explicit_endpoint).value().endpoint, "http://[::1]:4567");
}

TEST_F(ConfigTest, MalformedEndpointIsInvalidConfiguration) {
  for (const char* bad : {"127.0.0.1:4567", "ftp://host", "http://", "http://host:", "http://host:99999",
                          "http://host:12x", "http://host/path", "http://[::1"}) {
    ClientConfig c;
    c.endpoint = bad;
    auto r = Resolve(c);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().type, "InvalidConfiguration") << bad;
  }
}

TEST_F(ConfigTest, RegionPrecedence) {
  Config("[default]\nregion = eu-central-1\n[profile other]\nregion=ap-south-1\n");
  EXPECT_EQ(Resolve().value().region, "eu-central-1");
  vars_["AWS_PROFILE"] = "other";
  EXPECT_EQ(Resolve().value().region, "ap-south-1");
  vars_["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(Resolve().value().region, "us-west-1");
  vars_["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(Resolve().value().region, "us-west-2");
  ClientConfig explicit_region;
  explicit_region.region = "sa-east-1";
  EXPECT_EQ(Resolve(explicit_region).value().region, "sa-east-1");
}

TEST_F(ConfigTest, CredentialsFromEnvironmentBeatTheProfile) {
  Credentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  vars_["AWS_SESSION_TOKEN"] = "ENVTOKEN";
  auto c = Resolve().value();
  EXPECT_EQ(c.credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(c.credentials->secret_access_key, "ENVSECRET");
  EXPECT_EQ(c.credentials->session_token, "ENVTOKEN");
}

TEST_F(ConfigTest, HalfAnEnvironmentKeyPairFallsThroughToTheProfile) {
  Credentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  EXPECT_EQ(Resolve().value().credentials->access_key_id, "FILEKEY");
}

TEST_F(ConfigTest, CredentialsFromTheNamedProfile) {
  Credentials(
      "# comment\n[default]\naws_access_key_id=D\naws_secret_access_key=DS\n\n"
      "[prod]\n  ; indented comment\nAWS_Access_Key_Id = P \naws_secret_access_key = PS\naws_session_token = PT\n");
  ClientConfig named;
  named.profile = "prod";
  auto c = Resolve(named).value();
  EXPECT_EQ(c.profile, "prod");
  EXPECT_EQ(c.credentials->access_key_id, "P");
  EXPECT_EQ(c.credentials->secret_access_key, "PS");
  EXPECT_EQ(c.credentials->session_token, "PT");
  vars_["AWS_PROFILE"] = "prod";
  EXPECT_EQ(Resolve().value().credentials->access_key_id, "P");
  ClientConfig explicit_default;
  explicit_default.profile = "default";
  EXPECT_EQ(Resolve(explicit_default).value().credentials->access_key_id, "D");
}

TEST_F(ConfigTest, FileLocationsFromEnvironment) {
  Write(home_ / "creds", "[default]\naws_access_key_id=ALT\naws_secret_access_key=ALTS\n");
  Write(home_ / "conf", "[default]\nregion=ca-central-1\n");
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = (home_ / "creds").string();
  vars_["AWS_CONFIG_FILE"] = (home_ / "conf").string();
  auto c = Resolve().value();
  EXPECT_EQ(c.credentials->access_key_id, "ALT");
  EXPECT_EQ(c.region, "ca-central-1");
}

TEST_F(ConfigTest, ConfigFileProfilesNeedThePrefix) {
  // "[other]" in the config file is not the profile "other" (the AWS CLI
  // reads "[profile other]"), so naming it finds nothing.
  Config("[other]\nregion=eu-west-3\n");
  ClientConfig named;
  named.profile = "other";
  auto r = Resolve(named);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "InvalidConfiguration");
  EXPECT_EQ(r.error().message, "The config profile (other) could not be found");
}

TEST_F(ConfigTest, MissingFilesAreEmpty) {
  vars_["HOME"] = (home_ / "nowhere").string();
  auto c = Resolve();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().credentials->access_key_id, "spate");
}

TEST_F(ConfigTest, ExplicitCredentialsAreKept) {
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  ClientConfig given;
  given.credentials = spate::Credentials{"MINE", "MYSECRET", ""};
  EXPECT_EQ(Resolve(given).value().credentials->access_key_id, "MINE");
}

TEST(ProfileFile, SectionsMergeAndSubSettingsAreSkipped) {
  auto s = ParseProfileFile("[a]\nk=1\ns3 =\n  max_concurrent_requests = 20\n[a]\nk = 2\nj=3\r\n");
  ASSERT_EQ(s.count("a"), 1u);
  EXPECT_EQ(s["a"]["k"], "2");
  EXPECT_EQ(s["a"]["j"], "3");
  EXPECT_EQ(s["a"].count("max_concurrent_requests"), 0u);
}

}  // namespace
}  // namespace spate::client
