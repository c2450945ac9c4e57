#!/usr/bin/env python3
"""Set up and run Signoff with nothing but Python 3.11+.

    python3 scripts/dev.py run     # venv, install, migrate, serve on http://127.0.0.1:8000
    python3 scripts/dev.py test    # venv, install, the whole test suite on SQLite and PostgreSQL
    python3 scripts/dev.py check   # ruff, ruff format, mypy --strict, import-linter
    python3 scripts/dev.py trace   # Signoff's own traceability over docs/design.md (after test)
    python3 scripts/dev.py proof   # the long property and model runs, from a printed seed
    python3 scripts/dev.py lock    # re-pin constraints*.txt from the current virtualenv

Dependencies are pinned by constraints.txt (what the server needs at run time: the container
image installs from it alone) and constraints-dev.txt (the tools and test libraries on top),
so every machine installs what CI installed.
Uses only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("SIGNOFF_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".signoff-installed"
BUILD = ROOT / "build"
CONSTRAINTS = ("constraints.txt", "constraints-dev.txt")  # run time; and dev on top
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False).returncode


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    code = _run(*args, env=env)
    if code != 0:
        sys.exit(code)


def setup() -> None:
    """Create the virtualenv and install the pinned dependencies, once per change of pins."""
    # This script is the first thing a new machine runs: say plainly when Python is too old.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit(f"Signoff needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        say(f"creating a virtualenv in {VENV}")
        try:
            venv.create(VENV, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(f"cannot create a virtualenv ({exc}); on Debian: apt-get install python3-venv")
    debian_tools()
    pdf_libraries()
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    first = not STAMP.exists()
    # The first install downloads and builds for a minute or two: show pip's progress then,
    # rather than a silence that looks like a hang; later ones only change a few pins.
    say(
        "installing Signoff and its pinned dependencies"
        + (" (the first time takes a minute or two)" if first else "")
    )
    pip: list[str | Path] = [
        BIN / "python",
        "-m",
        "pip",
        "install",
        *([] if first else ["--quiet"]),
        "--disable-pip-version-check",
    ]
    run(*pip, "--upgrade", "pip")
    constraints = [arg for name in CONSTRAINTS for arg in ("-c", ROOT / name)]
    run(*pip, *constraints, "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


# Commands the tests need that come from Debian, not PyPI: the command and its package.
# Chromium: the web UI's browser tests drive Debian's (Playwright never downloads one).
DEBIAN_TOOLS = {"promtool": "prometheus", "chromium": "chromium"}


def debian_tools() -> None:
    """Install the Debian packages that provide the commands the tests run (promtool for the
    alert rules' unit tests, chromium for the browser tests), when a command is missing and
    apt-get is there to install it."""
    missing = sorted({pkg for cmd, pkg in DEBIAN_TOOLS.items() if shutil.which(cmd) is None})
    if not missing or shutil.which("apt-get") is None or os.geteuid() != 0:
        return  # the tests that need them say how to install them
    _apt_install(missing)


def _apt_install(packages: list[str]) -> None:
    say(f"installing {', '.join(packages)} from Debian")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
    if _run(*apt, "install", "-y", "-qq", "--no-install-recommends", *packages, env=env) != 0:
        _run(*apt, "update", "-qq", env=env)
        _run(*apt, "install", "-y", "-qq", "--no-install-recommends", *packages, env=env)


# WeasyPrint (the PDF export) loads Pango and HarfBuzz from the system, and needs a font.
PDF_PACKAGES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz-subset": "libharfbuzz-subset0",
}
PDF_FONT = (Path("/usr/share/fonts/truetype/dejavu"), "fonts-dejavu-core")


def pdf_libraries() -> None:
    """Install Debian's libraries for the PDF export when they are missing (CI is a clean
    machine, as root); elsewhere say what to install."""
    from ctypes.util import find_library

    missing = [pkg for lib, pkg in PDF_PACKAGES.items() if find_library(lib) is None]
    if not PDF_FONT[0].exists():
        missing.append(PDF_FONT[1])
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        say(f"the PDF export needs {' '.join(missing)} (Debian names): install them")
        return
    _apt_install(missing)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", *CONSTRAINTS):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def serve() -> None:
    setup()
    # `signoff serve` applies migrations first on the embedded default (SQLite in ./signoff.db).
    os.execv(BIN / "signoff", [str(BIN / "signoff"), "serve", *sys.argv[2:]])


def postgres_reachable(url: str) -> bool:
    parts = urlsplit(url.replace("+asyncpg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 3):
            return True
    except OSError:
        return False


def test() -> None:
    setup()
    extra = [a for a in sys.argv[2:] if a != "--sqlite-only"]
    pytest: list[str | Path] = [
        BIN / "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if k != "SIGNOFF_TEST_DATABASE_URL"}
    say("tests on SQLite")
    failed = []
    if _run(*pytest, f"--junitxml={BUILD / 'junit-sqlite.xml'}", env=env) != 0:
        failed.append("SQLite")
    if "--sqlite-only" not in sys.argv:
        url = os.environ.get("SIGNOFF_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
        if not postgres_reachable(url):
            sys.exit(
                f"PostgreSQL is not reachable at {url}; start it ({START_POSTGRES}), point "
                "SIGNOFF_TEST_POSTGRES_URL at another server, or pass --sqlite-only."
            )
        # Both passes run even when the first fails: a report of both is worth more.
        say("tests on PostgreSQL")
        pg_env = env | {"SIGNOFF_TEST_DATABASE_URL": url}
        if _run(*pytest, f"--junitxml={BUILD / 'junit-postgresql.xml'}", env=pg_env) != 0:
            failed.append("PostgreSQL")
    if failed:
        sys.exit(f"tests failed on {' and '.join(failed)}")
    say("tests passed")


def proof() -> None:
    """The long runs CI has no time for: the property and model tests with random cases from
    a printed seed (shrunk when they fail), many more examples, on SQLite and PostgreSQL."""
    setup()
    seed = os.environ.get("SEED") or str(int.from_bytes(os.urandom(8), "big"))
    say(f"hypothesis seed {seed} (again: SEED={seed} python3 scripts/dev.py proof)")
    pytest: list[str | Path] = [
        BIN / "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=proof",
        f"--hypothesis-seed={seed}",
        "--timeout=0",
        *(
            sys.argv[2:]
            or [
                "tests/review/test_model.py",
                "tests/docformat",
                "tests/traceability",
                # Issue 11's table at full size (SIGNOFF_PROOF=1): docs/design.md §11-12.
                "tests/proof",
                "tests/security/test_access_control.py",
                "tests/e2e/test_robustness.py",
            ]
        ),
    ]
    env = os.environ | {
        "SIGNOFF_MODEL_EXAMPLES": os.environ.get("SIGNOFF_MODEL_EXAMPLES", "200"),
        "SIGNOFF_PROOF": "1",
    }
    env.pop("SIGNOFF_TEST_DATABASE_URL", None)
    say("proof on SQLite")
    run(*pytest, env=env)
    say("proof on PostgreSQL")
    url = os.environ.get("SIGNOFF_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    run(*pytest, env=env | {"SIGNOFF_TEST_DATABASE_URL": url})


def trace() -> None:
    """Signoff's traceability over its own design document, with the last test reports."""
    setup()
    reports = [BUILD / "junit-postgresql.xml", BUILD / "junit-sqlite.xml"]
    found = [r for r in reports if r.exists()]
    if not found:
        sys.exit("no test report in build/: run `python3 scripts/dev.py test` first")
    newest = max(found, key=lambda r: r.stat().st_mtime)
    run(BIN / "python", ROOT / "scripts" / "traceability.py", newest)


