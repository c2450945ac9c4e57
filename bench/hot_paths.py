"""The hot requests over real sockets, next to a bare ASGI app, in one run (issue 16).

For each backend (SQLite file; a fresh PostgreSQL database with ``--postgres``) the data is
loaded in-process with ``bench/documents.py``'s stack (sign-up, Signoff's own
``docs/design.md`` imported twice: one copy read, one edited; a corpus of small documents
for search), then ``signoff serve`` runs pinned to CPU 0 and wrk (one thread, 32
connections) pinned to CPU 1 drives each request for ``--seconds``:

* ``GET`` the document as JSON and as Markdown, and with a matching ``If-None-Match`` (304);
* ``GET .../documents?limit=50``; ``GET /health/live``;
* ``PUT`` of a section with ``If-Match``: a wrk Lua script carries each response's new
  ETag to the next request on that section (each section is in one request at a time);
* search for a common word at ``--base`` documents and again once the organization's
  section entries are copied up to ``--sections`` (100,000); search latency is wrk's p99
  (32 concurrent searches).

The bare ASGI app runs in the same run; every figure is also given as a share of it. The
server's RSS (all its processes) is read after the run; the 304 is measured again with
``--workers 2`` on both CPUs (wrk then shares CPU 1) against 1 worker. In-process (no
socket): import and Markdown export of a ~200 KB document, p50 of five.

    python bench/hot_paths.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/x]
                              [--seconds 8] [--base 100] [--sections 100000] [--out NAME]

Needs wrk and taskset (``apt-get install wrk``). Figures are comparable only within one
run: the machine is shared and noisy, read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import documents as docbench  # the loader and stack of bench/documents.py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
DESIGN = REPO / "docs" / "design.md"
COMMON_WORD = "service"
COPY_SQL = (
    "INSERT INTO search_entry (id, org_id, document_id, section_id, number, doc_title, "
    "title, body) SELECT NEW_ID, org_id, document_id, section_id, number, doc_title, title, "
    "body FROM search_entry WHERE org_id = :org AND section_id IS NOT NULL LIMIT :n"
)

# One client sends every request of the run: the per-caller request limits (design §10.5)
# would answer most of them 429, far faster than the request being measured.
NO_REQUEST_LIMITS = {
    f"SIGNOFF_REQUEST_LIMITS__{name}": "" for name in ("READS", "WRITES", "ORG_READS", "ORG_WRITES")
}

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

# wrk: each section is in at most one request at a time. Every answer names its section
# (a 200's body by its "id", a refusal's problem by its "instance", the request's path) and
# goes back on the queue with the ETag it carries: a 200 the new one, a 412 the current one
# (a re-read in the same round trip), a 409 or 503 none (the section did not change, the
# ETag sent stays right). Before, a refused section was never sent again, and once the
# queue ran dry a random pick could put one section in two requests at once: 412s and
# 409s that were the script's, not the server's.
PUT_LUA = """
local queue = {%(queue)s}
local etags = {%(etags)s}
local head, tail, round = 1, #queue, 0
local path, token = "%(path)s", "%(token)s"
statuses = {}  -- global: done() reads it from each thread
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      io.write(string.format("status %%d: %%d\\n", code, n))
    end
  end
end
request = function()
  local id
  if head <= tail then id = queue[head]; queue[head] = nil; head = head + 1
  else id = next(etags) end  -- never reached with more sections than connections
  round = round + 1
  local body = '{"body":"Edited by the benchmark, round ' .. round .. '."}'
  return wrk.format("PUT", path .. id, {["Authorization"] = token,
    ["Content-Type"] = "application/json", ["If-Match"] = etags[id]}, body)
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local id
  if status == 200 then id = string.match(body, '"id":"([^"]+)"')
  else id = string.match(body, '"instance":"[^"]*/sections/([^"/]+)"') end
  if id then
    local etag = headers["ETag"] or headers["etag"]
    if etag and (status == 200 or status == 412) then etags[id] = etag end
    tail = tail + 1; queue[tail] = id
  end
