"""Rules about register content: requirements, references, decisions, risks, questions, goals.

Register tables are recognised by their columns wherever they are (so a renumbered or
custom template still gets checked): requirements have `Requirement ID` and `Design
Section`, risks `Risk` and `Mitigation`, open questions `Question` and `Owner` (the date is
the first column whose header mentions a date), performance goals `Metric` and `Target`.
Decisions are the blocks matching the template's `Decision N: [Title]` block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from signoff.docformat.headings import SECTION_REF_RE, title_key
from signoff.docformat.lint.context import Issue, LintContext, SectionView, is_blankish
from signoff.docformat.markdown import heading_level, label_value, leading_label, plain_text
from signoff.docformat.spec import BlockSpec
from signoff.docformat.tables import Table

_REF_IN_CELL = re.compile(r"(?:§\s?)?\b(\d{1,3}(?:\.\d{1,3})*|[A-Z](?:\.\d{1,3})+)\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMBER_AND_UNIT = re.compile(r"\d[\d,.]*\s*(?:%|[^\W\d_]+(?:/[^\W\d_]+)?)")
_RESOLVED = ("resolved", "closed", "answered", "done")


def requirement_no_section(ctx: LintContext) -> Iterator[Issue]:
    """A requirement row whose Design Section is empty or names no existing section."""
    for view, table, (id_col, design_col) in ctx.tables_with("Requirement ID", "Design Section"):
        for index, row in enumerate(table.rows):
            req, design = row[id_col], row[design_col]
            if is_blankish(req) or ctx.placeholders.find(req):
                continue
            problem = _design_problem(ctx, design)
            if problem:
                yield Issue(
                    view.section, f"requirement {req} {problem}", ctx.row_line(view, table, index)
                )


def _design_problem(ctx: LintContext, design: str) -> str | None:
    if is_blankish(design) or ctx.placeholders.find(design):
        return "has no design section"
    refs = [m[1] for m in _REF_IN_CELL.finditer(design)]
    if refs:
        return None if any(r in ctx.numbers for r in refs) else "points only at missing sections"
    titles = {title_key(v.section.title) for v in ctx.views}
    return None if title_key(design) in titles else "names no section of this document"


def dangling_section_ref(ctx: LintContext) -> Iterator[Issue]:
    """A `§N.N` reference to a section number the document does not have."""
    for view in ctx.views:
        for token in view.tokens:
            if token.type != "inline":
                continue
            refs = {m[1] for m in SECTION_REF_RE.finditer(plain_text(token))}
            for ref in sorted(refs - ctx.numbers):
                message = f"§{ref} refers to a section that does not exist"
                yield Issue(view.section, message, view.line_of(token, ref))


def decision_missing_field(ctx: LintContext) -> Iterator[Issue]:
    """A `Decision N: …` block without one of the template's fields, or with it empty."""
    for spec in ctx.template.walk():
        for block in spec.blocks:
            if not block.heading.casefold().startswith("decision") or not block.fields:
                continue
            for view in (
                v for v in ctx.views if v.spec is not None and v.spec.number == spec.number
            ):
                yield from _decision_issues(view, block)


def _decision_issues(view: SectionView, block: BlockSpec) -> Iterator[Issue]:
    tokens = view.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0:
            continue
        heading = tokens[index + 1].content
        if not block.matches(heading):
            continue
        filled = _filled_fields(view, index, heading_level(token))
        missing = [f for f in block.fields if title_key(f) not in filled]
        if missing:
            line = view.line(token.map[0] if token.map else None)
            message = f"decision {heading.strip()!r} lacks {', '.join(missing)}"
            yield Issue(view.section, message, line)


def _filled_fields(view: SectionView, start: int, level: int) -> set[str]:
    """Fields with text in the block opened at token `start` (up to the next heading)."""
    text_by_field: dict[str, str] = {}
    current: str | None = None
    for token in view.tokens[start + 3 :]:
        if token.type == "heading_open" and token.level == 0 and heading_level(token) <= level:
            break
        if token.type != "inline":
            continue
        label = leading_label(token)
        if label is not None:
            current = title_key(label)
            text_by_field[current] = label_value(token)
        elif current is not None:
            text_by_field[current] += plain_text(token)
    return {name for name, text in text_by_field.items() if not is_blankish(text)}


def risk_no_mitigation(ctx: LintContext) -> Iterator[Issue]:
    """A risk row whose Mitigation is empty."""
    for view, table, (risk_col, mitigation_col) in ctx.tables_with("Risk", "Mitigation"):
        for index, row in enumerate(table.rows):
            if not is_blankish(row[risk_col]) and is_blankish(row[mitigation_col]):
                message = f"risk {row[risk_col]!r} has no mitigation"
                yield Issue(view.section, message, ctx.row_line(view, table, index))


def question_no_owner(ctx: LintContext) -> Iterator[Issue]:
    """An unresolved open question without an owner."""
    for view, table, index, question in _open_questions(ctx):
        if is_blankish(table.rows[index][table.column("Owner") or 0]):
            yield Issue(
                view.section,
                f"question {question!r} has no owner",
                ctx.row_line(view, table, index),
            )


def question_no_date(ctx: LintContext) -> Iterator[Issue]:
    """An unresolved open question without a target date (YYYY-MM-DD)."""
    for view, table, index, question in _open_questions(ctx):
        if _target_date(table, index) is None:
            message = f"question {question!r} has no target date (YYYY-MM-DD)"
            yield Issue(view.section, message, ctx.row_line(view, table, index))


def question_overdue(ctx: LintContext) -> Iterator[Issue]:
    """An unresolved open question whose target date is before `today`."""
    for view, table, index, question in _open_questions(ctx):
        target = _target_date(table, index)
        if target is not None and target < ctx.today:
            message = f"question {question!r} was due {target.isoformat()} and is not resolved"
            yield Issue(view.section, message, ctx.row_line(view, table, index))


def _open_questions(ctx: LintContext) -> Iterator[tuple[SectionView, Table, int, str]]:
    """Unresolved question rows: status column says so, or the question is struck out."""
    for view, table, (question_col, _) in ctx.tables_with("Question", "Owner"):
        status_col = table.column("Status", "Resolution", "Resolved")
        for index, row in enumerate(table.rows):
            question = row[question_col].strip()
            status = row[status_col].casefold().strip() if status_col is not None else ""
            struck = question.startswith("~~") and question.endswith("~~")
            if not is_blankish(question) and not struck and not status.startswith(_RESOLVED):
                yield view, table, index, question


def _target_date(table: Table, index: int) -> date | None:
    column = next((i for i, c in enumerate(table.columns) if "date" in c.casefold()), None)
    match = _ISO_DATE.search(table.rows[index][column]) if column is not None else None
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def perf_goal_no_number(ctx: LintContext) -> Iterator[Issue]:
    """A performance goal whose Target has no number with a unit (`200 ms`, `99.9%`)."""
    for view, table, (metric_col, target_col) in ctx.tables_with("Metric", "Target"):
        for index, row in enumerate(table.rows):
            if not is_blankish(row[metric_col]) and not _NUMBER_AND_UNIT.search(row[target_col]):
                message = f"performance goal {row[metric_col]!r} has no numeric target with a unit"
                yield Issue(view.section, message, ctx.row_line(view, table, index))
