"""Operation content hashes: they follow the contract and ignore layout and documentation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from signoff.traceability.formats import SpecError, SpecLimits, parse_openapi

from .conftest import OPENAPI_30_YAML, OPENAPI_31_JSON

pytestmark = pytest.mark.requirement("REQ-023")

Doc = dict[str, Any]

_UNDER_PARCEL_ID = {
    "getParcel",
    "updateParcel",
    "cancelParcel",
    "listTrackingEvents",
    "recordTrackingEvent",
}
_ALL_31 = {
    "listParcels",
    "createParcel",
    "GET /carriers",
    "listCarrierParcels",
} | _UNDER_PARCEL_ID


def _base() -> Doc:
    loaded: Doc = json.loads(OPENAPI_31_JSON.read_text(encoding="utf-8"))
    return loaded


def _hashes(doc: Doc | bytes) -> dict[str, str]:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return {o.operation_id: o.content_hash for o in parse_openapi(data).operations}


def _changed(edit: Callable[[Doc], object]) -> set[str]:
    """Ids of the operations whose hash `edit` (applied to the 3.1 fixture) changes."""
    before = _hashes(_base())
    doc = _base()
    edit(doc)
    after = _hashes(doc)
    return {i for i in before.keys() & after.keys() if before[i] != after[i]}


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def _schemas(doc: Doc) -> Doc:
    schemas: Doc = doc["components"]["schemas"]
    return schemas


def _op(doc: Doc, path: str, method: str) -> Doc:
    operation: Doc = doc["paths"][path][method]
    return operation


def test_key_order_and_whitespace_do_not_count() -> None:
    base = _hashes(_base())
    compact = json.dumps(_reversed_keys(_base()), separators=(",", ":")).encode()
    spaced = json.dumps(_reversed_keys(_base()), indent="\t").encode().replace(b"\n", b"\r\n")
    assert _hashes(compact) == base
    assert _hashes(spaced) == base


def test_yaml_and_json_of_one_document_hash_alike() -> None:
    data = yaml.safe_load(OPENAPI_30_YAML.read_text(encoding="utf-8"))
    as_json = json.dumps(data, default=str).encode()
    assert _hashes(as_json) == _hashes(OPENAPI_30_YAML.read_bytes())


def test_a_changed_component_schema_changes_the_operations_that_use_it() -> None:
    def edit(doc: Doc) -> None:
        _schemas(doc)["Problem"]["properties"]["status"]["type"] = "string"

    problem_users = {
        "listParcels",
        "createParcel",
        "getParcel",
        "updateParcel",
        "cancelParcel",
        "recordTrackingEvent",
    }
    assert _changed(edit) == problem_users


def test_a_change_deep_in_a_recursive_schema_is_seen() -> None:
    def edit(doc: Doc) -> None:
        _schemas(doc)["Location"]["properties"]["name"]["maxLength"] = 80

    # TrackingEvent → Location → Location...; createParcel's callback posts TrackingEvents.
    assert _changed(edit) == {"listTrackingEvents", "recordTrackingEvent", "createParcel"}


def test_a_path_level_parameter_changes_every_operation_under_it() -> None:
    def edit(doc: Doc) -> None:
        doc["components"]["parameters"]["ParcelId"]["schema"]["pattern"] = "^PCL-[0-9]{10}$"

    assert _changed(edit) == _UNDER_PARCEL_ID


def test_an_operation_parameter_overrides_the_path_level_one() -> None:
    def same(doc: Doc) -> None:
        inline = copy.deepcopy(doc["components"]["parameters"]["ParcelId"])
        _op(doc, "/parcels/{parcelId}", "get")["parameters"] = [inline]

    def different(doc: Doc) -> None:
        inline = copy.deepcopy(doc["components"]["parameters"]["ParcelId"])
        inline["schema"] = {"type": "integer"}
        _op(doc, "/parcels/{parcelId}", "get")["parameters"] = [inline]

    assert _changed(same) == set()
    assert _changed(different) == {"getParcel"}


def test_parameter_order_and_set_valued_keywords_do_not_count() -> None:
    def edit(doc: Doc) -> None:
        _op(doc, "/parcels", "get")["parameters"].reverse()
        _schemas(doc)["Address"]["required"].reverse()
        _schemas(doc)["Address"]["properties"]["postcode"]["type"].reverse()
        _op(doc, "/carriers/{code}/parcels", "get")["security"].reverse()

    assert _changed(edit) == set()


def test_enum_order_counts() -> None:
    def edit(doc: Doc) -> None:
        _schemas(doc)["ParcelStatus"]["enum"].reverse()

    assert _changed(edit) == {
        "listParcels",
        "createParcel",
        "getParcel",
        "updateParcel",
        "listCarrierParcels",
    }


def test_documentation_does_not_count() -> None:
    def edit(doc: Doc) -> None:
        doc["info"]["title"] = "Renamed"
        create = _op(doc, "/parcels", "post")
        create["summary"] = "Another summary"
        create["description"] = "Long text"
        create["tags"] = ["other"]
        create["externalDocs"] = {"url": "https://docs.example"}
        create["responses"]["201"]["description"] = "Made."
        _schemas(doc)["NewParcel"]["examples"] = []
        _schemas(doc)["NewParcel"]["title"] = "A new parcel"
        _schemas(doc)["NewParcel"]["description"] = "What a sender gives us"
        _schemas(doc)["Address"]["properties"]["city"]["example"] = "Lyon"
        doc["components"]["responses"]["Problem"]["description"] = "A problem."
        doc["servers"] = [{"url": "https://staging.parcels.example"}]

    assert _changed(edit) == set()


def test_a_property_named_like_an_annotation_counts() -> None:
    def edit(doc: Doc) -> None:
        _schemas(doc)["Parcel"]["allOf"][1]["properties"]["description"]["type"] = "integer"

    assert "getParcel" in _changed(edit)


def test_data_values_count() -> None:
    def edit(doc: Doc) -> None:
        doc["components"]["parameters"]["Limit"]["schema"]["default"] = 50

    assert _changed(edit) == {"listParcels", "listCarrierParcels"}


def test_responses_and_bodies_count() -> None:
    def new_status(doc: Doc) -> None:
        _op(doc, "/carriers", "get")["responses"]["429"] = {"description": "Slow down."}

    def body_optional(doc: Doc) -> None:
        doc["components"]["requestBodies"]["NewParcel"]["required"] = False

    def header(doc: Doc) -> None:
        response = _op(doc, "/parcels", "post")["responses"]["201"]
        response["headers"] = {"Location": {"schema": {"type": "string"}}}

    assert _changed(new_status) == {"GET /carriers"}
    assert _changed(body_optional) == {"createParcel"}
    assert _changed(header) == {"createParcel"}


def test_method_and_path_count() -> None:
    def edit(doc: Doc) -> None:
        doc["paths"]["/carriers/{code}/parcels"]["put"] = doc["paths"][
            "/carriers/{code}/parcels"
        ].pop("get")

    assert _changed(edit) == {"listCarrierParcels"}


def test_security_counts_by_definition_not_by_name() -> None:
    def scope(doc: Doc) -> None:
        doc["security"] = [{"oauth": ["parcels:read", "parcels:admin"]}]

    def token_url(doc: Doc) -> None:
        flows = doc["components"]["securitySchemes"]["oauth"]["flows"]
        flows["clientCredentials"]["tokenUrl"] = "https://auth.other.example/token"

    def rename(doc: Doc) -> None:
        text = json.dumps(doc).replace('"carrierKey"', '"partnerKey"')
        doc.clear()
        doc.update(json.loads(text))

    # Operations with their own `security` (including `[]`) keep their hashes.
    assert _changed(scope) == {"listParcels", "getParcel", "listTrackingEvents"}
    assert _changed(token_url) == _ALL_31 - {"GET /carriers", "recordTrackingEvent"}
    assert _changed(rename) == set()


def test_moving_a_schema_into_components_or_renaming_one_does_not_count() -> None:
    def inline(doc: Doc) -> None:
        address = _schemas(doc).pop("Address")
        _schemas(doc)["NewParcel"]["properties"]["address"] = address
        _schemas(doc)["ParcelPatch"]["properties"]["address"] = address

    def rename(doc: Doc) -> None:
        text = json.dumps(doc).replace("schemas/Problem", "schemas/ProblemDetails")
        text = text.replace('"Problem": {"type"', '"ProblemDetails": {"type"')
        doc.clear()
        doc.update(json.loads(text))

    assert _changed(inline) == set()
    assert _changed(rename) == set()


def test_siblings_of_a_ref() -> None:
    def annotation(doc: Doc) -> None:
        _schemas(doc)["ParcelPatch"]["properties"]["address"]["description"] = "Where to"

    def constraint(doc: Doc) -> None:
        _schemas(doc)["ParcelPatch"]["properties"]["address"]["maxProperties"] = 3

    assert _changed(annotation) == set()
    assert _changed(constraint) == {"updateParcel"}


def test_integral_floats_are_integers() -> None:
    def edit(doc: Doc) -> None:
        doc["components"]["parameters"]["Limit"]["schema"]["maximum"] = 100.0

    assert _changed(edit) == set()


def _document(paths: Doc, schemas: Doc | None = None) -> bytes:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }
    return json.dumps(doc).encode()


def _get(schema: Doc) -> Doc:
    content = {"application/json": {"schema": schema}}
    return {"/x": {"get": {"operationId": "x", "responses": {"200": {"content": content}}}}}


def test_references_shared_many_times_over_hash_in_linear_time() -> None:
    # S0 → S1 twice → S2 twice ...: 2**60 paths if expanded; memoized, 60 objects.
    schemas: Doc = {}
    for i in range(60):
        ref = {"$ref": f"#/components/schemas/S{i + 1}"}
        schemas[f"S{i}"] = {"properties": {"a": ref, "b": dict(ref)}}
    schemas["S60"] = {"type": "string"}
    # Counted, not timed: 2**60 expansions would pass any step budget; memoized work fits
    # in a few hundred steps.
    few = SpecLimits(max_hash_steps=1000)
    spec = parse_openapi(_document(_get({"$ref": "#/components/schemas/S0"}), schemas), limits=few)
    assert len(spec.operations) == 1


def test_mutually_recursive_schemas_hash_the_same_from_any_entry() -> None:
    schemas = {
        "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}, "n": {"type": "string"}}},
        "B": {"properties": {"a": {"$ref": "#/components/schemas/A"}}},
    }
    paths = {
        "/a": {
            "get": {**_get({"$ref": "#/components/schemas/A"})["/x"]["get"], "operationId": "a"}
        },
        "/b": {
            "get": {**_get({"$ref": "#/components/schemas/B"})["/x"]["get"], "operationId": "b"}
        },
    }
    hashes = _hashes(_document(paths, schemas))
    # B first, then A: the memo must not leak a hash computed inside a cycle.
    reordered = _hashes(_document(dict(reversed(paths.items())), schemas))
    assert hashes == reordered
    assert hashes["a"] != hashes["b"]
    schemas["A"]["properties"]["n"]["type"] = "integer"
    changed = _hashes(_document(paths, schemas))
    assert changed["a"] != hashes["a"]
    assert changed["b"] != hashes["b"]


def test_hash_work_is_bounded() -> None:
    with pytest.raises(SpecError) as caught:
        parse_openapi(OPENAPI_31_JSON.read_bytes(), limits=SpecLimits(max_hash_steps=50))
    assert caught.value.code == "too_complex"


def test_a_long_reference_chain_is_fine() -> None:
    # Targets are hashed without recursion: a chain is as deep as it likes.
    schemas: Doc = {
        f"S{i}": {"items": {"$ref": f"#/components/schemas/S{i + 1}"}} for i in range(2000)
    }
    schemas["S2000"] = {"type": "string"}
    spec = parse_openapi(_document(_get({"$ref": "#/components/schemas/S0"}), schemas))
    schemas["S2000"] = {"type": "integer"}
    changed = parse_openapi(_document(_get({"$ref": "#/components/schemas/S0"}), schemas))
    assert spec.operations[0].content_hash != changed.operations[0].content_hash


def test_renaming_a_component_on_a_cycle_counts() -> None:
    def edit(doc: Doc) -> None:
        text = json.dumps(doc).replace("schemas/Location", "schemas/Place")
        text = text.replace('"Location": {', '"Place": {')
        doc.clear()
        doc.update(json.loads(text))

    # The documented price of hashing cycles in linear time.
    assert _changed(edit) == {"listTrackingEvents", "recordTrackingEvent", "createParcel"}