end
"""


@dataclass
class Measure:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float = 0.0  # the server's CPU time per request (user + system, all processes)


@dataclass
class Seeded:
    url: str
    backend: str
    slug: str
    token: str
    read_key: str
    edit_key: str
    sections: dict[str, str]  # section id -> its ETag
    org_id: Any = None
    entries: int = 0
    documents: int = 0
    inprocess: list[tuple[str, float]] = field(default_factory=list)
    costs: list[tuple[str, float, float, float]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(
    url: str,
    seconds: int,
    connections: int,
    *,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[float, float, float, int]:
    command = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    LAST_REQUESTS[0] = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    # The PUT script tallies its answers by status: a row with errors says which.
    LAST_STATUSES[0] = ", ".join(
        f"{n}× {code}" for code, n in re.findall(r"status (\d+): (\d+)", output)
    )
    return rps, _latency(output, "50%"), _latency(output, "99%"), wrk_errors(output)


def wrk_errors(output: str) -> int:
    """Answers outside 2xx/3xx and socket errors of every kind (connect, read, write,
    timeout): a row with any is not a figure (a 429 is answered far faster than a read)."""
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return errors


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


LAST_REQUESTS = [0]  # requests wrk completed in its last run
LAST_STATUSES = [""]  # the answers by status of wrk's last run, when its script counts them


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and all its descendants."""
    total = 0.0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pending += [int(p) for p in children.stdout.split()]
    return total


def timed_wrk(
    server: Server, name: str, url: str, seconds: int, connections: int, **kw: Any
) -> Measure:
    """wrk against ``server``: throughput, latency and the server's CPU per request."""
    before = cpu_seconds(server.process.pid)
    rps, p50, p99, errors = wrk(url, seconds, connections, **kw)
    used = cpu_seconds(server.process.pid) - before
    if errors and LAST_STATUSES[0]:
        name = f"{name} (answers: {LAST_STATUSES[0]})"
    return Measure(name, rps, p50, p99, errors, used * 1000 / max(1, LAST_REQUESTS[0]))


class Server:
    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, cpus: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            ["taskset", "-c", cpus, *command, "--port", str(self.port)],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(cwd / "server.log", "ab"),  # noqa: SIM115 (closed with the process)
            start_new_session=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {(cwd / 'server.log').read_text()[-2000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> list[float]:
        """RSS of the server's worker processes (the uvicorn supervisor too with workers)."""
        pids = [self.process.pid]
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        pids += [int(p) for p in found]
        sizes = []
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match and "python" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(
                errors="replace"
            ):
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def signoff_server(seeded: Seeded, workdir: Path, *, workers: int, cpus: str) -> Server:
    env = (
        os.environ
        | {
            "SIGNOFF_ENV": "development",
            "SIGNOFF_DATABASE__URL": seeded.url,
            "SIGNOFF_LOG__LEVEL": "INFO",
            "SIGNOFF_LOG__FORMAT": "json",
        }
        | NO_REQUEST_LIMITS
    )
    command = [
        sys.executable,
        "-m",
        "signoff",
        "serve",
        "--no-migrate",
        "--host",
        "127.0.0.1",
        "--workers",
        str(workers),
    ]
    return Server(command, env, workdir, cpus)


def bare_server(workdir: Path) -> Server:
    (workdir / "bare_asgi.py").write_text(BARE_ASGI)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_asgi:app",
        "--host",
        "127.0.0.1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(command, os.environ | {"PYTHONPATH": str(workdir)}, workdir, "0")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Loading (in-process, through the API)


async def seed(url: str, base: int, *, quick: bool = False) -> Seeded:
    async with docbench.stack(url) as bench:
        owner = await docbench.sign_up(bench)
        markdown = DESIGN.read_bytes()
        keys = []
        for _ in range(2):
            response, _ = await bench.request(
                "POST",
                owner.url("/documents"),
                expect=201,
                content=markdown,
                headers=owner.headers | docbench.MARKDOWN,
            )
            keys.append(response.json()["key"])
        listed, _ = await bench.request(
            "GET", owner.url(f"/documents/{keys[1]}/sections"), headers=owner.headers
        )
        sections: dict[str, str] = {}
        for item in listed.json():
            if item.get("level", 2) < 2:
                continue
            got, _ = await bench.request(
                "GET",
                owner.url(f"/documents/{keys[1]}/sections/{item['id']}"),
                headers=owner.headers,
            )
            sections[item["id"]] = got.headers["etag"]
        loader = docbench.Loader(bench, owner)
        corpus = docbench.Corpus()
        progress(f"loading {base} documents")
        await loader.load(iter(corpus.document(i) for i in range(base)), base, batch=10)
        seeded = Seeded(
            url,
            bench.backend,
            owner.slug,
            f"Bearer {owner.token}",
            keys[0],
            keys[1],
            sections,
            await loader.org_id(),
        )
        await count(bench, seeded)
        if not quick:
            seeded.inprocess = await import_export(bench, owner)
            seeded.costs = await cpu_costs(bench, seeded)
        return seeded


async def grow(seeded: Seeded, sections: int) -> None:
    """Copy the organization's section entries (new ids, same documents) until it has
    ``sections`` of them: what a search scans and ranks, without importing ~1,100 more
    documents through the API on a shared machine (``--base`` documents are imported)."""
    async with docbench.stack(seeded.url) as bench:
        postgres = bench.backend == "postgresql"
        new_id = "gen_random_uuid()" if postgres else "lower(hex(randomblob(16)))"
        org = {"org": seeded.org_id if postgres else seeded.org_id.hex}
        progress(f"copying section entries up to {sections}")
        while seeded.entries < sections:
            want = min(seeded.entries, sections - seeded.entries)
            async with bench.db.session() as session:
                await session.execute(
                    text(COPY_SQL.replace("NEW_ID", new_id)),
                    org | {"n": want},
                )
                await session.commit()
            await count(bench, seeded)
        if postgres:
            async with bench.db.primary_connection() as conn:
                await conn.execute(text("ANALYZE search_entry"))
                await conn.commit()


async def count(bench: docbench.Stack, seeded: Seeded) -> None:
    async with bench.db.session(read_only=True) as session:
        org = {"org": seeded.org_id if bench.backend == "postgresql" else seeded.org_id.hex}
        seeded.entries = int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM search_entry "
                    "WHERE org_id = :org AND section_id IS NOT NULL"
                ),
                org,
            )
            or 0
        )
        seeded.documents = int(
            await session.scalar(text("SELECT count(*) FROM document WHERE org_id = :org"), org)
            or 0
        )


