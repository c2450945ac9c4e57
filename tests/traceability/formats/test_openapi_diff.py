"""diff_operations: two versions of a document compared operation by operation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signoff.traceability.formats import OpenApiSpec, diff_operations, parse_openapi

from .conftest import OPENAPI_31_JSON

pytestmark = pytest.mark.requirement("REQ-023")


def _spec(edit: Any = None) -> OpenApiSpec:
    doc = json.loads(OPENAPI_31_JSON.read_text(encoding="utf-8"))
    if edit is not None:
        edit(doc)
    return parse_openapi(json.dumps(doc).encode())


def test_a_document_against_itself() -> None:
    spec = _spec()
    diff = diff_operations(spec, spec)
    assert not diff.has_changes
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())
    assert diff.unchanged == spec.operations


def test_added_removed_changed_unchanged() -> None:
    def edit(doc: dict[str, Any]) -> None:
        paths = doc["paths"]
        del paths["/parcels/{parcelId}"]["delete"]  # cancelParcel goes
        paths["/parcels/{parcelId}/labels"] = {
            "post": {"operationId": "printLabel", "responses": {"201": {"description": "ok"}}}
        }
        paths["/carriers"]["get"]["operationId"] = "listCarriers"  # GET /carriers renamed
        paths["/parcels"]["get"]["summary"] = "Search parcels"  # documentation only
        problem = doc["components"]["schemas"]["Problem"]
        problem["required"] = ["type", "status"]  # changes every user of Problem

    old, new = _spec(), _spec(edit)
    diff = diff_operations(old, new)
    assert diff.has_changes
    assert [o.operation_id for o in diff.added] == ["listCarriers", "printLabel"]
    assert [o.operation_id for o in diff.removed] == ["cancelParcel", "GET /carriers"]
    assert [c.operation_id for c in diff.changed] == [
        "listParcels",
        "createParcel",
        "getParcel",
        "updateParcel",
        "recordTrackingEvent",
    ]
    assert [o.operation_id for o in diff.unchanged] == [
        "listTrackingEvents",
        "listCarrierParcels",
    ]
    change = diff.changed[0]
    assert change.old.summary == "List parcels"
    assert change.new.summary == "Search parcels"
    assert change.old.content_hash != change.new.content_hash


def test_a_summary_edit_alone_is_unchanged_but_carries_the_new_summary() -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["paths"]["/parcels"]["get"]["summary"] = "Search parcels"

    diff = diff_operations(_spec(), _spec(edit))
    assert not diff.has_changes
    assert diff.unchanged[0].summary == "Search parcels"
