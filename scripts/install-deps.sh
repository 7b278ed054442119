#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever building (and, with --test,
# testing; with --package, packaging) Spate needs and the machine lacks. Safe to run again: it installs
# nothing that is already there.
set -euo pipefail

build_pkgs=(g++ cmake ninja-build pkg-config libboost-dev libnghttp2-dev libsimdjson-dev libssl-dev
            librocksdb-dev libgtest-dev libgmock-dev libjemalloc-dev libpcre2-dev
            zlib1g-dev libsnappy-dev tzdata libcurl4-openssl-dev libcli11-dev
            protobuf-compiler libprotobuf-dev libpq-dev libjq-dev)
# `make package` (CPack DEB: dpkg-shlibdeps; objcopy splits the debug info).
package_pkgs=(dpkg-dev binutils)
# tests/integration/test_package.py also verifies the unit (systemd-analyze); the cluster tests
# (src/cluster/tests, tests/integration/test_cluster.py) start a real etcd 3.4 on loopback; the
# cluster fault harness (tests/cluster/) partitions network namespaces with nftables.
test_pkgs=(python3 python3-pytest python3-boto3 nodejs e2fsprogs clang-14 clang-format-14 libclang-rt-14-dev slowhttptest
           prometheus chromium postgresql-15 "${package_pkgs[@]}" systemd
           etcd-server etcd-client iproute2 nftables)

want=("${build_pkgs[@]}")
# npm fetches the console's pinned charting library at build time
# (src/console/vendor/package-lock.json); spated does not need it to run.
command -v npm >/dev/null 2>&1 || want+=(npm)
[[ "${1:-}" == "--package" ]] && want+=("${package_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
  command -v aws >/dev/null 2>&1 || want+=(awscli)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
