"""Decision records as a folder of numbered Markdown files, one decision each.

Written in MADR 3 (front matter ``status``/``date``; Context and Problem Statement,
Considered Options, Decision Outcome, Consequences). Read from the folders people have:
adr-tools (``0001-slug.md``: ``# 1. Title``, ``## Status``, ``## Context``, ``## Decision``,
``## Consequences``, "Superseded by [3. ...](0003-...md)") and log4brains or MADR 2/3
(``20240101-slug.md``: ``- Status: ...`` or front matter). A decision superseded by another
record of the folder keeps that link. The folder arrives as a zip (limits checked first)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from signoff.exchange.findings import Finding, ImportRejected, refuse_if, too_large
from signoff.exchange.limits import MIB, ZIP_MAX_BYTES, ZIP_MAX_FILES, ZIP_MAX_UNPACKED

_RECORD = re.compile(r"^(\d+)-[^/]*\.md$", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_STATUS_LINE = re.compile(r"^\s*[-*]?\s*\**status\**\s*:\s*(.+)$", re.IGNORECASE)
_LINK = re.compile(r"\[[^\]]*\]\(([^)#]+)(?:#[^)]*)?\)")
_SUPERSEDED = re.compile(r"superseded\s+by\s*:?\s*(.*)", re.IGNORECASE)
STATUSES = {
    "proposed": "proposed",
    "draft": "proposed",
    "accepted": "accepted",
    "rejected": "rejected",
    "superseded": "superseded",
    # adr-tools' and log4brains' "deprecated" has no place of its own: no longer in force.
    "deprecated": "superseded",
}
SECTIONS = {
    "context": "context",
    "context and problem statement": "context",
    "considered options": "options",
    "decision": "decision",
    "decision outcome": "decision",
    "consequences": "consequences",
    "positive consequences": "consequences",
    "negative consequences": "consequences",
    "pros and cons of the options": "rationale",
    "decision drivers": "rationale",
    "rationale": "rationale",
    "status": "status",
}


@dataclass(frozen=True)
class Record:
    """One decision as Signoff keeps it (each field one paragraph of text)."""

    title: str
    status: str = "proposed"
    context: str = ""
    options: str = ""
    decision: str = ""
    rationale: str = ""
    consequences: str = ""
    superseded_by: str = ""  # "DD-7 Decision 2", or a record of the folder: "#3"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "decision"


def file_name(number: int, title: str) -> str:
    return f"{number:04d}-{slug(title)}.md"


def render(number: int, record: Record, names: dict[str, str]) -> str:
    """One MADR 3 file; ``names`` maps "#N" to the file name of decision N."""
    status = record.status
    if record.superseded_by:
        target = names.get(record.superseded_by)
        link = f"[{target[:-3]}]({target})" if target else record.superseded_by
        status = f"superseded by {link}"
    parts = [
        f"---\nstatus: {json.dumps(status)}\n---",  # a JSON string is a YAML string
        f"# {record.title}",
    ]
    for heading, text in (
        ("Context and Problem Statement", record.context),
        ("Considered Options", record.options),
        ("Decision Outcome", record.decision),
        ("Rationale", record.rationale),
        ("Consequences", record.consequences),
    ):
        if text:
            parts.append(f"## {heading}\n\n{text}")
    return "\n\n".join(parts) + "\n"


def export_madr(records: Sequence[Record]) -> bytes:
    """A zip of ``NNNN-title.md`` files, decision N as file N."""
    names = {f"#{i}": file_name(i, r.title) for i, r in enumerate(records, start=1)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, record in enumerate(records, start=1):
            info = zipfile.ZipInfo(names[f"#{i}"], date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, render(i, record, names))
    return out.getvalue()


def _files(data: bytes) -> list[tuple[str, str]]:
    """(base name, text) of the numbered records in a zip, in number order."""
    if len(data) > ZIP_MAX_BYTES:
        raise too_large(f"A decision folder may have {ZIP_MAX_BYTES // MIB} MiB zipped at most.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportRejected(
            "Send the folder as a zip.", [Finding(str(exc), code="wrong_schema")]
        ) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_FILES:
            raise too_large(f"A decision folder may hold {ZIP_MAX_FILES} files at most.")
        if sum(i.file_size for i in infos) > ZIP_MAX_UNPACKED:
            raise too_large(f"A decision folder may unpack to {ZIP_MAX_UNPACKED // MIB} MiB.")
        numbered = [(_RECORD.match(i.filename.rsplit("/", 1)[-1]), i) for i in infos]
        records = [
            i for _, _, i in sorted((int(m.group(1)), i.filename, i) for m, i in numbered if m)
        ]
        findings: list[Finding] = []
        out: list[tuple[str, str]] = []
        for info in records:
            try:
                out.append((info.filename.rsplit("/", 1)[-1], archive.read(info).decode("utf-8")))
            except UnicodeDecodeError:
                findings.append(Finding("not UTF-8", code="not_utf8", path=info.filename))
        refuse_if(findings, "The decision folder is refused")
        if not out:
            raise ImportRejected(
                "The folder has no numbered decision records (0001-title.md).",
                [Finding("no file named like 0001-title.md", code="empty", path="/")],
            )
        return out


def _sections(text: str) -> tuple[str, dict[str, str], dict[str, object]]:
    """Title (first H1), the text under each known heading, and the front matter."""
    meta: dict[str, object] = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            loaded = yaml.safe_load(text[4:end])
            meta = loaded if isinstance(loaded, dict) else {}
            text = text[end + 4 :]
    title, field, found = "", "", {}
    lines: dict[str, list[str]] = {}
    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 1 and not title:
            title, field = heading.group(2), "preamble"
            continue
        if heading:
            name = heading.group(2).strip().lower()
            field = SECTIONS.get(name, field if len(heading.group(1)) > 2 else "")
            continue
        lines.setdefault(field or "preamble", []).append(line)
    for name, body in lines.items():
        found[name] = " ".join(" ".join(body).split())
    return re.sub(r"^\d+\.\s+", "", title), found, meta


def _status(raw: str) -> tuple[str | None, str]:
    """("superseded", link text) from "Superseded by [3. X](0003-x.md)"; None if unknown."""
    text = raw.strip()
    superseded = _SUPERSEDED.search(text)
    if superseded:
        return "superseded", superseded.group(1)
    word = text.split()[0].strip(".,:;*").lower() if text.split() else ""
    return STATUSES.get(word), ""


def import_madr(data: bytes) -> list[Record]:
    """The decisions of a zipped adr-tools, log4brains or MADR folder, in number order."""
    files = _files(data)
    numbers = {name: i for i, (name, _) in enumerate(files, start=1)}
    findings: list[Finding] = []
    records: list[Record] = []
    for name, text in files:
        title, found, meta = _sections(text)
        raw = str(meta.get("status") or "") or found.get("status", "")
        if not raw:
            line = next((m for m in map(_STATUS_LINE.match, text.split("\n")) if m), None)
            raw = line.group(1) if line else "proposed"
        status, link = _status(raw)
        if status is None:
            findings.append(
                Finding(f"unknown status {raw.split()[0]!r}", code="unknown_status", path=name)
            )
            continue
        if not title:
            findings.append(
                Finding("no title (a first-level heading)", code="missing_title", path=name)
            )
            continue
        superseded_by = ""
        if link:
            target = next((m.group(1).rsplit("/", 1)[-1] for m in _LINK.finditer(link)), "")
            if target in numbers:
                superseded_by = f"#{numbers[target]}"
            elif re.match(r"^DD-\d+( Decision \d+)?$", link.strip()):
                superseded_by = link.strip()
        records.append(
            Record(
                title=title,
                status=status,
                context=found.get("context", ""),
                options=found.get("options", ""),
                decision=found.get("decision", ""),
                rationale=found.get("rationale", ""),
                consequences=found.get("consequences", ""),
                superseded_by=superseded_by,
            )
        )
    refuse_if(findings, "The decision folder is refused")
    return records
