"""ReqIF in and out, tested against a real peer: StrictDoc reads what Signoff writes, Signoff
reads what StrictDoc writes, and a round trip through both changes nothing either keeps."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from signoff.exchange import ImportRejected
from signoff.exchange.reqif import Chapter, Endpoint, Requirement, export_reqif, import_reqif
from tests.documents.conftest import docs_url, import_md
from tests.exchange import strictdoc
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.requirement("REQ-021")


def url(owner: Actor, key: str, suffix: str) -> str:
    return docs_url(owner, f"/{key}{suffix}")


def _title(chapter: object) -> str:
    return re.sub(r"^\s*\d+(\.\d+)*\.?\s+", "", str(chapter or ""))


def _same(found: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {k: {**v, "chapter": _title(v["chapter"])} for k, v in found.items()}


async def _post_reqif(
    client: httpx.AsyncClient, owner: Actor, key: str, data: bytes, apply: bool
) -> httpx.Response:
    return await client.post(
        url(owner, key, f"/imports/reqif?apply={str(apply).lower()}"),
        content=data,
        headers=owner.headers | {"Content-Type": "application/xml"},
    )


async def test_strictdoc_to_signoff_to_strictdoc_keeps_every_requirement(
    client: httpx.AsyncClient, owner: Actor, filled: str, tmp_path: Path
) -> None:
    source = tmp_path / "src" / "tracking.sdoc"
    source.parent.mkdir()
    source.write_text((FIXTURES / "tracking.sdoc").read_text("utf-8"), "utf-8")
    original = strictdoc.requirements(source)
    reqif = strictdoc.to_reqif(source, tmp_path)
    key = (await import_md(client, owner, filled)).json()["key"]

    preview = await _post_reqif(client, owner, key, reqif, apply=False)
    assert preview.status_code == 200, preview.text
    assert preview.json()["added"] == ["REQ-101", "REQ-102", "REQ-103", "REQ-104"]
    assert preview.json()["applied"] is False
    rows = (await client.get(url(owner, key, "/requirements"), headers=owner.headers)).json()
    assert "REQ-101" not in [r["text"]["requirement_id"] for r in rows["items"]]

    applied = await _post_reqif(client, owner, key, reqif, apply=True)
    assert applied.json()["applied"] is True
    assert len(applied.json()["removed"]) == 12  # the file is the whole register
    rows = (await client.get(url(owner, key, "/requirements"), headers=owner.headers)).json()
    fields = {r["fields"]["requirement_id"]: r["fields"] for r in rows["items"]}
    assert fields["REQ-102"]["title"] == "Geofence alerts"
    assert fields["REQ-102"]["summary"] == original["REQ-102"]["statement"]
    assert fields["REQ-103"]["parents"] == ["REQ-101", "REQ-102"]
    assert fields["REQ-101"]["design_sections"] == ["4"]  # chapter "API Design" is §4
    assert fields["REQ-103"]["design_sections"] == ["12"]
    assert fields["REQ-104"]["design_sections"] == []

    exported = await client.get(url(owner, key, "/exports/reqif"), headers=owner.headers)
    assert exported.headers["content-type"].startswith("application/xml")
    back = strictdoc.requirements(strictdoc.from_reqif(exported.content, tmp_path / "back"))
    # Section names compare by title: Signoff writes a chapter as its heading ("4. API Design").
    assert _same(back) == _same(original)


async def test_signoff_to_strictdoc_to_signoff_changes_nothing(
    client: httpx.AsyncClient, owner: Actor, filled: str, tmp_path: Path
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    first = (await client.get(url(owner, key, "/exports/reqif"), headers=owner.headers)).content
    again = (await client.get(url(owner, key, "/exports/reqif"), headers=owner.headers)).content
    assert first == again  # stable identifiers: the same revision, the same file
    sdoc = strictdoc.from_reqif(first, tmp_path / "peer")
    assert len(strictdoc.requirements(sdoc)) == 12
    reqif = strictdoc.to_reqif(sdoc, tmp_path)
    preview = (await _post_reqif(client, owner, key, reqif, apply=False)).json()
    assert (preview["added"], preview["changed"], preview["removed"]) == ([], [], [])
    assert preview["unchanged"] == 12


async def test_a_bad_file_imports_nothing_and_lists_every_finding(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    reqs = [Requirement("REQ-1", "one"), Requirement("REQ-2", "two", parents=("REQ-1",))]
    text = export_reqif(document_key=key, title="t", chapters=[], requirements=reqs, stamp="x")
    text = text.replace('THE-VALUE="REQ-2"', 'THE-VALUE="REQ-1"')  # a duplicate id
    text = text.replace(
        f"SO-{key}-R-REQ-1</SPEC-OBJECT-REF>\n          </TARGET>",
        "NOPE</SPEC-OBJECT-REF>\n          </TARGET>",
    )
    response = await _post_reqif(client, owner, key, text.encode(), apply=True)
    body = assert_problem(response, 422, "import_refused")
    codes = {e["code"]: e for e in body["errors"]}  # type: ignore[attr-defined]
    assert "duplicate_id" in codes
    assert codes["duplicate_id"]["path"].startswith("/REQ-IF/CORE-CONTENT")
    rows = (await client.get(url(owner, key, "/requirements"), headers=owner.headers)).json()
    assert len(rows["items"]) == 12


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_entities_and_external_references_are_refused(prolog: str) -> None:
    data = f'<?xml version="1.0"?>{prolog}<REQ-IF>&b;</REQ-IF>'.encode()
    with pytest.raises(ImportRejected) as refused:
        import_reqif(data)
    assert refused.value.findings[0].code == "unsafe_xml"


def test_limits_are_checked_before_parsing() -> None:
    objects = "<SPEC-OBJECT/>" * 10_001
    with pytest.raises(ImportRejected) as refused:
        import_reqif(f"<REQ-IF>{objects}</REQ-IF>".encode())
    assert refused.value.too_large
    with pytest.raises(ImportRejected) as refused:
        import_reqif(b" " * (4 * 1024 * 1024 + 1))
    assert refused.value.too_large


def test_export_reads_back_with_the_same_fields() -> None:
    reqs = [
        Requirement("REQ-1", 'It\'s < 200 ms & "fast"', "Fast", ("3.3",)),
        Requirement("REQ-2", "child", parents=("REQ-1",)),
    ]
    text = export_reqif(
        document_key="DD-1",
        title="T",
        chapters=[Chapter("3.3", "Key Decisions")],
        requirements=reqs,
        stamp="2026-01-01T00:00:00+00:00",
    )
    back = import_reqif(text.encode())
    assert [
        (r.requirement_id, r.statement, r.title, r.design_sections, r.parents) for r in back
    ] == [(r.requirement_id, r.statement, r.title, r.design_sections, r.parents) for r in reqs]
    assert back[0].chapter == "3.3. Key Decisions"


def test_operations_and_tests_travel_as_objects_with_implements_and_verifies() -> None:
    reqs = [
        Requirement("REQ-1", "one", implemented_by=("getItem",), verified_by=("t::one",)),
        Requirement("REQ-2", "two", parents=("REQ-1",), implemented_by=("getItem", "putItem")),
    ]
    ends = [
        Endpoint("operation", "getItem", "GET /items/{id}", "Read an item"),
        Endpoint("operation", "putItem", "PUT /items/{id}"),
        Endpoint("operation", "unused", "DELETE /items/{id}"),
        Endpoint("test", "t::one", "test_one", "passed"),
    ]
    text = export_reqif(
        document_key="DD-1", title="t", chapters=[], requirements=reqs, stamp="x", endpoints=ends
    )
    assert text.count("<SPEC-OBJECT-TYPE ") == 4  # SECTION, REQUIREMENT, OPERATION, TEST
    assert "unused" not in text  # only what some requirement is traced to
    assert len(re.findall(r"<SPEC-RELATION[ >]", text)) == 5  # 1 parent, 3 implements, 1 verifies
    back = import_reqif(text.encode())
    # The operations and tests are not requirements; the trace comes back on each requirement.
    assert [r.requirement_id for r in back] == ["REQ-1", "REQ-2"]
    assert back[0].implemented_by == ("getItem",)
    assert back[0].verified_by == ("t::one",)
    assert back[1].implemented_by == ("getItem", "putItem")
    assert back[1].parents == ("REQ-1",)
    # Without endpoints the file is what it always was: no new types, no new relations.
    plain = export_reqif(document_key="DD-1", title="t", chapters=[], requirements=reqs, stamp="x")
    assert "OPERATION" not in plain
    assert "Implements" not in plain


async def test_the_export_carries_the_documents_trace_and_strictdoc_still_reads_it(
    client: httpx.AsyncClient, owner: Actor, filled: str, tmp_path: Path
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Parcels", "version": "1"},
        "paths": {
            "/parcels": {"get": {"operationId": "listParcels", "x-requirements": ["TRK-001"]}}
        },
    }
    attached = await client.post(url(owner, key, "/openapi"), json=spec, headers=owner.headers)
    assert attached.status_code == 201, attached.text
    report = (
        '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="tests.test_parcels" name="test_list" file="tests/test_parcels.py" '
        'time="0.01"><properties><property name="requirement" value="TRK-001"/></properties>'
        "</testcase></testsuite></testsuites>"
    )
    ran = await client.post(
        url(owner, key, "/test-results"),
        content=report.encode(),
        headers=owner.headers | {"Content-Type": "application/xml"},
    )
    assert ran.status_code == 201, ran.text
    exported = (await client.get(url(owner, key, "/exports/reqif"), headers=owner.headers)).text
    assert re.search(r'THE-VALUE="listParcels"', exported)
    assert re.search(r"LONG-NAME=\"Implements\"", exported)
    assert re.search(r"LONG-NAME=\"Verifies\"", exported)
    # The peer reads the file as before (it keeps requirements; the other objects are ours).
    sdoc = strictdoc.from_reqif(exported.encode(), tmp_path / "peer")
    assert len(strictdoc.requirements(sdoc)) == 12
    # Signoff's own import of its export changes nothing in the register.
    preview = (await _post_reqif(client, owner, key, exported.encode(), apply=False)).json()
    assert (preview["added"], preview["changed"], preview["removed"]) == ([], [], [])