async def cpu_costs(
    bench: docbench.Stack, seeded: Seeded, repeat: int = 40
) -> list[tuple[str, float, float, float]]:
    """In-process, one request at a time through ``httpx.ASGITransport``: the CPU time of
    this process per request (client and server together; ``time.process_time``, which
    other processes on a busy machine do not inflate the way they inflate req/s), the wall
    time, and the SQL statements. The bare ASGI app through the same client is the floor."""
    auth = {"Authorization": seeded.token}
    org = f"/v1/orgs/{seeded.slug}"
    doc = f"{org}/documents/{seeded.read_key}"
    etag = (await bench.request("GET", doc, headers=auth))[0].headers["etag"]
    ids = list(seeded.sections)
    state = {"n": 0}

    async def put() -> None:
        section = ids[state["n"] % len(ids)]
        state["n"] += 1
        url = f"{org}/documents/{seeded.edit_key}/sections/{section}"
        got, _ = await bench.request(
            "PUT",
            url,
            json={"body": f"Edited in-process, round {state['n']}."},
            headers=auth | {"If-Match": seeded.sections[section]},
        )
        seeded.sections[section] = got.headers["etag"]

    namespace: dict[str, Any] = {}
    exec(BARE_ASGI, namespace)  # noqa: S102 (our own constant)
    bare = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=namespace["app"]), base_url="http://bare"
    )

    async def bare_get() -> None:
        await bare.get("/")

    def get(url: str, expect: int = 200, **headers: str) -> Any:
        async def call() -> None:
            await bench.request("GET", url, expect=expect, headers=auth | headers)

        return call

    cases = [
        ("bare ASGI (same client)", bare_get),
        ("GET /health/live", get("/health/live")),
        ("GET document, JSON", get(doc, Accept="application/json")),
        ("GET document, Markdown", get(doc, Accept="text/markdown")),
        ("GET document → 304", get(doc, 304, **{"If-None-Match": etag})),
        ("GET documents?limit=50", get(f"{org}/documents?limit=50")),
        ("PUT section with If-Match", put),
        (f"search '{COMMON_WORD}'", get(f"{org}/search?q={COMMON_WORD}")),
    ]
    costs = []
    for name, call in cases:
        for _ in range(3):
            await call()
        before_sql = bench.statements
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            await call()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sql = (bench.statements - before_sql) / repeat
        costs.append((name, cpu * 1000 / repeat, wall * 1000 / repeat, sql))
        progress(f"in-process {name}: {cpu * 1000 / repeat:.2f} ms CPU, {sql:.1f} SQL")
    await bare.aclose()
    return costs


