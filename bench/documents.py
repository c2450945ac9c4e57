"""What documents cost: import, export, GET and search through the real stack, in one run.

The app is ``create_app(settings)`` exactly as ``signoff serve`` builds it (middleware, auth,
one transaction per request, the render cache, JSON access logs formatted and sent to
/dev/null), on a real database file (SQLite, WAL) or a fresh PostgreSQL database, driven
in-process through ``httpx.ASGITransport``. In-process rather than a uvicorn process because
what is measured here is milliseconds of per-request document work (SQL, rendering,
serialization, gzip), not the socket and HTTP parsing that ``http_stack.py`` already measures
and that add a roughly fixed few tens of microseconds per request; and because the loader of
the search corpus and the requests then share one engine, so the SQL statements each request
sends can be counted on it. The process is pinned to CPU 0, leaving CPU 1 to PostgreSQL.
Client-side httpx work (building the request, gunzipping the answer) is inside each figure;
``GET /health/live`` is reported as the floor of the stack.

What is measured:

* a large document (the filled fixture, every section grown with realistic paragraphs,
  lists and tables to ~200 KB): import (POST text/markdown), export as Markdown and HTML the
  first time (cold: rendered) and again (warm: the render cache), and GET as JSON; next to
  the pure docformat work on the same text (parse, match to the template, hash each section,
  render), the baseline of what the stack adds;
* GET of a normal document (the 33 KB filled fixture) as JSON, and the 304 path;
* search over 1,000 and then 10,000 documents of one organization (the 1k figure is the
  base of the 10k ratio) for a rare word, a common word, two words and a prefix; SQL
  statements per request are counted on the engine for every figure.

The 10,000 documents are not posted one by one (that takes too long): the bench adds one
route to the app, ``POST /v1/orgs/{org}/bench-import``, that takes a JSON list of Markdown
documents and imports each with the very dependencies of ``POST .../documents``
(``DocumentService.import_markdown``, its event recorder, audit listener and revision
listeners, built by FastAPI as for any request), committing once per batch of 100. So the
rows are what the API writes whatever the wiring becomes; a check at start-up imports one
text both ways and compares every row written to document, revision, section_version,
revision_section and search_entry (and the tsvector on PostgreSQL, FTS5's integrity-check
on SQLite). Searches are also made from a second organization with a few documents, to
show what one tenant's search costs while another holds the 10,000.

    python bench/documents.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/x]
                              [--docs 10000] [--base 1000] [--repeat 30]

Figures are only comparable within one run: the machine is shared and noisy, read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import math
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
from fastapi import FastAPI, Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.app import create_app
from signoff.core.config import (
    AuthSettings,
    DatabaseSettings,
    Environment,
    RequestLimitSettings,
    Settings,
    WorkerSettings,
)
from signoff.core.db import Database
from signoff.core.logging import configure_logging
from signoff.core.permissions import Action
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.docformat import (
    ParsedDocument,
    parse_document,
    render_html,
    render_markdown,
    section_hash,
)
from signoff.docformat import match_template as match_to_template
from signoff.documents.deps import Documents
from signoff.migrations.runner import upgrade_on
from signoff.orgs.deps import requires
from signoff.orgs.service import OrgAccess
from signoff.templates import service as templates

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
FIXTURE = REPO / "tests" / "docformat" / "fixtures" / "filled-document.md"
SEED = 20240611
LARGE_BYTES = 200 * 1024
PASSWORD = "correct horse battery staple"  # noqa: S105 (a throwaway user)
MARKDOWN = {"Content-Type": "text/markdown"}

# Search queries: (label, query). The rare word is put in every 500th document, so it
# matches ~2 documents in 1,000 and ~20 in 10,000; the others come from the corpus text.
RARE = "quillwort"
QUERIES = (
    ("rare word", RARE),
    ("common word", "service"),
    ("two words", "retry timeout"),
    ("prefix (last word)", "geoc"),
)


# ---------------------------------------------------------------------------------------------
# Statistics


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) * 1000


@dataclass
class Row:
    name: str
    timing: Timing
    sql: float | None = None  # statements per request
    size: int | None = None  # response (or input) bytes
    base: str | None = None  # the name of the row it is compared to
    note: str = ""


def timed_sync(fn: Callable[[], object], repeat: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    timing = Timing()
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timing.samples.append(time.perf_counter() - start)
    return timing


# ---------------------------------------------------------------------------------------------
# Content: the large document and the search corpus


def blocks(body: str) -> list[str]:
    """A section body split into its blocks (paragraphs, lists, tables, fenced code)."""
    found: list[str] = []
    current: list[str] = []
    fenced = False
    for line in body.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                found.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        found.append("\n".join(current))
    return found


def _kind(block: str) -> str:
    if block.startswith("|"):
        return "table"
    if block.startswith("```"):
        return "code"
    if re.match(r"^(- |\* |\d+\. )", block):
        return "list"
    return "paragraph"


def fixture() -> ParsedDocument:
    return parse_document(FIXTURE.read_text("utf-8"))


def large_document(target: int = LARGE_BYTES) -> str:
    """The filled fixture with every filled section grown by blocks of the fixture itself
    (paragraphs, lists, tables, code, in turn) until the Markdown reaches ``target`` bytes."""
    parsed = fixture()
    pool: dict[str, list[str]] = {}
    for section in parsed.sections:
        for block in blocks(section.body):
            pool.setdefault(_kind(block), []).append(block)
    kinds = ("paragraph", "list", "paragraph", "table", "paragraph", "code")
    control = dataclasses.replace(parsed.control, title=f"{parsed.control.title} (large)")
    sections = list(parsed.sections)
    turn = 0
    while True:
        for i, section in enumerate(sections):
            if not section.body.strip():
                continue  # a chapter heading whose content is in its subsections
            kind = kinds[turn % len(kinds)]
            block = pool[kind][(turn * 7 + i) % len(pool[kind])]
            sections[i] = dataclasses.replace(section, body=f"{section.body}\n\n{block}")
            turn += 1
            document = dataclasses.replace(parsed, control=control, sections=tuple(sections))
            if len(render_markdown(document).encode()) >= target:
                return render_markdown(document)


class Corpus:
    """Documents on the template, different in title and words, for search.

    Each document has the fixture's sections; about half of the leaf sections are filled
    (drafts in progress), with the fixture's own text for some and otherwise with fixture
    sentences plus words drawn from a Zipf distribution over the vocabulary of the repo's
    documentation, so that some words are in every document and most are in few.
    """

    def __init__(self, seed: int = SEED) -> None:
        parsed = fixture()
        self._parsed = parsed
        sentences: list[str] = []
        for section in parsed.sections:
            for block in blocks(section.body):
                if _kind(block) == "paragraph":
                    flat = " ".join(block.split())
                    sentences += [s.strip() for s in re.split(r"(?<=[.;])\s+", flat) if s.strip()]
        self._sentences = sentences
        sources = [FIXTURE, REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
        vocabulary = sorted(
            {w.lower() for f in sources for w in re.findall(r"[A-Za-z]{4,}", f.read_text("utf-8"))}
        )
        random.Random(seed).shuffle(vocabulary)
        vocabulary = [w for w in vocabulary if w != RARE]
        self._words = vocabulary
        self._weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
        syllables = ["kor", "val", "zen", "tri", "mos", "lin", "dra", "pel", "sor", "vex", "ta"]
        self._codenames = sorted({a + b + c for a in syllables for b in syllables for c in "aeio"})
        self._seed = seed

    def _sentence(self, rng: random.Random) -> str:
        words = rng.choices(self._words, weights=self._weights, k=rng.randint(8, 16))
        return " ".join(words).capitalize() + "."

    def document(self, i: int) -> str:
        rng = random.Random(self._seed * 1_000_003 + i)
        codename = self._codenames[i % len(self._codenames)].title()
        subject = rng.choice(self._words).title()
        kind = rng.choice(("API", "Service", "Gateway", "Pipeline", "Store", "Worker"))
        title = f"{codename} {subject} {kind} {i}"
        sections = []
        for section in self._parsed.sections:
            body = ""
            if section.body.strip() and rng.random() < 0.5:
                if rng.random() < 0.15:
                    body = section.body
                else:
                    chosen = rng.sample(self._sentences, rng.randint(1, 3))
                    body = " ".join([*chosen, self._sentence(rng)])
            sections.append(dataclasses.replace(section, body=body))
        if i % 500 == 7:
            sections[1] = dataclasses.replace(
                sections[1], body=f"{sections[1].body} The {RARE} rollout is tracked here."
            )
        sections[1] = dataclasses.replace(
            sections[1], body=f"{sections[1].body} {codename} owns this design.".strip()
        )
        control = dataclasses.replace(self._parsed.control, title=title, key=None, version=None)
        control = dataclasses.replace(control, status=None, last_updated=None)
        document = dataclasses.replace(self._parsed, control=control, sections=tuple(sections))
        return render_markdown(document)


# ---------------------------------------------------------------------------------------------
# The stack


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def database_url(postgres: str | None) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database made (and dropped) on ``postgres``."""
    if postgres is None:
        with tempfile.TemporaryDirectory(prefix="signoff-bench-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    name = f"signoff_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(postgres), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_dsn(postgres), timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@dataclass
class Stack:
    app: FastAPI
    client: httpx.AsyncClient
    engine: AsyncEngine
    backend: str
    statements: int = 0

    @property
    def db(self) -> Database:
        db: Database = Services.of(self.app).db
        return db

    async def request(
        self, method: str, url: str, *, expect: int = 200, **kwargs: Any
    ) -> tuple[httpx.Response, int]:
        """One request; the response and the SQL statements it sent."""
        before = self.statements
        response = await self.client.request(method, url, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:500]}")
        return response, self.statements - before

    async def timed(
        self, method: str, url: str, repeat: int, *, warmup: int = 2, **kwargs: Any
    ) -> tuple[Timing, float, int]:
        """``repeat`` requests after ``warmup``: the timing, SQL statements per request and
        the size of the (decoded) body."""
        for _ in range(warmup):
            await self.request(method, url, **kwargs)
        timing = Timing()
        sql = 0
        size = 0
        for _ in range(repeat):
            start = time.perf_counter()
            response, count = await self.request(method, url, **kwargs)
            timing.samples.append(time.perf_counter() - start)
            sql += count
            size = len(response.content)
        return timing, sql / repeat, size


