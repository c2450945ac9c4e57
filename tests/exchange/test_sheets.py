"""Registers as CSV and XLSX, requirements back from XLSX with a preview, the traceability
matrix as XLSX. The workbooks are read back with openpyxl, as a spreadsheet would."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from signoff.exchange.sheets import XLSX
from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

pytestmark = pytest.mark.requirement("REQ-021")


def url(owner: Actor, key: str, suffix: str) -> str:
    return docs_url(owner, f"/{key}{suffix}")


async def _workbook(client: httpx.AsyncClient, owner: Actor, key: str) -> Workbook:
    response = await client.get(url(owner, key, "/exports/xlsx"), headers=owner.headers)
    assert response.headers["content-type"] == XLSX
    return load_workbook(io.BytesIO(response.content))


async def _post(
    client: httpx.AsyncClient, owner: Actor, key: str, data: bytes, apply: bool
) -> httpx.Response:
    return await client.post(
        url(owner, key, f"/imports/xlsx?apply={str(apply).lower()}"),
        content=data,
        headers=owner.headers | {"Content-Type": XLSX},
    )


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_every_register_exports_with_document_version_and_section(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    book = await _workbook(client, owner, key)
    assert book.sheetnames == [
        "requirements",
        "performance-goals",
        "risks",
        "questions",
        "glossary",
        "references",
        "decisions",
    ]
    rows = list(book["risks"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Document", "Version", "Section", "Risk")
    assert len(rows) == 5
    assert {r[:3] for r in rows[1:]} == {(key, "0.1", "16.1")}
    response = await client.get(
        url(owner, key, "/exports/csv?register=glossary"), headers=owner.headers
    )
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["Document", "Version", "Section", "Term", "Definition"]
    assert len(table) == 6
    assert table[1][2] == "17"


async def test_xlsx_import_previews_then_applies(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    book = await _workbook(client, owner, key)
    sheet = book["requirements"]
    first, second = sheet[2], sheet[3]
    changed_id, removed_id = first[3].value, second[3].value
    first[4].value = "Changed in the spreadsheet"
    sheet.delete_rows(3)
    sheet.append([key, "", "", "REQ-900", "Added in the spreadsheet", "§3.3", "", changed_id])
    data = _save(book)
    before = (await client.get(url(owner, key, ""), headers=owner.headers)).json()

    preview = await _post(client, owner, key, data, apply=False)
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert (plan["added"], plan["changed"], plan["removed"]) == (
        ["REQ-900"],
        [changed_id],
        [removed_id],
    )
    assert plan["applied"] is False
    same = (await client.get(url(owner, key, ""), headers=owner.headers)).json()
    assert same["revision"] == before["revision"]

    applied = (await _post(client, owner, key, data, apply=True)).json()
    assert applied["applied"] is True
    assert applied["revision"] == before["revision"] + 1
    rows = (await client.get(url(owner, key, "/requirements"), headers=owner.headers)).json()
    by_id = {r["fields"]["requirement_id"]: r["fields"] for r in rows["items"]}
    assert by_id[changed_id]["summary"] == "Changed in the spreadsheet"
    assert by_id["REQ-900"]["parents"] == [changed_id]
    assert removed_id not in by_id


async def test_a_bad_sheet_imports_nothing_and_names_rows(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    book = Workbook()
    ws = book.active
    ws.append(["Requirement ID", "Requirement Summary", "Parents"])
    ws.append(["REQ-1", "one", ""])
    ws.append(["REQ-1", "again", ""])
    ws.append(["not an id", "x", "REQ-404"])
    body = assert_problem(await _post(client, owner, key, _save(book), True), 422, "import_refused")
    found = {(e["code"], e.get("row")) for e in body["errors"]}  # type: ignore[attr-defined]
    assert ("duplicate_id", 3) in found
    assert ("string_pattern_mismatch", 4) in found
    ws.cell(1, 4, "Priority")
    body = assert_problem(await _post(client, owner, key, _save(book), True), 422, "import_refused")
    assert body["errors"] == [
        {"detail": "unknown column 'Priority'", "code": "unknown_column", "row": 1}
    ]
    rows = (await client.get(url(owner, key, "/requirements"), headers=owner.headers)).json()
    assert len(rows["items"]) == 12


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (33 * 1024 * 1024))
    response = await _post(client, owner, key, out.getvalue(), apply=True)
    assert_problem(response, 413, "import_too_large")


async def test_the_traceability_matrix_as_xlsx(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    response = await client.get(
        url(owner, key, "/traceability"), headers=owner.headers | {"Accept": XLSX}
    )
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["traceability"].iter_rows(values_only=True))
    assert rows[0][0] == "requirement"
    assert len(rows) == 13
    assert dict(book["coverage"].iter_rows(values_only=True))["requirements"] == "12"
