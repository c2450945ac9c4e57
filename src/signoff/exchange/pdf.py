"""A PDF of an approved version for the file of a regulated team: the rendered document,
then a sign-off page with who approved what and when, on which section hashes, the
document's content hash and the approval's place in the audit chain. WeasyPrint renders
it and fetches nothing: a document's image links do not reach the network."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

STYLE = CSS(
    string="""
    @page { size: A4; margin: 18mm 16mm;
            @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
    body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; }
    table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
    th, td { border: 0.5pt solid #999; padding: 2pt 4pt; vertical-align: top; text-align: left; }
    code, .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt;
                  word-break: break-all; }
    .signoff { page-break-before: always; }
    .signoff tr { break-inside: avoid; }
    """
)


class _NoFetch(URLFetcher):  # type: ignore[misc]
    def fetch(self, url: str, headers: object = None) -> object:
        raise ValueError(f"not fetched: {url}")


@dataclass(frozen=True)
class Approval:
    approver: str
    email: str
    teams: tuple[str, ...]
    at: str
    whole_document: bool
    sections: tuple[tuple[str, str], ...]  # (number or id, content hash)


@dataclass(frozen=True)
class SignoffPage:
    key: str
    title: str
    version: str
    revision: int
    content_hash: str
    approved_at: str
    approvals: Sequence[Approval] = field(default_factory=tuple)
    audit_seq: int | None = None
    audit_hash: str | None = None


def _e(text: object) -> str:
    return html.escape(str(text))


def _rows(approval: Approval) -> str:
    """One row per pinned section (a row never splits across pages, so a hash stays whole);
    the approver, team and time on the first."""
    pinned = list(approval.sections) or [("", "")]
    if approval.whole_document:
        pinned = [("whole document", ""), *approval.sections]
    who = (
        f"{_e(approval.approver)}<br>{_e(approval.email)}",
        _e(", ".join(approval.teams) or "-"),
        _e(approval.at),
    )
    return "".join(
        "<tr>"
        + "".join(f"<td>{c if i == 0 else ''}</td>" for c in who)
        + f"<td>{'§' if number and hash_ else ''}{_e(number)}</td>"
        + f"<td class='hash'>{_e(hash_)}</td></tr>"
        for i, (number, hash_) in enumerate(pinned)
    )


def signoff_html(page: SignoffPage) -> str:
    rows = "".join(_rows(a) for a in page.approvals)
    audit = (
        f"entry {page.audit_seq}, hash <span class='hash'>{_e(page.audit_hash)}</span>"
        if page.audit_seq is not None
        else "not found"
    )
    return (
        f"<section class='signoff'><h1>Sign-off: {_e(page.key)} {_e(page.title)}</h1>"
        f"<p>Version {_e(page.version)} (revision {page.revision}), "
        f"approved {_e(page.approved_at)}.</p>"
        f"<p>Content hash: <span class='hash'>{_e(page.content_hash)}</span></p>"
        f"<p>Audit chain: {audit}</p>"
        "<table><tr><th>Approver</th><th>Team</th><th>Time</th><th>Section</th>"
        "<th>Content hash pinned</th></tr>"
        f"{rows}</table></section>"
    )


def render_pdf(document_html: str, page: SignoffPage) -> bytes:
    """The document's HTML export followed by the sign-off page, as one PDF."""
    body = _body(document_html) + signoff_html(page)
    source = f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    pdf: bytes = HTML(string=source, url_fetcher=_NoFetch()).write_pdf(stylesheets=[STYLE])
    return pdf


def _body(document_html: str) -> str:
    lower = document_html.lower()
    start, end = lower.find("<body"), lower.rfind("</body>")
    if start < 0 or end < 0:
        return document_html
    return document_html[document_html.index(">", start) + 1 : end]