def quiet_logs() -> Any:
    """As in production: one JSON access line per request, formatted and shipped elsewhere
    (here: /dev/null). Returns the file to close."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 (closed by the caller)
    configure_logging("INFO", "json", stream=devnull)
    return devnull


@contextlib.asynccontextmanager
async def stack(url: str) -> AsyncIterator[Stack]:
    database = DatabaseSettings(url=url, pool_size=5, max_overflow=5)
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database=database,
        auth=AuthSettings(access_token_ttl_s=3600),
        worker=WorkerSettings(in_process=False),
        # One caller sends everything: its request limits would refuse the loads.
        request_limits=RequestLimitSettings(reads="", writes="", org_reads="", org_writes=""),
    )
    devnull = quiet_logs()
    app = create_app(settings)
    add_bulk_route(app)
    db: Database = Services.of(app).db
    assert isinstance(db.primary, AsyncEngine)
    async with db.primary.begin() as conn:
        await conn.run_sync(upgrade_on)
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://signoff.bench", timeout=120)
    bench = Stack(app, client, db.primary, db.dialect)

    @event.listens_for(db.primary.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN; asyncpg's is not here
            bench.statements += 1

    try:
        async with app.router.lifespan_context(app), client:
            yield bench
    finally:
        devnull.close()


@dataclass
class Owner:
    slug: str
    user_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, suffix: str = "") -> str:
        return f"/v1/orgs/{self.slug}{suffix}"


async def sign_up(bench: Stack) -> Owner:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    await bench.request(
        "POST",
        "/v1/auth/signup",
        expect=202,
        json={
            "email": f"{name}@example.com",
            "password": PASSWORD,
            "name": "Bench Owner",
            "org_name": f"Org {name}",
            "org_slug": name,
        },
    )
    form = {"grant_type": "password", "username": f"{name}@example.com", "password": PASSWORD}
    tokens, _ = await bench.request("POST", "/v1/auth/token", data=form)
    token = tokens.json()["access_token"]
    me, _ = await bench.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
    return Owner(name, uuid.UUID(me.json()["user"]["id"]), token)


# ---------------------------------------------------------------------------------------------
# Loading many documents: a bench-only route on the request's own dependencies


BULK = "/orgs/{org}/bench-import"
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]


async def bulk_import(request: Request, access: Writer, documents: Documents) -> dict[str, int]:
    """A JSON list of Markdown documents, each imported exactly as ``POST .../documents``
    imports one (the same dependencies: DocumentService, event recorder and audit listener,
    revision listeners), all in the one transaction of this request."""
    texts = json.loads(await request.body())
    for markdown in texts:
        await documents.import_markdown(access, markdown)
    return {"imported": len(texts)}


def add_bulk_route(app: FastAPI) -> None:
    router = signoff_router(tags=["bench"])
    router.add_api_route(BULK, bulk_import, methods=["POST"])
    app.include_router(router, prefix="/v1")


class Loader:
    """Imports many documents through the bench-only bulk route: the request's own
    dependency graph, whatever it becomes, with one commit per batch instead of one per
    document."""

    def __init__(self, bench: Stack, owner: Owner) -> None:
        self._bench = bench
        self._owner = owner

    async def org_id(self) -> uuid.UUID:
        async with self._bench.db.session(read_only=True) as session:
            found = await session.scalar(
                text("SELECT id FROM organization WHERE slug = :slug"), {"slug": self._owner.slug}
            )
        return found if isinstance(found, uuid.UUID) else uuid.UUID(str(found))

    async def post(self, texts: list[str]) -> None:
        await self._bench.request(
            "POST",
            self._owner.url(BULK.removeprefix("/orgs/{org}")),
            json=texts,
            headers=self._owner.headers,
        )

    async def load(self, texts: Iterator[str], count: int, batch: int = 100) -> Timing:
        """Import ``count`` documents; the time per document of each batch (with its commit)."""
        per_document = Timing()
        done = 0
        while done < count:
            chunk = [next(texts) for _ in range(min(batch, count - done))]
            start = time.perf_counter()
            await self.post(chunk)
            per_document.samples.append((time.perf_counter() - start) / len(chunk))
            done += len(chunk)
        return per_document


# What must be identical between a document imported over HTTP and one imported by the
# loader: everything but ids, keys, timestamps and what is derived from the random ids.
FIDELITY = {
    "document": (
        "SELECT title, template_source, template_slug, template_version, status, version, "
        "head_revision, created_by, archived_at FROM document WHERE id = :id"
    ),
    "revision": (
        "SELECT number, version, status, title, authors, reviewers, preamble, control_extra, "
        "changes, created_by FROM revision WHERE document_id = :id ORDER BY number"
    ),
    "section_version": (
        "SELECT number, title, level, template_number, body, content_hash "
        "FROM section_version WHERE document_id = :id ORDER BY number, title"
    ),
    "revision_section": (
        "SELECT r.number, rs.position, sv.number, sv.content_hash FROM revision_section rs "
        "JOIN revision r ON r.id = rs.revision_id "
        "JOIN section_version sv ON sv.id = rs.section_version_id "
        "WHERE r.document_id = :id ORDER BY r.number, rs.position"
    ),
    "search_entry": (
        "SELECT org_id, number, doc_title, title, body FROM search_entry "
        "WHERE document_id = :id ORDER BY number, doc_title, title"
    ),
    "document_author": (
        "SELECT user_id, position FROM document_author WHERE document_id = :id ORDER BY position"
    ),
}
FIDELITY_POSTGRES = {
    "search_entry.tsv": (
        "SELECT number, tsv::text FROM search_entry WHERE document_id = :id "
        "ORDER BY number, doc_title, title"
    ),
}


async def check_fidelity(
    bench: Stack, owner: Owner, loader: Loader, markdown: str
) -> tuple[str, int]:
    """Import ``markdown`` over HTTP and through the loader; every row must match. The key of
    the document imported over HTTP, and how many rows were compared."""
    org_id = await loader.org_id()
    response, _ = await bench.request(
        "POST",
        owner.url("/documents"),
        expect=201,
        content=markdown.encode(),
        headers=owner.headers | MARKDOWN,
    )
    via_api = uuid.UUID(response.json()["id"])
    await loader.post([markdown])
    async with bench.db.session(read_only=True) as session:
        newest = await session.scalar(
            text("SELECT id FROM document WHERE org_id = :org ORDER BY number DESC LIMIT 1"),
            {"org": org_id if bench.backend == "postgresql" else org_id.hex},
        )
    via_loader = newest if isinstance(newest, uuid.UUID) else uuid.UUID(str(newest))
    queries = dict(FIDELITY)
    if bench.backend == "postgresql":
        queries |= FIDELITY_POSTGRES
    compared = 0
    async with bench.db.session() as session:
        for table, query in queries.items():
            rows = []
            for document_id in (via_api, via_loader):
                ident: object = document_id if bench.backend == "postgresql" else document_id.hex
                rows.append([tuple(r) for r in await session.execute(text(query), {"id": ident})])
            if rows[0] != rows[1] or not rows[0]:
                raise RuntimeError(f"loader and API wrote different {table} rows")
            compared += len(rows[0])
        if bench.backend == "sqlite":
            # The FTS5 index is kept by triggers on search_entry: it must match its content.
            await session.execute(
                text("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
            )
    return response.json()["key"], compared


# ---------------------------------------------------------------------------------------------
# Scenarios


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def normal_document(bench: Stack, owner: Owner, key: str, repeat: int) -> list[Row]:
    url = owner.url(f"/documents/{key}")
    floor, floor_sql, _ = await bench.timed("GET", "/health/live", repeat)
    got, sql, size = await bench.timed("GET", url, repeat, headers=owner.headers)
    etag = (await bench.request("GET", url, headers=owner.headers))[0].headers["etag"]
    headers = owner.headers | {"If-None-Match": etag}
    cached, cached_sql, _ = await bench.timed("GET", url, repeat, expect=304, headers=headers)
    floor_name = "GET /health/live (floor of the stack)"
    return [
        Row(floor_name, floor, floor_sql),
        Row("GET document, JSON (33 KB filled fixture)", got, sql, size, floor_name),
        Row("GET document, If-None-Match → 304", cached, cached_sql, 0, floor_name),
    ]


async def large_document_rows(bench: Stack, owner: Owner, repeat: int) -> tuple[list[Row], int]:
    markdown = large_document()
    size = len(markdown.encode())
    loaded = templates.builtin(templates.BUILTIN_SLUG)
    parsed = parse_document(markdown)
    matched = match_to_template(parsed, loaded.parsed)

    def import_work() -> ParsedDocument:
        return match_to_template(parse_document(markdown), loaded.parsed)

    def frozen_parse() -> Timing:
        """What `signoff serve` does once started: the objects alive then (modules, the
        app) leave the collector's generations, so full collections stop walking them."""
        gc.collect()
        gc.freeze()
        try:
            return timed_sync(lambda: parse_document(markdown), repeat)
        finally:
            gc.unfreeze()

    rows = [
        Row("docformat parse_document", timed_sync(lambda: parse_document(markdown), repeat)),
        Row(
            "docformat parse_document after gc.freeze()",
            frozen_parse(),
            base="docformat parse_document",
            note="as in `signoff serve`",
        ),
        Row(
            "docformat parse + match_template",
            timed_sync(lambda: match_to_template(parse_document(markdown), loaded.parsed), repeat),
        ),
        Row(
            "docformat parse + match + section_hash of each section",
            timed_sync(lambda: [section_hash(s) for s in import_work().sections], repeat),
            note="the format work of an import",
        ),
        Row("docformat render_markdown", timed_sync(lambda: render_markdown(matched), repeat)),
        Row("docformat render_html", timed_sync(lambda: render_html(matched), repeat)),
    ]
    imports = Timing()
    import_sql = 0
    keys: list[str] = []
    for _ in range(max(5, repeat // 3)):
        start = time.perf_counter()
        response, count = await bench.request(
            "POST",
            owner.url("/documents"),
            expect=201,
            content=markdown.encode(),
            headers=owner.headers | MARKDOWN,
        )
        imports.samples.append(time.perf_counter() - start)
        import_sql += count
        keys.append(response.json()["key"])
    rows.append(
        Row(
            "POST import (text/markdown)",
            imports,
            import_sql / len(keys),
            size,
            "docformat parse + match + section_hash of each section",
            "a new document each time",
        )
    )
    for fmt, accept, base in (
        ("Markdown", "text/markdown", "docformat render_markdown"),
        ("HTML", "text/html", "docformat render_html"),
    ):
        headers = owner.headers | {"Accept": accept}
        cold = Timing()
        cold_sql = 0
        cold_size = 0
        for key in keys:  # each document once: nothing of it is in the render cache yet
            start = time.perf_counter()
            response, count = await bench.request(
                "GET", owner.url(f"/documents/{key}"), headers=headers
            )
            cold.samples.append(time.perf_counter() - start)
            cold_sql += count
            cold_size = len(response.content)
        rows.append(
            Row(f"GET export {fmt}, cold (renders)", cold, cold_sql / len(keys), cold_size, base)
        )
        url = owner.url(f"/documents/{keys[0]}")
        warm, sql, warm_size = await bench.timed("GET", url, repeat, headers=headers)
        rows.append(Row(f"GET export {fmt}, warm (render cache)", warm, sql, warm_size, base))
        if fmt == "Markdown":
            plain = headers | {"Accept-Encoding": "identity"}
            warm, sql, warm_size = await bench.timed("GET", url, repeat, headers=plain)
            rows.append(
                Row(
                    "GET export Markdown, warm, no gzip",
                    warm,
                    sql,
                    warm_size,
                    base,
                    "Accept-Encoding: identity",
                )
            )
    url = owner.url(f"/documents/{keys[0]}")
    got, sql, got_size = await bench.timed("GET", url, repeat, headers=owner.headers)
    rows.append(Row("GET document, JSON", got, sql, got_size))
    return rows, size


async def search_counts(bench: Stack, org_id: uuid.UUID, query: str) -> int:
    """How many search entries match (what the database ranks before the LIMIT)."""
    from signoff.documents.search import _fts5_query

    async with bench.db.session(read_only=True) as session:
        if bench.backend == "postgresql":
            count = await session.scalar(
                text(
                    "SELECT count(*) FROM search_entry e, "
                    "websearch_to_tsquery('english', :q) q WHERE e.org_id = :org AND e.tsv @@ q"
                ),
                {"q": query, "org": org_id},
            )
        else:
            count = await session.scalar(
                text(
                    "SELECT count(*) FROM search_fts CROSS JOIN search_entry e "
                    "ON e.rowid = search_fts.rowid WHERE search_fts MATCH :m AND e.org_id = :org"
                ),
                {"m": _fts5_query(query), "org": org_id.hex},
            )
    return int(count or 0)


@dataclass
class SearchFigure:
    timing: Timing
    sql: float
    hits: int
    matches: int


OTHER_ORG = "common word, from a small org"


async def search_round(
    bench: Stack, searchers: list[tuple[Owner, uuid.UUID]], repeat: int
) -> dict[str, SearchFigure]:
    """Each query from the organization holding the corpus; the common word also from the
    one holding a few documents (the same tables and index hold both)."""
    (owner, org_id), other = searchers
    asked = [(label, query, owner, org_id) for label, query in QUERIES]
    asked.append((OTHER_ORG, QUERIES[1][1], *other))
    found = {}
    for label, query, owner, org_id in asked:
        params = {"q": query}
        timing, sql, _ = await bench.timed(
            "GET", owner.url("/search"), repeat, headers=owner.headers, params=params
        )
        response, _ = await bench.request(
            "GET", owner.url("/search"), headers=owner.headers, params=params
        )
        matches = await search_counts(bench, org_id, query)
        found[label] = SearchFigure(timing, sql, len(response.json()), matches)
    return found


async def vacuum(bench: Stack) -> None:
    """PostgreSQL: what autovacuum does in the steady state (statistics, the GIN pending
    list); SQLite: nothing (Signoff never runs ANALYZE there)."""
    if bench.backend != "postgresql":
        return
    async with bench.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))


