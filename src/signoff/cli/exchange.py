"""`signoff export` and `signoff import`: the interchange formats of docs/design.md §9.4 from
a shell or a CI job, through the REST API (`SIGNOFF_URL`, `SIGNOFF_TOKEN`, `SIGNOFF_ORG`)."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from signoff.cli.docs import Org, Server, Token, _client, _fail

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    REQIF = "reqif"
    XLSX = "xlsx"
    CSV = "csv"
    MADR = "madr"
    PDF = "pdf"


class ImportFormat(StrEnum):
    REQIF = "reqif"
    XLSX = "xlsx"
    MADR = "madr"


TYPES = {ImportFormat.REQIF: "application/xml", ImportFormat.XLSX: XLSX}


def export(
    format: Annotated[ExportFormat, typer.Argument(help="reqif, xlsx, csv, madr or pdf.")],
    doc: Annotated[str, typer.Argument(help="`DD-3`")],
    org: Org,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (else standard output).")
    ] = None,
    register: Annotated[str | None, typer.Option(help="csv: which register.")] = None,
    version: Annotated[str | None, typer.Option(help="pdf: an approved version.")] = None,
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Export a document's registers (ReqIF, XLSX, CSV, MADR zip) or an approved version as
    PDF."""
    params = {k: v for k, v in (("register", register), ("version", version)) if v}
    with _client(server, token) as client:
        response = client.get(f"/v1/orgs/{org}/documents/{doc}/exports/{format}", params=params)
    if response.status_code != 200:
        _fail(response)
    if output is None:
        sys.stdout.buffer.write(response.content)
    else:
        output.write_bytes(response.content)
        typer.echo(f"{doc} -> {output}", err=True)


def _zipped(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.md")):
            archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


def import_(
    format: Annotated[ImportFormat, typer.Argument(help="reqif, xlsx or madr.")],
    doc: Annotated[str, typer.Argument(help="`DD-3`")],
    file: Annotated[
        Path, typer.Argument(exists=True, help="The file; for madr a zip or an ADR folder.")
    ],
    org: Org,
    apply: Annotated[bool, typer.Option(help="Write the change (else a preview).")] = False,
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Import requirements (ReqIF, XLSX) or decisions (an adr-tools or log4brains folder):
    prints what would change; with --apply, writes it as one new revision."""
    data = _zipped(file) if file.is_dir() else file.read_bytes()
    media = TYPES.get(format, "application/zip")
    with _client(server, token) as client:
        response = client.post(
            f"/v1/orgs/{org}/documents/{doc}/imports/{format}",
            params={"apply": str(apply).lower()},
            content=data,
            headers={"Content-Type": media},
        )
    if response.status_code != 200:
        _fail(response)
    plan = response.json()
    typer.echo(json.dumps(plan, indent=2))
    if not plan["applied"]:
        typer.echo("A preview: nothing was written (--apply writes it).", err=True)
