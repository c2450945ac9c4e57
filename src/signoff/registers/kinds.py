"""The registers: their columns, and how a row reads and writes (``places`` finds the
template section that holds each one).

A register is a projection of its section's Markdown (the source of truth): rows are read
from the table, and a register written through the API is written back into the table.
Values are kept as text exactly as in the table; the typed reading of each value
(enumerations, dates, numbers with units) is derived, and ``None`` when the text does not
say (the lint then reports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PLACEHOLDER = re.compile(
    r"^\s*(\[[^\]]*\]|REQ-X+|§?X\.X|YYYY-MM-DD|Database/Service/Queue)\s*$", re.IGNORECASE
)
LEVELS = {"low": 1, "medium": 2, "high": 3}
_SECTION_REF = re.compile(r"§?\s*([A-Z]|\d+)(?:\.(\d+))*", re.IGNORECASE)
_REF = re.compile(r"(?:§\s*)?((?:\d+|[A-Z])(?:\.\d+)*)")
_TARGET = re.compile(
    r"(?P<op><=|>=|≤|≥|<|>|=)?\s*(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>[%a-zA-Zµ/]+(?:/[a-zA-Z]+)?)"
)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    optional: bool = False  # rendered only when some row has a value


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: str

    @property
    def event(self) -> str:
        return self.name.replace("-", "_")

    def headers(self, rows: list[dict[str, str]]) -> list[Column]:
        return [c for c in self.columns if not c.optional or any(r.get(c.field) for r in rows)]


REQUIREMENTS = Kind(
    "requirements",
    (
        Column("requirement_id", "Requirement ID"),
        Column("summary", "Requirement Summary"),
        Column("design_sections", "Design Section"),
        # Kept from requirements tools (ReqIF, spreadsheets): a title beside the statement,
        # and parent requirements by id.
        Column("title", "Title", optional=True),
        Column("parents", "Parents", optional=True),
    ),
    key="requirement_id",
)
PERFORMANCE_GOALS = Kind(
    "performance-goals",
    (
        Column("metric", "Metric"),
        Column("target", "Target"),
        Column("measurement", "Measurement Method"),
    ),
    key="metric",
)
RISKS = Kind(
    "risks",
    (
        Column("risk", "Risk"),
        Column("likelihood", "Likelihood"),
        Column("impact", "Impact"),
        Column("mitigation", "Mitigation"),
        Column("owner", "Owner", optional=True),
        Column("status", "Status", optional=True),
    ),
    key="risk",
)
QUESTIONS = Kind(
    "questions",
    (
        Column("question", "Question"),
        Column("owner", "Owner"),
        Column("target_date", "Target Resolution Date"),
        Column("status", "Status", optional=True),
        Column("resolution", "Resolution", optional=True),
        Column("blocking", "Blocking", optional=True),
    ),
    key="question",
)
GLOSSARY = Kind(
    "glossary",
    (
        Column("term", "Term"),
        Column("definition", "Definition"),
    ),
    key="term",
)
REFERENCES = Kind(
    "references",
    (
        Column("document", "Document"),
        Column("version", "Version"),
        Column("relevance", "Relevance"),
    ),
    key="document",
)
DECISIONS = Kind(
    "decisions",
    (
        Column("number", "Number"),
        Column("title", "Title"),
        Column("context", "Context"),
        Column("options", "Options Considered"),
        Column("decision", "Decision"),
        Column("rationale", "Rationale"),
        Column("consequences", "Consequences"),
        Column("status", "Status", optional=True),
        Column("superseded_by", "Superseded by", optional=True),
    ),
    key="number",
)

TABLE_KINDS = (REQUIREMENTS, PERFORMANCE_GOALS, RISKS, QUESTIONS, GLOSSARY, REFERENCES)
KINDS = {k.name: k for k in (*TABLE_KINDS, DECISIONS)}


def is_placeholder(text: str) -> bool:
    return not text.strip() or PLACEHOLDER.match(text) is not None


def normalize_key(text: str) -> str:
    return " ".join(text.lower().split())


def level(text: str | None) -> int | None:
    return LEVELS.get((text or "").strip().lower())


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def section_refs(text: str) -> list[str]:
    """`§3.3, §8.2` → ["3.3", "8.2"] (also without §, and appendix letters)."""
    return [m.group(1) for m in _REF.finditer(text or "") if m.group(1)]


def target(text: str) -> tuple[str | None, float | None, str | None]:
    """`< 200 ms` → ("<", 200.0, "ms"); (None, None, None) when there is no number and unit."""
    match = _TARGET.search(text or "")
    if match is None:
        return None, None, None
    return match.group("op"), float(match.group("value").replace(",", ".")), match.group("unit")


def truthy(text: str | None) -> bool:
    return (text or "").strip().lower() in {"yes", "y", "true", "blocking", "x", "✓"}


def resolved(status: str | None, resolution: str | None) -> bool:
    return (status or "").strip().lower() in {"resolved", "closed", "answered", "done"}
