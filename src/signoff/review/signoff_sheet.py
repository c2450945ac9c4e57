"""The PDF of an approved version: its rendered HTML and a sign-off page built from the
round that approved it, the approvers' teams and the audit entry of the approval."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from signoff.audit.service import position
from signoff.core.cpu import CpuPool
from signoff.documents.service.documents import DocumentService
from signoff.documents.service.reading import ReadingService
from signoff.exchange.pdf import Approval, SignoffPage, render_pdf
from signoff.orgs.service import OrgAccess
from signoff.review.errors import NotApproved
from signoff.review.repository import ReviewRepository


@dataclass(frozen=True)
class PrintJob:
    version: str
    html: str
    page: SignoffPage


class SignoffSheets:
    def __init__(
        self,
        repo: ReviewRepository,
        documents: DocumentService,
        reading: ReadingService,
        cpu: CpuPool,
    ) -> None:
        self._repo = repo
        self._documents = documents
        self._reading = reading
        self._cpu = cpu

    async def prepare(self, access: OrgAccess, ref: str, version: str | None) -> PrintJob:
        """Everything the PDF of ``version`` (or of the last approved version) needs from the
        database, as plain values: rendering it then needs no connection."""
        document = await self._documents.get(access, ref)
        if version is None:
            last = await self._repo.last_round(document.id, "approved")
            version = last.approved_version if last else None
        round_ = await self._repo.approved_round(document.id, version) if version else None
        if round_ is None or round_.approved_revision is None:
            raise NotApproved(
                f"{document.key} has no approved version {version}."
                if version
                else f"{document.key} has no approved version yet: only approved versions "
                "are printed."
            )
        snap = await self._reading.snapshot(document, revision=round_.approved_revision)
        body = await self._reading.rendered(document, snap.revision, "html")
        entry = await position(
            self._repo.session,
            document.org_id,
            "documents.approved",
            f"documents/{document.key}",
            round_.approved_revision,
        )
        approvals = []
        for a in round_.approvals:
            teams = await self._repo.teams_of(document.org_id, _uuid(a["reviewer_id"]))
            approvals.append(
                Approval(
                    approver=a["reviewer"],
                    email=a["email"],
                    teams=tuple(sorted(teams)),
                    at=a["at"],
                    whole_document=bool(a["whole_document"]),
                    sections=tuple(
                        (s.get("number") or s["section_id"], s["hash"]) for s in a["sections"]
                    ),
                )
            )
        page = SignoffPage(
            key=document.key,
            title=snap.revision.title,
            version=snap.revision.version,
            revision=snap.revision.number,
            content_hash=snap.revision.content_hash,
            approved_at=(round_.closed_at or snap.revision.created_at).isoformat(),
            approvals=tuple(approvals),
            audit_seq=entry.seq if entry else None,
            audit_hash=entry.hash if entry else None,
        )
        return PrintJob(snap.revision.version, body.decode("utf-8"), page)

    async def render(self, job: PrintJob) -> bytes:
        """The PDF: seconds of layout, in the CPU pool (call it with no transaction open)."""
        return await self._cpu.run(
            render_pdf,
            job.html,
            job.page,
            size=len(job.html),
            what="rendering the PDF",
            budget=("SIGNOFF_CPU__PDF_BUDGET_S", self._cpu.settings.pdf_budget_s),
        )


def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)
