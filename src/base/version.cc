#include "base/version.h"

#include <string>

// Generated at build time (cmake/version.cmake) into the build tree; this is
// the only file that includes it, so a new revision recompiles this file
// alone.
#include "spate_version_gen.h"

namespace spate {

std::string_view Version() { return SPATE_VERSION_STRING; }

std::string_view GitRevision() { return SPATE_GIT_REVISION_STRING; }

std::string_view VersionLine() {
  static const std::string line = GitRevision().empty()
                                      ? std::string(Version())
                                      : std::string(Version()) + " (git " + std::string(GitRevision()) + ")";
  return line;
}

}  // namespace spate
