"""The Debian package (cmake/install.cmake, packaging/): built by CPack from the existing build
directory (no rebuild), inspected with dpkg-deb, its unit verified by systemd-analyze, and the
extracted server run: --version, a start, /health and one PutRecord.

Skips only when a tool is missing (scripts/install-deps.sh --test installs them all)."""

import json
import re
import shutil
import signal
import subprocess

import pytest

import helpers
from conftest import REPO_ROOT

BUILD = REPO_ROOT / "build"
TOOLS = ("cpack", "dpkg-deb", "dpkg-shlibdeps", "objcopy", "readelf", "systemd-analyze")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing tools: {missing} (scripts/install-deps.sh --test installs them)")
    if not (BUILD / "CPackConfig.cmake").exists() or not (BUILD / "spated").exists():
        pytest.fail("no configured and built build/: run `make build` first", pytrace=False)
    out = tmp_path_factory.mktemp("package")
    # The server package only: the debug-info package compresses ~60 MB and is `make package`'s job.
    p = subprocess.run(["cpack", "-G", "DEB", "--config", str(BUILD / "CPackConfig.cmake"), "-B", str(out),
                        "-D", "CPACK_COMPONENTS_ALL=server"],
                       capture_output=True, text=True, timeout=600, cwd=BUILD)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    debs = sorted(out.glob("spate_*.deb"))
    assert len(debs) == 1, (list(out.iterdir()), p.stdout[-2000:])
    return debs[0]


@pytest.fixture(scope="module")
def extracted(package, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(package), str(root)], check=True, timeout=120)
    return root


def _run(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, timeout=120)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    assert p.returncode == 0, f"{cmd}: {out[-2000:]}{err[-2000:]}"
    return out


def _verify_unit(path):
    """systemd-analyze verify's complaints about a unit file (it exits 0 on mere warnings)."""
    p = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=120)
    return [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()] + ([f"exit {p.returncode}"]
                                                                              if p.returncode else [])


def test_control_fields_and_maintainer_scripts(package, tmp_path):
    info = _run("dpkg-deb", "-I", str(package))
    assert re.search(r"^ Package: spate$", info, re.M), info
    assert re.search(r"^ Version: \d+\.\d+\.\d+$", info, re.M), info
    depends = re.search(r"^ Depends: (.*)$", info, re.M).group(1)
    assert "adduser" in depends and "libnghttp2" in depends and "libssl3" in depends, depends  # dpkg-shlibdeps ran
    for script in ("postinst", "prerm", "postrm", "conffiles"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*{script}\b", info, re.M), (script, info)
    ctrl = tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", str(package), str(ctrl)], check=True, timeout=60)
    assert (ctrl / "conffiles").read_text().split() == ["/etc/spate/spated.conf", "/etc/logrotate.d/spate"]
    assert re.search(r"^ Recommends: logrotate$", info, re.M), info
    postinst = (ctrl / "postinst").read_text()
    assert "adduser --system" in postinst and "spate" in postinst
    assert "deluser" in (ctrl / "postrm").read_text()


def test_contents(package):
    listing = _run("dpkg-deb", "-c", str(package))
    paths = {line.split()[-1] for line in listing.splitlines()}
    for want in ("./usr/bin/spated", "./usr/bin/spate-inspect", "./usr/lib/systemd/system/spated.service",
                 "./etc/spate/spated.conf", "./etc/logrotate.d/spate", "./usr/share/doc/spate/README.md"):
        assert want in paths, (want, sorted(paths))
    assert not any("/lib/debug/" in p for p in paths), "debug info belongs in spate-dbg"


def test_binaries_are_stripped_with_a_debuglink(extracted):
    for name in ("spated", "spate-inspect"):
        sections = _run("readelf", "-S", "-W", str(extracted / "usr/bin" / name))
        assert ".debug_info" not in sections, name
        assert ".gnu_debuglink" in sections, name
        link = _run("readelf", "--string-dump=.gnu_debuglink", str(extracted / "usr/bin" / name))
        assert f"{name}.debug" in link, link
    # Much smaller than the build tree's binary with its debug information.
    assert (extracted / "usr/bin/spated").stat().st_size < (BUILD / "spated").stat().st_size / 2


def test_unit_is_hardened_and_verifies(extracted, tmp_path):
    unit = extracted / "usr/lib/systemd/system/spated.service"
    text = unit.read_text()
    for line in ("ExecStart=/usr/bin/spated --config /etc/spate/spated.conf", "User=spate",
                 "StateDirectory=spate", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "StandardError=journal", "WantedBy=multi-user.target", "LogsDirectory=spate",
                 "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in text, line
    # Verified as a copy whose paths point into the extracted tree (spated is not installed on this
    # machine, and verify checks that ExecStart is executable); every other line is the package's.
    copy = tmp_path / "spated.service"
    copy.write_text(text.replace("/usr/bin/spated", str(extracted / "usr/bin/spated"))
                    .replace("/etc/spate/spated.conf", str(extracted / "etc/spate/spated.conf")))
    assert _verify_unit(copy) == []
    # The check can fail: a misspelt directive is reported.
    broken = tmp_path / "broken.service"
    broken.write_text(copy.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict"))
    assert any("ProtectSystm" in ln for ln in _verify_unit(broken))


def test_extracted_server_runs(extracted, tmp_path):
    spated = extracted / "usr/bin/spated"
    version = _run(str(spated), "--version")
    assert re.fullmatch(r"spated \d+\.\d+\.\d+( \(git [0-9a-f-]+(dirty)?\))?\n", version), version
    conf = extracted / "etc/spate/spated.conf"
    log_path = tmp_path / "spated.log"
    with open(log_path, "wb") as log:
        # The packaged config, with this test's port and data directory (the command line wins).
        proc = subprocess.Popen([str(spated), "--config", str(conf), "--port", "0", "--data-dir",
                                 str(tmp_path / "data"), "--state-delay-ms", "0", "--limits=off"],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        port = helpers.poll_until(
            lambda: (lambda m: int(m.group(1)) if m else None)(
                re.search(r"listening on 127\.0\.0\.1:(\d+)", log_path.read_text()))
            if proc.poll() is None else pytest.fail(log_path.read_text()),
            timeout=30, what="the extracted spated listening")
        raw = helpers.RawClient(f"http://127.0.0.1:{port}")
        health = raw.request(method="GET", path="/health", sign=False, content_type=None)
        assert health.status == 200 and json.loads(health.body)["status"] == "ok"
        assert version.split()[1] == json.loads(health.body)["version"]
        name = helpers.unique_name("pkg")
        helpers.create_stream_raw(raw, name, shards=1)
        put = raw.json("PutRecord", {"StreamName": name, "Data": b"from the package", "PartitionKey": "k"})
        assert put.status == 200 and put.json()["ShardId"] == "shardId-000000000000", put.body
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0, log_path.read_text()[-2000:]
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            raise
