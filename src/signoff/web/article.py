"""The reader's view of a revision: its cached, sanitized HTML cut into the outline, the
front matter and one fragment per section, with each section's review state beside it.

The cut is made at Signoff's own ``<section id="…">`` markers (docformat.html): document
content cannot forge one, since the sanitizer removes every ``id`` attribute from it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from signoff.documents.reader import SectionRef
from signoff.documents.schemas import FindingRead
from signoff.review.schemas import ApprovalRead, CommentRead

_TOC = re.compile(r'<nav class="toc">(.*?)</nav>', re.S)
_MARK = '\n<section id="'


@dataclass
class SectionView:
    section: SectionRef
    html: Markup
    owners: list[str] = field(default_factory=list)
    state: str = "missing"  # approved | dismissed | missing | unowned
    approved_by: list[str] = field(default_factory=list)
    comments: int = 0
    findings: list[FindingRead] = field(default_factory=list)


@dataclass(frozen=True)
class Article:
    front: Markup
    outline: Markup
    sections: list[SectionView]


def cut(rendered: str, sections: Sequence[SectionRef]) -> Article:
    head, *chunks = rendered.split(_MARK)
    outline = _TOC.search(head)
    front = _TOC.sub("", head).replace('<article class="signoff-document">', "", 1)
    views = []
    for section, chunk in zip(sections, chunks, strict=False):
        body = chunk.replace("</article>", "").rstrip()
        views.append(SectionView(section, Markup('<section id="' + body)))  # noqa: S704
    return Article(
        Markup(front),  # noqa: S704 - sanitized by docformat.html
        Markup(outline.group(1) if outline else ""),  # noqa: S704
        views,
    )


def annotate(
    article: Article,
    approval: ApprovalRead | None,
    findings: list[FindingRead],
    threads: list[CommentRead],
) -> None:
    """Each section's owner teams, approval state, open threads and lint findings."""
    by_number: defaultdict[str | None, list[FindingRead]] = defaultdict(list)
    for finding in findings:
        by_number[finding.section].append(finding)
    open_threads = Counter(t.section.id for t in threads if not t.resolved)
    owners: defaultdict[str, list[str]] = defaultdict(list)
    approved: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    dismissed: set[str] = set()
    if approval is not None:
        for owner in approval.owners:
            for s in owner.sections:
                owners[s.section_id].append(owner.team)
        for entry in approval.approvals:
            for s in entry.sections:
                if entry.counts:
                    approved[(s.section_id, s.hash)].append(entry.reviewer.name or "")
        dismissed = {s.section_id for r in approval.dismissed for s in r.sections}
    for view in article.sections:
        sid, digest = view.section.section_id, view.section.content_hash
        view.owners = owners.get(sid, [])
        view.approved_by = approved.get((sid, digest), [])
        view.comments = open_threads.get(sid, 0)
        view.findings = by_number.get(view.section.number, [])
        if view.approved_by:
            view.state = "approved"
        elif sid in dismissed:
            view.state = "dismissed"
        else:
            view.state = "missing" if view.owners else "unowned"
