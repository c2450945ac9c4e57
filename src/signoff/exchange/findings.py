"""What an importer says about a file it refuses: every finding at once, each with where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    message: str
    code: str = "invalid"
    line: int | None = None
    row: int | None = None
    path: str | None = None  # an XML path or a file's name inside an archive

    def as_error(self) -> dict[str, Any]:
        """The entry of a 422 problem's ``errors``."""
        where = {"line": self.line, "row": self.row, "path": self.path}
        return {"detail": self.message, "code": self.code} | {
            k: v for k, v in where.items() if v is not None
        }


@dataclass
class ImportRejected(ValueError):
    """A file that imports nothing: the findings say why, all of them."""

    summary: str
    findings: list[Finding] = field(default_factory=list)
    too_large: bool = False

    def __str__(self) -> str:
        return self.summary


def refuse_if(findings: list[Finding], summary: str) -> None:
    if findings:
        raise ImportRejected(f"{summary}: {len(findings)} finding(s).", findings)


def too_large(message: str) -> ImportRejected:
    return ImportRejected(message, [Finding(message, code="too_large")], too_large=True)