async def explain(bench: Stack, org_id: uuid.UUID) -> str:
    """The plans of the search queries as Signoff sends them (for --explain)."""
    from signoff.documents.search import _HEADLINE, _fts5_query

    out = []
    async with bench.db.session(read_only=True) as session:
        for label, query in QUERIES:
            if bench.backend == "postgresql":
                sql = (
                    "EXPLAIN (ANALYZE, BUFFERS, VERBOSE) "
                    "SELECT e.document_id, e.section_id, e.number, e.title, "
                    "ts_headline('english', CASE WHEN e.section_id IS NULL THEN e.doc_title "
                    "WHEN e.body = '' THEN e.title ELSE e.body END, q, :options) AS snippet, "
                    "ts_rank_cd(e.tsv, q) AS rank "
                    "FROM search_entry e, websearch_to_tsquery('english', :query) q "
                    "WHERE e.org_id = :org AND e.tsv @@ q ORDER BY rank DESC LIMIT 20"
                )
                params: dict[str, object] = {"query": query, "org": org_id, "options": _HEADLINE}
            else:
                sql = (
                    "EXPLAIN QUERY PLAN SELECT e.document_id, e.section_id, e.number, e.title, "
                    "snippet(search_fts, -1, '<', '>', '…', 16) AS snippet, "
                    "bm25(search_fts, 10.0, 4.0, 1.0) AS rank "
                    "FROM search_fts JOIN search_entry e ON e.rowid = search_fts.rowid "
                    "WHERE search_fts MATCH :match AND e.org_id = :org ORDER BY rank LIMIT 20"
                )
                params = {"match": _fts5_query(query), "org": org_id.hex}
            rows = await session.execute(text(sql), params)
            out.append(f"-- {label}: {query!r}")
            out += [" | ".join(str(c) for c in r) for r in rows]
    return "\n".join(out)


