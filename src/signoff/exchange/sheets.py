"""Tables as CSV and XLSX (openpyxl), and requirement rows read back from XLSX.

An XLSX file is a zip of XML: its size, its unpacked size and its row count are checked
before openpyxl reads it (openpyxl parses with defusedxml when it is installed, as here)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from signoff.exchange.findings import Finding, ImportRejected, refuse_if, too_large
from signoff.exchange.limits import MIB, XLSX_MAX_BYTES, XLSX_MAX_ROWS, XLSX_MAX_UNPACKED

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cells that a spreadsheet would run as formulas are written with a leading apostrophe
# (OWASP CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def to_csv(sheet: Sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.headers)
    writer.writerows([_cell(v) for v in row] for row in sheet.rows)
    return out.getvalue()


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])
        ws.append(list(sheet.headers))
        for row in sheet.rows:
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _check_zip(data: bytes) -> None:
    if len(data) > XLSX_MAX_BYTES:
        raise too_large(f"An XLSX file may have {XLSX_MAX_BYTES // MIB} MiB at most.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportRejected(
            "This is not an XLSX file.", [Finding(str(exc), code="wrong_schema")]
        ) from exc
    if unpacked > XLSX_MAX_UNPACKED:
        raise too_large(f"An XLSX file may unpack to {XLSX_MAX_UNPACKED // MIB} MiB at most.")


def read_xlsx(
    data: bytes, columns: Mapping[str, str], required: Sequence[str]
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) of the first sheet, by header (``columns`` maps a lower
    case header to a field). An unknown column, a missing required column or a row over
    the limit refuses the file."""
    _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ImportRejected(
            "This is not an XLSX file.", [Finding(str(exc), code="wrong_schema")]
        ) from exc
    try:
        ws = book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        findings = [
            Finding(f"unknown column {h!r}", code="unknown_column", row=1)
            for h in header
            if h and h.lower() not in columns
        ]
        fields = [columns.get(h.lower()) for h in header]
        findings += [
            Finding(f"the column {name!r} is missing", code="missing_column", row=1)
            for name in required
            if columns[name.lower()] not in fields
        ]
        refuse_if(findings, "The spreadsheet is refused")
        out: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(rows, start=2):
            if number - 1 > XLSX_MAX_ROWS:
                raise too_large(f"A spreadsheet may have {XLSX_MAX_ROWS} rows at most.")
            row = {f: _text(v) for f, v in zip(fields, values, strict=False) if f and _text(v)}
            if row:
                out.append((number, row))
        return out
    finally:
        book.close()


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text