async def import_export(bench: docbench.Stack, owner: docbench.Owner) -> list[tuple[str, float]]:
    """In-process p50 of five: import of a ~200 KB document, and its Markdown export."""
    markdown = docbench.large_document().encode()
    imports, exports = [], []
    for _ in range(5):
        start = time.perf_counter()
        response, _ = await bench.request(
            "POST",
            owner.url("/documents"),
            expect=201,
            content=markdown,
            headers=owner.headers | docbench.MARKDOWN,
        )
        imports.append(time.perf_counter() - start)
        key = response.json()["key"]
        start = time.perf_counter()
        await bench.request(
            "GET",
            owner.url(f"/documents/{key}"),
            headers=owner.headers | {"Accept": "text/markdown"},
        )
        exports.append(time.perf_counter() - start)
    kib = len(markdown) // 1024
    return [
        (f"import {kib} KB Markdown, p50 ms", statistics.median(imports) * 1000),
        (
            f"export {kib} KB as Markdown (first, renders), p50 ms",
            statistics.median(exports) * 1000,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# The run


def hot_requests(
    seeded: Seeded, server: Server, workdir: Path, seconds: int, connections: int
) -> list[Measure]:
    auth = {"Authorization": seeded.token}
    doc = f"{server.base}/v1/orgs/{seeded.slug}/documents/{seeded.read_key}"
    etag = httpx.get(doc, headers=auth, timeout=60).headers["etag"]
    put_script = workdir / "put.lua"
    ids = list(seeded.sections)
    put_script.write_text(
        PUT_LUA
        % {
            "queue": ", ".join(f'"{i}"' for i in ids),
            "etags": ", ".join(f'["{i}"] = {json.dumps(e)}' for i, e in seeded.sections.items()),
            "path": f"/v1/orgs/{seeded.slug}/documents/{seeded.edit_key}/sections/",
            "token": seeded.token,
        }
    )
    runs: list[tuple[str, str, dict[str, str], Path | None]] = [
        ("GET /health/live", f"{server.base}/health/live", {}, None),
        ("GET document, JSON", doc, auth | {"Accept": "application/json"}, None),
        ("GET document, Markdown", doc, auth | {"Accept": "text/markdown"}, None),
        ("GET document, If-None-Match → 304", doc, auth | {"If-None-Match": etag}, None),
        (
            "GET documents?limit=50",
            f"{server.base}/v1/orgs/{seeded.slug}/documents?limit=50",
            auth,
            None,
        ),
        ("PUT section with If-Match", server.base, {}, put_script),
        (
            f"search '{COMMON_WORD}' at {seeded.documents} documents ({seeded.entries:,} sections)",
            f"{server.base}/v1/orgs/{seeded.slug}/search?q={COMMON_WORD}",
            auth,
            None,
        ),
    ]
    measured = []
    for name, url, headers, script in runs:
        if script is None:
            expect_status(url, headers, 304 if "If-None-Match" in headers else 200)
        wrk(url, 1, connections, script=script, headers=headers)  # warm-up
        if script is not None:  # the warm-up moved the ETags on
            server_sections(seeded, server)
            put_script.write_text(
                PUT_LUA
                % {
                    "queue": ", ".join(f'"{i}"' for i in ids),
                    "etags": ", ".join(
                        f'["{i}"] = {json.dumps(e)}' for i, e in seeded.sections.items()
                    ),
                    "path": f"/v1/orgs/{seeded.slug}/documents/{seeded.edit_key}/sections/",
                    "token": seeded.token,
                }
            )
        m = timed_wrk(server, name, url, seconds, connections, script=script, headers=headers)
        measured.append(m)
        progress(f"{name}: {m.rps:,.0f} req/s, {m.cpu_ms:.2f} ms CPU, p99 {m.p99_ms:.1f} ms")
    return measured


def expect_status(url: str, headers: dict[str, str], status: int) -> None:
    """One request before wrk's: a route that answers something else (401, 429, 404) would
    be measured as a figure it is not."""
    got = httpx.get(url, headers=headers, timeout=60)
    if got.status_code != status:
        raise SystemExit(f"GET {url}: {got.status_code}, not {status}: {got.text[:300]}")


def server_sections(seeded: Seeded, server: Server) -> None:
    """The sections' ETags once the server is done with what the warm-up left queued: PUTs
    wrk abandoned are still applied for seconds after it exits, and ETags read meanwhile
    would be refused (412) in the measured run. Read until two reads agree."""
    base = f"{server.base}/v1/orgs/{seeded.slug}/documents/{seeded.edit_key}/sections/"
    with httpx.Client(headers={"Authorization": seeded.token}, timeout=60) as client:
        previous: dict[str, str] = {}
        for _ in range(30):
            for section in seeded.sections:
                got = client.get(base + section)
                if got.status_code == 200:
                    seeded.sections[section] = got.headers["etag"]
            if seeded.sections == previous:
                return
            previous = dict(seeded.sections)
            time.sleep(2)


def search_only(seeded: Seeded, server: Server, seconds: int, connections: int) -> Measure:
    url = f"{server.base}/v1/orgs/{seeded.slug}/search?q={COMMON_WORD}"
    auth = {"Authorization": seeded.token}
    wrk(url, 1, connections, headers=auth)
    name = f"search '{COMMON_WORD}' at {seeded.entries:,} sections (copied entries)"
    m = timed_wrk(server, name, url, seconds, connections, headers=auth)
    progress(f"{name}: p99 {m.p99_ms:.1f} ms")
    return m


def measure_one_worker(
    seeded: Seeded, args: argparse.Namespace, workdir: Path
) -> tuple[Measure, list[Measure], list[float]]:
    """The bare ASGI app, then each hot request against one Signoff worker, in one run."""
    bare = bare_server(workdir)
    try:
        wrk(bare.base + "/", 1, args.connections)
        bare_measure = timed_wrk(bare, "bare ASGI", bare.base + "/", args.seconds, args.connections)
        progress(f"bare ASGI: {bare_measure.rps:,.0f} req/s, {bare_measure.cpu_ms:.3f} ms CPU")
    finally:
        bare.stop()
    server = signoff_server(seeded, workdir, workers=1, cpus="0")
    try:
        hot = hot_requests(seeded, server, workdir, args.seconds, args.connections)
        rss_one = server.rss_mib()
    finally:
        server.stop()
    return bare_measure, hot, rss_one


@dataclass
class BackendResult:
    backend: str
    bare: Measure
    hot: list[Measure]
    search_big: Measure
    two_workers: Measure
    rss_one: list[float]
    rss_two: list[float]
    inprocess: list[tuple[str, float]]
    costs: list[tuple[str, float, float, float]] = field(default_factory=list)


async def run_backend(url: str, args: argparse.Namespace, workdir: Path) -> BackendResult:
    seeded = await seed(url, args.base, quick=args.quick)
    progress(f"{seeded.backend}: {seeded.documents} documents, {seeded.entries} sections")
    if args.inprocess_only:
        none = Measure("not measured (--inprocess-only)", 0, 0, 0, 0)
        await grow(seeded, args.sections)
        async with docbench.stack(seeded.url) as bench:
            search = f"/v1/orgs/{seeded.slug}/search?q={COMMON_WORD}"
            timing, sql, _ = await bench.timed(
                "GET", search, 30, headers={"Authorization": seeded.token}
            )
        name = (
            f"search '{COMMON_WORD}' at {seeded.entries:,} sections, p99 {timing.pct(0.99):.1f} ms"
        )
        seeded.costs.append((name, 0.0, timing.mean, sql))
        progress(name)
        return BackendResult(
            seeded.backend, none, [], none, none, [], [], seeded.inprocess, seeded.costs
        )
    if args.quick:
        # the server figures only: no second server with 2 workers, no 100k search
        skipped = Measure("not measured (--quick)", 0, 0, 0, 0)
        bare_measure, hot, rss_one = measure_one_worker(seeded, args, workdir)
        return BackendResult(
            seeded.backend, bare_measure, hot, skipped, skipped, rss_one, [], [], []
        )
    bare_measure, hot, rss_one = measure_one_worker(seeded, args, workdir)
    server = signoff_server(seeded, workdir, workers=2, cpus="0,1")
    try:
        doc = f"{server.base}/v1/orgs/{seeded.slug}/documents/{seeded.read_key}"
        auth = {"Authorization": seeded.token}
        etag = httpx.get(doc, headers=auth, timeout=60).headers["etag"]  # noqa: ASYNC210 (nothing else runs)
        headers = auth | {"If-None-Match": etag}
        wrk(doc, 1, args.connections, headers=headers)
        two = timed_wrk(
            server,
            "GET document → 304, 2 workers on CPUs 0-1",
            doc,
            args.seconds,
            args.connections,
            headers=headers,
        )
        progress(f"2 workers: {two.rps:,.0f} req/s")
        rss_two = server.rss_mib()
    finally:
        server.stop()
    await grow(seeded, args.sections)
    server = signoff_server(seeded, workdir, workers=1, cpus="0")
    try:
        big = search_only(seeded, server, args.seconds, args.connections)
    finally:
        server.stop()
    return BackendResult(
        seeded.backend,
        bare_measure,
        hot,
        big,
        two,
        rss_one,
        rss_two,
        seeded.inprocess,
        seeded.costs,
    )


def report(results: list[BackendResult], args: argparse.Namespace, label: str) -> str:
    lines = [
        f"## {label} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"wrk -t1 -c{args.connections} -d{args.seconds}s on CPU 1; `signoff serve` "
        f"(1 worker) on CPU 0; load average {os.getloadavg()[0]:.1f} at the end. "
        "*vs bare (CPU)* is the bare app's server CPU per request over this request's: what "
        "the req/s ratio is when the server has its core to itself, and much steadier than "
        "req/s on a shared machine.",
        "",
    ]
    for r in results:
        base = r.bare
        lines += [
            f"### {r.backend}",
            "",
            "| Request | req/s | vs bare (req/s) | CPU ms/req | vs bare (CPU) | p50 ms | p99 ms "
            "| errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        one_304 = next((m.rps for m in r.hot if "304" in m.name), 0.0)
        measured = [r.bare, *r.hot, r.search_big, r.two_workers]
        for m in [m for m in measured if not m.name.startswith("not measured")]:
            share = base.cpu_ms / m.cpu_ms if m.cpu_ms else 0.0
            if m.errors:  # not a figure: say so where the ratio would be read
                ratios = f"**{m.errors} errors: not a figure** | — | — | — "
            else:
                ratios = f"{m.rps / max(base.rps, 1e-9):.3f} | {m.cpu_ms:.3f} | {share:.3f} "
            lines.append(
                f"| {m.name} | {m.rps:,.0f} | {ratios}| {m.p50_ms:.2f} | {m.p99_ms:.2f} "
                f"| {m.errors} |"
            )
        rss_one = ", ".join(f"{x:.0f}" for x in r.rss_one)
        rss_two = ", ".join(f"{x:.0f}" for x in r.rss_two)
        lines.append("")
        if r.two_workers.rps:
            lines.append(
                f"- 2 workers / 1 worker on the 304: {r.two_workers.rps / max(one_304, 1e-9):.2f}x"
            )
        lines.append(
            f"- RSS after the run (MiB; server, then its children): 1 worker: {rss_one}; "
            f"2 workers: {rss_two or 'not measured'}"
        )
        lines += [f"- in-process {name}: {value:.1f}" for name, value in r.inprocess]
        if not r.costs:
            continue
        lines += [
            "",
            "In-process, sequential (client + server CPU of one process per request):",
            "",
            "| Request | CPU ms/req | wall ms/req | SQL statements/req |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| {n} | {c:.2f} | {w:.2f} | {q:.1f} |" for n, c, w, q in r.costs]
        lines.append("")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> str:
    results = []
    with tempfile.TemporaryDirectory(prefix="signoff-hot-") as tmp:
        workdir = Path(tmp)
        for postgres in [None, args.postgres] if args.postgres else [None]:
            async with docbench.database_url(postgres) as url:
                results.append(await run_backend(url, args, workdir))
            print(report(results[-1:], args, args.label), file=sys.stderr, flush=True)
    return report(results, args, args.label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (also runs SQLite first)")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--base", type=int, default=100)
    parser.add_argument("--sections", type=int, default=100_000)
    parser.add_argument("--label", default="Run")
    parser.add_argument(
        "--inprocess-only",
        action="store_true",
        help="only the in-process figures (no servers, no wrk)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="bare ASGI and the hot requests against one worker only (no in-process figures, "
        "no 2 workers, no search at --sections)",
    )
    parser.add_argument("--out", help="append the section to bench/results/<out>")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed: apt-get install {tool}")
    section = asyncio.run(main_async(args))
    print(section)
    if args.out:
        RESULTS.mkdir(exist_ok=True)
        with (RESULTS / args.out).open("a") as f:
            f.write(section + "\n")
    if "not a figure" in section:
        sys.exit("some rows had errors (non-2xx/3xx answers or socket errors): see the table")


if __name__ == "__main__":
    main()
