"""A server started with a configuration it cannot work with says so in one line that names
the variable, its value and the path or address, and exits 2: no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import REPO, free_port, signoff_command, wait_until_ready

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    return free_port()  # bound for an instant and released: nothing listens there now


def start(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(variables)
    # A hang guard: every case here fails before the server listens.
    return subprocess.run(
        signoff_command("serve", "--port", str(free_port())),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def the_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Signoff cannot start: SIGNOFF_DATABASE__URL")
    return lines[0]


def test_an_unknown_database_scheme_is_named(tmp_path: Path) -> None:
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL="bogus://nope"))
    assert "unknown database scheme 'bogus'" in line
    assert "postgresql+asyncpg://" in line  # what to write instead


def test_an_unreachable_postgresql_names_host_port_and_hides_the_password(
    tmp_path: Path,
) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://signoff:hunter2@127.0.0.1:{port}/signoff"
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL=url))
    assert f"cannot connect to 127.0.0.1:{port}" in line
    assert "hunter2" not in line
    assert "signoff:***@" in line


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL=f"sqlite:///{missing}/signoff.db"))
    assert f"the directory {missing} does not exist" in line


def test_a_directory_in_place_of_the_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "signoff.db").mkdir()
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL="sqlite:///./signoff.db"))
    assert f"{tmp_path / 'signoff.db'} is a directory" in line


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "signoff.db").write_text("not a database\n" * 100)
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL="sqlite:///signoff.db"))
    assert f"{tmp_path / 'signoff.db'} is not a SQLite database" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes any file")
def test_a_read_only_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "signoff.db").touch(mode=0o444)
    line = the_one_line(start(tmp_path, SIGNOFF_DATABASE__URL="sqlite:///signoff.db"))
    assert "cannot be read and written" in line


def test_a_misspelt_variable_is_warned_with_the_closest_name(tmp_path: Path) -> None:
    result = start(
        tmp_path, SIGNOFF_DATABSE__URL="sqlite:///x.db", SIGNOFF_DATABASE__URL="bogus://"
    )
    assert (
        "warning: SIGNOFF_DATABSE__URL is not a Signoff setting, it is ignored; "
        "did you mean SIGNOFF_DATABASE__URL?"
    ) in result.stderr


def test_an_unmigrated_database_is_named_by_readiness_and_the_jobs_wait(tmp_path: Path) -> None:
    env = {"SIGNOFF_DATABASE__URL": "sqlite:///signoff.db", "SIGNOFF_LOG__FORMAT": "json"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
    full_env |= env | {"PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        signoff_command("serve", "--port", str(port), "--no-migrate"),
        cwd=tmp_path,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(b.decode() for b in process.stdout or ()))
    reader.start()
    try:
        wait_until_live(base, process)
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 503
        output = ready.json()["checks"]["migrations"]["output"]
        assert "database empty (no migrations applied)" in output
        assert "run `signoff db upgrade`" in output
        upgrade = subprocess.run(
            signoff_command("db", "upgrade"), cwd=tmp_path, env=full_env, check=False
        )
        assert upgrade.returncode == 0
        wait_until_ready(base, process)
        wait_for_line(lines, "background.schema_ready")  # the jobs start once it is at head
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=60)
    text = "".join(lines)
    assert "Traceback" not in text
    assert text.count("background.waiting_for_schema") == 1, text


def wait_for_line(lines: list[str], word: str) -> None:
    deadline = time.monotonic() + 90  # a hang guard on a busy machine, not a timing
    while not any(word in line for line in lines):
        assert time.monotonic() < deadline, f"no {word} in the log"
        time.sleep(0.1)


def wait_until_live(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # a hang guard on a busy machine, not a timing
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{base} not live")
