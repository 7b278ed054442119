"""A throwaway PostgreSQL 15 cluster for the Redshift destination's tests: initdb in a temporary
directory, pg_ctl on a loopback port, password authentication (scram-sha-256), psql for queries.

PostgreSQL refuses to run as root: when the tests run as root, its programs run as `nobody` through
runuser, in a directory that user owns.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT_S = 60
USER = "spate"
PASSWORD = "firehose-secret"


def available():
    return (PG_BIN / "initdb").exists() and shutil.which("psql") is not None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args, timeout=START_TIMEOUT_S + 30):
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")

    def init(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_root:
            shutil.chown(self.dir, "nobody")
            shutil.chown(pwfile, "nobody")
        r = self._run(PG_BIN / "initdb", "-D", self.data, "-U", USER, "-A", "scram-sha-256", f"--pwfile={pwfile}",
                      "-E", "UTF8", "--no-sync", "--no-instructions")
        assert r.returncode == 0, f"initdb failed:\n{r.stdout}\n{r.stderr}"
        return self

    def start(self):
        r = self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "log", "-w", "-t", START_TIMEOUT_S, "-o",
                      f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                      f"-c max_connections=20 -c shared_buffers=16MB", "start")
        assert r.returncode == 0, f"pg_ctl start failed:\n{r.stdout}\n{r.stderr}\n{self.log()}"
        return self

    def stop(self, mode="fast"):
        r = self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", START_TIMEOUT_S, "stop")
        return r.returncode

    def log(self):
        try:
            return (self.dir / "log").read_text(errors="replace")[-3000:]
        except OSError:
            return "<no log>"

    def psql(self, sql, db="postgres", check=True):
        """Runs sql through psql; returns the rows as lists of strings (unaligned, tab-separated)."""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        r = subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", db,
                            "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql],
                           capture_output=True, text=True, env=env, timeout=60)
        if check:
            assert r.returncode == 0, f"psql {sql!r} failed: {r.stderr}"
        return [line.split("\t") for line in r.stdout.splitlines()]

    def copy_from_file(self, table_and_columns, path, options, db="postgres"):
        """psql's \\copy of a file (PostgreSQL's own COPY FROM STDIN); returns psql's wall time in s."""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        t0 = time.monotonic()
        r = subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", db,
                            "-v", "ON_ERROR_STOP=1", "-c", f"\\copy {table_and_columns} FROM '{path}' WITH ({options})"],
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
        return time.monotonic() - t0

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
