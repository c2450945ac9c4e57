"""Server time of each page of the web UI, warm, on Signoff's own design document.

The app is ``create_app(settings)`` as ``signoff serve`` builds it, driven in-process through
``httpx.ASGITransport``: what is timed is the server's work for one page (routing, session,
services, rendering), without a network or a browser. The large document is
``docs/design.md`` (~120 KB), imported through the API; one section is edited so that the
diff has two revisions. Each page is fetched once to warm the caches (render cache, CPU
pool, templates), then ``--repeat`` times; the table gives the median and the 95th
percentile. The bar (docs/shared ui.md): the reader of a large document under 50 ms warm.

    .venv/bin/python bench/web.py [--repeat 30] [--postgres URL] [--no-save]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.app import create_app
from signoff.core.config import (
    AuthSettings,
    DatabaseSettings,
    Environment,
    ServerSettings,
    Settings,
    WorkerSettings,
)
from signoff.core.db import Database
from signoff.core.logging import configure_logging
from signoff.core.services import Services
from signoff.migrations.runner import upgrade_on

HERE = Path(__file__).resolve().parent
DESIGN = HERE.parent / "docs" / "design.md"
RESULTS = HERE / "results" / "web.md"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a bench account
BAR_MS = 50.0


async def _person(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    body = {
        "email": f"{slug}@example.com",
        "password": PASSWORD,
        "name": "Bench",
        "org_name": "Bench",
        "org_slug": slug,
    }
    assert (await client.post("/v1/auth/signup", json=body)).status_code == 202
    form = {"grant_type": "password", "username": body["email"], "password": PASSWORD}
    token = (await client.post("/v1/auth/token", data=form)).json()["access_token"]
    page = await client.get("/ui/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    signed = await client.post(
        "/ui/sign-in",
        data={"csrf_token": csrf.group(1), "email": body["email"], "password": PASSWORD},
    )
    assert signed.status_code == 303, signed.text
    return slug, {"Authorization": f"Bearer {token}"}


async def _document(client: httpx.AsyncClient, org: str, auth: dict[str, str]) -> str:
    created = await client.post(
        f"/v1/orgs/{org}/documents",
        content=DESIGN.read_bytes(),
        headers=auth | {"Content-Type": "text/markdown"},
    )
    assert created.status_code == 201, created.text[:500]
    key: str = created.json()["key"]
    url = f"/v1/orgs/{org}/documents/{key}/sections/2.1"
    section = await client.get(url, headers=auth)
    edited = await client.put(
        url,
        json={"body": section.json()["body"] + "\nOne more sentence.\n"},
        headers=auth | {"If-Match": section.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    return key


async def _time(client: httpx.AsyncClient, path: str, repeat: int) -> tuple[float, float]:
    first = await client.get(path)
    assert first.status_code == 200, (path, first.status_code, first.text[-500:])
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


async def run(url: str, repeat: int) -> list[tuple[str, float, float]]:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database=DatabaseSettings(url=url, pool_size=5, max_overflow=5),
        auth=AuthSettings(access_token_ttl_s=3600),
        worker=WorkerSettings(in_process=False),
        # Importing the large document on a busy shared machine can pass the 30 s default.
        server=ServerSettings(request_timeout_s=300),
    )
    app = create_app(settings)
    db: Database = Services.of(app).db
    assert isinstance(db.primary, AsyncEngine)
    async with db.primary.begin() as conn:
        await conn.run_sync(upgrade_on)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://signoff.bench") as client,
    ):
        org, auth = await _person(client)
        key = await _document(client, org, auth)
        doc = f"/ui/orgs/{org}/documents/{key}"
        pages = [
            ("inbox", f"/ui/orgs/{org}/inbox"),
            ("documents", f"/ui/orgs/{org}/documents"),
            ("search", f"/ui/orgs/{org}/documents?q=session"),
            ("reader (design.md, head)", doc),
            ("reader (design.md, revision 1)", f"{doc}?revision=1"),
            ("diff (revision 1 → 2)", f"{doc}/diff?from=1&to=2"),
            ("review", f"{doc}/review"),
            ("edit §2.1", f"{doc}/sections/2.1/edit"),
            ("sign-in", "/ui/sign-in"),
        ]
        return [(name, *await _time(client, path, repeat)) for name, path in pages]


def report(rows: list[tuple[str, float, float]], backend: str, repeat: int) -> str:
    lines = [
        f"## {backend} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"In-process (httpx.ASGITransport) on create_app(); warm: each page once, then {repeat} "
        f"times. Document: docs/design.md ({DESIGN.stat().st_size // 1024} KB). Bar: the "
        f"reader under {BAR_MS:.0f} ms. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared: read the figures as such).",
        "",
        "| Page | median ms | p95 ms |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {median:.1f} | {p95:.1f} |" for name, median, p95 in rows]
    return "\n".join(lines) + "\n"


async def _postgres_database(server: str) -> tuple[str, str]:
    name = f"signoff_bench_{uuid.uuid4().hex[:12]}"
    base = make_url(server)
    admin = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False), name


async def _drop(server: str, name: str) -> None:
    base = make_url(server).set(drivername="postgresql")
    admin = await asyncpg.connect(base.render_as_string(False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; default: a SQLite file")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING", "json")
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            url, name = asyncio.run(_postgres_database(args.postgres))
            try:
                rows = asyncio.run(run(url, args.repeat))
            finally:
                asyncio.run(_drop(args.postgres, name))
            backend = "PostgreSQL"
        else:
            rows = asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.repeat))
            backend = "SQLite"
    text = report(rows, backend, args.repeat)
    print(text)
    if not args.no_save:
        previous = RESULTS.read_text() if RESULTS.exists() else "# Web UI: server time per page\n"
        kept = re.sub(rf"\n## {backend} \(.*?(?=\n## |\Z)", "", previous, flags=re.S)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(kept.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    os.environ.setdefault("SIGNOFF_LOG__LEVEL", "WARNING")
    main()
