#include "client/config_resolver.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace spate::client {
namespace {

constexpr std::string_view kDefaultEndpoint = "http://127.0.0.1:4567";
constexpr std::string_view kDefaultRegion = "us-east-1";
constexpr std::string_view kDefaultProfile = "default";
// spated without --credentials-file accepts any well-formed signature.
constexpr std::string_view kDefaultKey = "spate";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The text of `path`; empty when it cannot be read.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ApiError InvalidConfiguration(std::string message) { return ApiError{"InvalidConfiguration", std::move(message), 0}; }

// Checks "http(s)://host[:port]" (one trailing '/' allowed and dropped).
Outcome<std::string> CheckEndpoint(std::string endpoint) {
  if (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  std::string_view rest = endpoint;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return InvalidConfiguration("endpoint '" + endpoint + "' is not http(s)://host[:port]");
  }
  std::string_view host = rest;
  std::optional<std::string_view> port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return InvalidConfiguration("endpoint '" + endpoint + "': unclosed '['");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidConfiguration("endpoint '" + endpoint + "' is not http(s)://host[:port]");
      port = after.substr(1);
    }
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  bool ok = !host.empty() && host.find_first_of("/?#@ ") == std::string_view::npos;
  if (port.has_value()) {
    constexpr long kMaxPort = 65535;
    long value = 0;
    ok = ok && !port->empty() && port->size() <= 5;
    for (char c : *port) {
      ok = ok && std::isdigit(static_cast<unsigned char>(c));
      value = value * 10 + (c - '0');
    }
    ok = ok && value >= 1 && value <= kMaxPort;
  }
  if (!ok) return InvalidConfiguration("endpoint '" + endpoint + "' is not http(s)://host[:port]");
  return endpoint;
}

const std::map<std::string, std::string>* FindSection(
    const std::map<std::string, std::map<std::string, std::string>>& sections, const std::string& name) {
  auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

std::string Get(const std::map<std::string, std::string>* section, const std::string& key) {
  if (section == nullptr) return {};
  auto it = section->find(key);
  return it == section->end() ? std::string() : it->second;
}

}  // namespace

GetEnv ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::map<std::string, std::map<std::string, std::string>> ParseProfileFile(std::string_view text) {
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::map<std::string, std::string>* current = nullptr;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) continue;  // nested sub-setting
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      current = close == std::string_view::npos ? nullptr : &sections[std::string(Trim(line.substr(1, close - 1)))];
      continue;
    }
    size_t eq = line.find('=');
    if (current == nullptr || eq == std::string_view::npos) continue;
    (*current)[Lower(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return sections;
}

Outcome<ClientConfig> ResolveConfig(ClientConfig config, const GetEnv& env) {
  auto var = [&](const char* name) { return env(name).value_or(std::string()); };

  if (config.endpoint.empty()) config.endpoint = var("AWS_ENDPOINT_URL_KINESIS");
  if (config.endpoint.empty()) config.endpoint = var("AWS_ENDPOINT_URL");
  if (config.endpoint.empty()) config.endpoint = std::string(kDefaultEndpoint);
  Outcome<std::string> endpoint = CheckEndpoint(std::move(config.endpoint));
  if (!endpoint.ok()) return endpoint.error();
  config.endpoint = std::move(endpoint).value();

  bool profile_named = !config.profile.empty();
  if (config.profile.empty()) config.profile = var("AWS_PROFILE");
  profile_named = profile_named || !config.profile.empty();
  if (config.profile.empty()) config.profile = std::string(kDefaultProfile);

  std::string home = var("HOME");
  std::string credentials_path = var("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
  std::string config_path = var("AWS_CONFIG_FILE");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  auto credentials_file = ParseProfileFile(credentials_path.empty() ? std::string() : ReadFile(credentials_path));
  auto config_file = ParseProfileFile(config_path.empty() ? std::string() : ReadFile(config_path));
  const auto* credentials_section = FindSection(credentials_file, config.profile);
  // The config file names its sections "[profile NAME]", except "[default]".
  const auto* config_section = FindSection(config_file, "profile " + config.profile);
  if (config_section == nullptr && config.profile == kDefaultProfile) {
    config_section = FindSection(config_file, config.profile);
  }
  if (profile_named && config.profile != kDefaultProfile && credentials_section == nullptr &&
      config_section == nullptr) {
    return InvalidConfiguration("The config profile (" + config.profile + ") could not be found");
  }

  if (config.region.empty()) config.region = var("AWS_REGION");
  if (config.region.empty()) config.region = var("AWS_DEFAULT_REGION");
  if (config.region.empty()) config.region = Get(config_section, "region");
  if (config.region.empty()) config.region = std::string(kDefaultRegion);

  if (!config.credentials.has_value()) {
    std::string id = var("AWS_ACCESS_KEY_ID");
    std::string secret = var("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() && !secret.empty()) {
      config.credentials = Credentials{id, secret, var("AWS_SESSION_TOKEN")};
    }
  }
  if (!config.credentials.has_value()) {
    std::string id = Get(credentials_section, "aws_access_key_id");
    std::string secret = Get(credentials_section, "aws_secret_access_key");
    if (!id.empty() && !secret.empty()) {
      config.credentials = Credentials{id, secret, Get(credentials_section, "aws_session_token")};
    }
  }
  if (!config.credentials.has_value()) {
    config.credentials = Credentials{std::string(kDefaultKey), std::string(kDefaultKey), {}};
  }
  return config;
}

}  // namespace spate::client
