"""Full-text search over titles and sections: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both index the same rows (``search_entry``), which the documents service keeps in step in
the same transaction as every change. Ranking weighs a match in the document title above
one in a section title above one in a section body. Snippets are HTML: the text is escaped
and only the matched words are wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

# Markers the database puts around matches, chosen so that no document can contain them.
_OPEN, _CLOSE = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
_HEADLINE = f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxFragments=1, MaxWords=24, MinWords=8"

# The DDL each backend needs beyond the portable table (run by the migration).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(doc_title, title, body, "
    "content='search_entry', content_rowid='rowid', tokenize='porter unicode61')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_fts(rowid, doc_title, title, body) "
    "VALUES (new.rowid, new.doc_title, new.title, new.body); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, doc_title, title, body) "
    "VALUES ('delete', old.rowid, old.doc_title, old.title, old.body); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, doc_title, title, body) "
    "VALUES ('delete', old.rowid, old.doc_title, old.title, old.body); "
    "INSERT INTO search_fts(rowid, doc_title, title, body) "
    "VALUES (new.rowid, new.doc_title, new.title, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TABLE IF EXISTS search_fts",
)
POSTGRES_DDL = (
    "ALTER TABLE search_entry ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(doc_title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(title, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv)",
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_search_entry_tsv",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS tsv",
)
# Objects the migration makes that the models do not describe (Alembic must not drop them).
UNMODELLED = frozenset(
    {
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_docsize",
        "search_fts_config",
        "search_fts_content",
        "tsv",
        "ix_search_entry_tsv",
    }
)


def rebuild_search_index(connection: Connection) -> None:
    """SQLite: rebuild FTS5 from ``search_entry``, and restore its triggers. The index finds
    rows by rowid, which a table copy (Alembic's batch mode) renumbers; the copy also drops
    the triggers that keep the index in step. PostgreSQL's tsvector is a column of the row
    itself: nothing to do."""
    if connection.dialect.name != "sqlite":
        return
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_fts'"
    ).first()
    if exists:
        # A copied table has also lost its triggers: make sure they are there.
        for statement in SQLITE_DDL:
            if statement.startswith("CREATE TRIGGER "):
                connection.exec_driver_sql(
                    statement.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1)
                )
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


@dataclass(frozen=True)
class Hit:
    document_id: uuid.UUID
    section_id: str | None
    number: str | None
    title: str
    snippet: str
    rank: float


def _fts5_query(query: str) -> str | None:
    """The user's words as an FTS5 query of quoted terms (all must match; the last may be a
    prefix), so no input can be FTS5 syntax."""
    words = _WORD.findall(query)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _snippet(raw: str) -> str:
    escaped = html.escape(raw, quote=False)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


# Matches ranked per query: a word in most sections must not make every search rank them
# all (design §10.4). Pages reach no further than this.
CANDIDATES = 1000


async def search(
    session: AsyncSession, org_id: uuid.UUID, query: str, limit: int, offset: int = 0
) -> list[Hit]:
    """A page of the organization's best matches among its first ``CANDIDATES``."""
    limit = max(0, min(limit, CANDIDATES - offset))
    if limit == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return await _postgres(session, org_id, query, limit, offset)
    return await _sqlite(session, org_id, query, limit, offset)


async def _sqlite(
    session: AsyncSession, org_id: uuid.UUID, query: str, limit: int, offset: int
) -> list[Hit]:
    match = _fts5_query(query)
    if match is None:
        return []
    # FTS5 ranks inside the match; a candidate subquery (as on PostgreSQL) made SQLite run
    # the match once per row, so here the page is taken from the ranked match directly.
    rows = await session.execute(
        text(
            "SELECT e.document_id, e.section_id, e.number, e.title, "
            "snippet(search_fts, -1, :open, :close, '…', 16) AS snippet, "
            "bm25(search_fts, 10.0, 4.0, 1.0) AS rank "
            "FROM search_fts JOIN search_entry e ON e.rowid = search_fts.rowid "
            "WHERE search_fts MATCH :match AND e.org_id = :org "
            "ORDER BY rank LIMIT :limit OFFSET :offset"
        ),
        {
            "match": match,
            "org": org_id.hex,
            "limit": limit,
            "offset": offset,
            "open": _OPEN,
            "close": _CLOSE,
        },
    )
    # bm25 is lower-is-better; turn it around so every backend ranks higher-is-better.
    return [
        Hit(
            uuid.UUID(str(r.document_id)),
            r.section_id,
            r.number,
            r.title,
            _snippet(r.snippet),
            -float(r.rank),
        )
        for r in rows
    ]


async def _postgres(
    session: AsyncSession, org_id: uuid.UUID, query: str, limit: int, offset: int
) -> list[Hit]:
    # The same query as on SQLite: every word must match, the last one as a prefix (what
    # a user has typed so far). Words are \w+ and reach to_tsquery through quote_literal.
    words = _WORD.findall(query)
    if not words:
        return []
    rows = await session.execute(
        text(
            "WITH q AS (SELECT plainto_tsquery('english', :head) "
            "&& to_tsquery('english', quote_literal(:last) || ':*') AS q), "
            "candidate AS (SELECT e.id, ts_rank_cd(e.tsv, q.q) AS rank FROM search_entry e, q "
            "WHERE e.org_id = :org AND e.tsv @@ q.q LIMIT :bound), "
            "ranked AS (SELECT id, rank FROM candidate ORDER BY rank DESC, id "
            "LIMIT :limit OFFSET :offset) "
            "SELECT e.document_id, e.section_id, e.number, e.title, ranked.rank, "
            "ts_headline('english', CASE WHEN e.section_id IS NULL THEN e.doc_title "
            "WHEN e.body = '' THEN e.title ELSE e.body END, q.q, :options) AS snippet "
            "FROM ranked JOIN search_entry e ON e.id = ranked.id, q "
            "ORDER BY ranked.rank DESC, ranked.id"
        ),
        {
            "head": " ".join(words[:-1]),
            "last": words[-1],
            "org": org_id,
            "bound": CANDIDATES,
            "limit": limit,
            "offset": offset,
            "options": _HEADLINE,
        },
    )
    return [
        Hit(r.document_id, r.section_id, r.number, r.title, _snippet(r.snippet), float(r.rank))
        for r in rows
    ]
