#!/usr/bin/env bash
# `make package`: the Debian packages, by CPack, from build/ (the release
# build: RelWithDebInfo, -O2 with debug information, which the install step
# strips off into spate-dbg):
#   build/spate_<version>_<arch>.deb         spated, spate-inspect, spated.service, /etc/spate/spated.conf
#   build/spate-dbg_<version>_<arch>.deb     /usr/lib/debug/usr/bin/*.debug
#   build/libspate-dev_<version>_<arch>.deb  include/spate/, the static client libraries, the Spate
#                                            CMake package (find_package(Spate)) and spate.pc
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --package
(cd build && cpack -G DEB)
ls -l build/*.deb
