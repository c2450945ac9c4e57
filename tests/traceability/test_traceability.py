"""Trace links, attachments, suspect propagation and coverage, through the HTTP API."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor
from tests.traceability.conftest import FIXTURES

pytestmark = pytest.mark.requirement("REQ-023")

SPEC = (FIXTURES / "parcel-tracking-3.0.yaml").read_bytes()
YAML = {"Content-Type": "application/yaml"}
XML = {"Content-Type": "application/xml"}


def junit(cases: list[tuple[str, str, list[str]]]) -> bytes:
    """A pytest-style (xunit1) report: (name, outcome, requirements) per test."""
    body = []
    for name, outcome, requirements in cases:
        props = "".join(f'<property name="requirement" value="{r}"/>' for r in requirements)
        result = {
            "passed": "",
            "failed": '<failure message="boom">trace</failure>',
            "skipped": '<skipped message="later"/>',
        }[outcome]
        body.append(
            f'<testcase classname="tests.test_parcels" name="{name}" '
            f'file="tests/test_parcels.py" time="0.01">'
            f"<properties>{props}</properties>{result}</testcase>"
        )
    return (
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{len(cases)}">'
        f"{''.join(body)}</testsuite></testsuites>"
    ).encode()


async def imported(client: httpx.AsyncClient, owner: Actor, filled: str) -> str:
    return str((await import_md(client, owner, filled)).json()["key"])


async def matrix(client: httpx.AsyncClient, owner: Actor, key: str) -> dict[str, Any]:
    response = await client.get(docs_url(owner, f"/{key}/traceability"), headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def links(
    client: httpx.AsyncClient, owner: Actor, key: str, **params: str
) -> list[dict[str, object]]:
    response = await client.get(
        docs_url(owner, f"/{key}/trace-links"),
        params=params | {"limit": "200"},
        headers=owner.headers,
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def new_link(
    client: httpx.AsyncClient,
    owner: Actor,
    key: str,
    source_kind: str,
    source: str,
    target_kind: str,
    target: str,
) -> httpx.Response:
    return await client.post(
        docs_url(owner, f"/{key}/trace-links"),
        headers=owner.headers,
        json={
            "source_kind": source_kind,
            "source": source,
            "target_kind": target_kind,
            "target": target,
        },
    )


async def test_import_links_requirements_to_their_sections(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    table_links = await links(client, owner, key)
    refs = sum(
        len(re.findall(r"§", line.split("|")[3]))
        for line in filled.splitlines()
        if re.match(r"^\| TRK-\d+ \|", line)
    )
    assert len(table_links) == refs == 21
    assert {x["origin"] for x in table_links} == {"table"}
    coverage = (await matrix(client, owner, key))["coverage"]
    assert coverage == coverage | {
        "requirements": 12,
        "with_section": 12,
        "percent_with_section": 100.0,
        "sections_referenced_missing": [],
        "operations": 0,
        "untested_requirements": [f"TRK-{n:03}" for n in range(1, 13)],
        "suspect_links": 0,
        "links": 21,
    }


async def test_spec_attach_diff_and_suspect_operations(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    first = await client.post(
        docs_url(owner, f"/{key}/openapi"), content=SPEC, headers=owner.headers | YAML
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["number"] == 1
    assert body["operations"] == len(body["added"]) >= 7
    link = await new_link(client, owner, key, "requirement", "TRK-001", "operation", "getParcel")
    assert link.status_code == 201, link.text
    assert link.json()["origin"] == "manual"
    assert not link.json()["suspect"]
    changed = SPEC.replace(
        b"operationId: getParcel", b"operationId: getParcel\n      deprecated: true"
    )
    changed = changed.replace(b"operationId: cancelParcel", b"operationId: cancelParcelNow")
    second = await client.post(
        docs_url(owner, f"/{key}/openapi"), content=changed, headers=owner.headers | YAML
    )
    assert second.json()["changed"] == ["getParcel"]
    assert second.json()["added"] == ["cancelParcelNow"]
    assert second.json()["removed"] == ["cancelParcel"]
    assert second.json()["suspected"] == 1
    [suspect] = await links(client, owner, key, suspect="true")
    assert suspect["id"] == link.json()["id"]
    assert "getParcel changed" in str(suspect["suspect_reason"])
    confirm_url = docs_url(owner, f"/{key}/trace-links/{suspect['id']}/confirm")
    too_long = await client.post(confirm_url, json={"note": "x" * 2001}, headers=owner.headers)
    assert too_long.status_code == 422
    note = "getParcel only became deprecated; the requirement still holds."
    confirmed = await client.post(confirm_url, json={"note": note}, headers=owner.headers)
    assert confirmed.status_code == 200
    assert confirmed.json()["suspect"] is False
    assert confirmed.json()["confirmation_note"] == note
    assert await links(client, owner, key, suspect="true") == []
    coverage = (await matrix(client, owner, key))["coverage"]
    assert "getParcel" in coverage["undocumented_operations"]


async def test_tests_prove_requirements_and_failing_ones_turn_suspect(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    report = junit(
        [
            ("test_status", "passed", ["TRK-001"]),
            ("test_list", "passed", ["TRK-002"]),
            ("test_later", "skipped", ["TRK-003"]),
        ]
    )
    attached = await client.post(
        docs_url(owner, f"/{key}/test-results"), content=report, headers=owner.headers | XML
    )
    assert attached.status_code == 201, attached.text
    assert attached.json()["outcomes"] == {"passed": 2, "skipped": 1}
    coverage = (await matrix(client, owner, key))["coverage"]
    assert "TRK-001" not in coverage["untested_requirements"]
    assert "TRK-003" in coverage["untested_requirements"]
    report_links = [x for x in await links(client, owner, key) if x["origin"] == "report"]
    assert len(report_links) == 3
    manual = await new_link(
        client, owner, key, "requirement", "TRK-005", "test", "tests/test_parcels.py::test_later"
    )
    assert manual.status_code == 201, manual.text
    location = manual.headers["location"]
    assert (await client.get(location, headers=owner.headers)).json() == manual.json()
    now_failing = junit(
        [
            ("test_status", "failed", ["TRK-001"]),
            ("test_list", "passed", ["TRK-002"]),
            ("test_later", "skipped", ["TRK-003"]),
        ]
    )
    again = await client.post(
        docs_url(owner, f"/{key}/test-results"), content=now_failing, headers=owner.headers | XML
    )
    assert again.json()["suspected"] == 1
    [suspect] = await links(client, owner, key, suspect="true")
    assert "is failed" in str(suspect["suspect_reason"])
    renamed = junit([("test_status_renamed", "passed", []), ("test_list", "passed", ["TRK-002"])])
    third = await client.post(
        docs_url(owner, f"/{key}/test-results"), content=renamed, headers=owner.headers | XML
    )
    assert third.json()["missing_tests"] == [
        "tests/test_parcels.py::test_later",
        "tests/test_parcels.py::test_status",
    ]
    # A report-made link goes when the report no longer says so; a manual link stays, suspect.
    assert [x["origin"] for x in await links(client, owner, key) if x["origin"] == "report"] == [
        "report"
    ]
    [gone] = await links(client, owner, key, suspect="true")
    assert gone["id"] == manual.json()["id"]
    assert "no longer exists" in str(gone["suspect_reason"])


async def test_section_edit_makes_its_links_suspect_once(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    url = docs_url(owner, f"/{key}/sections/7.2")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    body = (await client.get(url, headers=owner.headers)).json()["body"] + "\n\nOne more rule."
    assert (
        await client.put(url, json={"body": body}, headers=owner.headers | {"If-Match": etag})
    ).status_code == 200
    suspects = await links(client, owner, key, suspect="true")
    assert len(suspects) == 1  # TRK-008 → §7.2
    events = (
        await client.get(
            f"/v1/orgs/{owner.orgs[0]}/audit-events?type=trace_links.", headers=owner.headers
        )
    ).json()["items"]
    assert [e["type"] for e in events] == ["trace_links.suspected"]
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    await client.put(
        url, json={"body": body + " And another."}, headers=owner.headers | {"If-Match": etag}
    )
    events = (
        await client.get(
            f"/v1/orgs/{owner.orgs[0]}/audit-events?type=trace_links.", headers=owner.headers
        )
    ).json()["items"]
    assert len(events) == 1  # already suspect: not announced again


async def test_rewording_a_requirement_makes_its_links_suspect(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    items = (
        await client.get(docs_url(owner, f"/{key}/requirements"), headers=owner.headers)
    ).json()["items"]
    first = items[0]
    url = docs_url(owner, f"/{key}/requirements/{first['id']}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    reworded = await client.patch(
        url,
        json={"summary": "Shoppers see the status within a second"},
        headers=owner.headers | {"If-Match": etag},
    )
    assert reworded.status_code == 200, reworded.text
    suspects = await links(client, owner, key, suspect="true")
    assert {x["source_ref"] for x in suspects} == {first["id"]}
    assert len(suspects) == 2  # TRK-001 → §4.3 and §8.2


async def test_design_section_column_changes_the_links(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    items = (
        await client.get(docs_url(owner, f"/{key}/requirements"), headers=owner.headers)
    ).json()["items"]
    url = docs_url(owner, f"/{key}/requirements/{items[4]['id']}")  # TRK-005: §9.2
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    await client.patch(
        url,
        json={"design_sections": ["9.2", "9.3", "42.1"]},
        headers=owner.headers | {"If-Match": etag},
    )
    mine = [x for x in await links(client, owner, key) if x["source_ref"] == items[4]["id"]]
    assert len(mine) == 2
    assert not any(
        x["suspect"] for x in mine
    )  # where a requirement is addressed is not what it says
    coverage = (await matrix(client, owner, key))["coverage"]
    assert coverage["sections_referenced_missing"] == ["42.1"]


async def test_manual_links_rules(client: httpx.AsyncClient, owner: Actor, filled: str) -> None:
    key = await imported(client, owner, filled)
    url = docs_url(owner, f"/{key}/trace-links")
    bad_kind = await new_link(client, owner, key, "test", "x", "section", "1")
    assert_problem(bad_kind, 422, "validation_failed")
    not_allowed = await new_link(client, owner, key, "section", "3.3", "test", "x")
    assert_problem(not_allowed, 422, "trace_link_kind_not_allowed")
    missing = await new_link(client, owner, key, "requirement", "TRK-999", "section", "3.3")
    assert_problem(missing, 409, "trace_link_end_missing")
    ok = await new_link(client, owner, key, "requirement", "TRK-001", "section", "§3.3")
    assert ok.status_code == 201
    dup = await new_link(client, owner, key, "requirement", "TRK-001", "section", "3.3")
    assert_problem(dup, 409, "trace_link_exists")
    assert (
        await client.delete(f"{url}/{ok.json()['id']}", headers=owner.headers)
    ).status_code == 204
    assert_problem(
        await client.delete(f"{url}/{ok.json()['id']}", headers=owner.headers),
        404,
        "trace_link_not_found",
    )


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", YAML, "invalid_openapi"),
        (b"{not json", {"Content-Type": "application/json"}, "invalid_openapi"),
        (b"<testsuites><testcase", XML, "invalid_test_report"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>',
            XML,
            "invalid_test_report",
        ),
    ],
)
async def test_malformed_attachments_store_nothing(
    client: httpx.AsyncClient,
    owner: Actor,
    filled: str,
    body: bytes,
    headers: dict[str, str],
    code: str,
) -> None:
    key = await imported(client, owner, filled)
    path = "/openapi" if "openapi" in code else "/test-results"
    response = await client.post(
        docs_url(owner, f"/{key}{path}"), content=body, headers=owner.headers | headers
    )
    problem = assert_problem(response, 422, code)
    assert problem["errors"]
    coverage = (await matrix(client, owner, key))["coverage"]
    assert coverage["operations"] == 0
    assert_problem(
        await client.post(
            docs_url(owner, f"/{key}/openapi"),
            content=b"x",
            headers=owner.headers | {"Content-Type": "text/plain"},
        ),
        415,
        "unsupported_media_type",
    )


async def test_markdown_and_csv(client: httpx.AsyncClient, owner: Actor, filled: str) -> None:
    key = await imported(client, owner, filled)
    md = await client.get(
        docs_url(owner, f"/{key}/traceability"), headers=owner.headers | {"Accept": "text/markdown"}
    )
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "| TRK-001 |" in md.text
    assert "with a design section: 12 (100.0%)" in md.text
    csv = await client.get(
        docs_url(owner, f"/{key}/traceability?format=csv"), headers=owner.headers
    )
    lines = csv.text.strip().splitlines()
    assert lines[0] == "requirement,summary,sections,operations,tests,passing,suspect"
    assert len(lines) == 13


async def test_operations_declare_their_requirements_even_behind_a_ref(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = await imported(client, owner, filled)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Parcels", "version": "1"},
        "paths": {
            "/parcels": {"get": {"operationId": "listParcels", "x-requirements": ["TRK-001"]}},
            "/parcels/{id}": {"$ref": "#/components/pathItems/Parcel"},
            "/labels": {
                "$ref": "#/components/pathItems/Label",
                "post": {"operationId": "printLabel", "x-requirements": "TRK-003"},
            },
        },
        "components": {
            "pathItems": {
                "Parcel": {
                    "get": {"operationId": "getParcel", "x-requirements": "TRK-001, TRK-002"},
                    "delete": {"operationId": "cancelParcel"},
                },
                "Label": {"post": {"operationId": "oldLabel", "x-requirements": ["TRK-004"]}},
            }
        },
    }
    attached = await client.post(
        docs_url(owner, f"/{key}/openapi"), json=spec, headers=owner.headers
    )
    assert attached.status_code == 201, attached.text
    rows = await client.get(
        docs_url(owner, f"/{key}/requirements"), params={"limit": 100}, headers=owner.headers
    )
    requirement = {r["id"]: r["fields"]["requirement_id"] for r in rows.json()["items"]}
    declared = {
        (requirement[str(link["source_ref"])], str(link["target_ref"]))
        for link in await links(client, owner, key)
        if link["origin"] == "spec"
    }
    assert declared == {
        ("TRK-001", "listParcels"),
        ("TRK-001", "getParcel"),  # behind the $ref
        ("TRK-002", "getParcel"),
        ("TRK-003", "printLabel"),  # beside the $ref, the operation written there wins
    }