async def run(args: argparse.Namespace) -> str:
    repeat = args.repeat
    corpus = Corpus()
    async with database_url(args.postgres) as url, stack(url) as bench:
        loads = [load_average()]
        version = await database_version(bench)
        progress(f"{version}: signing up")
        owner = await sign_up(bench)
        searcher = await sign_up(bench)
        loader = Loader(bench, owner)
        normal = FIXTURE.read_text("utf-8")
        normal_key, compared = await check_fidelity(bench, owner, loader, normal)
        progress(f"fidelity: loader and API wrote identical rows ({compared} compared)")

        progress("normal document")
        normal_rows = await normal_document(bench, owner, normal_key, repeat * 3)
        progress("large document")
        large_rows, large_size = await large_document_rows(bench, owner, repeat)

        progress("corpus documents: over HTTP and through the loader")
        sizes = [len(corpus.document(i).encode()) for i in range(200)]
        posts = Timing()
        post_sql = 0
        for i in range(20):
            body = corpus.document(1_000_000 + i).encode()
            start = time.perf_counter()
            _, count = await bench.request(
                "POST",
                owner.url("/documents"),
                expect=201,
                content=body,
                headers=owner.headers | MARKDOWN,
            )
            posts.samples.append(time.perf_counter() - start)
            post_sql += count

        search_loader = Loader(bench, searcher)
        org_id = await search_loader.org_id()
        owner_org = await loader.org_id()
        texts = (corpus.document(i) for i in range(args.docs))
        figures: dict[int, dict[str, SearchFigure]] = {}
        per_doc = Timing()
        loaded = 0
        plans = ""
        for target in (args.base, args.docs):
            progress(f"loading documents {loaded + 1}..{target}")
            per_doc.samples += (await search_loader.load(texts, target - loaded)).samples
            loaded = target
            await vacuum(bench)
            progress(f"search over {target} documents")
            figures[target] = await search_round(
                bench, [(searcher, org_id), (owner, owner_org)], repeat
            )
            if args.explain and target == args.docs:
                plans = await explain(bench, org_id)
        loads.append(load_average())
        setting = f"{version}; load average (1 min) {loads[0]} at the start, {loads[1]} at the end"
        load_rows = [
            Row(
                "POST import of a corpus document",
                posts,
                post_sql / len(posts.samples),
                int(statistics.fmean(sizes)),
                "loader import, per document",
            ),
            Row(
                "loader import, per document",
                per_doc,
                note=f"{1000 / per_doc.mean:.0f} documents/s; one sample per batch of 100",
            ),
        ]
    text_out = report(
        args,
        bench.backend,
        setting,
        large_size,
        large_rows,
        normal_rows,
        load_rows,
        figures,
        compared,
        statistics.fmean(sizes),
    )
    if plans:
        print(plans)
    return text_out


