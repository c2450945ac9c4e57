"""Decision folders: adr-tools and log4brains folders (files as those tools write them) into
§3.3, and §3.3 out as numbered MADR files that read back the same."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.requirement("REQ-021")


def zipped(folder: Path | dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        files = (
            folder.items()
            if isinstance(folder, dict)
            else ((f"doc/adr/{p.name}", p.read_text("utf-8")) for p in sorted(folder.iterdir()))
        )
        for name, text in files:
            archive.writestr(name, text)
    return out.getvalue()


async def _post(
    client: httpx.AsyncClient, owner: Actor, key: str, data: bytes, apply: bool = True
) -> httpx.Response:
    return await client.post(
        docs_url(owner, f"/{key}/imports/madr?apply={str(apply).lower()}"),
        content=data,
        headers=owner.headers | {"Content-Type": "application/zip"},
    )


async def _decisions(client: httpx.AsyncClient, owner: Actor, key: str) -> list[dict[str, str]]:
    response = await client.get(docs_url(owner, f"/{key}/decisions"), headers=owner.headers)
    return [item["text"] for item in response.json()["items"]]


async def test_an_adr_tools_folder_becomes_section_3_3(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    response = await _post(client, owner, key, zipped(FIXTURES / "adr-tools"))
    assert response.status_code == 200, response.text
    assert response.json()["applied"] is True
    rows = await _decisions(client, owner, key)
    assert [r["title"] for r in rows] == [
        "Record architecture decisions",
        "Use MySQL",
        "Use PostgreSQL",
    ]
    assert [r.get("status") for r in rows] == ["Accepted", "Superseded", "Accepted"]
    assert rows[1]["superseded_by"] == f"{key} Decision 3"
    assert rows[2]["context"] == "MySQL lacks transactional DDL, which our migrations need."
    assert rows[2]["decision"] == "We will use PostgreSQL 16."
    assert rows[2]["consequences"].startswith("Migrations run in one transaction")


async def test_a_log4brains_folder_and_the_madr_export_round_trip(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    assert (await _post(client, owner, key, zipped(FIXTURES / "log4brains"))).status_code == 200
    rows = await _decisions(client, owner, key)
    assert [r["title"] for r in rows] == [
        "Use Log4brains to manage the ADRs",
        "Use MADR files in the repository",
    ]
    assert rows[0]["superseded_by"] == f"{key} Decision 2"
    assert "Log4brains: architecture knowledge base" in rows[0]["options"]
    assert "One more Node.js tool" in rows[0]["consequences"]
    assert rows[1]["decision"].startswith('Chosen option: "Plain MADR files"')

    exported = await client.get(docs_url(owner, f"/{key}/exports/madr"), headers=owner.headers)
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        names = archive.namelist()
        first = archive.read(names[0]).decode()
    assert names == [
        "0001-use-log4brains-to-manage-the-adrs.md",
        "0002-use-madr-files-in-the-repository.md",
    ]
    assert 'status: "superseded by [0002-use-madr-files-in-the-repository]' in first
    again = (await _post(client, owner, key, exported.content, apply=False)).json()
    assert (again["added"], again["changed"], again["removed"]) == ([], [], [])


async def test_a_bad_folder_imports_nothing(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    before = await _decisions(client, owner, key)
    folder = {
        "0001-a.md": "# 1. A\n\n## Status\n\nPending\n",
        "0002-b.md": "no heading at all\n",
    }
    body = assert_problem(await _post(client, owner, key, zipped(folder)), 422, "import_refused")
    assert {(e["code"], e["path"]) for e in body["errors"]} == {  # type: ignore[attr-defined]
        ("unknown_status", "0001-a.md"),
        ("missing_title", "0002-b.md"),
    }
    assert await _decisions(client, owner, key) == before
    bomb = zipped({"0001-a.md": "# A\n" + "x" * (33 * 1024 * 1024)})
    assert_problem(await _post(client, owner, key, bomb), 413, "import_too_large")
