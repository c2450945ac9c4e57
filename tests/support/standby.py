"""A real PostgreSQL streaming replica for tests: a primary cluster of the test's own
(``initdb``) and a hot standby made from it with ``pg_basebackup -R``, streaming, each on a
free loopback port, run as the ``postgres`` user, gone when the test ends.

Why a primary of the test's own rather than the shared server on 127.0.0.1:5432: that server
admits no replication connection (its ``pg_hba.conf`` has no ``replication`` entry; adding one
is a change of the shared server's configuration), and a base backup of it would copy every
database of every test run on this machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        pytest.skip("no PostgreSQL server binaries (pg_config) to make a streaming replica with")
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
    bindir = Path(found.stdout.strip())
    if not (bindir / "initdb").exists() or not (bindir / "pg_basebackup").exists():
        pytest.skip(f"no initdb or pg_basebackup in {bindir} to make a streaming replica with")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Pair:
    bindir: Path
    root: Path
    primary_port: int
    standby_port: int

    def url(self, port: int) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)

    def run(self, tool: str, *args: str) -> None:
        # The server refuses to run as root: as the postgres user when the tests are root.
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*as_user, str(self.bindir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self, name: str, port: int, *settings: str) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {s}" for s in settings)
        data = str(self.root / name)
        self.run("pg_ctl", "-D", data, "-o", options, "-l", f"{data}.log", "-w", "start")

    def stop(self, name: str) -> None:
        self.run("pg_ctl", "-D", str(self.root / name), "-m", "immediate", "-w", "stop")


@contextmanager
def streaming_pair() -> Iterator[Pair]:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="signoff-standby-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    pair = Pair(bindir, root, _free_port(), _free_port())
    started: list[str] = []
    try:
        primary = str(root / "primary")
        pair.run("initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync")
        with (root / "primary" / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        pair.start("primary", pair.primary_port, "wal_level=replica")
        started.append("primary")
        pair.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres",
            "-D", str(root / "standby"), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        pair.start("standby", pair.standby_port, "hot_standby=on")
        started.append("standby")
        yield pair
    finally:
        for name in reversed(started):
            with contextlib.suppress(RuntimeError):  # the test stopped it already
                pair.stop(name)
        shutil.rmtree(root, ignore_errors=True)