def check() -> None:
    setup()
    for tool in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports"],
        ["hadolint", "Dockerfile"],
    ):
        say(" ".join(tool))
        run(BIN / tool[0], *tool[1:])


def lock() -> None:
    if not (BIN / "python").exists():
        sys.exit("no virtualenv to pin from: run `python3 scripts/dev.py setup` first")
    frozen = subprocess.run(
        [
            BIN / "python",
            "-m",
            "pip",
            "freeze",
            "--exclude-editable",
            "--disable-pip-version-check",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = sorted(
        (line for line in frozen.splitlines() if line and not line.startswith(("-e", "#"))),
        key=str.lower,
    )
    runtime = set(
        subprocess.run(
            [BIN / "python", "-c", RUNTIME_CLOSURE], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    needed = [p for p in pins if _canonical(p.split("==")[0]) in runtime]
    rest = [p for p in pins if p not in needed]
    header = "# Pinned by `python3 scripts/dev.py lock`; used as pip constraints everywhere.\n"
    (ROOT / "constraints.txt").write_text(
        header
        + "# What Signoff needs at run time (the container image installs only these).\n"
        + "\n".join(needed)
        + "\n"
    )
    (ROOT / "constraints-dev.txt").write_text(
        header
        + "# The development tools and test libraries, on top of constraints.txt.\n"
        + "\n".join(rest)
        + "\n"
    )
    STAMP.write_text(_fingerprint())
    say(f"constraints.txt: {len(needed)} pins; constraints-dev.txt: {len(rest)}")


def _canonical(name: str) -> str:
    return "".join("-" if c in "_." else c for c in name.lower())


# Run in the virtualenv: the names of every distribution signoff needs without its extras.
RUNTIME_CLOSURE = """
import importlib.metadata as md
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
seen, todo = set(), [(canonicalize_name("signoff"), ("",))]
while todo:
    name, extras = todo.pop()
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        continue  # a marker excluded it from this platform
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        key = canonicalize_name(req.name)
        wanted = ("", *sorted(req.extras))
        if (key, wanted) not in seen:
            seen.add((key, wanted))
            todo.append((key, wanted))
print(*sorted({k for k, _ in seen}), sep="\\n")
"""


COMMANDS = {
    "run": serve,
    "test": test,
    "check": check,
    "trace": trace,
    "proof": proof,
    "lock": lock,
    "setup": setup,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]]()