# ---------------------------------------------------------------------------------------------
# Report


def _table(rows: Sequence[Row]) -> list[str]:
    by_name = {r.name: r for r in rows}
    lines = [
        "| Measure | n | p50 ms | p95 ms | mean ms | vs baseline (p50) | SQL/req | bytes |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        vs = ""
        if r.base is not None and r.base in by_name:
            vs = f"{r.timing.p50 / by_name[r.base].timing.p50:.1f}× {r.base}"
        sql = "" if r.sql is None else f"{r.sql:.1f}"
        size = "" if r.size is None else f"{r.size:,}"
        name = f"{r.name} ({r.note})" if r.note else r.name
        lines.append(
            f"| {name} | {len(r.timing.samples)} | {r.timing.p50:.2f} | {r.timing.p95:.2f} | "
            f"{r.timing.mean:.2f} | {vs} | {sql} | {size} |"
        )
    return lines


def code_version() -> str:
    """The commit measured, and whether the work tree had changes (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def machine() -> str:
    cpus = os.cpu_count() or 0
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpus} CPUs ({model or 'unknown'}), shared and noisy; Python "
        f"{sys.version.split()[0]}; this process pinned to CPU 0"
    )


def load_average() -> str:
    with contextlib.suppress(OSError):
        return f"{os.getloadavg()[0]:.1f}"
    return "?"


async def database_version(bench: Stack) -> str:
    async with bench.db.session(read_only=True) as session:
        if bench.backend == "postgresql":
            return f"PostgreSQL {await session.scalar(text('SHOW server_version'))}"
        return f"SQLite {await session.scalar(text('SELECT sqlite_version()'))}"


def report(
    args: argparse.Namespace,
    backend: str,
    setting: str,
    large_size: int,
    large_rows: list[Row],
    normal_rows: list[Row],
    load_rows: list[Row],
    figures: dict[int, dict[str, SearchFigure]],
    compared: int,
    corpus_size: float,
) -> str:
    base, top = args.base, args.docs
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/documents.py", *sys.argv[1:]]
    )
    lines = [
        f"## {backend} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Command: `{command}`. Code: {code_version()}. Database: {setting}. "
        f"Machine: {machine()}. "
        "In-process ASGI (httpx.ASGITransport) on create_app(), JSON access logs to "
        "/dev/null; gzip as negotiated by httpx unless said. p50/p95 over n requests after "
        "2 warm-up requests.",
        "",
        f"### Large document: {large_size:,} bytes of Markdown, every section filled",
        "",
        *_table(large_rows),
        "",
        "### Normal document",
        "",
        *_table(normal_rows),
        "",
        f"### Search over {base:,} then {top:,} documents of one organization",
        "",
        f"Corpus documents average {corpus_size / 1024:.1f} KB of Markdown. *matches*: search "
        "entries (sections and titles) the database finds and ranks before the limit of 20; "
        "*hits*: results returned. *From a small org*: the common word searched by the "
        "organization holding the few documents above, while the other holds the corpus. "
        "Ratio: p50 at "
        f"{top:,} over p50 at {base:,} (documents grew {top / base:.0f}×).",
        "",
        f"| Query | q | matches {base:,} | p50 ms | p95 ms | matches {top:,} | hits | "
        f"p50 ms | p95 ms | p50 ratio | SQL/req |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, query in [*QUERIES, (OTHER_ORG, QUERIES[1][1])]:
        small, large = figures[base][label], figures[top][label]
        lines.append(
            f"| {label} | `{query}` | {small.matches:,} | {small.timing.p50:.2f} | "
            f"{small.timing.p95:.2f} | {large.matches:,} | {large.hits} | "
            f"{large.timing.p50:.2f} | {large.timing.p95:.2f} | "
            f"{large.timing.p50 / small.timing.p50:.2f}× | {large.sql:.1f} |"
        )
    lines += [
        "",
        "### Loading the corpus",
        "",
        f"The loader's rows were checked against an import over HTTP of the same text "
        f"({compared} rows of document, revision, section_version, revision_section, "
        "search_entry, document_author compared"
        + (", and the tsvector" if backend == "postgresql" else ", FTS5 integrity-check")
        + "): identical.",
        "",
        *_table(load_rows),
        "",
    ]
    return "\n".join(lines)


def save(section: str, backend: str) -> None:
    """Replace this backend's section of results/documents.md, keep the other backend's."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "documents.md"
    sections: dict[str, str] = {}
    if path.exists():
        for chunk in re.split(r"(?m)^(?=## )", path.read_text("utf-8")):
            match = re.match(r"## (\w+) ", chunk)
            if match:
                sections[match.group(1)] = chunk.rstrip() + "\n"
    sections[backend] = section.rstrip() + "\n"
    order = sorted(sections, key=lambda b: (b != "sqlite", b))
    header = (
        "# Documents benchmark\n\n"
        "`bench/documents.py`: import, export, GET and search of documents through the real "
        "stack, one section per backend (each from its own run). Compare figures within a "
        "section, as ratios; the machine is shared and noisy.\n\n"
    )
    path.write_text(header + "\n".join(sections[b] for b in order))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (else SQLite)")
    parser.add_argument("--docs", type=int, default=10_000, help="documents searched at the end")
    parser.add_argument("--base", type=int, default=1_000, help="documents searched first")
    parser.add_argument("--repeat", type=int, default=30, help="requests per figure")
    parser.add_argument("--explain", action="store_true", help="print the search query plans")
    parser.add_argument("--no-save", action="store_true", help="do not write results/")
    args = parser.parse_args()
    if args.base >= args.docs:
        parser.error("--base must be smaller than --docs")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})  # before any thread starts: they inherit it
    started = time.perf_counter()
    section = asyncio.run(run(args))
    print(section)
    backend = "postgresql" if args.postgres else "sqlite"
    if not args.no_save:
        save(section, backend)
    progress(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
