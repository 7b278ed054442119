#pragma once

#include <string_view>

namespace spate {

// The project's version (CMake's project(VERSION)), e.g. "0.1.0".
std::string_view Version();
// The git revision the binary was built from ("3f2a9c1b7d0e", with "-dirty"
// when the work tree had changes); empty when built outside a checkout.
std::string_view GitRevision();
// "0.1.0" or "0.1.0 (git 3f2a9c1b7d0e)": what --version, the Server header
// and /health report.
std::string_view VersionLine();

}  // namespace spate
