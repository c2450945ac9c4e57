"""The traceability matrix and its coverage figures, as data, Markdown and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from signoff.docformat import Table, render_table
from signoff.exchange.sheets import Sheet, to_xlsx
from signoff.traceability.ends import End, Ends
from signoff.traceability.models import TraceLink


@dataclass
class Row:
    requirement: End
    sections: list[End] = field(default_factory=list)
    operations: list[End] = field(default_factory=list)
    tests: list[End] = field(default_factory=list)
    suspect: int = 0

    @property
    def passing_tests(self) -> list[End]:
        return [t for t in self.tests if t.detail.get("outcome") == "passed"]


@dataclass
class Coverage:
    requirements: int
    with_section: int
    without_section: list[str]
    sections_referenced_missing: list[str]
    operations: int
    undocumented_operations: list[str]
    untested_requirements: list[str]
    suspect_links: int
    links: int

    @property
    def percent_with_section(self) -> float:
        return round(100 * self.with_section / self.requirements, 1) if self.requirements else 0.0

    @property
    def percent_tested(self) -> float:
        tested = self.requirements - len(self.untested_requirements)
        return round(100 * tested / self.requirements, 1) if self.requirements else 0.0


@dataclass
class Matrix:
    rows: list[Row]
    coverage: Coverage


def build(ends: Ends, links: Sequence[TraceLink], endpoints_text: str) -> Matrix:
    rows = {ref: Row(end) for ref, end in ends.requirements.items()}
    via_operation: dict[str, list[End]] = {}
    for link in links:
        if link.source_kind == "operation" and link.target_kind == "test":
            test = ends.get("test", link.target_ref)
            if test is not None:
                via_operation.setdefault(link.source_ref, []).append(test)
    for link in links:
        row = rows.get(link.source_ref) if link.source_kind == "requirement" else None
        target = ends.get(link.target_kind, link.target_ref)
        if row is None or target is None:
            continue
        row.suspect += int(link.suspect)
        {"section": row.sections, "operation": row.operations, "test": row.tests}[
            link.target_kind
        ].append(target)
    for row in rows.values():  # a requirement is tested through the operations it maps to
        for op in row.operations:
            row.tests.extend(t for t in via_operation.get(op.ref, []) if t not in row.tests)
    ordered = sorted(rows.values(), key=lambda r: r.requirement.label)
    return Matrix(ordered, _coverage(ends, links, ordered, endpoints_text))


def _coverage(ends: Ends, links: Sequence[TraceLink], rows: list[Row], endpoints: str) -> Coverage:
    referenced = sorted(
        {
            str(n)
            for r in ends.requirements.values()
            for n in r.detail["design_sections"]  # type: ignore[attr-defined]
            if str(n) not in ends.numbers
        }
    )
    return Coverage(
        requirements=len(rows),
        with_section=sum(1 for r in rows if r.sections),
        without_section=[r.requirement.label for r in rows if not r.sections],
        sections_referenced_missing=referenced,
        operations=len(ends.operations),
        undocumented_operations=sorted(
            op.ref for op in ends.operations.values() if not _mentioned(op, endpoints)
        ),
        untested_requirements=[r.requirement.label for r in rows if not r.passing_tests],
        suspect_links=sum(1 for link in links if link.suspect),
        links=len(links),
    )


def _mentioned(op: End, text: str) -> bool:
    """Whether §4.3 names the operation: by operationId, or by its method and path."""
    lowered = text.lower()
    if op.ref.lower() in lowered:
        return True
    method, path = str(op.detail.get("method", "")), str(op.detail.get("path", ""))
    pattern = re.escape(method.lower()) + r"\s+`?" + re.escape(path.lower())
    return bool(method and path and re.search(pattern, lowered))


def _cell(ends: list[End]) -> str:
    return ", ".join(e.label for e in ends)


def as_markdown(matrix: Matrix) -> str:
    table = Table(
        ("Requirement", "Summary", "Sections", "Operations", "Tests", "Passing", "Suspect"),
        tuple(
            (
                r.requirement.label,
                str(r.requirement.detail.get("summary", "")),
                _cell(r.sections),
                _cell(r.operations),
                _cell(r.tests),
                str(len(r.passing_tests)),
                str(r.suspect),
            )
            for r in matrix.rows
        ),
    )
    c = matrix.coverage
    summary = [
        f"- Requirements: {c.requirements}; with a design section: {c.with_section} "
        f"({c.percent_with_section}%); with a passing test: "
        f"{c.requirements - len(c.untested_requirements)} ({c.percent_tested}%)",
        f"- Sections referenced but missing: {', '.join(c.sections_referenced_missing) or 'none'}",
        f"- Operations: {c.operations}; not described in §4.3: {len(c.undocumented_operations)}",
        f"- Links: {c.links}; suspect: {c.suspect_links}",
    ]
    return "## Traceability\n\n" + render_table(table) + "\n\n" + "\n".join(summary) + "\n"


HEADERS = ("requirement", "summary", "sections", "operations", "tests", "passing", "suspect")


def _rows(matrix: Matrix) -> list[tuple[str, ...]]:
    return [
        (
            r.requirement.label,
            str(r.requirement.detail.get("summary", "")),
            _cell(r.sections),
            _cell(r.operations),
            _cell(r.tests),
            str(len(r.passing_tests)),
            str(r.suspect),
        )
        for r in matrix.rows
    ]


def as_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(_rows(matrix))
    return out.getvalue()


def as_xlsx(matrix: Matrix, document: str) -> bytes:
    """The matrix as a workbook: the rows, and the coverage figures on a second sheet."""
    c = matrix.coverage
    coverage = (
        ("document", document),
        ("requirements", str(c.requirements)),
        ("with a design section", str(c.with_section)),
        ("with a passing test", str(c.requirements - len(c.untested_requirements))),
        ("sections referenced but missing", ", ".join(c.sections_referenced_missing)),
        ("operations", str(c.operations)),
        ("operations not described in §4.3", str(len(c.undocumented_operations))),
        ("links", str(c.links)),
        ("suspect links", str(c.suspect_links)),
    )
    return to_xlsx(
        [
            Sheet("traceability", HEADERS, tuple(_rows(matrix))),
            Sheet("coverage", ("measure", "value"), coverage),
        ]
    )
