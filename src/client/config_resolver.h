#pragma once

// ClientConfig::Resolve with its world injected: the environment is a
// function, so tests resolve against variables and profile files of their
// own without touching the process environment. Internal to spate_client.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "spate/kinesis_client.h"

namespace spate::client {

// Looks up one environment variable; nullopt when unset. Set-but-empty
// variables count as unset, as the AWS CLI treats them.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
GetEnv ProcessEnvironment();

// ClientConfig::Resolve's work (its contract is in kinesis_client.h), reading
// variables through `env` and the profile files it names (HOME,
// AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE). An unreadable or absent
// profile file counts as empty.
Outcome<ClientConfig> ResolveConfig(ClientConfig partial, const GetEnv& env);

// The sections of an AWS profile file (INI: "[name]", "key = value", '#' and
// ';' comments), each a map of keys to values. Keys are lowercased, values
// trimmed; indented lines (nested sub-settings such as `s3 =`) are skipped.
// A section given twice merges, later keys winning.
std::map<std::string, std::map<std::string, std::string>> ParseProfileFile(std::string_view text);

}  // namespace spate::client
