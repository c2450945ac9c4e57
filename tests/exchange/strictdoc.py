"""StrictDoc, the peer of the ReqIF tests: run as its users run it (its command line), and
its .sdoc output read back with its own reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent / "strictdoc"


def run(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [str(BIN), *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def to_reqif(sdoc: Path, work: Path) -> bytes:
    """StrictDoc's ReqIF export of the .sdoc documents in ``sdoc``'s folder."""
    run(
        "export",
        "--no-parallelization",
        "--formats",
        "reqif-sdoc",
        "--output-dir",
        work / "out",
        sdoc.parent,
        cwd=work,
    )
    return (work / "out" / "reqif" / "output.reqif").read_bytes()


def from_reqif(reqif: bytes, work: Path) -> Path:
    """StrictDoc's import (``convert``) of a ReqIF file: the .sdoc it writes."""
    work.mkdir(parents=True, exist_ok=True)
    source = work / "in.reqif"
    source.write_bytes(reqif)
    run("convert", "--output-format", "sdoc", source, work / "sdoc", cwd=work)
    (found,) = (work / "sdoc").rglob("*.sdoc")
    return found


def requirements(sdoc: Path) -> dict[str, dict[str, object]]:
    """UID → the fields that StrictDoc and Signoff both keep, read by StrictDoc's reader."""
    from strictdoc.backend.sdoc.reader import SDReader

    document = SDReader.read(sdoc.read_text("utf-8"), str(sdoc))
    out: dict[str, dict[str, object]] = {}

    def walk(nodes: list[Any], chapter: str | None) -> None:
        for node in nodes:
            if node.node_type == "SECTION":
                walk(list(node.section_contents), node.reserved_title)
                continue
            out[node.reserved_uid] = {
                "title": node.reserved_title or "",
                "statement": (node.reserved_statement or "").strip(),
                "parents": sorted(r.ref_uid for r in node.relations if r.ref_type == "Parent"),
                "chapter": chapter,
            }

    walk(list(document.section_contents), None)
    return out
