"""The installed client libraries (cmake/install.cmake, component `dev`): installed from the existing
build into a temporary prefix, then one small program is built against that prefix twice, with CMake's
find_package(Spate) and with pkg-config (spate.pc), and run against a real spated: it puts a record
through the producer, reads it back through the client and KPL-aggregates one. Nothing is rebuilt in
build/.

Skips only when a tool is missing."""

import os
import shutil
import subprocess

import pytest

from conftest import REPO_ROOT

BUILD = REPO_ROOT / "build"

PROGRAM = r"""
#include <cstdio>
#include <string>

#include "spate/aggregation.h"
#include "spate/consumer.h"
#include "spate/kinesis_client.h"
#include "spate/producer.h"

// argv: endpoint stream. Exit 0 when the record put through the producer is
// read back through the client and a KPL aggregate of two records parses.
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  spate::ClientConfig config;
  config.endpoint = argv[1];
  auto client = spate::KinesisClient::Create(config);
  if (!client.ok()) return std::fprintf(stderr, "%s\n", client.error().ToString().c_str()), 3;
  std::shared_ptr<spate::KinesisClient> shared(std::move(client).value());
  auto producer = spate::Producer::Create(shared);
  if (!producer.ok()) return std::fprintf(stderr, "%s\n", producer.error().ToString().c_str()), 4;
  auto put = producer.value()->Put(argv[2], "key", "installed-hello").get();
  if (!put.ok()) return std::fprintf(stderr, "%s\n", put.error().ToString().c_str()), 5;
  auto it = shared->GetShardIterator(argv[2], put.value().shard_id,
                                     spate::IteratorPosition::AtSequenceNumber(put.value().sequence_number));
  if (!it.ok()) return std::fprintf(stderr, "%s\n", it.error().ToString().c_str()), 6;
  auto got = shared->GetRecords(it.value(), 1);
  if (!got.ok() || got.value().records.empty()) return 7;
  auto users = spate::Deaggregate(got.value().records[0].data, "key", {});
  if (users.size() != 1 || users[0].data != "installed-hello") return 8;
  spate::Aggregator agg;
  if (!agg.Add("a", "1") || !agg.Add("b", "2")) return 9;
  if (!spate::IsAggregated(agg.Finish().data)) return 10;
  spate::ConsumerConfig consumer;  // only that the consumer's header and library are there
  consumer.application_name = "installed";
  if (spate::Consumer::Create(consumer, shared.get()).ok()) return 11;  // no stream, no factory: refused
  std::printf("ok %s\n", put.value().shard_id.c_str());
  return 0;
}
"""

CMAKELISTS = """
cmake_minimum_required(VERSION 3.20)
project(installed_consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(Spate REQUIRED)
add_executable(app main.cc)
target_link_libraries(app PRIVATE Spate::producer Spate::consumer Spate::client Spate::kpl)
"""


def _run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert p.returncode == 0, f"{cmd}: {p.stdout[-3000:]}{p.stderr[-3000:]}"
    return p.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    missing = [t for t in ("cmake", "pkg-config", "g++") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing tools: {missing}")
    if not (BUILD / "cmake_install.cmake").exists():
        pytest.fail("no configured and built build/: run `make build` first", pytrace=False)
    out = tmp_path_factory.mktemp("prefix")
    _run(["cmake", "--install", str(BUILD), "--prefix", str(out), "--component", "dev"])
    return out


def test_installed_files(prefix):
    libdir = next(p for p in (prefix / "lib", prefix / "lib64") if p.exists())
    for header in ("kinesis_client.h", "producer.h", "consumer.h", "aggregation.h"):
        assert (prefix / "include" / "spate" / header).exists(), header
    for lib in ("client", "producer", "consumer", "kpl"):
        assert list(libdir.rglob(f"libspate_{lib}.a")), lib
    assert list(libdir.rglob("SpateConfig.cmake")) and list(libdir.rglob("spate.pc"))
    # No path of the source or build tree leaks into the installed package files.
    for f in list(libdir.rglob("*.cmake")) + list(libdir.rglob("*.pc")):
        text = f.read_text()
        assert str(REPO_ROOT) not in text, (f, [ln for ln in text.splitlines() if str(REPO_ROOT) in ln][:3])


def test_find_package(prefix, tmp_path, server, make_stream):
    stream = make_stream(shards=1)
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.cc").write_text(PROGRAM)
    (src / "CMakeLists.txt").write_text(CMAKELISTS)
    _run(["cmake", "-S", str(src), "-B", str(tmp_path / "b"), f"-DCMAKE_PREFIX_PATH={prefix}"])
    _run(["cmake", "--build", str(tmp_path / "b")])
    out = _run([str(tmp_path / "b" / "app"), server.endpoint, stream])
    assert out.startswith("ok shardId-"), out


def test_pkg_config(prefix, tmp_path, server, make_stream):
    stream = make_stream(shards=1)
    (tmp_path / "main.cc").write_text(PROGRAM)
    pc_dirs = [str(p.parent) for p in prefix.rglob("spate.pc")]
    env = dict(os.environ, PKG_CONFIG_PATH=":".join(pc_dirs))
    flags = _run(["pkg-config", "--cflags", "--libs", "spate"], env=env).split()
    assert any(f.startswith("-I") and str(prefix) in os.path.realpath(f[2:]) for f in flags), flags
    _run(["g++", "-std=c++20", str(tmp_path / "main.cc"), "-o", str(tmp_path / "app"), *flags])
    out = _run([str(tmp_path / "app"), server.endpoint, stream])
    assert out.startswith("ok shardId-"), out


def test_dev_package_ships_them(tmp_path):
    """libspate-dev (CPack's dev component) carries the headers, the libraries, the CMake package and spate.pc."""
    missing = [t for t in ("cpack", "dpkg-deb") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing tools: {missing}")
    p = subprocess.run(["cpack", "-G", "DEB", "--config", str(BUILD / "CPackConfig.cmake"), "-B", str(tmp_path),
                        "-D", "CPACK_COMPONENTS_ALL=dev"], capture_output=True, text=True, timeout=600, cwd=BUILD)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    debs = sorted(tmp_path.glob("libspate-dev_*.deb"))
    assert len(debs) == 1, list(tmp_path.iterdir())
    depends = _run(["dpkg-deb", "-f", str(debs[0]), "Depends"])
    for dep in ("libcurl", "libssl-dev", "libprotobuf-dev", "libsimdjson-dev", "libpcre2-dev"):
        assert dep in depends, depends
    listing = _run(["dpkg-deb", "-c", str(debs[0])])
    paths = {line.split()[-1] for line in listing.splitlines()}
    for want in ("./usr/include/spate/consumer.h", "/libspate_consumer.a", "/libspate_client.a",
                 "/cmake/Spate/SpateConfig.cmake", "/cmake/Spate/SpateTargets.cmake", "/pkgconfig/spate.pc"):
        assert any(p.endswith(want) for p in paths), (want, sorted(paths))
    assert not any("/bin/" in p for p in paths), paths  # the server stays in the `spate` package
