"""What the HTTP stack costs: Signoff's routes next to a bare ASGI app, in one run.

Each server runs alone, pinned to CPU 0 with one uvicorn worker (uvloop, httptools, no access
log) exactly as ``signoff serve`` configures it; wrk runs pinned to CPU 1. Figures are only
comparable within one run: the machine is shared and noisy, so read the ratios.

    python bench/http_stack.py [--seconds 10] [--connections 32]

Needs wrk (``apt-get install wrk``) and taskset (util-linux).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

BARE_ASGI = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b'{"status":"pass","checks":{}}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""

BARE_FASTAPI = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/health/live")
async def live() -> dict[str, object]:
    return {"status": "pass", "checks": {}}
"""


@dataclass
class Target:
    name: str
    app: str
    path: str
    factory: bool = False


@dataclass
class Result:
    target: Target
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def start_server(target: Target, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    command = [
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "uvicorn",
        target.app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if target.factory:
        command.append("--factory")
    env = os.environ | {
        "PYTHONPATH": str(workdir),
        "SIGNOFF_DATABASE__URL": f"sqlite+aiosqlite:///{workdir}/bench.db",
        # As in production: one JSON access-log line per request, shipped elsewhere.
        "SIGNOFF_LOG__LEVEL": "INFO",
        "SIGNOFF_LOG__FORMAT": "json",
    }
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{target.path}", timeout=1).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target.name} did not start")


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float, int]:
    output = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _latency(output, "50%")
    p99 = _latency(output, "99%")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    return rps, p50, p99, errors


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def measure(target: Target, seconds: int, connections: int, workdir: Path) -> Result:
    port = 18000 + abs(hash(target.name)) % 1000
    process = start_server(target, port, workdir)
    try:
        url = f"http://127.0.0.1:{port}{target.path}"
        wrk(url, 2, connections)  # warm-up: imports, caches, pool
        rps, p50, p99, errors = wrk(url, seconds, connections)
        return Result(target, rps, p50, p99, errors)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed: apt-get install {tool}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bare_asgi.py").write_text(BARE_ASGI)
        (workdir / "bare_fastapi.py").write_text(BARE_FASTAPI)
        subprocess.run(
            [sys.executable, "-m", "signoff", "db", "upgrade"],
            cwd=workdir,
            check=True,
            env=os.environ | {"SIGNOFF_DATABASE__URL": f"sqlite+aiosqlite:///{workdir}/bench.db"},
            capture_output=True,
        )
        targets = [
            Target("bare ASGI (baseline)", "bare_asgi:app", "/health/live"),
            Target("bare FastAPI, one route", "bare_fastapi:app", "/health/live"),
            Target(
                "Signoff GET /health/live",
                "signoff.app:app_from_environment",
                "/health/live",
                factory=True,
            ),
            Target(
                "Signoff GET /health/ready (DB)",
                "signoff.app:app_from_environment",
                "/health/ready",
                factory=True,
            ),
            Target(
                "Signoff 404 problem+json",
                "signoff.app:app_from_environment",
                "/v1/nothing",
                factory=True,
            ),
        ]
        results = [measure(t, args.seconds, args.connections, workdir) for t in targets]
    report(results, args)


def report(results: list[Result], args: argparse.Namespace) -> None:
    baseline = results[0].rps
    lines = [
        f"# HTTP stack benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"wrk -t1 -c{args.connections} -d{args.seconds}s on CPU 1; server: one uvicorn worker "
        "(uvloop, httptools) on CPU 0; Signoff logs one JSON access line per request.",
        "",
        "| Target | req/s | vs bare ASGI | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.target.name} | {r.rps:,.0f} | {r.rps / baseline:.2f}x | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.errors} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "http_stack.md").write_text(text)


if __name__ == "__main__":
    main()
